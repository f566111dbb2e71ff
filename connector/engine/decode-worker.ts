/**
 * A decode worker: receives response bodies and parses them into serialised records
 * (encodePage) for the pool in decode-pool.ts. It loads the source definition itself (plans
 * hold functions, which cannot cross threads) and never writes to stdout.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NotJsonError } from '../http/client.js';
import { encodePage } from './decode.js';
import type { DecodeReply, DecodeRequest, FetchRequest, WireError, WorkerMessage, WorkerReady, WorkerSetup } from './decode-pool.js';
import { ConnectorError } from './errors.js';
import type { SourceDefinition } from './source.js';
import type { BucketPlan } from './stream.js';

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
const plans = new Map<string, BucketPlan>();
/** Line buffers the main thread has written out and handed back: reused instead of allocating. */
const spares: ArrayBuffer[] = [];
const MAX_SPARES = 2;
/** Requests in flight, to abort when the main thread's timeout fires. */
const fetches = new Map<number, AbortController>();

async function planFor(stream: string): Promise<BucketPlan> {
  let plan = plans.get(stream);
  if (!plan) {
    const def = (await source).streams.find((s) => s.name === stream);
    if (!def || def.kind !== 'buckets') throw new Error(`no bucketed stream ${stream}`);
    plan = def.plan(setup.config);
    plans.set(stream, plan);
  }
  return plan;
}

function toWire(err: unknown): WireError {
  if (err instanceof NotJsonError) return { notJson: true };
  if (err instanceof ConnectorError) return { failureType: err.failureType, message: err.message, internalMessage: err.internalMessage };
  const e = err as Error;
  return { failureType: 'system_error', message: `Unexpected error while decoding: ${e.message}`, internalMessage: e.stack };
}

async function decode({ id, decode: d }: DecodeRequest): Promise<void> {
  try {
    const plan = await planFor(d.stream);
    const { page, buffer } = encodePage(plan, d.stream, d.body, d.window, d.emittedAt, () => spares.pop());
    const buckets = page.buckets.map((b) => ({ start: b.start, end: b.end, encoded: b.encoded ?? null }));
    const reply: DecodeReply = { id, page: { buckets, hasMore: page.hasMore, nextPage: page.nextPage } };
    port?.postMessage(reply, [buffer]);
  } catch (err) {
    const reply: DecodeReply = { id, error: toWire(err) };
    port?.postMessage(reply);
  }
}

async function receive({ id, fetch: f }: FetchRequest): Promise<void> {
  const controller = new AbortController();
  fetches.set(id, controller);
  try {
    const res = await fetch(f.url, { headers: f.headers, signal: controller.signal });
    const body = await res.arrayBuffer();
    const reply: DecodeReply = { id, response: { status: res.status, headers: [...res.headers], body } };
    port?.postMessage(reply, [body]);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const reply: DecodeReply = { id, error: { network: true, message: e.message, code: e.cause?.code } };
    port?.postMessage(reply);
  } finally {
    fetches.delete(id);
  }
}

port.on('message', (msg: WorkerMessage) => {
  if ('recycle' in msg) {
    for (const b of msg.recycle) if (spares.length < MAX_SPARES) spares.push(b);
  } else if ('abort' in msg) {
    fetches.get(msg.abort)?.abort();
  } else if ('fetch' in msg) {
    void receive(msg);
  } else {
    void decode(msg);
  }
});

// Ready to send requests as soon as fetch is loaded (Node loads it on first use); the source
// goes on loading meanwhile, and decode requests wait for it.
new Headers();
const ready: WorkerReady = { ready: true };
port.postMessage(ready);
