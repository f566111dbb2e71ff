/**
 * A decode worker: fetches pages and encodes their records (encodePage) for the pool in
 * decode-pool.ts. It loads the source definition itself (plans hold functions, which cannot
 * cross threads) and never writes to stdout.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { bodyExcerpt, errorBodyOf, fetchFailure, NotJsonError, receiveBody } from '../../http/client.js';
import { encodePage } from './decode.js';
import type { DecodeFailure, PageRequest, WorkerMessage, WorkerReady, WorkerReply, WorkerSetup } from './decode-pool.js';
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

/** The plan of a stream, or of one of its segments (BucketStream.segments). */
async function planFor(stream: string, segment = 0): Promise<BucketPlan> {
  const key = `${stream}#${segment}`;
  let plan = plans.get(key);
  if (!plan) {
    const def = (await source).streams.find((s) => s.name === stream);
    if (def?.kind !== 'buckets') throw new Error(`no bucketed stream ${stream}`);
    plan = segment === 0 ? def.plan(setup.config) : def.segments?.(setup.config)[segment]?.plan;
    if (!plan) throw new Error(`stream ${stream} has no segment ${segment}`);
    plans.set(key, plan);
  }
  return plan;
}

function failure(err: unknown, body: Uint8Array): DecodeFailure {
  if (err instanceof NotJsonError) return { notJson: bodyExcerpt(body) };
  if (err instanceof ConnectorError) return { failureType: err.failureType, message: err.message, internalMessage: err.internalMessage };
  const e = err as Error;
  return { failureType: 'system_error', message: `Unexpected error while decoding: ${e.message}`, internalMessage: e.stack };
}

const post = (reply: WorkerReply, transfer: ArrayBuffer[] = []): void => port?.postMessage(reply, transfer);

async function page({ id, page: p }: PageRequest): Promise<void> {
  const controller = new AbortController();
  fetches.set(id, controller);
  let body: Uint8Array;
  try {
    const res = await fetch(p.url, { headers: p.headers, signal: controller.signal });
    body = await receiveBody(res);
    // An error body is small and wanted whole (its envelope is parsed for the error); a 2xx body stays here.
    const errorBody = errorBodyOf(res.ok, body).slice();
    post({ id, head: { status: res.status, headers: [...res.headers], errorBody } }, [errorBody.buffer]);
    if (!res.ok) return;
  } catch (err) {
    return post({ id, failed: fetchFailure(err) });
  } finally {
    fetches.delete(id);
  }
  try {
    const plan = await planFor(p.stream, p.segment);
    const { page: decoded, transfer } = encodePage(plan, p.stream, setup.format, body, p.window, p.emittedAt, { ids: p.ids, spare: takeSpare() });
    const buckets = decoded.buckets.map(({ results: _, ...b }) => b);
    const notices = decoded.notices ? { notices: decoded.notices } : {};
    post({ id, page: { buckets, hasMore: decoded.hasMore, nextPage: decoded.nextPage, ...notices } }, transfer);
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
