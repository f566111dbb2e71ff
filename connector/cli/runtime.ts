import { availableParallelism } from 'node:os';
import type { FetchLike, HttpClientOptions, HttpLogger } from '../http/client.js';
import { DecodePool } from '../engine/decode/decode-pool.js';
import type { RecordFormat } from '../engine/decode/decode.js';
import { HttpClient } from '../http/client.js';
import { RateLimiter } from '../http/rate-limit.js';
import type { Logger } from '../engine/logger.js';
import { read, type ReadOptions, type ReadResult } from '../engine/read.js';
import { configError, ConnectorError, toConnectorError } from '../engine/errors.js';
import { SPEND_STREAM } from '../engine/focus/focus.js';
import type { Account, SourceDefinition } from '../engine/source.js';
import type { Clock, Run } from '../engine/run.js';
import { isoTime, parseUtc } from '../engine/time.js';

/** Runs a connector as of an earlier instant (README, "Running as of an earlier instant"). */
export const AS_OF_VARIABLE = 'AI_SPEND_NOW';

/**
 * The clock of a run; everything below the CLI takes it as an argument. The real one, unless
 * AI_SPEND_NOW names an ISO 8601 instant: then the clock reads that instant when the run starts
 * and runs at real speed from there, so timeouts, rate limits and durations are unchanged, while
 * what "today" is (every plan, floor, default start and the report's month) is that instant's
 * day. An instant after the real time is refused: a run must never treat a day that has not
 * ended as read, nor store a state past the real today. A value that is not an instant is a
 * config_error that says what to set.
 */
export function runClock(value: string | undefined = process.env[AS_OF_VARIABLE], real: () => number = Date.now): Clock {
  if (value === undefined || value === '') return { now: real };
  const at = parseUtc(value.trim());
  const started = real();
  if (at === null) {
    throw configError(
      `${AS_OF_VARIABLE}='${value}' is not a UTC date or an RFC 3339 instant (e.g. 2026-01-10T12:00:00Z); set one, or unset it to run at the real time.`,
    );
  }
  if (at * 1000 > started) {
    throw configError(
      `${AS_OF_VARIABLE}=${value} is after the real time (${new Date(started).toISOString()}); a run can be as of an earlier instant only: set an earlier one, or unset it.`,
    );
  }
  const offset = at * 1000 - started;
  return { now: () => real() + offset, asOf: isoTime(at) };
}

/** The LOG line of a run whose clock is not the real time, or undefined. */
export const asOfNote = (c: Clock): string | undefined =>
  c.asOf === undefined ? undefined : `${AS_OF_VARIABLE}: running as of ${c.asOf}, not the real time: "today" is ${c.asOf.slice(0, 10)} UTC.`;

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

/**
 * The HTTP client's clock: the real one, whatever the run's is. It times requests, spaces them and
 * reads a server's `Retry-After` date, all real time: with AI_SPEND_NOW, the run's clock is months
 * behind a server's date, and a Retry-After date would have been a wait of months.
 */
const WALL_CLOCK: Clock = { now: () => Date.now() };

/** The HTTP client of a run, from its HTTP settings: one rate limiter per process. */
export function httpClientFor<C>(
  run: Run<C>,
  deps: { logger: HttpLogger; redact: (text: string) => string; fetch?: FetchLike | undefined; networkRetries?: HttpClientOptions['networkRetries'] },
): HttpClient {
  const h = run.httpSettings;
  return new HttpClient({
    baseUrl: h.baseUrl,
    headers: h.headers,
    timeoutMs: h.timeoutMs,
    ...(h.maxRetries === undefined ? {} : { maxRetries: h.maxRetries }),
    ...(h.maxConcurrent === undefined ? {} : { maxConcurrent: h.maxConcurrent }),
    fetch: deps.fetch ?? globalThis.fetch,
    sleep,
    clock: WALL_CLOCK,
    limiter: new RateLimiter(WALL_CLOCK, sleep, { requestsPerMinute: h.requestsPerMinute }),
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
 * the workers is refused (DecodePool), never silently read on this thread. The workers get the
 * run's config as it is now (with its account and names).
 */
export function decodePoolFor<C>(source: SourceDefinition<C>, run: Run<C>, format: RecordFormat, logger: Logger): DecodePool | undefined {
  const threads = run.decodeThreads ?? Math.min(availableParallelism(), run.concurrency);
  if (threads <= 0) return undefined;
  logger.info(`receiving and decoding responses on up to ${threads} worker thread(s)`);
  return new DecodePool({ module: source.module, source: source.name, config: run.config, format, size: threads, log: (m) => logger.warn(m) });
}

/** The engine read of a run: fetch loaded first, then the catalog's streams. */
export async function readSource<C>(
  run: Run<C>,
  o: Pick<ReadOptions<C>, 'catalog' | 'states' | 'http' | 'emitter' | 'hooks' | 'logger' | 'signal' | 'decoders'>,
): Promise<ReadResult> {
  await warmFetch();
  return read({ ...o, run });
}

/**
 * The account the config's key reads (SourceDefinition.account), once per run and before any
 * stream: the run with it, its config with it applied (the spend stream's default billing
 * account). A failed request is one ConnectorError naming what was asked, with the provider's key hint.
 */
export async function resolveAccount<C>(source: SourceDefinition<C>, run: Run<C>, http: HttpClient): Promise<Run<C>> {
  const spec = source.account;
  if (!spec) return run;
  let account: Account;
  try {
    account = await spec.resolve(http, run.config);
  } catch (err) {
    const e = toConnectorError(err, run.errorContext);
    throw new ConnectorError(e.failureType, `cannot learn the organization of the key (${spec.origin}): ${e.message}`, e.internalMessage);
  }
  return run.withConfig(spec.apply(run.config, account), account);
}

/**
 * The names of the spend rows' ids (SourceDefinition.names, engine/focus/names.ts), once per run and
 * before the read, and the config with them applied (the decode workers get it). A name is not
 * money: a failed lookup is a WARN and null names, and the read goes on; but a config_error (the
 * key refused with 401/403, a base_url that answers 404) fails the run, as it would fail the
 * cost requests right after.
 */
export async function resolveNames<C>(source: SourceDefinition<C>, run: Run<C>, http: HttpClient, logger: Logger): Promise<Run<C>> {
  const spec = source.names;
  if (!spec) return run;
  const t0 = run.clock.now();
  try {
    const names = await spec.resolve(http, run.config, (m) => logger.info(m));
    const counts = Object.entries(names).map(([k, v]) => `${Object.keys(v).length} ${k}`);
    logger.info(`spend: names read (${spec.origin}): ${counts.join(', ') || 'none needed'} in ${run.clock.now() - t0} ms`);
    return run.withConfig(spec.apply(run.config, names));
  } catch (err) {
    const e = toConnectorError(err, run.errorContext);
    if (e.failureType === 'config_error') {
      throw new ConnectorError(e.failureType, `cannot read the names of the spend rows (${spec.origin}): ${e.message}`, e.internalMessage);
    }
    logger.warn(`spend: names not read (${spec.origin}): ${e.message}; SubAccountName and the x_ name columns are null in this run`);
    return run.withConfig(spec.apply(run.config, {}));
  }
}

/**
 * The read of an output command (Airbyte `read`, Singer mode): decode workers for the emitter's
 * record format, up before the first request (so no page is decoded, and kept, on this thread)
 * and closed after; SIGTERM/SIGINT stop it after the current window (`interrupted`).
 */
export async function readWithWorkers<C>(
  source: SourceDefinition<C>,
  run: Run<C>,
  o: Pick<ReadOptions<C>, 'catalog' | 'states' | 'http' | 'emitter' | 'logger'>,
): Promise<ReadResult & { interrupted: boolean }> {
  // The spend rows' billing account is the run's account, and their names come from the entity
  // lists (docs/focus.md, Names): both resolved before the streams (and the decode workers, which
  // get the config with them), only when spend is read; the names' requests count as spend's.
  if (o.catalog.some((s) => s.name === SPEND_STREAM)) {
    run = await resolveAccount(source, run, o.http);
    run = await resolveNames(source, run, o.http.forStream(SPEND_STREAM), o.logger);
  }
  const resolved = run;
  const pool = decodePoolFor(source, resolved, o.emitter.records, o.logger);
  return withStopSignals(
    (m) => o.logger.warn(m),
    async (signal) => {
      try {
        await pool?.up;
        const result = await readSource(resolved, { ...o, signal, ...(pool ? { decoders: pool } : {}) });
        return { ...result, interrupted: signal.aborted };
      } finally {
        await pool?.close();
      }
    },
  );
}
