import { availableParallelism } from 'node:os';
import type { HttpLogger } from '../http/client.js';
import { DecodePool } from '../engine/decode-pool.js';
import { HttpClient } from '../http/client.js';
import { RateLimiter } from '../http/rate-limit.js';
import { read, type ReadOptions, type ReadResult } from '../engine/read.js';
import type { SourceDefinition } from '../engine/source.js';

/** The real clock and sleep; everything below the CLI takes them as arguments. */
export const clock = { now: (): number => Date.now() };
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The HTTP client a command uses for one source and config: one rate limiter per process. */
export function httpClientFor<C>(
  source: SourceDefinition<C>,
  config: C,
  deps: { logger: HttpLogger; redact: (text: string) => string; fetch?: typeof globalThis.fetch },
): HttpClient {
  const h = source.http(config);
  return new HttpClient({
    baseUrl: h.baseUrl,
    headers: h.headers,
    timeoutMs: h.timeoutMs,
    ...(h.maxRetries === undefined ? {} : { maxRetries: h.maxRetries }),
    ...(h.maxConcurrent === undefined ? {} : { maxConcurrent: h.maxConcurrent }),
    fetch: deps.fetch ?? globalThis.fetch,
    sleep,
    clock,
    limiter: new RateLimiter(clock, sleep, { requestsPerMinute: h.requestsPerMinute }),
    logger: deps.logger,
    redact: deps.redact,
  });
}

/**
 * Run `fn` with an AbortSignal that SIGTERM and SIGINT trip: the read stops after the
 * current window, flushes, and marks running streams INCOMPLETE. Handlers are removed after.
 */
export async function withStopSignals<T>(log: (msg: string) => void, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const handlers = (['SIGTERM', 'SIGINT'] as const).map((sig) => {
    const handler = (): void => {
      log(`${sig} received: stopping after the current window`);
      abort.abort();
    };
    process.once(sig, handler);
    return [sig, handler] as const;
  });
  try {
    return await fn(abort.signal);
  } finally {
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }
}

/**
 * The engine read for one source and config: everything but the catalog, states, output and
 * signal comes from the source. An output that takes serialised RECORD lines (the Airbyte
 * writer) gets decode workers, unless `decode_threads` is 0.
 */
export async function readSource<C>(
  source: SourceDefinition<C>,
  config: C,
  o: Pick<ReadOptions<C>, 'catalog' | 'states' | 'http' | 'emitter' | 'logger' | 'signal'>,
): Promise<ReadResult> {
  const concurrency = source.http(config).maxConcurrent ?? 1;
  const threads = source.decodeThreads?.(config) ?? Math.min(availableParallelism(), concurrency);
  const pool =
    source.module && o.emitter.emitRecordLines && threads > 0
      ? new DecodePool({ module: source.module, source: source.name, config, size: threads, log: (m) => o.logger.warn(m) })
      : undefined;
  if (pool) o.logger.info(`decoding responses on up to ${threads} worker thread(s)`);
  try {
    return await read({
      ...o,
      config,
      common: source.common(config),
      streams: source.streams,
      concurrency,
      clock,
      errorContext: { authHint: source.authHint },
      ...(pool ? { decoders: pool } : {}),
    });
  } finally {
    await pool?.close();
  }
}
