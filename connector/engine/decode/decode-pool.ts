import { Worker } from 'node:worker_threads';
import { countFromNow } from '../../http/decode-count.js';
import { FetchFailed, NotJsonError, type FetchFailure, type Received, type Transport } from '../../http/client.js';
import type { FailureType } from '../../protocol/messages.js';
import type { PageDecoder } from '../fetch/buckets.js';
import type { RecordFormat } from './decode.js';
import { ConnectorError, systemError } from '../errors.js';
import type { Window } from '../plan/planner.js';
import type { Bucket, Page, Row } from '../stream.js';

/**
 * Worker threads that fetch pages and turn them into records encoded for the output, so that a
 * large read uses more than one core and the main thread never sees a response body. One call
 * per request: a worker sends it, decodes a 2xx body as its chunks arrive (the socket's buffers
 * are allocated and freed there, where garbage collection runs often, and the page is never held
 * whole), and answers twice:
 *
 * - `head`: status and headers (and for any status but 2xx the start of the body), once the
 *   body is in. The main thread's HttpClient frees the request slot and decides on retries
 *   from it, exactly as for a request it sent itself (fetchTransport).
 * - for a 2xx, `page`: the body checked, mapped and encoded (engine/decode/decode.ts
 *   PageStreamDecoder, the same code the main thread runs without workers), or why it could not
 *   be; with it, the notices its mapping reported (engine/notices.ts), which the main thread logs.
 *   A list's page (forList) is answered with its body parsed as JSON (`value`).
 *
 * `recycle` hands written-out line buffers back for the next lines. Lines move between threads
 * as transferred buffers, not copies. Workers start with the pool, hold the process open only
 * while they have work, and their stdout/stderr never reach the process's stdout. Order,
 * checkpoints and the writer stay on the main thread.
 */
export interface WorkerSetup {
  /** URL of the module that exports the source definition. */
  module: string;
  /** The definition's name. */
  source: string;
  config: unknown;
  /** How the output takes its records. */
  format: RecordFormat;
}

export interface PageRequest {
  id: number;
  /**
   * `segment`: which of the stream's plans decodes the page (BucketStream.segments); absent: the first.
   * `join`: the page is the plan's companion report's (BucketPlan.join), its records encoded as rows;
   * `joined`: the companion's records by bucket start, for a plan with a join.
   */
  page: {
    url: string;
    headers: Record<string, string>;
    /** A POST's JSON body (RequestHooks.body); absent: a GET. */
    body?: string;
    stream: string;
    segment?: number;
    join?: true;
    joined?: Array<[number, readonly Row[]]>;
    window: Window;
    emittedAt: number;
    ids: boolean;
  };
}
/** A page of a list stream (engine/fetch/lists.ts): its body parsed as JSON on the worker. */
export interface JsonRequest {
  id: number;
  json: { url: string; headers: Record<string, string> };
}
export type WorkerMessage = PageRequest | JsonRequest | { abort: number } | { recycle: ArrayBuffer[] };

/** Why a 2xx page could not be decoded: not JSON (with the start of the body), or a ConnectorError's parts. */
export type DecodeFailure = { notJson: string } | { failureType: FailureType; message: string; internalMessage?: string | undefined };

/** A worker's first message: it has loaded fetch and takes requests. */
export interface WorkerReady {
  ready: true;
}

export type WorkerReply =
  | { id: number; head: { status: number; headers: Array<[string, string]>; errorBody: Uint8Array } }
  | { id: number; failed: FetchFailure }
  | { id: number; page: { buckets: Array<Omit<Bucket, 'results'>>; hasMore: boolean; nextPage: string | null; notices?: string[] } }
  | { id: number; value: unknown }
  | { id: number; undecoded: DecodeFailure };

interface Slot {
  worker: Worker;
  pending: number;
  /** Has said it is ready (fetch loaded). */
  up: boolean;
}

interface Call {
  slot: Slot;
  /** Before the head: settles the transport; after it: the decoded page. */
  reply(reply: WorkerReply): void;
  reject(err: Error): void;
}

interface DecodePoolOptions extends WorkerSetup {
  size: number;
  /** Where anything a worker prints goes (never stdout). */
  log: (msg: string) => void;
}

/**
 * Young generation of a worker: small, so short-lived garbage (and the buffers it holds) goes
 * quickly. 3 MB instead of 8 lowered the 3-year read's peak RSS by about 20 MB (BENCHMARKS.md).
 */
const YOUNG_GENERATION_MB = 3;

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private recycled = 0;
  private closed = false;
  private markUp: () => void = () => undefined;
  /**
   * Resolves once a worker is up (its fetch and source loaded), or one has failed (requests then go
   * out from this thread). A read awaits it before its first request, so no page is decoded on the
   * main thread, whose heap would keep that page's memory for the rest of the run.
   */
  readonly up: Promise<void> = new Promise((resolve) => {
    this.markUp = resolve;
  });

  /**
   * Every worker starts now: each loads fetch and the source while the first requests go out,
   * and the pool's footprint is fixed from the start rather than growing once a read gets busy.
   */
  constructor(private readonly o: DecodePoolOptions) {
    if (typeof o.module !== 'string' || o.module === '') {
      throw systemError(
        `${o.source}: its SourceDefinition names no module (module: import.meta.url), so decode workers cannot load it; set it, or decode_threads 0`,
      );
    }
    countFromNow();
    for (let i = 0; i < Math.max(1, o.size); i++) this.spawn();
  }

  get format(): RecordFormat {
    return this.o.format;
  }

  /**
   * The pages of `stream`, fetched and decoded on workers. A request that starts while no worker
   * is up yet (the first tens of ms) goes out from this thread instead, and its page is decoded
   * here: no request waits for a worker to start, so the rate limiter's spacing of request
   * starts is what the server sees.
   */
  forStream(stream: string, segment?: number, join?: true): PageDecoder {
    const which = { ...(segment ? { segment } : {}), ...(join ? { join } : {}) };
    return {
      transport: (window, emittedAt, ids, inThread, joined) => (url, init) =>
        this.slots.some((s) => s.up)
          ? this.page(
              {
                url,
                headers: init.headers,
                ...(init.body === undefined ? {} : { body: init.body }),
                stream,
                ...which,
                window,
                emittedAt,
                ids,
                ...(joined ? { joined: [...joined] } : {}),
              },
              init.signal,
            )
          : inThread(url, init),
      json: (inThread) => this.forList(inThread),
      companion: () => this.forStream(stream, segment, true),
      recycle: (buffers) => this.recycle(buffers),
    };
  }

  /** One page through a worker: resolves with its head, and its `decoded()` with the page. */
  page(request: PageRequest['page'], signal: AbortSignal = new AbortController().signal): ReturnType<Transport<Page>> {
    return this.call({ page: request }, signal, (reply) => ('page' in reply ? { ok: fromWirePage(reply.page) } : undefined));
  }

  /** The pages of a list stream, received and parsed as JSON on workers (`inThread`: until one is up). */
  forList(inThread: Transport<unknown>): Transport<unknown> {
    return (url, init) =>
      this.slots.some((s) => s.up)
        ? this.call({ json: { url, headers: init.headers } }, init.signal, (reply) => ('value' in reply ? { ok: reply.value } : undefined))
        : inThread(url, init);
  }

  /**
   * One request through a worker: resolves with its head, and its `decoded()` with what `decoded`
   * makes of the worker's answer (`ok`; undefined: the wrong kind of answer).
   */
  private call<T>(
    request: { page: PageRequest['page'] } | { json: JsonRequest['json'] },
    signal: AbortSignal,
    decoded: (reply: Extract<WorkerReply, { page: unknown } | { value: unknown }>) => { ok: T } | undefined,
  ): ReturnType<Transport<T>> {
    type Out = T;
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    if (signal.aborted) return Promise.reject(new DOMException('This operation was aborted', 'AbortError'));
    const slot = this.pick();
    const id = this.nextId++;
    return new Promise<Received<Out>>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.calls.delete(id)) return;
        this.done(slot);
        const abort: WorkerMessage = { abort: id };
        slot.worker.postMessage(abort);
        reject(new DOMException('This operation was aborted', 'AbortError'));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      let body: { resolve(value: Out): void; reject(err: Error): void } | undefined;
      this.calls.set(id, {
        slot,
        reply: (reply) => {
          if ('head' in reply) {
            signal.removeEventListener('abort', onAbort);
            const { status, headers, errorBody } = reply.head;
            const value = new Promise<Out>((res, rej) => (body = { resolve: res, reject: rej }));
            value.catch(() => undefined); // a 2xx the client has stopped waiting for must not be unhandled
            const ok = status >= 200 && status < 300;
            // A 2xx stays in `calls` until its body comes.
            if (!ok) this.settle(id);
            resolve({
              status,
              headers: new Headers(headers),
              errorBody,
              decoded: () => (ok ? value : Promise.reject(new Error(`HTTP ${status} has no page`))),
            });
          } else if ('failed' in reply) {
            signal.removeEventListener('abort', onAbort);
            this.settle(id);
            reject(new FetchFailed(reply.failed));
          } else {
            this.settle(id);
            const v = 'undecoded' in reply ? undefined : decoded(reply);
            if (v === undefined) {
              body?.reject('undecoded' in reply ? fromWireFailure(reply.undecoded) : new Error('a decode worker answered with the wrong kind of body'));
            } else body?.resolve(v.ok);
          }
        },
        reject: (err) => (body ? body.reject(err) : reject(err)),
      });
      if (slot.pending++ === 0) slot.worker.ref();
      const msg: WorkerMessage = 'page' in request ? { id, page: request.page } : { id, json: request.json };
      slot.worker.postMessage(msg);
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

  private settle(id: number): void {
    const call = this.calls.get(id);
    if (!call) return;
    this.calls.delete(id);
    this.done(call.slot);
  }

  private done(slot: Slot): void {
    if (--slot.pending === 0) slot.worker.unref();
  }

  /** The least busy worker that is up; a new one if a worker has stopped and left fewer than `size`. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (s.up && (!best || s.pending < best.pending)) best = s;
    if (best && (best.pending === 0 || this.slots.length >= this.o.size)) return best;
    return this.spawn();
  }

  private spawn(): Slot {
    const setup: WorkerSetup = { module: this.o.module, source: this.o.source, config: this.o.config, format: this.o.format };
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
    worker.on('message', (reply: WorkerReply | WorkerReady) => {
      if ('ready' in reply) {
        slot.up = true;
        this.markUp();
        return;
      }
      this.calls.get(reply.id)?.reply(reply); // none: aborted meanwhile
    });
    const fail = (why: string): void => {
      this.markUp(); // no worker may ever come up: requests then go out from this thread
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

function fromWirePage(p: Extract<WorkerReply, { page: unknown }>['page']): Page {
  const page: Page = { buckets: p.buckets.map((b) => ({ ...b, results: [] })), hasMore: p.hasMore, nextPage: p.nextPage };
  if (p.notices) page.notices = p.notices; // what the mapping reported on the worker (engine/notices.ts)
  return page;
}

function fromWireFailure(e: DecodeFailure): Error {
  if ('notJson' in e) return new NotJsonError(e.notJson);
  return new ConnectorError(e.failureType, e.message, e.internalMessage);
}
