/**
 * A decode worker: fetches pages and encodes their records as they arrive (PageStreamDecoder) for the pool in
 * decode-pool.ts. It loads the source definition itself (plans hold functions, which cannot
 * cross threads) and never writes to stdout.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bodyExcerpt, errorBodyOf, fetchFailure, NotJsonError, parseJsonBody, receiveBody } from '../../http/client.js';
import { pageShape, PageStreamDecoder, type RecordFormat } from './decode.js';
import type { DecodeFailure, JsonRequest, PageRequest, WorkerMessage, WorkerReady, WorkerReply, WorkerSetup } from './decode-pool.js';
import { ConnectorError } from '../errors.js';
import type { SourceDefinition } from '../source.js';
import type { BucketPlan } from '../stream.js';

const setup = workerData as WorkerSetup;
const port = parentPort;
if (!port) throw new Error('decode-worker.js runs only as a worker thread');

const source: Promise<SourceDefinition<unknown>> = import(setup.module).then((mod: Record<string, unknown>) => {
  const def = Object.values(mod).find(
    (v): v is SourceDefinition<unknown> => typeof v === 'object' && v !== null && (v as SourceDefinition<unknown>).name === setup.source,
  );
  if (!def) throw new Error(`${setup.module} exports no source named ${setup.source}`);
  return def;
});
// Loaded while the first response is awaited; its failure is reported with the first page.
source.catch(() => undefined);
const plans = new Map<string, BucketPlan>();
/**
 * Line buffers the main thread has written out and handed back: reused instead of allocating,
 * up to SPARE_BYTES of them. A larger one (a dense first page's) is let go: kept, its touched
 * pages would stay resident for the rest of the read.
 */
const spares: ArrayBuffer[] = [];
const SPARE_BYTES = 8 * 1024 * 1024;
let spareBytes = 0;
function takeSpare(): ArrayBuffer | undefined {
  const spare = spares.pop();
  if (spare) spareBytes -= spare.byteLength;
  return spare;
}
/** Requests in flight, to abort when the main thread's timeout fires. */
const fetches = new Map<number, AbortController>();

/** The plan of a stream, or of one of its segments (BucketStream.segments), or of its companion report (`join`: BucketPlan.join). */
async function planFor(stream: string, segment = 0, join = false): Promise<BucketPlan> {
  const key = `${stream}#${segment}${join ? '#join' : ''}`;
  let plan = plans.get(key);
  if (!plan) {
    const def = (await source).streams.find((s) => s.name === stream);
    if (def?.kind !== 'buckets') throw new Error(`no bucketed stream ${stream}`);
    plan = segment === 0 ? def.plan(setup.config) : def.segments?.(setup.config)[segment]?.plan;
    if (!plan) throw new Error(`stream ${stream} has no segment ${segment}`);
    if (join) plan = plan.join?.plan;
    if (!plan) throw new Error(`stream ${stream} has no join`);
    pageShape(plan);
    plans.set(key, plan);
  }
  return plan;
}

/**
 * Bytes received but not yet decoded, at most READ_AHEAD_BYTES: the body is read on while earlier
 * chunks are decoded (in turns, so the socket is read between them), so a page of up to that size
 * is in at once and its request slot freed while it is decoded (as when bodies were received
 * whole: the next request overlaps the decoding); a larger page waits for the decoder, so only
 * that much of it and its unfinished bucket are ever held.
 */
const READ_AHEAD_BYTES = 8 * 1024 * 1024;

class ReadAhead {
  private readonly queue: Uint8Array[] = [];
  private bytes = 0;
  private running: Promise<void> | undefined;
  private room: (() => void) | undefined;

  constructor(private readonly decode: (chunk: Uint8Array) => void) {}

  /** Queues a chunk; resolves once there is room for the next. */
  async add(chunk: Uint8Array): Promise<void> {
    this.queue.push(chunk);
    this.bytes += chunk.byteLength;
    this.running ??= this.run();
    if (this.bytes > READ_AHEAD_BYTES) await new Promise<void>((resolve) => (this.room = resolve));
  }

  /** Resolves once every chunk queued is decoded. */
  async drained(): Promise<void> {
    await this.running;
  }

  private async run(): Promise<void> {
    for (let chunk = this.queue.shift(); chunk; chunk = this.queue.shift()) {
      this.decode(chunk);
      this.bytes -= chunk.byteLength;
      if (this.bytes <= READ_AHEAD_BYTES) {
        this.room?.();
        this.room = undefined;
      }
      // A turn for the socket: the next chunks come in while this one was decoded.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    this.running = undefined;
  }
}

function failure(err: unknown, bodyStart: Uint8Array): DecodeFailure {
  if (err instanceof NotJsonError) return { notJson: bodyExcerpt(bodyStart) };
  if (err instanceof ConnectorError) return { failureType: err.failureType, message: err.message, internalMessage: err.internalMessage };
  const e = err as Error;
  return { failureType: 'system_error', message: `Unexpected error while decoding: ${e.message}`, internalMessage: e.stack };
}

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port?.postMessage(reply, transfer);

/**
 * One page: a 2xx body is decoded as its chunks arrive (PageStreamDecoder: never held whole), and
 * the head is sent once its last byte is in, as for a body received whole; any other status is
 * received whole (an error body is small) and sent with the head.
 */
async function page({ id, page: p }: PageRequest): Promise<void> {
  const controller = new AbortController();
  fetches.set(id, controller);
  // The plan, or why there is none (reported as the page's failure, after its head).
  const plan = planFor(p.stream, p.segment, p.join).then(
    (found) => ({ found }),
    (err: unknown) => ({ err }),
  );
  let decoder: PageStreamDecoder | undefined;
  let undecoded: unknown;
  try {
    const res = await fetch(p.url, { headers: p.headers, signal: controller.signal, ...(p.body === undefined ? {} : { method: 'POST', body: p.body }) });
    if (!res.ok || !res.body) {
      const body = await receiveBody(res);
      // An error body is small and wanted whole (its envelope is parsed for the error).
      const errorBody = errorBodyOf(res.ok, body).slice();
      post({ id, head: { status: res.status, headers: [...res.headers], errorBody } }, [errorBody.buffer]);
      if (res.ok) post({ id, undecoded: { failureType: 'system_error', message: 'a 2xx response without a body' } });
      return;
    }
    const ready = await plan;
    try {
      if ('err' in ready) throw ready.err;
      const length = Number(res.headers.has('content-encoding') ? Number.NaN : (res.headers.get('content-length') ?? Number.NaN));
      const capacity = Number.isSafeInteger(length) ? 2 * length : undefined;
      // A companion report's records are joined on the main thread's side of the window: rows.
      const format: RecordFormat = p.join ? { kind: 'rows' } : setup.format;
      const joined = p.joined ? { joined: new Map(p.joined) } : {};
      decoder = new PageStreamDecoder(ready.found, p.stream, format, p.window, p.emittedAt, { ids: p.ids, spare: takeSpare(), capacity, ...joined });
    } catch (err) {
      undecoded = err;
    }
    const ahead = new ReadAhead((chunk) => {
      if (!decoder || undecoded !== undefined) return;
      try {
        decoder.push(chunk);
      } catch (err) {
        undecoded = err;
      }
    });
    for await (const chunk of res.body) await ahead.add(chunk);
    post({ id, head: { status: res.status, headers: [...res.headers], errorBody: new Uint8Array(0) } });
    await ahead.drained();
  } catch (err) {
    return post({ id, failed: fetchFailure(err) });
  } finally {
    fetches.delete(id);
  }
  try {
    if (undecoded !== undefined || !decoder) throw undecoded;
    const { page: decoded, transfer } = decoder.end();
    const buckets = decoded.buckets.map(({ results: _, ...b }) => b);
    const notices = decoded.notices ? { notices: decoded.notices } : {};
    post({ id, page: { buckets, hasMore: decoded.hasMore, nextPage: decoded.nextPage, ...notices } }, transfer);
  } catch (err) {
    post({ id, undecoded: failure(err, decoder?.bodyStart ?? new Uint8Array(0)) });
  }
}

/** A page of a list: received whole (bounded by its `limit`) and parsed here; the value goes to the main thread. */
async function json({ id, json: j }: JsonRequest): Promise<void> {
  const controller = new AbortController();
  fetches.set(id, controller);
  let body: Uint8Array;
  let ok: boolean;
  try {
    const res = await fetch(j.url, { headers: j.headers, signal: controller.signal });
    body = await receiveBody(res);
    ok = res.ok;
    const errorBody = errorBodyOf(res.ok, body).slice();
    post({ id, head: { status: res.status, headers: [...res.headers], errorBody } }, [errorBody.buffer]);
  } catch (err) {
    return post({ id, failed: fetchFailure(err) });
  } finally {
    fetches.delete(id);
  }
  if (!ok) return;
  try {
    post({ id, value: parseJsonBody(body) });
  } catch (err) {
    post({ id, undecoded: failure(err, body) });
  }
}

port.on('message', (msg: WorkerMessage) => {
  if ('recycle' in msg) {
    for (const b of msg.recycle) {
      if (spareBytes + b.byteLength > SPARE_BYTES) continue;
      spares.push(b);
      spareBytes += b.byteLength;
    }
  } else if ('abort' in msg) {
    fetches.get(msg.abort)?.abort();
  } else if ('json' in msg) {
    void json(msg);
  } else {
    void page(msg);
  }
});

// Ready once fetch (Node loads it on first use; a `data:` URL loads it with no network) and the source are loaded, or the source has failed
// to load (the first page then reports why). Saying so earlier let a request wait in this thread
// while the source's modules were evaluated, so the server saw it late and the rate limiter's
// spacing of request starts broke; until then the pool sends requests from the main thread.
const ready: WorkerReady = { ready: true };
const warm = fetch('data:,').then(
  (r) => r.arrayBuffer(),
  () => undefined,
);
void Promise.allSettled([warm, source]).then(() => port.postMessage(ready));
