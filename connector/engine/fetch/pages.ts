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
 * How a page's bytes are laid out, declared with the page schema (BucketApi.shape), so that the
 * decoder knows it rather than guesses:
 * - `buckets`: {data:[bucket...], ...} where each bucket is an object checked on its own by
 *   `bucket` (its `results` member only for being an array) and the rest by `envelope`; the page
 *   schema is exactly envelope with data an array of bucket (bucketPage builds all three). Decoded
 *   as its bytes arrive, one bucket at a time (engine/decode/decode.ts PageStreamDecoder).
 * - `whole`: anything else (records to regroup, Anthropic's claude_code and analytics pages, whose
 *   size their `limit` bounds): received whole and parsed by the page schema once in.
 */
export type PageShape =
  | {
      kind: 'buckets';
      /** The member of each bucket that holds its results. */
      results: string;
      bucket: z.ZodType<{ start: number; end: number }>;
      envelope: z.ZodType<{ hasMore: boolean; nextPage: string | null }>;
    }
  | { kind: 'whole' };

/** The shape of a page parsed whole once received (PageShape). */
export const WHOLE_PAGE: PageShape = { kind: 'whole' };

/**
 * The bucketed report envelope all three providers share, with their own names:
 * {data:[{<start>, <end>, <results>}], has_more, next_page}. Every field is required (a bucket
 * without its results is malformed, not empty). `time` parses a bucket boundary into unix
 * seconds (OpenAI sends integers, Anthropic and Aurous RFC 3339). The page schema's output is
 * the engine's Page; `shape` says the page may be decoded bucket by bucket (PageShape).
 */
export function bucketPage(names: { start: string; end: string; results: string }, time: z.ZodType<number>): { page: z.ZodType<Page>; shape: PageShape } {
  const bucket = z.looseObject({ [names.start]: time, [names.end]: time, [names.results]: z.array(z.unknown()) });
  const page = z.looseObject({ data: z.array(bucket), ...pageCursorFields }).transform((p) => ({
    buckets: p.data.map((b) => {
      const fields = b as Record<string, unknown>;
      return { start: fields[names.start] as number, end: fields[names.end] as number, results: fields[names.results] as unknown[] };
    }),
    hasMore: p.has_more,
    nextPage: p.next_page,
  }));
  const bounds = bucket.transform((b) => {
    const fields = b as Record<string, unknown>;
    return { start: fields[names.start] as number, end: fields[names.end] as number };
  });
  const envelope = z.looseObject({ data: z.array(z.unknown()), ...pageCursorFields }).transform((p) => ({ hasMore: p.has_more, nextPage: p.next_page }));
  return { page, shape: { kind: 'buckets', results: names.results, bucket: bounds, envelope } };
}

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
