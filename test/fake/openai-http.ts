import type { JsonReply } from './server.js';

/** Request helpers shared by every fake OpenAI admin endpoint (costs, usage, entity lists). */

export const INVALID_TOKEN_MESSAGE = 'The page token is invalid, have you modified the query parameters?';

export const err = (status: number, message: string, param: string | null = null, code: string | null = null): JsonReply => ({
  status,
  body: { error: { message, type: 'invalid_request_error', param, code } },
});

/** group_by accepted repeated, as group_by[] and comma-joined, as OpenAI clients send it. */
export function arrayParam(q: URLSearchParams, name: string): string[] {
  return [...q.getAll(name), ...q.getAll(`${name}[]`)]
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

export function intParam(q: URLSearchParams, name: string): number | null | 'bad' {
  const v = q.get(name);
  if (v === null) return null;
  return /^-?\d+$/.test(v) ? Number(v) : 'bad';
}

/** Fingerprint of every parameter but the cursor: a token is valid only for the same query. */
export function fingerprint(q: URLSearchParams): string {
  const entries = [...q.entries()]
    .filter(([k]) => k !== 'page')
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  let h = 2166136261;
  for (const ch of entries.join('&')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16);
}

export const encodeToken = (next: number, fp: string): string => `page_${Buffer.from(JSON.stringify({ n: next, f: fp })).toString('base64url')}`;

export function decodeToken(token: string): { n: number; f: string } | null {
  try {
    const t = JSON.parse(Buffer.from(token.replace(/^page_/, ''), 'base64url').toString('utf8')) as { n: number; f: string };
    return typeof t.n === 'number' && typeof t.f === 'string' ? t : null;
  } catch {
    return null;
  }
}

/**
 * One page of an OpenAI report (costs and usage/*), with OpenAI's known bugs:
 * `page` tokens are bound to the query's fingerprint, tokens handed out for grouped
 * queries are never accepted, and a grouped page that ends in empty buckets claims
 * there is more. At most `perPage` buckets of `step` seconds from `first` up to `end`.
 */
export function reportPage<R>(
  q: URLSearchParams,
  o: { first: number; end: number; step: number; perPage: number; grouped: boolean; results: (bucketStart: number) => R[] },
): JsonReply {
  const fp = fingerprint(q);
  let from = o.first;
  const page = q.get('page');
  if (page !== null) {
    const t = decodeToken(page);
    if (!t || t.f !== fp || o.grouped) return err(400, INVALID_TOKEN_MESSAGE, null, 'invalid_request_error');
    from = t.n;
  }
  const data: Array<{ object: string; start_time: number; end_time: number; results: R[] }> = [];
  let t = from;
  for (; t < o.end && data.length < o.perPage; t += o.step) {
    data.push({ object: 'bucket', start_time: t, end_time: t + o.step, results: o.results(t) });
  }
  let hasMore = t < o.end;
  const last = data[data.length - 1];
  if (o.grouped && last && last.results.length === 0) hasMore = true;
  return { status: 200, body: { object: 'page', data, has_more: hasMore, next_page: hasMore ? encodeToken(t, fp) : null } };
}
