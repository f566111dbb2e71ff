import { availableParallelism } from 'node:os';
import type { FetchLike, HttpClientOptions, HttpLogger } from '../http/client.js';
import { DecodePool } from '../engine/decode/decode-pool.js';
import type { RecordFormat } from '../engine/decode/decode.js';
import { HttpClient } from '../http/client.js';
import { RateLimiter } from '../http/rate-limit.js';
import type { Logger } from '../engine/logger.js';
import { read, type ReadOptions, type ReadResult } from '../engine/read.js';
import { ConnectorError, toConnectorError } from '../engine/errors.js';
import { SPEND_STREAM } from '../engine/focus/focus.js';
import { errorContext, type Account, type SourceDefinition } from '../engine/source.js';

/** The real clock and sleep; everything below the CLI takes them as arguments. */
export const clock = { now: (): number => Date.now() };
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Load fetch before the first request: Node loads it on first use, which took 20-250 ms (under
 * load) after the rate limiter had let that request start, so the server saw the first two
 * requests closer together than `requests_per_minute` allows. A `data:` URL goes through fetch
 * with no network. The decode workers do the same before they take requests.
 */
const warmFetch = (): Promise<void> =>
  fetch('data:,').then(
    (r) => void r.arrayBuffer(),
    () => undefined,
  );

/** The HTTP client a command uses for one source and config: one rate limiter per process. */
export function httpClientFor<C>(
  source: SourceDefinition<C>,
  config: C,
  deps: { logger: HttpLogger; redact: (text: string) => string; fetch?: FetchLike | undefined; networkRetries?: HttpClientOptions['networkRetries'] },
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
    ...(deps.networkRetries ? { networkRetries: deps.networkRetries } : {}),
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
 * Worker threads for a read: they fetch pages and encode their records in the output's
 * `format` (engine/decode/decode-pool.ts). None when `decode_threads` is 0 (pages are then
 * received and encoded on this thread by the same functions); a source that names no module for
 * the workers is refused (DecodePool), never silently read on this thread.
 */
function decodePoolFor<C>(source: SourceDefinition<C>, config: C, format: RecordFormat, logger: Logger): DecodePool | undefined {
  const concurrency = source.http(config).maxConcurrent ?? 1;
  const threads = source.decodeThreads?.(config) ?? Math.min(availableParallelism(), concurrency);
  if (threads <= 0) return undefined;
  logger.info(`receiving and decoding responses on up to ${threads} worker thread(s)`);
  return new DecodePool({ module: source.module, source: source.name, config, format, size: threads, log: (m) => logger.warn(m) });
}

/** The engine read for one source and config: everything but the catalog, states, output, hooks, signal and decoders comes from the source. */
export async function readSource<C>(
  source: SourceDefinition<C>,
  config: C,
  o: Pick<ReadOptions<C>, 'catalog' | 'states' | 'http' | 'emitter' | 'hooks' | 'logger' | 'signal' | 'decoders'>,
): Promise<ReadResult> {
  await warmFetch();
  return read({
    ...o,
    config,
    common: source.common(config, clock.now()),
    streams: source.streams,
    concurrency: source.http(config).maxConcurrent ?? 1,
    clock,
    errorContext: errorContext(source, config),
  });
}

/** The account of a source without an AccountSpec: every config shares it. */
export const DEFAULT_ACCOUNT: Account = { id: 'default', name: null, from: 'default' };

/**
 * The account the config's key reads (SourceDefinition.account), once per run and before any
 * stream, and the config with it applied (the spend stream's default billing account). A failed
 * request is one ConnectorError naming what was asked, with the provider's key hint.
 */
export async function resolveAccount<C>(source: SourceDefinition<C>, config: C, http: HttpClient): Promise<{ account: Account; config: C }> {
  const spec = source.account;
  if (!spec) return { account: DEFAULT_ACCOUNT, config };
  let account: Account;
  try {
    account = await spec.resolve(http, config);
  } catch (err) {
    const e = toConnectorError(err, errorContext(source, config));
    throw new ConnectorError(e.failureType, `cannot learn the organization of the key (${spec.origin}): ${e.message}`, e.internalMessage);
  }
  return { account, config: spec.apply(config, account) };
}

/**
 * The names of the spend rows' ids (SourceDefinition.names, engine/focus/names.ts), once per run and
 * before the read, and the config with them applied (the decode workers get it). A name is not
 * money: a failed lookup is a WARN and null names, and the read goes on; but a config_error (the
 * key refused with 401/403, a base_url that answers 404) fails the run, as it would fail the
 * cost requests right after.
 */
export async function resolveNames<C>(source: SourceDefinition<C>, config: C, http: HttpClient, logger: Logger): Promise<C> {
  const spec = source.names;
  if (!spec) return config;
  const t0 = clock.now();
  try {
    const names = await spec.resolve(http, config, (m) => logger.info(m));
    const counts = Object.entries(names).map(([k, v]) => `${Object.keys(v).length} ${k}`);
    logger.info(`spend: names read (${spec.origin}): ${counts.join(', ') || 'none needed'} in ${clock.now() - t0} ms`);
    return spec.apply(config, names);
  } catch (err) {
    const e = toConnectorError(err, errorContext(source, config));
    if (e.failureType === 'config_error') {
      throw new ConnectorError(e.failureType, `cannot read the names of the spend rows (${spec.origin}): ${e.message}`, e.internalMessage);
    }
    logger.warn(`spend: names not read (${spec.origin}): ${e.message}; SubAccountName and the x_ name columns are null in this run`);
    return spec.apply(config, {});
  }
}

/**
 * The read of an output command (Airbyte `read`, Singer mode): decode workers for the emitter's
 * record format, up before the first request (so no page is decoded, and kept, on this thread)
 * and closed after; SIGTERM/SIGINT stop it after the current window (`interrupted`).
 */
export async function readWithWorkers<C>(
  source: SourceDefinition<C>,
  config: C,
  o: Pick<ReadOptions<C>, 'catalog' | 'states' | 'http' | 'emitter' | 'logger'>,
): Promise<ReadResult & { interrupted: boolean }> {
  // The spend rows' billing account is the run's account, and their names come from the entity
  // lists (docs/focus.md, Names): both resolved before the streams (and the decode workers, which
  // get the config with them), only when spend is read.
  if (o.catalog.some((s) => s.name === SPEND_STREAM)) {
    config = (await resolveAccount(source, config, o.http)).config;
    config = await resolveNames(source, config, o.http, o.logger);
  }
  const pool = decodePoolFor(source, config, o.emitter.records, o.logger);
  return withStopSignals(
    (m) => o.logger.warn(m),
    async (signal) => {
      try {
        await pool?.up;
        const result = await readSource(source, config, { ...o, signal, ...(pool ? { decoders: pool } : {}) });
        return { ...result, interrupted: signal.aborted };
      } finally {
        await pool?.close();
      }
    },
  );
}
