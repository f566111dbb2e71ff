import { parseJsonBody, type HttpClient, type Query, type Transport } from '../http/client.js';
import { HttpError } from '../http/errors.js';
import * as msg from '../protocol/messages.js';
import type { AirbyteMessage, SyncMode } from '../protocol/messages.js';
import { DEFAULT_MAX_ROWS_IN_FLIGHT, UnitRecords, WindowReader, type PageDecoder } from './fetch/buckets.js';
import { RecordEncoder, type RecordFormat } from './decode/decode.js';
import { configError, toConnectorError } from './errors.js';
import type { Run } from './run.js';
import type { Logger } from './logger.js';
import { NoticeLog } from './notices.js';
import { RowEstimate } from './plan/estimate.js';
import { bucketCount, planWindows, splitAtSegments, type SegmentPiece, type Window } from './plan/planner.js';
import { Coverage, futureCursor, readRanges, type StreamState } from './state/state.js';
import type { BucketPlan, BucketStream, EncodedRecords, ListStream, PlanSegment, Row } from './stream.js';
import { DAY, floorTo, isoTime } from './time.js';

/**
 * Where messages go: the NDJSON writer in Airbyte mode, a translator in Singer mode, the
 * warehouse loader in `sync`. Records take one path whatever the output: the emitter says in
 * which form it takes them (`records`), they are encoded so on a decode worker or on this thread
 * (engine/decode/decode.ts), and come in batches to emitRecords; emit() gets every other message.
 */
export interface Emitter {
  emit(message: AirbyteMessage): void;
  /** The form records come to emitRecords in. */
  readonly records: RecordFormat;
  /**
   * Records of `stream`, in order, encoded as `records` says (same meaning as emit() of each
   * RECORD). `written` is called once the bytes are handed to the OS (or copied): then their memory may be reused.
   */
  emitRecords(stream: string, records: EncodedRecords, written: () => void): void;
  /** Resolves when the output can take more (backpressure). */
  ready(): Promise<void>;
}

export interface CommonConfig {
  start: number;
  /** Exclusive end in unix seconds, or undefined for "now". */
  end?: number | undefined;
  lookbackDays: number;
  /** start_date was not set: `start` is a default (engine/config.ts), and a stream whose API starts later starts there unremarked. */
  startDefaulted?: boolean;
}

export interface ConfiguredStream {
  name: string;
  syncMode: SyncMode;
}

/**
 * Per-stream events of a read, for an output that acts on streams rather than on messages (the
 * warehouse loader commits a stream's rows with its state). Each is called right after the
 * message it matches is emitted.
 */
export interface StreamHooks {
  /** After STARTED. */
  onStreamStart?(stream: string): void;
  /** A bucketed stream that starts at its API's floor rather than where it was asked to (once, before its windows). */
  onFloor?(stream: string, notice: FloorNotice): void;
  /** A bucketed stream's reach, unix seconds: from its incremental start (state, start_date, lookback) to the read's end. */
  onRange?(stream: string, range: { from: number; to: number }): void;
  /**
   * A bucketed stream's windows: once planned (nothing done) and after each unit read. Units are
   * windows, or parts of one when the reader cuts it smaller, so `windowsPlanned` may grow.
   */
  onWindows?(stream: string, progress: WindowProgress): void;
  /**
   * After a STATE: every record of the stream emitted before it is covered by `state`. `windows`:
   * the windows whose records came since the previous STATE, in order, each read whole (every
   * bucket of it answered, every page followed), so the records are all the API holds for them
   * now; empty for a list stream.
   */
  onCheckpoint?(stream: string, state: Record<string, unknown>, windows: readonly Window[]): void;
  /** After the stream's last message; `error` is the message of its TRACE ERROR, if it failed. */
  onStreamEnd?(stream: string, status: 'COMPLETE' | 'INCOMPLETE', error?: string): void;
}

/** How far a bucketed stream's read is (StreamHooks.onWindows). */
export interface WindowProgress {
  windowsDone: number;
  windowsPlanned: number;
  bucketsDone: number;
  bucketsPlanned: number;
  rows: number;
  /** The current ESTIMATE (engine/plan/estimate.ts). */
  rowEstimate: number;
}

export interface ReadOptions<C> {
  /** The config, dates, clock, error context, streams and plans, resolved once (engine/run.ts). */
  run: Run<C>;
  catalog: ReadonlyArray<ConfiguredStream>;
  states: ReadonlyMap<string, StreamState>;
  /** The run's client; each stream sends its requests through its view (HttpClient.forStream), which counts them. */
  http: HttpClient;
  emitter: Emitter;
  hooks?: StreamHooks;
  logger: Logger;
  signal?: AbortSignal;
  /** Page decoders on worker threads, per stream, encoding records as emitter.records says; list pages parsed there too. */
  decoders?: { forStream(stream: string, segment?: number): PageDecoder; forList(inThread: Transport<unknown>): Transport<unknown> };
}

export interface ReadResult {
  failed: string[];
}

/** Cancellation requested (SIGTERM/SIGINT). */
export class Interrupted extends Error {}

/**
 * The read loop: each configured stream in catalog order, STARTED -> RUNNING ->
 * COMPLETE/INCOMPLETE, records in cursor order, a STATE after each completed
 * window. A failing stream does not stop the others, except a failure that ends every request
 * of the client (HttpClient.fatalError: a 401, no connection): then no other stream starts, and
 * its TRACE ERROR is emitted once.
 */
export async function read<C>(o: ReadOptions<C>): Promise<ReadResult> {
  const { run } = o;
  const byName = new Map(run.streams.map((s) => [s.name, s]));
  const failed: string[] = [];
  // What record mappings report (engine/notices.ts): each distinct notice one WARN line per run, whichever stream or thread.
  const notices = new NoticeLog((m) => o.logger.warn(m));
  let fatalReported = false;
  // A refused key or a host that cannot be reached ends the run (http/client.ts fatalError).
  const runEnded = (): boolean => o.http.fatalError instanceof HttpError;
  const readOne = async (configured: ConfiguredStream): Promise<void> => {
    const now = (): number => run.clock.now();
    o.emitter.emit(msg.streamStatus(configured.name, 'STARTED', now()));
    o.hooks?.onStreamStart?.(configured.name);
    const def = byName.get(configured.name);
    try {
      if (!def) {
        throw configError(
          `Stream '${configured.name}' is not a stream of this connector; remove it from the catalog (streams: ${[...byName.keys()].join(', ')}).`,
        );
      }
      const reader = new StreamRun(o, configured, notices);
      if (def.kind === 'buckets') await reader.readBuckets(def);
      else await reader.readList(def);
      o.emitter.emit(msg.streamStatus(configured.name, 'COMPLETE', now()));
      o.hooks?.onStreamEnd?.(configured.name, 'COMPLETE');
    } catch (err) {
      failed.push(configured.name);
      o.emitter.emit(msg.streamStatus(configured.name, 'INCOMPLETE', now()));
      if (err instanceof Interrupted) {
        o.hooks?.onStreamEnd?.(configured.name, 'INCOMPLETE');
        return;
      }
      const e = toConnectorError(err, run.errorContext);
      // A refused key or a host that cannot be reached ends the run (http/client.ts fatalError): said once, by the first stream it failed.
      if (runEnded() && fatalReported) {
        o.hooks?.onStreamEnd?.(configured.name, 'INCOMPLETE', e.message);
        return;
      }
      if (runEnded()) fatalReported = true;
      if (e.internalMessage) o.logger.debug(`${configured.name}: ${e.internalMessage}`);
      o.emitter.emit(msg.errorTrace({ message: e.message, internalMessage: e.internalMessage, failureType: e.failureType, stream: configured.name }, now()));
      o.hooks?.onStreamEnd?.(configured.name, 'INCOMPLETE', e.message);
    }
    await o.emitter.ready();
  };
  // Streams run side by side (each keeps its own order); the HTTP client bounds requests in flight.
  // Twice as many streams as request slots keep the slots busy while a stream reads its first unit alone.
  const queue = [...o.catalog];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      // Interrupted: streams not started yet get no status at all (the platform only trusts COMPLETE).
      if (o.signal?.aborted) return;
      // A run-ending failure (a refused key, no connection): streams not started yet are not attempted.
      if (runEnded()) return;
      await readOne(next);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(2 * run.concurrency, queue.length)) }, worker));
  return { failed };
}

class StreamRun<C> {
  private running = false;
  private pending = 0;
  private readonly run: Run<C>;
  /** The run's client, counting this stream's requests (HttpClient.forStream). */
  private readonly http: HttpClient;

  constructor(
    private readonly o: ReadOptions<C>,
    private readonly configured: ConfiguredStream,
    private readonly notices: NoticeLog,
  ) {
    this.run = o.run;
    this.http = o.http.forStream(configured.name);
  }

  private get name(): string {
    return this.configured.name;
  }

  private onResponse = (): void => {
    if (this.running) return;
    this.running = true;
    this.o.emitter.emit(msg.streamStatus(this.name, 'RUNNING', this.run.clock.now()));
  };

  /** Rows read on this thread (a list page), encoded like any page. */
  private emitRows(rows: readonly Row[]): void {
    const out = new RecordEncoder(this.o.emitter.records, this.name, this.run.clock.now());
    for (const row of rows) out.push(row);
    out.cut();
    const unit = new UnitRecords();
    for (const b of out.batches()) unit.add(b);
    this.emitUnit(unit, undefined);
  }

  private emitUnit(records: UnitRecords, decoder: PageDecoder | undefined): void {
    const { emitter } = this.o;
    // The lines of a page share one buffer: it goes back to the decoder once all of them are written.
    const buffers = new Set(records.batches.flatMap((b) => ('lines' in b ? [b.lines.buffer as ArrayBuffer] : [])));
    let left = records.batches.length;
    const written = (): void => {
      if (--left === 0 && buffers.size > 0) decoder?.recycle?.([...buffers]);
    };
    for (const batch of records.batches) emitter.emitRecords(this.name, batch, written);
    this.pending += records.count;
  }

  /** Windows read whole since the last STATE (StreamHooks.onCheckpoint). */
  private windowsRead: Window[] = [];

  private emitState(state: Record<string, unknown>): void {
    this.o.emitter.emit(msg.streamState(this.name, state, this.pending));
    this.o.hooks?.onCheckpoint?.(this.name, state, this.windowsRead.splice(0));
    this.pending = 0;
  }

  private checkAborted(): void {
    if (this.o.signal?.aborted) throw new Interrupted();
  }

  async readBuckets(def: BucketStream<C>): Promise<void> {
    const { o, run } = this;
    const { plan, plans, prior, from, ranges, windows, nowS, today, floor } = planStream(o, this.configured, def);
    if (floor) {
      if (floor.level === 'WARN') o.logger.warn(floor.message);
      else o.logger.info(floor.message);
      o.emitter.emit(floorTrace(floor, run.clock.now()));
      o.hooks?.onFloor?.(this.name, floor);
    }
    // A state in the future reads nothing (Airbyte's acceptance test wants that), never silently.
    const future = futureCursor(this.name, prior, nowS);
    if (future) o.logger.warn(`${future}; reading nothing (a state without this stream reads it from start_date)`);
    o.hooks?.onRange?.(this.name, { from, to: Math.min(run.common.end ?? nowS + 1, nowS) });
    if (ranges.length > 1) {
      o.logger.info(`${this.name}: start_date is before the stored coverage (from ${isoTime(prior?.covered_from ?? 0)}); reading the missing range first`);
    }
    o.logger.info(`${this.name}: ${windows.length} window(s) from ${isoTime(from)}`);
    if (plans.length > 1) {
      // A stream served by several plans by date: say which days each one reads.
      const parts = plans.flatMap((p, i) => {
        const mine = windows.filter((w) => w.segment === i);
        const first = mine[0];
        const last = mine.at(-1);
        return first && last ? [`${isoTime(first.start)}..${isoTime(last.end)} from ${p.path}`] : [];
      });
      o.logger.info(`${this.name}: ${parts.join(', ')}`);
    }
    // The state is the coverage proven so far: a window counts up to the start of today (today's
    // bucket is not final); a backfilled range joins the stored interval only once it touches it.
    const coverage = new Coverage(prior);
    const cover = (w: Window): StreamState | null => {
      coverage.add(w.start, Math.min(w.end, today));
      return coverage.state();
    };
    const empty = Math.min(floorTo(from, plan.bucketSeconds), today);
    const finalState = ((): StreamState => {
      const sim = new Coverage(prior);
      for (const w of windows) sim.add(w.start, Math.min(w.end, today));
      return sim.state() ?? { version: 2, covered_from: empty, cursor: empty };
    })();
    if (windows.length === 0) {
      o.emitter.emit(msg.rowEstimate(this.name, 0, run.clock.now()));
      this.onResponse();
      this.emitState(finalState);
      return;
    }
    // Progress for the platform: an estimate once planned, refined after the first unit read (engine/plan/estimate.ts).
    const stepOf = (w: SegmentPiece): number => (plans[w.segment] as BucketPlan).bucketSeconds;
    const estimate = new RowEstimate(windows.reduce((n, w) => n + bucketCount(w, stepOf(w)), 0));
    o.emitter.emit(msg.rowEstimate(this.name, estimate.rows(), run.clock.now()));
    const progress = (done: number, left: number): void =>
      o.hooks?.onWindows?.(this.name, {
        windowsDone: done,
        windowsPlanned: done + left,
        bucketsDone: estimate.bucketsRead,
        bucketsPlanned: estimate.plannedBuckets,
        rows: estimate.rowsSoFar,
        rowEstimate: estimate.rows(),
      });
    progress(0, windows.length);
    const depth = Math.max(1, run.concurrency);
    // One reader (and decoder) per segment: each learns its own window size; a stream without segments has one.
    const decoders = plans.map((_, i) => (i === 0 ? o.decoders?.forStream(this.name) : o.decoders?.forStream(this.name, i)));
    const readers = plans.map((p, i) => {
      const decoder = decoders[i];
      return new WindowReader(p, {
        http: this.http,
        stream: this.name,
        format: o.emitter.records,
        debug: (m) => o.logger.debug(m),
        warn: (m) => o.logger.warn(m),
        hooks: { onRateLimited: (until) => this.rateLimited(until) },
        onResponse: this.onResponse,
        notice: (m) => this.notices.add(m),
        maxRowsPerWindow: Math.floor(DEFAULT_MAX_ROWS_IN_FLIGHT / depth),
        clock: run.clock,
        ...(decoder ? { decoder } : {}),
      });
    });
    // Up to `concurrency` units are fetched ahead and emitted strictly in order, so a STATE always
    // follows every earlier record of the stream. A planned window wider than the reader's current
    // size (learned from density, 400s or truncation) is cut into units of that size as it is
    // launched, so memory stays bounded by the units in flight. The first unit goes alone: its
    // density sizes the rest before several are in flight.
    const pending = [...windows];
    const inflight: Array<{ unit: SegmentPiece; rows: Promise<UnitRecords> }> = [];
    let done = 0;
    const launch = (): void => {
      while (inflight.length < (done === 0 ? 1 : depth) && pending.length > 0 && !o.signal?.aborted) {
        const w = pending.shift() as SegmentPiece;
        const reader = readers[w.segment] as WindowReader;
        const unit = { start: w.start, end: Math.min(w.end, w.start + reader.windowBuckets * stepOf(w)), segment: w.segment };
        if (unit.end < w.end) pending.unshift({ start: unit.end, end: w.end, segment: w.segment });
        const rows = reader.read({ start: unit.start, end: unit.end });
        rows.catch(() => undefined); // awaited in order below; avoid an unhandled rejection meanwhile
        inflight.push({ unit, rows });
      }
    };
    // Checkpoints: a STATE after a unit whose coverage differs from the last one emitted, and the
    // final state after the last unit; an intermediate state never equals the final one.
    const same = (a: StreamState | null, b: StreamState | null): boolean => a?.covered_from === b?.covered_from && a?.cursor === b?.cursor;
    let lastEmitted: StreamState | null = prior ?? null;
    launch();
    while (inflight.length > 0) {
      this.checkAborted();
      const { unit, rows } = inflight.shift() as { unit: SegmentPiece; rows: Promise<UnitRecords> };
      const data = await rows;
      done += 1;
      this.checkAborted();
      launch();
      this.emitUnit(data, decoders[unit.segment]);
      this.windowsRead.push({ start: unit.start, end: unit.end });
      estimate.add(bucketCount(unit, stepOf(unit)), data.count);
      if (done === 1) o.emitter.emit(msg.rowEstimate(this.name, estimate.rows(), run.clock.now()));
      progress(done, inflight.length + pending.length);
      const state = cover(unit);
      const last = inflight.length === 0 && pending.length === 0;
      if (last) this.emitState(finalState);
      else if (state && !same(state, lastEmitted) && !same(state, finalState)) {
        this.emitState(state);
        lastEmitted = state;
      }
      await o.emitter.ready();
    }
  }

  async readList(def: ListStream<C>): Promise<void> {
    const { o, run } = this;
    let pages = 0;
    const transport = o.decoders?.forList(this.http.inThread(parseJsonBody));
    const ctx = {
      http: this.http,
      log: (m: string) => o.logger.debug(m),
      onResponse: this.onResponse,
      responses: def.responses,
      ...(transport ? { transport } : {}),
    };
    for await (const rows of def.pages(ctx, run.config, run.common)) {
      this.checkAborted();
      this.emitRows(rows);
      pages += 1;
      await o.emitter.ready();
    }
    this.onResponse();
    // Full refresh lists have no cursor; the state records when the snapshot was taken.
    this.emitState({ version: 1, synced_at: Math.floor(run.clock.now() / 1000), pages });
  }

  private rateLimited(untilMs: number): void {
    this.o.emitter.emit(
      msg.streamStatus(this.name, 'RUNNING', this.run.clock.now(), [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: Math.round(untilMs) } }]),
    );
  }
}

/** What a bucketed stream's read will cover: its plan, the stored state it starts from, the ranges and windows. */
export interface StreamPlan {
  /** The plan of the first segment (of every day when the stream has no segments). */
  plan: BucketPlan;
  /** The plan of each segment (BucketStream.segments), the first being `plan`; windows name theirs. */
  plans: BucketPlan[];
  prior: StreamState | undefined;
  /** Where the read starts (unix seconds): at or after the API's floor. */
  from: number;
  ranges: ReturnType<typeof readRanges>;
  /** In time order, each inside one segment (`segment`: its index in `plans`). */
  windows: SegmentPiece[];
  nowS: number;
  today: number;
  /** Set when the API serves nothing before some time and the read would have started earlier. */
  floor?: FloorNotice;
}

/**
 * A read that starts where its API starts rather than where it was asked to (BucketPlan.earliest):
 * said once per run, as a LOG (WARN when days asked for are not read, INFO when nothing is
 * missing), a TRACE ANALYTICS (FLOOR_EVENT) and in `sync`'s summary.
 */
export interface FloorNotice {
  stream: string;
  /** The first time the API serves (unix seconds, aligned to the stream's buckets). */
  floor: number;
  /** Where the read would have started. */
  requested: number;
  /** The stored cursor (cause `state` or `lookback_days`). */
  cursor?: number;
  /** Cause `start_date`: where the stream's coverage starts after this read (the floor, or an earlier stored covered_from). */
  starts?: number;
  /**
   * What made it start there: `start_date`; `default` (no start_date: as far back as the API
   * serves); `state` (a stored cursor before the floor: the days between are lost); `lookback_days`
   * (only a re-read of days stored by an earlier run is shortened).
   */
  cause: 'start_date' | 'default' | 'state' | 'lookback_days';
  /** WARN: days asked for are not in the stream; INFO: nothing asked for is missing. */
  level: 'WARN' | 'INFO';
  message: string;
}

/** The TRACE ANALYTICS event type of a FloorNotice (a static string, as the protocol asks; the value is JSON). */
export const FLOOR_EVENT = 'stream-start-at-api-floor';

/**
 * Plan one bucketed stream's read, before any request (the read itself and `--dry-run` both use
 * it): the ranges from the state (start_date..covered_from never read first, then lookback_days
 * before the cursor on), cut into windows. An API that serves nothing before some time
 * (BucketPlan.earliest) has its ranges start there, with a FloorNotice saying why and what it costs.
 */
export function planStream<C>(o: Pick<ReadOptions<C>, 'run' | 'states'>, configured: ConfiguredStream, def: BucketStream<C>): StreamPlan {
  const { run } = o;
  const name = configured.name;
  const nowS = Math.floor(run.clock.now() / 1000);
  const segments = run.segments(def);
  const plans = segments.map((s) => s.plan);
  const plan = plans[0] as BucketPlan;
  const today = floorTo(nowS, DAY);
  const prior = configured.syncMode === 'incremental' ? o.states.get(name) : undefined;
  const end = run.common.end ?? nowS + 1;
  // No start_date: a stored state is resumed wherever it is (a default start that has moved past an
  // old cursor must not skip the days between).
  const start = run.common.startDefaulted && prior ? Math.min(run.common.start, prior.covered_from) : run.common.start;
  let ranges = readRanges(start, run.common.lookbackDays, prior);
  // An API that serves nothing before some time: the read starts there (never a request the API
  // refuses, never a state claiming days the API never gave) and says so.
  let floor: FloorNotice | undefined;
  const earliest = plan.earliest?.at(nowS);
  const requested = ranges[0]?.from ?? start;
  if (earliest !== undefined && plan.earliest && floorTo(requested, plan.bucketSeconds) < earliest) {
    const at = Math.ceil(earliest / plan.bucketSeconds) * plan.bucketSeconds;
    floor = floorNotice({ name, path: plan.path, why: plan.earliest.why, floor: at, requested, start, end, common: run.common, prior });
    ranges = ranges.filter((r) => r.to === undefined || r.to > at).map((r) => ({ ...r, from: Math.max(r.from, at) }));
  }
  const from = ranges[0]?.from ?? Math.max(requested, floor?.floor ?? requested);
  const windows = segmentWindows(ranges, end, nowS, segments);
  return { plan, plans, prior, from, ranges, windows, nowS, today, ...(floor ? { floor } : {}) };
}

/**
 * The windows of `ranges` (ending at `end` at the latest), cut where each segment starts and
 * planned with that segment's plan (its bucket width, window size and whether the current
 * bucket may be read). Pure: `nowS` is the caller's clock.
 */
export function segmentWindows(ranges: ReturnType<typeof readRanges>, end: number, nowS: number, segments: readonly PlanSegment[]): SegmentPiece[] {
  const starts = segments.map((s) => s.from?.(nowS) ?? -Infinity);
  return ranges.flatMap((r) =>
    splitAtSegments(r.from, Math.min(end, r.to ?? end), starts).flatMap((piece) => {
      const p = (segments[piece.segment] as PlanSegment).plan;
      const horizon = p.includeCurrentBucket ? nowS : floorTo(nowS, p.bucketSeconds) - 1;
      return planWindows({ start: piece.start, end: piece.end, now: horizon, bucketSeconds: p.bucketSeconds, maxBuckets: p.maxBuckets }).map((w) => ({
        ...w,
        segment: piece.segment,
      }));
    }),
  );
}

/** What a read starting at the API's floor rather than at `requested` tells the user, naming only what they have. */
function floorNotice(a: {
  name: string;
  path: string;
  why: string;
  floor: number;
  requested: number;
  /** The start the ranges were planned from (start_date, or the default). */
  start: number;
  end: number;
  common: CommonConfig;
  prior: StreamState | undefined;
}): FloorNotice {
  const day = (t: number): string => isoTime(t).slice(0, 10);
  const serves = `${day(a.floor)}, the first day ${a.path} serves (${a.why})`;
  const nothing = a.end <= a.floor ? `; the range asked for ends before it (end_date ${day(a.end - DAY)}): nothing to read` : '';
  const reading = nothing || `; reading from ${day(a.floor)}`;
  const base = { stream: a.name, floor: a.floor, requested: a.requested };
  // The first range starts at start_date unless a stored state made it start at its cursor minus lookback_days.
  const fromState = a.prior !== undefined && a.requested > a.start;
  if (!fromState) {
    if (a.common.startDefaulted) {
      return { ...base, cause: 'default', level: 'INFO', message: `${a.name}: start_date is not set: starting at ${serves}${nothing}.` };
    }
    // Where the stream's coverage starts after this read: the floor, or a stored coverage that began
    // before it (read when the API still served those days).
    const starts = Math.min(a.prior?.covered_from ?? a.floor, a.floor);
    return {
      ...base,
      starts,
      cause: 'start_date',
      level: 'WARN',
      message: nothing
        ? `${a.name}: start_date ${day(a.common.start)} is before ${serves}${nothing}.`
        : `${a.name}: start_date ${day(a.common.start)} is before ${serves}; the stream starts at ${day(starts)}, without ${day(a.common.start)}..${day(starts - DAY)}.`,
    };
  }
  const cursor = a.prior?.cursor ?? a.requested;
  if (cursor < a.floor) {
    return {
      ...base,
      cursor,
      cause: 'state',
      level: 'WARN',
      message: `${a.name}: the stored state's cursor ${day(cursor)} is before ${serves}${reading}: ${day(cursor)}..${day(a.floor - DAY)} can no longer be read and is not in this stream.`,
    };
  }
  return {
    ...base,
    cursor,
    cause: 'lookback_days',
    level: 'INFO',
    message: `${a.name}: lookback_days (${a.common.lookbackDays}) before the stored cursor ${day(cursor)} reaches ${day(a.requested)}, before ${serves}; re-reading from ${day(a.floor)} (the days before it were read by an earlier run).`,
  };
}

/**
 * The floor notices of the configured bucketed streams, before any request: `read --dry-run` and
 * `check` (which has no catalog and no state: every bucketed stream, incremental, from start_date).
 */
export function floorNotices<C>(o: Pick<ReadOptions<C>, 'run' | 'states' | 'catalog'>): FloorNotice[] {
  const byName = new Map(o.run.streams.map((s) => [s.name, s]));
  const out: FloorNotice[] = [];
  for (const configured of o.catalog) {
    const def = byName.get(configured.name);
    if (def?.kind !== 'buckets') continue;
    const { floor } = planStream(o, configured, def);
    if (floor) out.push(floor);
  }
  return out;
}

/** The TRACE ANALYTICS of a floor notice (the LOG line says it in words). */
export const floorTrace = (n: FloorNotice, emittedAt: number): AirbyteMessage =>
  msg.analyticsTrace(FLOOR_EVENT, JSON.stringify({ stream: n.stream, floor: isoTime(n.floor), requested: isoTime(n.requested), cause: n.cause }), emittedAt);

/** One request a read would make first for a window (later pages of a window depend on the answers). */
export interface PlannedRequest {
  stream: string;
  window: Window;
  path: string;
  query: Query;
  /** False when the provider pages the window itself (custom paging): its queries depend on the answers, only the window is known. */
  exact: boolean;
}

/**
 * `--dry-run`: the windows of every configured stream and the first request of each, exactly as a
 * read of the same config, catalog, state and clock would send them, without sending anything.
 * A window is one request when the API serves it in one page; a read halves a window the API
 * truncates, follows cursors and, for a provider that pages itself (custom paging), may send
 * other queries: those are not knowable before the answers. A plan with a join (BucketPlan.join) lists
 * its companion report's request of the window first. Full-refresh lists are listed without a window
 * (their pages follow cursors).
 */
export function plannedRequests<C>(o: Pick<ReadOptions<C>, 'run' | 'states' | 'catalog'>): Array<PlannedRequest | { stream: string; list: true }> {
  const byName = new Map(o.run.streams.map((s) => [s.name, s]));
  const out: Array<PlannedRequest | { stream: string; list: true }> = [];
  for (const configured of o.catalog) {
    const def = byName.get(configured.name);
    if (!def) throw configError(`Stream '${configured.name}' is not a stream of this connector; remove it from the catalog.`);
    if (def.kind === 'list') {
      out.push({ stream: def.name, list: true });
      continue;
    }
    const { plans, windows } = planStream(o, configured, def);
    for (const w of windows) {
      const plan = plans[w.segment] as BucketPlan;
      const unit = { start: w.start, end: Math.min(w.end, w.start + plan.maxBuckets * plan.bucketSeconds) };
      // A plan with a join reads its companion report for the window first (BucketPlan.join).
      const join = plan.join?.plan;
      if (join) {
        out.push({
          stream: def.name,
          window: unit,
          path: join.path,
          query: [...join.api.windowQuery(unit, bucketCount(unit, join.bucketSeconds)), ...join.params],
          exact: join.paging.kind !== 'custom',
        });
      }
      out.push({
        stream: def.name,
        window: unit,
        path: plan.path,
        query: [...plan.api.windowQuery(unit, bucketCount(unit, plan.bucketSeconds)), ...plan.params],
        exact: plan.paging.kind !== 'custom',
      });
    }
  }
  return out;
}
