/**
 * A decode worker: parses response bodies and serialises their records (encodePage) for
 * the pool in decode-pool.ts. It loads the source definition itself (plans hold functions,
 * which cannot cross threads) and never writes to stdout.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { NotJsonError } from '../http/client.js';
import { encodePage } from './decode.js';
import type { DecodeReply, DecodeRequest, WorkerSetup } from './decode-pool.js';
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

port.on('message', (req: DecodeRequest) => {
  void planFor(req.stream)
    .then((plan) => {
      const { page, buffer } = encodePage(plan, req.stream, req.body, req.window, req.emittedAt);
      const buckets = page.buckets.map((b) => ({ start: b.start, end: b.end, encoded: b.encoded ?? null }));
      const reply: DecodeReply = { id: req.id, page: { buckets, hasMore: page.hasMore, nextPage: page.nextPage } };
      port.postMessage(reply, [buffer]);
    })
    .catch((err: unknown) => {
      const reply: DecodeReply =
        err instanceof NotJsonError
          ? { id: req.id, error: { notJson: true } }
          : err instanceof ConnectorError
            ? { id: req.id, error: { failureType: err.failureType, message: err.message, internalMessage: err.internalMessage } }
            : { id: req.id, error: { failureType: 'system_error', message: `Unexpected error while decoding: ${(err as Error).message}`, internalMessage: (err as Error).stack } };
      port.postMessage(reply);
    });
});
