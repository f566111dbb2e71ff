import type { HttpClient, Query, RequestHooks, Transport } from '../../http/client.js';
import { HttpError } from '../../http/errors.js';
import { describeWindow, encodedRows, encodePage, pageShape, type RecordFormat } from '../decode/decode.js';
import { ConnectorError, systemError } from '../errors.js';
import { CursorGuard } from './pages.js';
import { bucketCount, bucketStarts, halve, type Window } from '../plan/planner.js';
import { responseFailure, responseRule } from './responses.js';
import type { Bucket, BucketPlan, EncodedRecords, Page, Row } from '../stream.js';
import { isoTime } from '../time.js';

interface WindowReaderContext {
  http: HttpClient;
  /** The stream the records are encoded for. */
  stream: string;
  /** How the output takes its records (Emitter.records). */
  format: RecordFormat;
  debug: (msg: string) => void;
  warn: (msg: string) => void;
  hooks: RequestHooks;
  /** Called on every successful response, including empty ones. */
  onResponse: () => void;
  /** Rows one window may hold: windows shrink to stay under it once the density is known. */
  maxRowsPerWindow?: number;
  /** Receives and encodes pages on worker threads (decode-pool.ts); without it, on this thread. */
  decoder?: PageDecoder;
  /** Where the notices of a page's mapping go (engine/notices.ts: the run logs each once), from a worker or this thread alike. */
  notice?: (message: string) => void;
  clock: { now(): number };
}

/** Receives the pages of one stream on decode workers and encodes their records there (decode-pool.ts). */
export interface PageDecoder {
  /**
   * A transport that fetches one page of `window` on a worker and answers with it decoded
   * (encodePage: records stamped `emittedAt`, with their ids when `ids`, `joined` handed to the
   * mapping of a plan with a join). A request that starts
   * while no worker is up goes through `inThread` instead (the same function on this thread).
   */
  transport(window: Window, emittedAt: number, ids: boolean, inThread: Transport<Page>, joined?: ReadonlyMap<number, readonly Row[]>): Transport<Page>;
  /** The decoder of the plan's companion report (BucketPlan.join), whose records come as rows. */
  companion?(): PageDecoder;
  /** Take back the memory of encoded records once they are written out (it may be reused). */
  recycle?(buffers: ArrayBuffer[]): void;
}

/** The records of a unit, encoded for the output, in order. */
export class UnitRecords {
  readonly batches: EncodedRecords[] = [];
  count = 0;

  add(e: EncodedRecords): void {
    if (e.count === 0) return;
    this.batches.push(e);
    this.count += e.count;
  }

  append(other: UnitRecords): void {
    for (const b of other.batches) this.batches.push(b);
    this.count += other.count;
  }
}

/** Rows a stream may hold in memory across its units in flight; each unit gets its share. */
export const DEFAULT_MAX_ROWS_IN_FLIGHT = 40_000;

/** A page that does not hold every bucket of its window. */
class WindowNotCovered extends Error {}

/**
 * Reads bucketed windows of one stream, paged as the plan says (BucketPlan.paging). A window
 * holds at most `maxBuckets` buckets and asks for exactly that many, so one page usually covers it. If a page does not cover its window (truncated, or a 400
 * for a limit the server will not serve) the window is halved, down to single
 * buckets, and the size that worked is kept for the rest of the run. An error the
 * plan declares a refusal of the query itself (a 'fail' of BucketPlan.responses) is not.
 */
export class WindowReader {
  private maxBuckets: number;
  /** The reader of the plan's join (BucketPlan.join): its records as rows, on this thread. */
  private readonly companion: WindowReader | undefined;

  constructor(
    private readonly plan: BucketPlan,
    private readonly ctx: WindowReaderContext,
  ) {
    pageShape(plan); // a plan that does not say how its pages are laid out is refused here, before any request
    this.maxBuckets = plan.maxBuckets;
    if (plan.join) {
      const { decoder, ...own } = ctx;
      const companion = decoder?.companion?.();
      this.companion = new WindowReader(plan.join.plan, { ...own, format: { kind: 'rows' }, ...(companion ? { decoder: companion } : {}) });
    }
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
      // Only 'fail' rules here: a 'restart' rule that matches (a 400 naming the page on a first page, where no cursor was sent) must not hide a refusal.
      const refused = responseFailure(
        this.plan.responses?.filter((r) => r.action === 'fail'),
        err,
        window,
      );
      if (refused) throw refused;
      const shrinkable = err instanceof WindowNotCovered || (err instanceof HttpError && err.details.status === 400);
      if (!shrinkable || bucketCount(window, step) < 2) {
        if (err instanceof WindowNotCovered) {
          throw systemError(
            `${this.plan.path}: the response for window ${describeWindow(window)} does not cover it (${err.message}); refusing to leave a gap.`,
          );
        }
        throw err;
      }
      const [a, b] = halve(window, step);
      this.maxBuckets = Math.max(1, Math.min(this.maxBuckets, bucketCount(a, step)));
      this.ctx.warn(
        `${this.plan.path}: window ${describeWindow(window)} not served whole (${(err as Error).message}); using windows of at most ${this.maxBuckets} buckets`,
      );
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
    const paging = plan.paging;
    // A join: the companion window is read whole first (it fails the window if it fails), then
    // its records are handed to the mapping of this window's buckets.
    const joined = this.companion ? await this.readJoined(window) : undefined;
    // One stamp for the window, so a repeated bucket encodes to the same bytes.
    const emittedAt = ctx.clock.now();
    const expected = bucketStarts(window, step);
    /** The records of each bucket seen, as pages brought them; `first` to compare a repeat with, `ids` across pages of records. */
    const seen = new Map<number, { first: Bucket | null; batches: EncodedRecords[]; ids: Set<unknown> }>();
    const empty = (): { first: null; batches: EncodedRecords[]; ids: Set<unknown> } => ({ first: null, batches: [], ids: new Set() });
    const accept = (bucket: Bucket, appendRecords: boolean): void => {
      if (bucket.start < window.start || bucket.start >= window.end) {
        if (appendRecords) {
          // Records of another window would be dropped here and read again there, or never: refuse.
          throw systemError(
            `${plan.path}: the response for window ${describeWindow(window)} holds a row of ${isoTime(bucket.start)}, outside the window asked for; refusing to drop or duplicate it.`,
          );
        }
        ctx.debug(`${plan.path}: ignoring bucket ${isoTime(bucket.start)} outside window ${describeWindow(window)}`);
        return;
      }
      if ((bucket.start - window.start) % step !== 0) {
        throw systemError(`${plan.path}: bucket ${isoTime(bucket.start)} in window ${describeWindow(window)} is not aligned to ${step} s buckets.`);
      }
      const records = bucket.encoded ?? { count: 0, lines: new Uint8Array(0) };
      const prior = seen.get(bucket.start);
      if (!prior) {
        seen.set(bucket.start, { first: bucket, batches: [records], ids: new Set(bucket.ids) });
      } else if (appendRecords) {
        for (const id of bucket.ids ?? []) {
          if (prior.ids.has(id)) {
            throw systemError(
              `${plan.path}: two results with the same dimensions in bucket ${isoTime(bucket.start)} of window ${describeWindow(window)}; refusing to emit a duplicate key.`,
            );
          }
          prior.ids.add(id);
        }
        prior.batches.push(records);
      } else if (!sameRecords(prior.first?.encoded, records)) {
        throw systemError(`${plan.path}: bucket ${isoTime(bucket.start)} came twice with different results in window ${describeWindow(window)}.`);
      } else {
        ctx.debug(`${plan.path}: dropping repeated bucket ${isoTime(bucket.start)}`);
      }
    };
    const missing = (): number[] => expected.filter((t) => !seen.has(t));
    const notCovered = (gap: number[]): WindowNotCovered =>
      new WindowNotCovered(`${gap.length} of ${expected.length} buckets missing, first ${isoTime(gap[0] ?? window.start)}`);

    if (paging.kind === 'custom') {
      // Providers with an unusual cursor (Aurous: token-only, group splits) page through a window themselves.
      const fetched = await paging.fetchWindow({ get: (q) => this.fetchPage(q, window, emittedAt, joined), debug: ctx.debug }, window);
      for (const b of fetched.buckets) accept(b, false);
      // Complete pages: a bucket they did not mention is empty (whether an API sends empty buckets is its own affair).
      if (fetched.complete) for (const t of expected) if (!seen.has(t)) seen.set(t, empty());
      const gap = missing();
      if (gap.length) throw notCovered(gap);
    } else {
      const records = paging.kind === 'records';
      // Records paging: the window is its one bucket, and pages add records to it (a day without any is empty, not missing).
      if (records) for (const t of expected) seen.set(t, empty());
      const first: Query = [...plan.api.windowQuery(window, expected.length), ...plan.params];
      const newGuard = (): CursorGuard =>
        new CursorGuard({
          missing: () => notCovered(missing()),
          repeated: () => systemError(`${plan.path}: pagination loop in window ${describeWindow(window)} (cursor repeated).`),
        });
      let guard = newGuard();
      const restarts = paging.kind === 'records' ? (paging.restarts ?? 0) : 0;
      for (let attempt = 0; ; attempt++) {
        let query = first;
        let pages = 0;
        try {
          for (;;) {
            const page = await this.fetchPage(query, window, emittedAt, joined);
            pages += 1;
            for (const bucket of page.buckets) accept(bucket, records);
            const gap = missing();
            const moreRecords = records && page.hasMore && page.nextPage !== null;
            if (gap.length === 0 && !moreRecords) {
              if (page.hasMore) ctx.debug(`${plan.path}: page covers ${describeWindow(window)}; ignoring has_more/next_page`);
              break;
            }
            if ((paging.kind === 'single' && !moreRecords) || !page.hasMore) throw notCovered(gap);
            query = plan.api.nextPageQuery(first, guard.follow(page.nextPage));
          }
          break;
        } catch (err) {
          // A refused cursor (expired, or no longer tied to the query): the rows read so far may
          // overlap or miss what the next pages hold, so the window starts again from its first page.
          const rule = query === first ? undefined : responseRule(plan.responses, err, plan.path);
          if (rule?.action !== 'restart') throw err;
          const said = (err as HttpError).details.apiError?.message ?? (err as Error).message;
          if (attempt >= restarts) {
            throw new ConnectorError(
              'transient_error',
              `${plan.path}: the API refused the page cursor of window ${describeWindow(window)} ${attempt + 1} time(s) ("${said}"); gave up after ${restarts} restart(s) from the first page. Nothing of this window was emitted and the state stays before it; run the sync again (the data was probably refreshing).`,
              (err as Error).message,
            );
          }
          ctx.warn(
            `${plan.path}: cursor refused after ${pages} page(s) of window ${describeWindow(window)} ("${said}"); discarding them and reading the window again from its first page (restart ${attempt + 1} of ${restarts})`,
          );
          seen.clear();
          for (const t of expected) seen.set(t, empty());
          guard = newGuard();
        }
      }
    }
    const out = new UnitRecords();
    for (const t of expected) for (const b of (seen.get(t) ?? empty()).batches) out.add(b);
    return out;
  }

  /**
   * The companion records of `window` (BucketPlan.join), by the bucket their time field names; a
   * record whose time is not a bucket of the window fails the read (it could not be joined).
   */
  private async readJoined(window: Window): Promise<Map<number, Row[]>> {
    const join = this.plan.join;
    const companion = this.companion;
    if (!join || !companion) throw systemError(`${this.plan.path}: no join to read`);
    const records = await companion.read(window);
    const byBucket = new Map<number, Row[]>();
    for (const batch of records.batches) {
      for (const row of encodedRows(batch).rows) {
        const at = Date.parse(String(row[join.bucketField])) / 1000;
        if (!Number.isFinite(at) || at < window.start || at >= window.end || (at - window.start) % this.plan.bucketSeconds !== 0) {
          throw systemError(
            `${join.plan.path}: a record's ${join.bucketField} ${JSON.stringify(row[join.bucketField])} is not a bucket of window ${describeWindow(window)} of ${this.plan.path}; refusing to join it.`,
          );
        }
        const list = byBucket.get(at);
        if (list) list.push(row);
        else byBucket.set(at, [row]);
      }
    }
    return byBucket;
  }

  /** One page of `query`, decoded: on a worker when the context has a decoder and one is up, else on this thread (`joined`: the companion's records). */
  async fetchPage(query: Query, window: Window, emittedAt: number, joined?: ReadonlyMap<number, readonly Row[]>): Promise<Page> {
    const { plan, ctx } = this;
    const ids = plan.paging.kind === 'records';
    const inThread = ctx.http.inThread(
      (body) => encodePage(plan, ctx.stream, ctx.format, body, window, emittedAt, { ids, ...(joined ? { joined } : {}) }).page,
    );
    const transport = ctx.decoder?.transport(window, emittedAt, ids, inThread, joined) ?? inThread;
    const hooks = plan.headers ? { ...ctx.hooks, headers: plan.headers } : ctx.hooks;
    const res = await ctx.http.get(plan.path, query, hooks, transport);
    ctx.onResponse();
    for (const message of res.body.notices ?? []) ctx.notice?.(message);
    return res.body;
  }
}

/** Whether a bucket that came twice came with the same records. */
function sameRecords(a: EncodedRecords | undefined, b: EncodedRecords): boolean {
  if (!a) return b.count === 0;
  if ('lines' in a && 'lines' in b) return Buffer.compare(a.lines, b.lines) === 0;
  if ('rows' in a && 'rows' in b) return JSON.stringify(a.rows) === JSON.stringify(b.rows);
  return false;
}
