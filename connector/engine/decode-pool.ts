import { Worker } from 'node:worker_threads';
import { NotJsonError, type FetchLike, type FetchedResponse } from '../http/client.js';
import type { FailureType } from '../protocol/messages.js';
import type { PageDecoder } from './buckets.js';
import { ConnectorError, systemError } from './errors.js';
import type { Window } from './planner.js';
import type { EncodedRecords, Page } from './stream.js';

/**
 * Worker threads that receive response bodies and turn them into serialised RECORD lines,
 * so that a large read uses more than one core and the main thread stays light:
 *
 * - `fetch` receives a body on a worker (the socket's buffers are allocated and freed
 *   there, where garbage collection runs often) and hands the bytes over. The main
 *   thread's HttpClient still decides when a request starts (request slots, rate limit)
 *   and what a status means (retries), so it uses this like any fetch.
 * - `decode` parses a body, checks it, maps and serialises its records (engine/decode.ts
 *   encodePage, the same code the main thread runs without workers).
 * - `recycle` hands written-out line buffers back for the next lines.
 *
 * Bodies and lines move between threads as transferred buffers, not copies. Workers start
 * with the pool, hold the process open only while they have work, and their stdout/stderr
 * never reach the process's stdout. Order, checkpoints and the writer stay on the main thread.
 */
export interface WorkerSetup {
  /** URL of the module that exports the source definition. */
  module: string;
  /** The definition's name. */
  source: string;
  config: unknown;
}

export interface DecodeRequest {
  id: number;
  decode: { stream: string; body: Uint8Array; window: Window; emittedAt: number };
}
export interface FetchRequest {
  id: number;
  fetch: { url: string; headers: Record<string, string> };
}
export type WorkerMessage = DecodeRequest | FetchRequest | { abort: number } | { recycle: ArrayBuffer[] };

export type WireError =
  | { notJson: true }
  | { network: true; message: string; code?: string | undefined }
  | { failureType: FailureType; message: string; internalMessage?: string | undefined };
/** A worker's first message: it has loaded the source and takes requests. */
export interface WorkerReady {
  ready: true;
}

export type DecodeReply =
  | { id: number; page: { buckets: Array<{ start: number; end: number; encoded: EncodedRecords | null }>; hasMore: boolean; nextPage: string | null } }
  | { id: number; response: { status: number; headers: Array<[string, string]>; body: ArrayBuffer } }
  | { id: number; error: WireError };

interface Slot {
  worker: Worker;
  pending: number;
  /** Has said it is ready (fetch loaded). */
  up: boolean;
}

interface Call {
  slot: Slot;
  settle(reply: DecodeReply): void;
  reject(err: Error): void;
}

export interface DecodePoolOptions extends WorkerSetup {
  size: number;
  /** Where anything a worker prints goes (never stdout). */
  log: (msg: string) => void;
}

/** Young generation of a worker: small, so short-lived garbage (and the buffers it holds) goes quickly. */
const YOUNG_GENERATION_MB = 8;

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private recycled = 0;
  private closed = false;

  /**
   * Every worker starts now: each loads fetch and the source while the first requests go out,
   * and the pool's footprint is fixed from the start rather than growing once a read gets busy.
   */
  constructor(private readonly o: DecodePoolOptions) {
    for (let i = 0; i < Math.max(1, o.size); i++) this.spawn();
  }

  forStream(stream: string): PageDecoder {
    return { decode: (body, window, emittedAt) => this.decode(stream, body, window, emittedAt), recycle: (buffers) => this.recycle(buffers) };
  }

  /**
   * A fetch whose body is received on a worker; for the HttpClient. While no worker is up yet
   * (the first tens of ms), a request goes out from this thread instead: no request waits for a
   * worker to start, so the rate limiter's spacing of request starts is what the server sees.
   */
  readonly fetch: FetchLike = (url, init) => {
    if (!this.slots.some((s) => s.up)) return globalThis.fetch(url, init);
    return this.call<FetchedResponse>((id) => ({ id, fetch: { url, headers: init.headers } }), [], (reply) => {
      if (!('response' in reply)) throw new Error('unexpected reply to fetch');
      const { status, headers, body } = reply.response;
      return { ok: status >= 200 && status < 300, status, headers: new Headers(headers), arrayBuffer: () => Promise.resolve(body) };
    }, init.signal, true);
  };

  decode(stream: string, body: Uint8Array, window: Window, emittedAt: number): Promise<Page> {
    // Transfer, not copy: the body must own its whole buffer.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
    return this.call<Page>((id) => ({ id, decode: { stream, body: owned, window, emittedAt } }), [owned.buffer as ArrayBuffer], (reply) => {
      if (!('page' in reply)) throw new Error('unexpected reply to decode');
      const { buckets, hasMore, nextPage } = reply.page;
      return {
        buckets: buckets.map((b) => (b.encoded ? { start: b.start, end: b.end, results: [], encoded: b.encoded } : { start: b.start, end: b.end, results: [] })),
        hasMore,
        nextPage,
      };
    });
  }

  /**
   * Hand line buffers back once the writer is done with them: the workers write the next
   * lines into them instead of allocating, and the main thread, which allocates too little
   * to collect garbage often, does not sit on them.
   */
  recycle(buffers: ArrayBuffer[]): void {
    const slot = this.slots[this.recycled++ % Math.max(1, this.slots.length)];
    if (this.closed || !slot || buffers.length === 0) return;
    const msg: WorkerMessage = { recycle: buffers };
    slot.worker.postMessage(msg, buffers);
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    // Terminating a worker busy on a page does not hold the event loop until its 'exit' (seen on
    // Node 20): with nothing else pending, the process ended here, before the exit code was set,
    // so a failed read could exit 0. A timer holds the loop until every worker has exited.
    const hold = setInterval(() => undefined, 1_000);
    try {
      await Promise.all(slots.map((s) => s.worker.terminate()));
    } finally {
      clearInterval(hold);
    }
  }

  private call<T>(request: (id: number) => WorkerMessage, transfer: ArrayBuffer[], result: (reply: DecodeReply) => T, signal?: AbortSignal, upOnly = false): Promise<T> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    const slot = this.pick(upOnly);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.calls.delete(id)) return;
        this.done(slot);
        const abort: WorkerMessage = { abort: id };
        slot.worker.postMessage(abort);
        reject(new DOMException('This operation was aborted', 'AbortError'));
      };
      if (signal?.aborted) return reject(new DOMException('This operation was aborted', 'AbortError'));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.calls.set(id, {
        slot,
        settle: (reply) => {
          signal?.removeEventListener('abort', onAbort);
          if ('error' in reply) reject(fromWire(reply.error));
          else resolve(result(reply));
        },
        reject,
      });
      if (slot.pending++ === 0) slot.worker.ref();
      slot.worker.postMessage(request(id), transfer);
    });
  }

  private done(slot: Slot): void {
    if (--slot.pending === 0) slot.worker.unref();
  }

  /** The least busy worker (of those up, if `upOnly`); a new one if a worker has stopped and left fewer than `size`. */
  private pick(upOnly = false): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if ((!upOnly || s.up) && (!best || s.pending < best.pending)) best = s;
    if (best && (best.pending === 0 || this.slots.length >= this.o.size)) return best;
    return this.spawn();
  }

  private spawn(): Slot {
    const setup: WorkerSetup = { module: this.o.module, source: this.o.source, config: this.o.config };
    const worker = new Worker(new URL('./decode-worker.js', import.meta.url), {
      workerData: setup,
      stdout: true,
      stderr: true,
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    const slot: Slot = { worker, pending: 0, up: false };
    this.slots.push(slot);
    worker.unref();
    for (const out of [worker.stdout, worker.stderr]) {
      out.setEncoding('utf8');
      out.on('data', (text: string) => this.o.log(`decode worker: ${text.trimEnd()}`));
    }
    worker.on('message', (reply: DecodeReply | WorkerReady) => {
      if ('ready' in reply) {
        slot.up = true;
        return;
      }
      const call = this.calls.get(reply.id);
      if (!call) return; // aborted meanwhile
      this.calls.delete(reply.id);
      this.done(call.slot);
      call.settle(reply);
    });
    const fail = (why: string): void => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      for (const [id, call] of this.calls) {
        if (call.slot !== slot) continue;
        this.calls.delete(id);
        call.reject(systemError(`A decode worker stopped: ${why}`));
      }
    };
    worker.on('error', (err) => fail(err.message));
    worker.on('exit', (code) => fail(`exit code ${code}`));
    return slot;
  }
}

function fromWire(e: WireError): Error {
  if ('notJson' in e) return new NotJsonError('not JSON');
  if ('network' in e) return Object.assign(new TypeError(e.message), { cause: { code: e.code } });
  return new ConnectorError(e.failureType, e.message, e.internalMessage);
}
