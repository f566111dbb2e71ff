import { parseJsonBody, type HttpClient, type Query, type RequestHooks, type Transport } from '../../http/client.js';
import type { HttpError } from '../../http/errors.js';
import { describeWindow, encodedRows, encodePage, pageShape, type RecordFormat } from '../decode/decode.js';
import { ConnectorError, systemError } from '../errors.js';
import { CursorGuard } from './pages.js';
import { bucketCount, bucketStarts, halve, type Window } from '../plan/planner.js';
import { responseRule, windowAction } from './responses.js';
import type { Bucket, BucketPlan, EncodedRecords, FetchedWindow, Page, Row, WindowIo } from '../stream.js';
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
  /** A transport that fetches a JSON body on a worker and answers with it parsed (WindowIo.json); `inThread` while no worker is up. */
  json(inThread: Transport<unknown>): Transport<unknown>;
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

/** The records of one bucket as pages brought them: `first` to compare a repeat with, `ids` across pages of records. */
interface SeenBucket {
  first: Bucket | null;
  batches: EncodedRecords[];
  ids: Set<unknown>;
}

const emptyBucket = (): SeenBucket => ({ first: null, batches: [], ids: new Set() });

/**
 * The buckets of one window as its pages bring them: each checked against the window (inside it,
 * aligned, never twice with different records), what is still missing, and the window's records
 * in bucket order once it is covered.
 */
class WindowBuckets {
  readonly expected: number[];
  private readonly seen = new Map<number, SeenBucket>();

  constructor(
    private readonly path: string,
    private readonly window: Window,
    private readonly step: number,
    private readonly debug: (msg: string) => void,
  ) {
    this.expected = bucketStarts(window, step);
  }

  /**
   * One bucket of a page. `appendRecords` (records paging): its records add to what earlier pages
   * brought for the bucket, and a bucket outside the window fails the read; otherwise a bucket
   * outside the window is ignored and a repeated bucket must repeat the same records.
   */
  accept(bucket: Bucket, appendRecords: boolean): void {
    const { path, window, step } = this;
    if (bucket.start < window.start || bucket.start >= window.end) {
      if (appendRecords) {
        // Records of another window would be dropped here and read again there, or never: refuse.
        throw systemError(
          `${path}: the response for window ${describeWindow(window)} holds a row of ${isoTime(bucket.start)}, outside the window asked for; refusing to drop or duplicate it.`,
        );
      }
      this.debug(`${path}: ignoring bucket ${isoTime(bucket.start)} outside window ${describeWindow(window)}`);
      return;
    }
    if ((bucket.start - window.start) % step !== 0) {
      throw systemError(`${path}: bucket ${isoTime(bucket.start)} in window ${describeWindow(window)} is not aligned to ${step} s buckets.`);
    }
    const records = bucket.encoded ?? { count: 0, lines: new Uint8Array(0) };
    const prior = this.seen.get(bucket.start);
    if (!prior) {
      this.seen.set(bucket.start, { first: bucket, batches: [records], ids: new Set(bucket.ids) });
    } else if (appendRecords) {
      for (const id of bucket.ids ?? []) {
        if (prior.ids.has(id)) {
          throw systemError(
            `${path}: two results with the same dimensions in bucket ${isoTime(bucket.start)} of window ${describeWindow(window)}; refusing to emit a duplicate key.`,
          );
        }
        prior.ids.add(id);
      }
      prior.batches.push(records);
    } else if (!sameRecords(prior.first?.encoded, records)) {
      throw systemError(`${path}: bucket ${isoTime(bucket.start)} came twice with different results in window ${describeWindow(window)}.`);
    } else {
      this.debug(`${path}: dropping repeated bucket ${isoTime(bucket.start)}`);
    }
  }

  /** Every bucket not seen yet counts as empty (a complete answer that did not mention it; a day without records). */
  fillEmpty(): void {
    for (const t of this.expected) if (!this.seen.has(t)) this.seen.set(t, emptyBucket());
  }

  /** Forget every page read so far: each bucket empty again (a window read again from its first page). */
  restart(): void {
    this.seen.clear();
    this.fillEmpty();
  }

  missing(): number[] {
    return this.expected.filter((t) => !this.seen.has(t));
  }

  notCovered(): WindowNotCovered {
    const gap = this.missing();
    return new WindowNotCovered(`${gap.length} of ${this.expected.length} buckets missing, first ${isoTime(gap[0] ?? this.window.start)}`);
  }

  /** The window's records, bucket by bucket in time order. */
  records(): UnitRecords {
    const out = new UnitRecords();
    for (const t of this.expected) for (const b of (this.seen.get(t) ?? emptyBucket()).batches) out.add(b);
    return out;
  }
}

/** What one read of a window's pages from its first page got through (for the message of a restart). */
interface PagesRead {
  pages: number;
  /** Whether a cursor was followed: a refused cursor is only ever a later page's error. */
  followed: boolean;
}

/**
 * Reads bucketed windows of one stream, paged as the plan says (BucketPlan.paging). A window
 * holds at most `maxBuckets` buckets and asks for exactly that many, so one page usually covers it.
 * If a page does not cover its window (truncated), or the plan's responses say 'halve' for the
 * error (a 400 for a range or limit the server will not serve), the window is read as two halves,
 * down to single buckets, and the size that worked is kept for the rest of the run. An error the
 * plan declares a refusal of the query itself (a 'fail' of BucketPlan.responses) fails at once.
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

  /** The records of `window`, in bucket order; pieces of at most the window size learned so far. */
  async read(window: Window): Promise<UnitRecords> {
    const step = this.plan.bucketSeconds;
    // Another unit in flight may have learned a smaller size meanwhile (halving after a 400 or truncation).
    if (bucketCount(window, step) > this.maxBuckets) return this.readInPieces(window);
    try {
      const records = await this.readUnit(window);
      this.learnDensity(records.count, bucketCount(window, step));
      return records;
    } catch (err) {
      return this.recover(window, err);
    }
  }

  /** `window` in consecutive pieces of the window size learned so far. */
  private async readInPieces(window: Window): Promise<UnitRecords> {
    const width = this.maxBuckets * this.plan.bucketSeconds;
    const out = new UnitRecords();
    for (let s = window.start; s < window.end; s += width) out.append(await this.read({ start: s, end: Math.min(s + width, window.end) }));
    return out;
  }

  /**
   * What a failed read of `window` comes to: the plan's 'fail' refusal at once (halving would read
   * around it and leave a gap), its two halves when the plan says 'halve' for the error or a page
   * did not cover the window, else the error itself.
   */
  private async recover(window: Window, err: unknown): Promise<UnitRecords> {
    const action = windowAction(this.plan.responses, err, window);
    if (action?.action === 'fail') throw action.error;
    const halvable = bucketCount(window, this.plan.bucketSeconds) >= 2;
    if (err instanceof WindowNotCovered) {
      if (halvable) return this.readHalves(window, err);
      throw systemError(`${this.plan.path}: the response for window ${describeWindow(window)} does not cover it (${err.message}); refusing to leave a gap.`);
    }
    if (action?.action === 'halve' && halvable) return this.readHalves(window, err as Error);
    throw err;
  }

  /** `window` read as two halves, the window size kept at most a half's for the rest of the run. */
  private async readHalves(window: Window, why: Error): Promise<UnitRecords> {
    const step = this.plan.bucketSeconds;
    const [a, b] = halve(window, step);
    this.maxBuckets = Math.max(1, Math.min(this.maxBuckets, bucketCount(a, step)));
    this.ctx.warn(`${this.plan.path}: window ${describeWindow(window)} not served whole (${why.message}); using windows of at most ${this.maxBuckets} buckets`);
    const first = await this.read(a);
    first.append(await this.read(b));
    return first;
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

  /**
   * One unit: every bucket of `window` read and checked, or an error. A join's companion window is
   * read whole first (it fails the window if it fails), its records handed to the mapping of this
   * window's buckets.
   */
  private async readUnit(window: Window): Promise<UnitRecords> {
    const { plan, ctx } = this;
    const joined = this.companion ? await this.readJoined(window) : undefined;
    // One stamp for the window, so a repeated bucket encodes to the same bytes.
    const emittedAt = ctx.clock.now();
    const get = (query: Query, body?: unknown): Promise<Page> => this.fetchPage(query, window, emittedAt, joined, body);
    const buckets = new WindowBuckets(plan.path, window, plan.bucketSeconds, ctx.debug);
    if (plan.paging.kind === 'custom') await this.readCustom(buckets, window, plan.paging.fetchWindow, get);
    else await this.readFromFirstPageRestarting(buckets, window, get);
    return buckets.records();
  }

  /** Custom paging: the provider pages through the window itself (Aurous: token-only cursor, group splits). */
  private async readCustom(
    buckets: WindowBuckets,
    window: Window,
    fetchWindow: (io: WindowIo, window: Window) => Promise<FetchedWindow>,
    get: (query: Query, body?: unknown) => Promise<Page>,
  ): Promise<void> {
    const { ctx, plan } = this;
    const json = async (path: string, query: Query): Promise<unknown> => {
      const inThread = ctx.http.inThread(parseJsonBody);
      const transport = ctx.decoder?.json(inThread) ?? inThread;
      const res = await ctx.http.get(path, query, plan.headers ? { ...ctx.hooks, headers: plan.headers } : ctx.hooks, transport);
      ctx.onResponse();
      return res.body;
    };
    const io: WindowIo = { get: (query) => get(query), post: (query, body) => get(query, body), json, debug: ctx.debug };
    const fetched = await fetchWindow(io, window);
    // Parts are checked by their records' ids, computed only for a plan that declares them.
    if (fetched.parts === true && !(plan.paging.kind === 'custom' && plan.paging.parts === true))
      throw systemError(`${plan.path}: the fetcher returned parts of a split query, but its plan does not declare paging.parts; their ids were not computed.`);
    // Parts of a split query add up; otherwise a bucket that came twice must repeat the same records.
    for (const b of fetched.buckets) buckets.accept(b, fetched.parts === true);
    // Complete pages: a bucket they did not mention is empty (whether an API sends empty buckets is its own affair).
    if (fetched.complete) buckets.fillEmpty();
    if (buckets.missing().length) throw fetched.why && !fetched.complete ? new WindowNotCovered(fetched.why) : buckets.notCovered();
  }

  /**
   * Single, cursor and records paging: the window's pages from its first page. When the API refuses
   * a followed cursor (a 'restart' of the plan's responses: expired, or no longer tied to the query)
   * the rows read so far may overlap or miss what the next pages hold, so the window starts again
   * from its first page, at most `paging.restarts` times (records paging only; never otherwise).
   */
  private async readFromFirstPageRestarting(buckets: WindowBuckets, window: Window, get: (query: Query) => Promise<Page>): Promise<void> {
    const { plan, ctx } = this;
    const restarts = plan.paging.kind === 'records' ? (plan.paging.restarts ?? 0) : 0;
    // Records paging: the window is its one bucket, and pages add records to it (a day without any is empty, not missing).
    if (plan.paging.kind === 'records') buckets.fillEmpty();
    for (let attempt = 0; ; attempt++) {
      const read: PagesRead = { pages: 0, followed: false };
      try {
        await this.readFromFirstPage(buckets, window, get, read);
        return;
      } catch (err) {
        const rule = read.followed ? responseRule(plan.responses, err, plan.path) : undefined;
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
          `${plan.path}: cursor refused after ${read.pages} page(s) of window ${describeWindow(window)} ("${said}"); discarding them and reading the window again from its first page (restart ${attempt + 1} of ${restarts})`,
        );
        buckets.restart();
      }
    }
  }

  /**
   * One pass over the window's pages: `single` stops at the first page (a page short of the
   * window is not covered), `cursor` follows the cursor while buckets are missing, `records`
   * while the API says there is more.
   */
  private async readFromFirstPage(buckets: WindowBuckets, window: Window, get: (query: Query) => Promise<Page>, read: PagesRead): Promise<void> {
    const { plan, ctx } = this;
    const { kind } = plan.paging;
    const records = kind === 'records';
    const first: Query = [...plan.api.windowQuery(window, buckets.expected.length), ...plan.params];
    const guard = new CursorGuard({
      missing: () => buckets.notCovered(),
      repeated: () => systemError(`${plan.path}: pagination loop in window ${describeWindow(window)} (cursor repeated).`),
    });
    let query = first;
    for (;;) {
      const page = await get(query);
      read.pages += 1;
      for (const bucket of page.buckets) buckets.accept(bucket, records);
      const moreRecords = records && page.hasMore && page.nextPage !== null;
      if (buckets.missing().length === 0 && !moreRecords) {
        if (page.hasMore) ctx.debug(`${plan.path}: page covers ${describeWindow(window)}; ignoring has_more/next_page`);
        return;
      }
      if ((kind === 'single' && !moreRecords) || !page.hasMore) throw buckets.notCovered();
      query = plan.api.nextPageQuery(first, guard.follow(page.nextPage));
      read.followed = true;
    }
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

  /** One page of `query` (a POST of `body` when given), decoded: on a worker when the context has a decoder and one is up, else on this thread (`joined`: the companion's records). */
  async fetchPage(query: Query, window: Window, emittedAt: number, joined?: ReadonlyMap<number, readonly Row[]>, body?: unknown): Promise<Page> {
    const { plan, ctx } = this;
    // Ids let records added across pages (records paging) or parts (a custom fetcher's split query) be checked for duplicates.
    const ids = plan.paging.kind === 'records' || (plan.paging.kind === 'custom' && plan.paging.parts === true);
    const inThread = ctx.http.inThread(
      (body) => encodePage(plan, ctx.stream, ctx.format, body, window, emittedAt, { ids, ...(joined ? { joined } : {}) }).page,
    );
    const transport = ctx.decoder?.transport(window, emittedAt, ids, inThread, joined) ?? inThread;
    const hooks = { ...ctx.hooks, ...(plan.headers ? { headers: plan.headers } : {}), ...(body === undefined ? {} : { body }) };
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
