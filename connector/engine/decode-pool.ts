import { Worker } from 'node:worker_threads';
import { NotJsonError } from '../http/client.js';
import type { FailureType } from '../protocol/messages.js';
import type { PageDecoder } from './buckets.js';
import { ConnectorError, systemError } from './errors.js';
import type { Window } from './planner.js';
import type { EncodedRecords, Page } from './stream.js';

/**
 * Worker threads that turn response bodies into serialised RECORD lines, so that a large
 * read uses more than one core: the main thread keeps HTTP (retries, rate limit, request
 * slots), order, checkpoints and the writer; each worker parses a body, checks it, maps
 * and serialises its records (engine/decode.ts encodePage, the same code the main thread
 * runs without workers). Bodies go to a worker and lines come back as transferred buffers,
 * not copies. Workers start on first use, hold the process open only while they have work,
 * and their stdout/stderr never reach the process's stdout.
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
  stream: string;
  body: Uint8Array;
  window: Window;
  emittedAt: number;
}

type WireError = { notJson: true } | { failureType: FailureType; message: string; internalMessage?: string | undefined };
export type DecodeReply =
  | { id: number; page: { buckets: Array<{ start: number; end: number; encoded: EncodedRecords | null }>; hasMore: boolean; nextPage: string | null } }
  | { id: number; error: WireError };

interface Slot {
  worker: Worker;
  pending: number;
}

interface Call {
  slot: Slot;
  resolve: (page: Page) => void;
  reject: (err: Error) => void;
}

export interface DecodePoolOptions extends WorkerSetup {
  size: number;
  /** Where anything a worker prints goes (never stdout). */
  log: (msg: string) => void;
}

/** Young generation of a worker: allocation-heavy decoding spends far less time in GC with room. */
const YOUNG_GENERATION_MB = 32;

export class DecodePool {
  private readonly slots: Slot[] = [];
  private readonly calls = new Map<number, Call>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly o: DecodePoolOptions) {}

  forStream(stream: string): PageDecoder {
    return { decode: (body, window, emittedAt) => this.decode(stream, body, window, emittedAt) };
  }

  decode(stream: string, body: Uint8Array, window: Window, emittedAt: number): Promise<Page> {
    if (this.closed) return Promise.reject(new Error('decode pool is closed'));
    const slot = this.pick();
    const id = this.nextId++;
    // Transfer, not copy: the body must own its whole buffer.
    const owned = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : body.slice();
    const req: DecodeRequest = { id, stream, body: owned, window, emittedAt };
    return new Promise<Page>((resolve, reject) => {
      this.calls.set(id, { slot, resolve, reject });
      if (slot.pending++ === 0) slot.worker.ref();
      slot.worker.postMessage(req, [owned.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  /** The least busy worker, starting a new one while fewer than `size` run and all are busy. */
  private pick(): Slot {
    let best: Slot | undefined;
    for (const s of this.slots) if (!best || s.pending < best.pending) best = s;
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
    const slot: Slot = { worker, pending: 0 };
    this.slots.push(slot);
    worker.unref();
    for (const out of [worker.stdout, worker.stderr]) {
      out.setEncoding('utf8');
      out.on('data', (text: string) => this.o.log(`decode worker: ${text.trimEnd()}`));
    }
    worker.on('message', (reply: DecodeReply) => this.settle(reply));
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

  private settle(reply: DecodeReply): void {
    const call = this.calls.get(reply.id);
    if (!call) return;
    this.calls.delete(reply.id);
    if (--call.slot.pending === 0) call.slot.worker.unref();
    if ('page' in reply) {
      const { buckets, hasMore, nextPage } = reply.page;
      call.resolve({
        buckets: buckets.map((b) => (b.encoded ? { start: b.start, end: b.end, results: [], encoded: b.encoded } : { start: b.start, end: b.end, results: [] })),
        hasMore,
        nextPage,
      });
    } else if ('notJson' in reply.error) {
      call.reject(new NotJsonError('not JSON'));
    } else {
      call.reject(new ConnectorError(reply.error.failureType, reply.error.message, reply.error.internalMessage));
    }
  }
}
