import type { HttpClient, Query, RequestHooks } from '../http/client.js';
import { HttpError } from '../http/errors.js';
import { describeWindow, forEachRow, parsePage } from './decode.js';
import { systemError } from './errors.js';
import { bucketCount, bucketStarts, halve, type Window } from './planner.js';
import { responseFailure } from './responses.js';
import type { Bucket, BucketPlan, EncodedRecords, Page, Row } from './stream.js';
import { isoTime } from './time.js';

export interface WindowReaderContext {
  http: HttpClient;
  debug: (msg: string) => void;
  warn: (msg: string) => void;
  hooks: RequestHooks;
  /** Called on every successful response, including empty ones. */
  onResponse: () => void;
  /** Rows one window may hold: windows shrink to stay under it once the density is known. */
  maxRowsPerWindow?: number;
  /** Parses and serialises pages off the main thread (Airbyte output only); see decode-pool.ts. */
  decoder?: PageDecoder;
  clock: { now(): number };
}

/**
 * Turns a response body into a Page whose buckets inside `window` carry their records already
 * mapped and serialised as RECORD lines stamped `emittedAt` (Bucket.encoded). May take
 * ownership of `body`. Throws NotJsonError for a body that is not JSON.
 */
export interface PageDecoder {
  decode(body: Uint8Array, window: Window, emittedAt: number): Promise<Page>;
  /** Take back the memory of encoded records once they are written out (it may be reused). */
  recycle?(buffers: ArrayBuffer[]): void;
}

/** The records of a unit: row objects, or serialised RECORD lines when a decoder was used. */
export class UnitRecords {
  readonly rows: Row[] = [];
  readonly encoded: Uint8Array[] = [];
  count = 0;

  readonly addRow = (row: Row): void => {
    this.rows.push(row);
    this.count += 1;
  };

  addEncoded(e: EncodedRecords): void {
    if (e.count > 0) this.encoded.push(e.bytes);
    this.count += e.count;
  }

  append(other: UnitRecords): void {
    for (const r of other.rows) this.rows.push(r);
    for (const b of other.encoded) this.encoded.push(b);
    this.count += other.count;
  }
}

/** Rows a stream may hold in memory across its units in flight; each unit gets its share. */
export const DEFAULT_MAX_ROWS_IN_FLIGHT = 60_000;

/** A page that does not hold every bucket of its window. */
class WindowNotCovered extends Error {}

/**
 * Reads bucketed windows of one stream. A grouped query is never paginated:
 * the window holds at most `maxBuckets` buckets and asks for exactly that many,
 * so one page covers it. If a page does not cover its window (truncated, or a 400
 * for a limit the server will not serve) the window is halved, down to single
 * buckets, and the size that worked is kept for the rest of the run. An error the
 * plan declares a refusal of the query itself (a 'fail' of BucketPlan.responses) is not.
 */
export class WindowReader {
  private maxBuckets: number;

  /** The context's decoder, for plain one-page windows only: a provider fetcher or a records cursor reads on this thread. */
  private readonly decoder: PageDecoder | undefined;

  constructor(
    private readonly plan: BucketPlan,
    private readonly ctx: WindowReaderContext,
  ) {
    this.maxBuckets = plan.maxBuckets;
    this.decoder = plan.fetchWindow || plan.api.recordsPaginated ? undefined : ctx.decoder;
  }

  get windowBuckets(): number {
    return this.maxBuckets;
  }

  async read(window: Window): Promise<UnitRecords> {
    const step = this.plan.bucketSeconds;
    if (bucketCount(window, step) > this.maxBuckets) {
      // Another unit in flight learned a smaller size meanwhile (halving after a 400 or truncation).
      const out = new UnitRecords();
      for (let s = window.start; s < window.end; s += this.maxBuckets * step) {
        out.append(await this.read({ start: s, end: Math.min(s + this.maxBuckets * step, window.end) }));
      }
      return out;
    }
    try {
      const records = await this.readCovered(window);
      this.learnDensity(records.count, bucketCount(window, step));
      return records;
    } catch (err) {
      // A refusal halving cannot fix fails at once: halving would read the rest and leave a gap.
      const refused = responseFailure(this.plan.responses, err, window);
      if (refused) throw refused;
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
      first.append(await this.read(b));
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

  private async readCovered(window: Window): Promise<UnitRecords> {
    const { plan, ctx } = this;
    const step = plan.bucketSeconds;
    // One stamp for the window, so a repeated bucket serialises to the same bytes.
    const emittedAt = ctx.clock.now();
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
      } else if (!sameResults(prior, bucket)) {
        throw systemError(`${plan.path}: bucket ${isoTime(bucket.start)} came twice with different results in window ${describeWindow(window)}.`);
      } else {
        ctx.debug(`${plan.path}: dropping repeated bucket ${isoTime(bucket.start)}`);
      }
    };
    const missing = (): number[] => expected.filter((t) => !seen.has(t));

    if (plan.fetchWindow) {
      // Providers with an unusual cursor (Aurous: token-only, group splits) page through a window themselves.
      const buckets = await plan.fetchWindow({ get: (q) => this.fetchPage(q, window, emittedAt), debug: ctx.debug }, window, expected.length);
      for (const b of buckets) accept(b, false);
      const gap = missing();
      if (gap.length) throw new WindowNotCovered(`${gap.length} of ${expected.length} buckets missing, first ${isoTime(gap[0] as number)}`);
    } else {
      // Records paginated: the window is its one bucket, and pages add records to it (a day without any is empty, not missing).
      if (plan.api.recordsPaginated === true) for (const t of expected) seen.set(t, { start: t, end: t + step, results: [] });
      const first: Query = [...plan.api.windowQuery(window, expected.length), ...plan.params];
      const tokens = new Set<string>();
      let query = first;
      for (;;) {
        const page = await this.fetchPage(query, window, emittedAt);
        for (const bucket of page.buckets) accept(bucket, plan.api.recordsPaginated === true);
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
    const out = new UnitRecords();
    for (const t of expected) {
      const bucket = seen.get(t) as Bucket;
      if (bucket.encoded) out.addEncoded(bucket.encoded);
      else forEachRow(plan, bucket, window, out.addRow);
    }
    return out;
  }

  /** One page of `query`; with a decoder, the body is parsed and its records serialised on a worker thread. */
  async fetchPage(query: Query, window: Window, emittedAt: number): Promise<Page> {
    const { plan, ctx, decoder } = this;
    if (decoder) {
      const res = await ctx.http.get(plan.path, query, ctx.hooks, (body) => decoder.decode(body, window, emittedAt));
      ctx.onResponse();
      return res.body;
    }
    const res = await ctx.http.getJson(plan.path, query, ctx.hooks);
    ctx.onResponse();
    return parsePage(plan, res.body, window);
  }
}

/** Whether a bucket that came twice came with the same results. */
function sameResults(a: Bucket, b: Bucket): boolean {
  if (a.encoded && b.encoded) return Buffer.compare(a.encoded.bytes, b.encoded.bytes) === 0;
  return JSON.stringify(a.results) === JSON.stringify(b.results);
}
