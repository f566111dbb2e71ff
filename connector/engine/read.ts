import type { HttpClient } from '../http/client.js';
import * as msg from '../protocol/messages.js';
import type { AirbyteMessage, SyncMode } from '../protocol/messages.js';
import { DEFAULT_MAX_ROWS_IN_FLIGHT, UnitRecords, WindowReader, type PageDecoder } from './buckets.js';
import { RecordEncoder, type RecordFormat } from './decode.js';
import { configError, toConnectorError, type ErrorContext } from './errors.js';
import type { Logger } from './logger.js';
import { planWindows, type Window } from './planner.js';
import { Coverage, readRanges, type StreamState } from './state.js';
import type { BucketStream, EncodedRecords, ListStream, Row, StreamDef } from './stream.js';
import { DAY, floorTo, isoTime } from './time.js';

/**
 * Where messages go: the NDJSON writer in Airbyte mode, a translator in Singer mode, the
 * warehouse loader in `sync`. Records take one path whatever the output: the emitter says in
 * which form it takes them (`records`), they are encoded so on a decode worker or on this thread
 * (engine/decode.ts), and come in batches to emitRecords; emit() gets every other message.
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
  /** Runs one stream's whole read (sync runs it in an async context that counts its requests). */
  run?(stream: string, read: () => Promise<void>): Promise<void>;
  /** After STARTED. */
  onStreamStart?(stream: string): void;
  /** A bucketed stream's reach, unix seconds: from its incremental start (state, start_date, lookback) to the read's end. */
  onRange?(stream: string, range: { from: number; to: number }): void;
  /** After a STATE: every record of the stream emitted before it is covered by `state`. */
  onCheckpoint?(stream: string, state: Record<string, unknown>): void;
  /** After the stream's last message; `error` is the message of its TRACE ERROR, if it failed. */
  onStreamEnd?(stream: string, status: 'COMPLETE' | 'INCOMPLETE', error?: string): void;
}

export interface ReadOptions<C> {
  config: C;
  common: CommonConfig;
  streams: ReadonlyArray<StreamDef<C>>;
  catalog: ReadonlyArray<ConfiguredStream>;
  states: ReadonlyMap<string, StreamState>;
  http: HttpClient;
  emitter: Emitter;
  hooks?: StreamHooks;
  logger: Logger;
  clock: { now(): number };
  errorContext: ErrorContext;
  signal?: AbortSignal;
  /** Windows (and streams) read at once; the HTTP client bounds requests in flight separately. */
  concurrency?: number;
  /** Page decoders on worker threads, per stream, encoding records as emitter.records says. */
  decoders?: { forStream(stream: string): PageDecoder };
}

export interface ReadResult {
  failed: string[];
}

/** Cancellation requested (SIGTERM/SIGINT). */
export class Interrupted extends Error {}

/**
 * The read loop: each configured stream in catalog order, STARTED -> RUNNING ->
 * COMPLETE/INCOMPLETE, records in cursor order, a STATE after each completed
 * window. A failing stream does not stop the others.
 */
export async function read<C>(o: ReadOptions<C>): Promise<ReadResult> {
  const byName = new Map(o.streams.map((s) => [s.name, s]));
  const failed: string[] = [];
  const readOne = async (configured: ConfiguredStream): Promise<void> => {
    const now = (): number => o.clock.now();
    o.emitter.emit(msg.streamStatus(configured.name, 'STARTED', now()));
    o.hooks?.onStreamStart?.(configured.name);
    const def = byName.get(configured.name);
    try {
      if (!def) {
        throw configError(
          `Stream '${configured.name}' is not a stream of this connector; remove it from the catalog (streams: ${[...byName.keys()].join(', ')}).`,
        );
      }
      const run = new StreamRun(o, configured);
      if (def.kind === 'buckets') await run.readBuckets(def);
      else await run.readList(def);
      o.emitter.emit(msg.streamStatus(configured.name, 'COMPLETE', now()));
      o.hooks?.onStreamEnd?.(configured.name, 'COMPLETE');
    } catch (err) {
      failed.push(configured.name);
      o.emitter.emit(msg.streamStatus(configured.name, 'INCOMPLETE', now()));
      if (err instanceof Interrupted) {
        o.hooks?.onStreamEnd?.(configured.name, 'INCOMPLETE');
        return;
      }
      const e = toConnectorError(err, o.errorContext);
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
      await (o.hooks?.run ? o.hooks.run(next.name, () => readOne(next)) : readOne(next));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(2 * (o.concurrency ?? 1), queue.length)) }, worker));
  return { failed };
}

class StreamRun<C> {
  private running = false;
  private pending = 0;

  constructor(
    private readonly o: ReadOptions<C>,
    private readonly configured: ConfiguredStream,
  ) {}

  private get name(): string {
    return this.configured.name;
  }

  private onResponse = (): void => {
    if (this.running) return;
    this.running = true;
    this.o.emitter.emit(msg.streamStatus(this.name, 'RUNNING', this.o.clock.now()));
  };

  /** Rows read on this thread (a list page), encoded like any page. */
  private emitRows(rows: readonly Row[]): void {
    const out = new RecordEncoder(this.o.emitter.records, this.name, this.o.clock.now());
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

  private emitState(state: Record<string, unknown>): void {
    this.o.emitter.emit(msg.streamState(this.name, state, this.pending));
    this.o.hooks?.onCheckpoint?.(this.name, state);
    this.pending = 0;
  }

  private checkAborted(): void {
    if (this.o.signal?.aborted) throw new Interrupted();
  }

  async readBuckets(def: BucketStream<C>): Promise<void> {
    const { o } = this;
    const plan = def.plan(o.config);
    const nowS = Math.floor(o.clock.now() / 1000);
    const today = floorTo(nowS, DAY);
    const prior = this.configured.syncMode === 'incremental' ? o.states.get(this.name) : undefined;
    const horizon = plan.includeCurrentBucket ? nowS : floorTo(nowS, plan.bucketSeconds) - 1;
    const end = o.common.end ?? nowS + 1;
    // A range start_date..covered_from never read comes first, then lookback_days before the cursor on.
    const ranges = readRanges(o.common.start, o.common.lookbackDays, prior);
    const from = ranges[0]?.from ?? o.common.start;
    o.hooks?.onRange?.(this.name, { from, to: Math.min(end, nowS) });
    const windows = ranges.flatMap((r) =>
      planWindows({ start: r.from, end: Math.min(end, r.to ?? end), now: horizon, bucketSeconds: plan.bucketSeconds, maxBuckets: plan.maxBuckets }),
    );
    // An API that serves nothing before some time: a read reaching before it fails now, naming it,
    // rather than emit a state that claims days the API never gave.
    const earliest = plan.earliest?.at(nowS);
    const firstStart = windows[0]?.start;
    if (earliest !== undefined && firstStart !== undefined && firstStart < earliest) {
      const cause =
        firstStart >= o.common.start
          ? `the stored state and lookback_days make it start at ${isoTime(firstStart)}`
          : `start_date makes it start at ${isoTime(firstStart)}`;
      throw configError(
        `${this.name}: ${plan.path} serves nothing before ${isoTime(earliest)} (${plan.earliest?.why}) but ${cause}; set start_date to ${isoTime(earliest).slice(0, 10)} or later, or leave ${this.name} out of the catalog.`,
      );
    }
    if (ranges.length > 1) {
      o.logger.info(`${this.name}: start_date is before the stored coverage (from ${isoTime(prior?.covered_from ?? 0)}); reading the missing range first`);
    }
    o.logger.info(`${this.name}: ${windows.length} window(s) from ${isoTime(from)}`);
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
      this.onResponse();
      this.emitState(finalState);
      return;
    }
    const depth = Math.max(1, o.concurrency ?? 1);
    const decoder = o.decoders?.forStream(this.name);
    const reader = new WindowReader(plan, {
      http: o.http,
      stream: this.name,
      format: o.emitter.records,
      debug: (m) => o.logger.debug(m),
      warn: (m) => o.logger.warn(m),
      hooks: { onRateLimited: (until) => this.rateLimited(until) },
      onResponse: this.onResponse,
      maxRowsPerWindow: Math.floor(DEFAULT_MAX_ROWS_IN_FLIGHT / depth),
      clock: o.clock,
      ...(decoder ? { decoder } : {}),
    });
    // Up to `concurrency` units are fetched ahead and emitted strictly in order, so a STATE always
    // follows every earlier record of the stream. A planned window wider than the reader's current
    // size (learned from density, 400s or truncation) is cut into units of that size as it is
    // launched, so memory stays bounded by the units in flight. The first unit goes alone: its
    // density sizes the rest before several are in flight.
    const step = plan.bucketSeconds;
    const pending = [...windows];
    const inflight: Array<{ unit: Window; rows: Promise<UnitRecords> }> = [];
    let done = 0;
    const launch = (): void => {
      while (inflight.length < (done === 0 ? 1 : depth) && pending.length > 0 && !o.signal?.aborted) {
        const w = pending.shift() as Window;
        const unit = { start: w.start, end: Math.min(w.end, w.start + reader.windowBuckets * step) };
        if (unit.end < w.end) pending.unshift({ start: unit.end, end: w.end });
        const rows = reader.read(unit);
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
      const { unit, rows } = inflight.shift() as { unit: Window; rows: Promise<UnitRecords> };
      const data = await rows;
      done += 1;
      this.checkAborted();
      launch();
      this.emitUnit(data, decoder);
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
    const { o } = this;
    let pages = 0;
    for await (const rows of def.pages({ http: o.http, log: (m) => o.logger.debug(m), onResponse: this.onResponse, responses: def.responses }, o.config)) {
      this.checkAborted();
      this.emitRows(rows);
      pages += 1;
      await o.emitter.ready();
    }
    this.onResponse();
    // Full refresh lists have no cursor; the state records when the snapshot was taken.
    this.emitState({ version: 1, synced_at: Math.floor(o.clock.now() / 1000), pages });
  }

  private rateLimited(untilMs: number): void {
    this.o.emitter.emit(
      msg.streamStatus(this.name, 'RUNNING', this.o.clock.now(), [{ type: 'RATE_LIMITED', rate_limited: { quota_reset: Math.round(untilMs) } }]),
    );
  }
}
