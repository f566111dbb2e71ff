import type { z } from 'zod';

const EXCERPT = 160;

/** "at data[3].results[0].amount.value: expected number, got string; body: {...}" */
export function describeZodError(error: z.ZodError, body: unknown): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const path = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), '');
  let excerpt = '';
  try {
    excerpt = JSON.stringify(body)?.slice(0, EXCERPT) ?? '';
  } catch {
    excerpt = '';
  }
  return `at ${path || '(root)'}: ${issue.message}; body starts ${excerpt}`;
}

/** Parse with a zod schema or throw an Error whose message names the JSON path. */
export function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new Error(describeZodError(r.error, value));
}
