import { z } from 'zod';
import type { Page } from '../stream.js';
import { parseUtc } from '../time.js';

/** Text as unix seconds when it is an RFC 3339 time (or a bare UTC date); the zod issue names what came. */
function rfc3339Text(s: string, ctx: z.RefinementCtx): number {
  const t = parseUtc(s);
  if (t === null) {
    ctx.addIssue({ code: 'custom', message: `expected an RFC 3339 time, got ${JSON.stringify(s)}` });
    return z.NEVER;
  }
  return t;
}

/** A bucket boundary sent as RFC 3339 text (Anthropic), as unix seconds. */
export const rfc3339Seconds: z.ZodType<number> = z.string().transform(rfc3339Text);

/** A bucket boundary sent as RFC 3339 text or, leniently, unix seconds (Aurous), as unix seconds. */
export const rfc3339OrUnixSeconds: z.ZodType<number> = z
  .union([z.string(), z.number().int()])
  .transform((v, ctx) => (typeof v === 'number' ? v : rfc3339Text(v, ctx)));

/**
 * The cursor fields of a page, both required by every provider's spec (OpenAI UsageResponse,
 * Anthropic's report responses, Aurous' list): `next_page` may be null, never absent. A page
 * without them is malformed, not "no more pages".
 */
export const pageCursorFields = { has_more: z.boolean(), next_page: z.string().nullable() };

/**
 * The bucketed report envelope all three providers share, with their own names:
 * {data:[{<start>, <end>, <results>}], has_more, next_page}. Every field is required (a bucket
 * without its results is malformed, not empty). `time` parses a bucket boundary into unix
 * seconds (OpenAI sends integers, Anthropic and Aurous RFC 3339). The output is the engine's Page.
 */
export function bucketPageSchema(names: { start: string; end: string; results: string }, time: z.ZodType<number>): z.ZodType<Page> {
  const bucket = z.looseObject({ [names.start]: time, [names.end]: time, [names.results]: z.array(z.unknown()) });
  const schema = z.looseObject({ data: z.array(bucket), ...pageCursorFields }).transform((p) => ({
    buckets: p.data.map((b) => {
      const fields = b as Record<string, unknown>;
      return { start: fields[names.start] as number, end: fields[names.end] as number, results: fields[names.results] as unknown[] };
    }),
    hasMore: p.has_more,
    nextPage: p.next_page,
  }));
  bucketPages.set(schema, names);
  return schema;
}

const bucketPages = new WeakMap<z.ZodType<Page>, { results: string }>();

/**
 * The results' name of a bucketPageSchema (undefined for another schema): one bucket per element
 * of `data`, each checked on its own and its results only for being an array, so a page can be
 * checked one element at a time (the schema applied to the envelope with that element alone,
 * its results left out) and come out the same.
 */
export const bucketPageResults = (schema: z.ZodType<Page>): string | undefined => bucketPages.get(schema)?.results;

/** The errors of a cursor that cannot be followed, in the words of the reader that follows it. */
interface CursorErrors {
  /** A page says there is more but names no next token. */
  missing(): Error;
  /** The next token was followed before: the API loops. */
  repeated(token: string): Error;
  /** A page says there is more but brought nothing forward (Aurous: no bucket of the window). */
  stalled?(): Error;
}

/**
 * The one loop guard of every paginated read (bucket windows, entity lists, the Aurous
 * fetcher): a next page is followed only with a token, never twice the same token, and only
 * after a page that made progress; otherwise the read fails rather than loop or guess.
 */
export class CursorGuard {
  private readonly seen = new Set<string>();

  constructor(private readonly errors: CursorErrors) {}

  /** The token to follow after a page that says has_more; `progressed`: whether the page brought anything new. */
  follow(token: string | null | undefined, progressed = true): string {
    if (!progressed && this.errors.stalled) throw this.errors.stalled();
    if (token === null || token === undefined || token === '') throw this.errors.missing();
    if (this.seen.has(token)) throw this.errors.repeated(token);
    this.seen.add(token);
    return token;
  }
}
