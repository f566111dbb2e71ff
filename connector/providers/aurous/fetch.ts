import { configError, systemError } from '../../engine/errors.js';
import type { Window } from '../../engine/plan/planner.js';
import { CursorGuard } from '../../engine/fetch/pages.js';
import { responseRule, type ResponseRule } from '../../engine/fetch/responses.js';
import type { Bucket, FetchedWindow, Page, WindowIo } from '../../engine/stream.js';
import { isoTime } from '../../engine/time.js';
import type { Query } from '../../http/client.js';
import type { HttpError } from '../../http/errors.js';
import { aurousBucketApi, MAX_LIMIT, rangeQuery, TOKEN_LIFETIME_MS } from './api.js';

/**
 * Reads one window of GET /v1/usage whole, despite the cursor's group-split loss.
 *
 * The API pages by group rows (`limit`), newest bucket first. When a page fills up
 * in the middle of a bucket it cuts that bucket, and the token resumes *after* it:
 * the rest of its groups are never served. So, for a grouped query:
 *
 * - a page with `has_more` may have cut its last (oldest) bucket: that bucket is
 *   re-queried alone ([start, start + width), limit = the API maximum). If even
 *   that page is cut, the bucket has more groups than the API can serve and the
 *   window fails with a config_error naming the bucket: a partial bucket is never
 *   passed on as whole;
 * - every other bucket of the page is whole (a cut only happens at a page's end).
 *
 * Pages after the first send only `page_token`. Tokens expire 24 hours after the
 * first page: a token that old (less a margin) is not used, and a token the API
 * refuses (`invalid_page_token`, expired or otherwise) is not retried; instead the
 * query restarts for the part of the window not read yet, which is known exactly
 * because buckets come newest first: [window start, oldest bucket read).
 *
 * Whether Aurous returns empty buckets is UNCONFIRMED. The fetcher hands the engine every
 * bucket its pages held and says they were complete; the engine checks them like any page
 * (alignment, outside the window, coverage) and takes a bucket they did not mention as empty,
 * whichever way the API behaves. Nothing is returned for an incomplete read.
 */
export interface FetcherOptions {
  path: string;
  bucketSeconds: number;
  /** bucket_width, group_by and filters: every parameter but the range, limit and token. */
  params: Query;
  /** The group_by dimensions (empty: one row per bucket, which cannot be cut). */
  groupBy: readonly string[];
  /** `limit` of window pages (group rows). */
  pageSize: number;
  /** `limit` of a single-bucket re-query: the API maximum. */
  maxLimit?: number;
  clock?: { now(): number };
  tokenLifetimeMs?: number;
  /** A token older than lifetime minus this is not used (default 1 hour). */
  tokenMarginMs?: number;
  /** The stream's responses: a 'restart' one says when a continuation's token was refused. */
  responses?: readonly ResponseRule<Window>[];
}

type WindowFetcher = (io: WindowIo, window: Window) => Promise<FetchedWindow>;

const HOUR_MS = 3_600_000;

/** Records in a bucket: decoded (encoded for the output) or as the page held them. */
const recordCount = (b: Bucket): number => b.encoded?.count ?? b.results.length;

export function aurousWindowFetcher(o: FetcherOptions): WindowFetcher {
  const step = o.bucketSeconds;
  const maxLimit = o.maxLimit ?? MAX_LIMIT;
  const clock = o.clock ?? { now: () => Date.now() };
  const usableForMs = (o.tokenLifetimeMs ?? TOKEN_LIFETIME_MS) - (o.tokenMarginMs ?? HOUR_MS);
  const grouped = o.groupBy.length > 0;
  const first = (start: number, end: number, limit: number): Query => [...rangeQuery(start, end, limit), ...o.params];
  const where = (w: Window): string => `${o.path} window [${isoTime(w.start)}, ${isoTime(w.end)})`;

  /** The whole of one bucket (none: it is empty), or a loud failure when the API cannot serve it whole. */
  async function wholeBucket(io: WindowIo, window: Window, cut: Bucket): Promise<Bucket | undefined> {
    io.debug(`${where(window)}: bucket ${isoTime(cut.start)} may be cut at the page end; re-reading it alone`);
    const page = await io.get(first(cut.start, cut.start + step, maxLimit));
    const same = page.buckets.filter((b) => b.start === cut.start);
    if (page.buckets.length !== same.length) {
      throw systemError(`${where(window)}: a query for bucket ${isoTime(cut.start)} alone returned other buckets.`);
    }
    if (page.hasMore) {
      const dims = o.groupBy.join(',');
      throw configError(
        `${o.path}: bucket ${isoTime(cut.start)} holds more than ${maxLimit} groups for group_by ${dims}, the most one Aurous page can hold; ` +
          `Aurous cuts such a bucket and the rest of its groups cannot be read, so the stream stops rather than emit it partially. ` +
          `Use a narrower group_by (fewer or coarser dimensions than ${dims}), add filters, or a smaller bucket_width.`,
      );
    }
    if (same.length > 1) throw systemError(`${where(window)}: bucket ${isoTime(cut.start)} came twice in one page.`);
    return same[0];
  }

  return async (io, window) => {
    const whole = new Map<number, Bucket>();
    /** Buckets outside the window: passed on for the engine to ignore. */
    const outside: Bucket[] = [];
    // Everything in [coveredFrom, window.end) is known: a bucket in `whole`, or empty.
    let coveredFrom = window.end;
    let query = first(window.start, window.end, o.pageSize);
    let continuation = false;
    let mintedAt = clock.now();
    let lastBoundary: number | null = null;
    const guard = new CursorGuard({
      stalled: () => systemError(`${where(window)}: a page with has_more holds no bucket of the window; cannot make progress.`),
      missing: () => systemError(`${where(window)}: has_more is true but next_page is missing.`),
      repeated: () => systemError(`${where(window)}: pagination loop (next_page repeated).`),
    });
    const restart = (why: string): void => {
      io.debug(`${where(window)}: ${why}; restarting the query for [${isoTime(window.start)}, ${isoTime(coveredFrom)})`);
      query = first(window.start, coveredFrom, o.pageSize);
      continuation = false;
    };

    for (;;) {
      if (continuation && clock.now() - mintedAt >= usableForMs) restart('page_token is close to its 24-hour expiry');
      if (!continuation) mintedAt = clock.now();
      let page: Page;
      try {
        page = await io.get(query);
      } catch (err) {
        const rule = continuation ? responseRule(o.responses, err) : undefined;
        if (rule?.action !== 'restart') throw err;
        restart(`page_token refused (${(err as HttpError).details.apiError?.message ?? 'no message'})`);
        continue;
      }

      // Validate the page: inside the unread part of the window, strictly newest first (the engine checks alignment).
      const got: Bucket[] = [];
      let previous = Infinity;
      for (const b of page.buckets) {
        if (b.start >= previous) {
          throw systemError(
            `${where(window)}: buckets are not newest first (${isoTime(b.start)} after ${isoTime(previous)}); refusing to guess where the cursor resumes.`,
          );
        }
        previous = b.start;
        if (b.start < window.start || b.start >= window.end) {
          outside.push(b);
          continue;
        }
        if (b.start >= coveredFrom) {
          // A continuation that resumes inside the bucket it cut (a fixed API): that bucket was re-read whole.
          if (continuation && b.start === lastBoundary) {
            io.debug(`${where(window)}: ignoring the rest of bucket ${isoTime(b.start)}, already read whole`);
            continue;
          }
          throw systemError(`${where(window)}: the cursor went back to bucket ${isoTime(b.start)}, which an earlier page had passed.`);
        }
        got.push(b);
      }

      if (!page.hasMore) {
        for (const b of got) whole.set(b.start, b);
        coveredFrom = window.start;
        break;
      }
      const next = guard.follow(page.nextPage, got.length > 0);
      const last = got[got.length - 1] as Bucket;
      const mayBeCut = grouped && recordCount(last) > 0;
      for (const b of mayBeCut ? got.slice(0, -1) : got) whole.set(b.start, b);
      const reread = mayBeCut ? await wholeBucket(io, window, last) : undefined;
      if (reread) whole.set(last.start, reread);
      coveredFrom = last.start;
      lastBoundary = last.start;
      if (coveredFrom <= window.start) break; // the window's oldest bucket is read; whatever follows is outside it
      query = aurousBucketApi.nextPageQuery(query, next);
      continuation = true;
    }
    // Every page was read to its end: the engine takes a bucket they did not mention as empty.
    return { buckets: [...whole.values(), ...outside], complete: true };
  };
}
