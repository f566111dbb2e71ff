import type { HttpClient, Query, RequestHooks } from '../http/client.js';
import { HttpError } from '../http/errors.js';
import { ConnectorError, systemError } from './errors.js';
import { bucketCount, bucketStarts, halve, type Window } from './planner.js';
import type { Bucket, BucketPlan, Page, Row } from './stream.js';
import { isoTime } from './time.js';
import { describeZodError } from './validation.js';

export interface WindowReaderContext {
  http: HttpClient;
  debug: (msg: string) => void;
  warn: (msg: string) => void;
  hooks: RequestHooks;
  /** Called on every successful response, including empty ones. */
  onResponse: () => void;
  /** Rows one window may hold: windows shrink to stay under it once the density is known. */
  maxRowsPerWindow?: number;
}

/** Rows a stream may hold in memory across its units in flight; each unit gets its share. */
export const DEFAULT_MAX_ROWS_IN_FLIGHT = 60_000;

/** A page that does not hold every bucket of its window. */
class WindowNotCovered extends Error {}

const describeWindow = (w: Window): string => `[${isoTime(w.start)}, ${isoTime(w.end)})`;

/**
 * Reads bucketed windows of one stream. A grouped query is never paginated:
 * the window holds at most `maxBuckets` buckets and asks for exactly that many,
 * so one page covers it. If a page does not cover its window (truncated, or a 400
 * for a limit the server will not serve) the window is halved, down to single
 * buckets, and the size that worked is kept for the rest of the run.
 */
export class WindowReader {
  private maxBuckets: number;

  constructor(
    private readonly plan: BucketPlan,
    private readonly ctx: WindowReaderContext,
  ) {
    this.maxBuckets = plan.maxBuckets;
  }

  get windowBuckets(): number {
    return this.maxBuckets;
  }

  async read(window: Window): Promise<Row[]> {
    const step = this.plan.bucketSeconds;
    if (bucketCount(window, step) > this.maxBuckets) {
      // Another unit in flight learned a smaller size meanwhile (halving after a 400 or truncation).
      const out: Row[] = [];
      for (let s = window.start; s < window.end; s += this.maxBuckets * step) {
        const part = await this.read({ start: s, end: Math.min(s + this.maxBuckets * step, window.end) });
        for (const r of part) out.push(r);
      }
      return out;
    }
    try {
      const rows = await this.readCovered(window);
      this.learnDensity(rows.length, bucketCount(window, step));
      return rows;
    } catch (err) {
      const shrinkable = err instanceof WindowNotCovered || (err instanceof HttpError && err.details.status === 400);
      if (!shrinkable || bucketCount(window, step) < 2) {
        if (err instanceof WindowNotCovered) {
          throw systemError(`${this.plan.path}: the response for window ${describeWindow(window)} does not cover it (${err.message}); refusing to leave a gap.`);
        }
        throw err;
      }
      const [a, b] = halve(window, step);
      this.maxBuckets = Math.max(1, Math.min(this.maxBuckets, bucketCount(a, step)));
      this.ctx.warn(`${this.plan.path}: window ${describeWindow(window)} not served whole (${(err as Error).message}); using windows of at most ${this.maxBuckets} buckets`);
      const first = await this.read(a);
      const second = await this.read(b);
      for (const r of second) first.push(r);
      return first;
    }
  }

  /** Bound memory: a dense organisation gets narrower windows (more requests, same output). */
  private learnDensity(rows: number, buckets: number): void {
    const cap = this.ctx.maxRowsPerWindow ?? DEFAULT_MAX_ROWS_IN_FLIGHT;
    const perBucket = rows / Math.max(1, buckets);
    if (perBucket * this.maxBuckets <= cap) return;
    const next = Math.max(1, Math.floor(cap / perBucket));
    if (next < this.maxBuckets) {
      this.ctx.debug(`${this.plan.path}: ${Math.round(perBucket)} rows per bucket; windows of at most ${next} buckets keep memory bounded`);
      this.maxBuckets = next;
    }
  }

  private async readCovered(window: Window): Promise<Row[]> {
    const { plan, ctx } = this;
    const step = plan.bucketSeconds;
    const expected = bucketStarts(window, step);
    const seen = new Map<number, Bucket>();
    const accept = (bucket: Bucket, appendRecords: boolean): void => {
      if (bucket.start < window.start || bucket.start >= window.end) {
        ctx.debug(`${plan.path}: ignoring bucket ${isoTime(bucket.start)} outside window ${describeWindow(window)}`);
        return;
      }
      if ((bucket.start - window.start) % step !== 0) {
        throw systemError(`${plan.path}: bucket ${isoTime(bucket.start)} in window ${describeWindow(window)} is not aligned to ${step} s buckets.`);
      }
      const prior = seen.get(bucket.start);
      if (!prior) {
        // Every page is parsed afresh, so its bucket can be kept, and appended to, as it is.
        seen.set(bucket.start, bucket);
      } else if (appendRecords) {
        for (const r of bucket.results) prior.results.push(r);
      } else if (JSON.stringify(prior.results) !== JSON.stringify(bucket.results)) {
        throw systemError(`${plan.path}: bucket ${isoTime(bucket.start)} came twice with different results in window ${describeWindow(window)}.`);
      } else {
        ctx.debug(`${plan.path}: dropping repeated bucket ${isoTime(bucket.start)}`);
      }
    };
    const missing = (): number[] => expected.filter((t) => !seen.has(t));

    if (plan.fetchWindow) {
      // Providers with an unusual cursor (Aurous: token-only, group splits) page through a window themselves.
      const buckets = await plan.fetchWindow({ get: (q) => this.fetchPage(q, window), debug: ctx.debug }, window, expected.length);
      for (const b of buckets) accept(b, false);
      const gap = missing();
      if (gap.length) throw new WindowNotCovered(`${gap.length} of ${expected.length} buckets missing, first ${isoTime(gap[0] as number)}`);
    } else {
      const first: Query = [...plan.api.windowQuery(window, expected.length), ...plan.params];
      const tokens = new Set<string>();
      let query = first;
      for (;;) {
        const page = await this.fetchPage(query, window);
        for (const bucket of page.buckets) accept(bucket, plan.api.recordsPaginated === true);
        // Records paginated in a one-bucket window: a last page with no records (so no bucket) means the bucket is empty, not missing.
        if (plan.api.recordsPaginated === true && expected.length === 1 && seen.size === 0 && page.buckets.length === 0 && !page.hasMore) {
          accept({ start: window.start, end: window.end, results: [] }, true);
        }
        const gap = missing();
        const moreRecords = plan.api.recordsPaginated === true && page.hasMore && page.nextPage !== null;
        if (gap.length === 0 && !moreRecords) {
          if (page.hasMore) ctx.debug(`${plan.path}: page covers ${describeWindow(window)}; ignoring has_more/next_page`);
          break;
        }
        const why = `${gap.length} of ${expected.length} buckets missing, first ${isoTime(gap[0] ?? window.start)}`;
        if ((plan.grouped && !moreRecords) || !page.hasMore || !page.nextPage) throw new WindowNotCovered(why);
        if (tokens.has(page.nextPage)) throw systemError(`${plan.path}: pagination loop in window ${describeWindow(window)} (cursor repeated).`);
        tokens.add(page.nextPage);
        query = plan.api.nextPageQuery(first, page.nextPage);
      }
    }
    const rows: Row[] = [];
    for (const t of expected) {
      const bucket = seen.get(t) as Bucket;
      // Ids include the bucket start, so a duplicate can only occur within one bucket.
      const ids = new Set<unknown>();
      bucket.results.forEach((result, i) => {
        let row: Row;
        try {
          row = plan.toRecord(bucket, result, i);
        } catch (err) {
          throw wrapValidation(err, `${plan.path} window ${describeWindow(window)}, bucket ${isoTime(bucket.start)}, results[${i}]`);
        }
        if (ids.has(row.id)) {
          throw systemError(`${plan.path}: two results with the same dimensions in bucket ${isoTime(bucket.start)} of window ${describeWindow(window)}; refusing to emit a duplicate key.`);
        }
        ids.add(row.id);
        rows.push(row);
      });
    }
    return rows;
  }

  async fetchPage(query: Query, window: Window): Promise<Page> {
    const res = await this.ctx.http.getJson(this.plan.path, query, this.ctx.hooks);
    this.ctx.onResponse();
    const parsed = this.plan.api.page.safeParse(res.body);
    if (!parsed.success) {
      throw systemError(
        `${this.plan.path}: unexpected response for window ${describeWindow(window)}: ${describeZodError(parsed.error, res.body)}`,
      );
    }
    return parsed.data;
  }
}

function wrapValidation(err: unknown, where: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return systemError(`unexpected response at ${where}: ${message}`);
}
