import { isAscii } from 'node:buffer';
import pRetry, { AbortError } from 'p-retry';
import { decodingOnThisThread } from './decode-count.js';
import { HttpError, statusError } from './errors.js';
import { Semaphore, type Clock, type RateLimiter, type Sleep } from './rate-limit.js';

export type Query = ReadonlyArray<readonly [string, string]>;

export interface HttpLogger {
  debug(msg: string): void;
  warn(msg: string): void;
}

/** The part of a fetch Response the client reads (an injected fetch may give no body stream: arrayBuffer is used then). */
type FetchedResponse = Pick<Response, 'ok' | 'status' | 'headers' | 'arrayBuffer'> & { body?: Response['body'] };

/** What the client needs of fetch (globalThis.fetch, or a test's). */
export type FetchLike = (url: string, init: HttpRequestInit) => Promise<FetchedResponse>;

/** What one request sends: its headers and, for a POST (RequestHooks.body), the method and the JSON body. */
export interface HttpRequestInit {
  headers: Record<string, string>;
  signal: AbortSignal;
  method?: 'POST';
  body?: string;
}

/**
 * One request's answer as a transport receives it: status and headers once the body is in (the
 * client then frees the request slot and decides on retries), the decoded body for a 2xx, and
 * for any other status the start of the body for the error message.
 */
export interface Received<T> {
  status: number;
  headers: Headers;
  /** A 2xx body, decoded; rejects with NotJsonError (carrying the start of the body) when it is not JSON. */
  decoded(): Promise<T>;
  /** Any other status: its body (at most ERROR_BODY_BYTES: an error envelope is small), for the error; empty for a 2xx. */
  errorBody: Uint8Array;
}

/**
 * Sends one GET and receives its answer where the body is decoded: on this thread
 * (fetchTransport) or on a decode worker (engine/decode/decode-pool.ts), so the body never has to
 * visit this thread. A request that gets no response rejects with a FetchFailed.
 */
export type Transport<T> = (url: string, init: HttpRequestInit) => Promise<Received<T>>;

/** Why a fetch got no response, as plain data (it crosses from a decode worker). */
export interface FetchFailure {
  message: string;
  /** The system error code undici puts on `cause.code` (ECONNREFUSED, ENOTFOUND, ...). */
  code?: string | undefined;
  /** The cause's message ('bad port' for the Fetch standard's blocked ports, which have no code). */
  cause?: string | undefined;
}

export class FetchFailed extends Error {
  constructor(readonly failure: FetchFailure) {
    super(failure.message);
  }
}

/** A fetch rejection as a FetchFailure. */
export function fetchFailure(err: unknown): FetchFailure {
  if (err instanceof FetchFailed) return err.failure;
  const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
  return { message: (err as Error).message, code: cause?.code, cause: cause?.message };
}

export interface HttpClientOptions {
  baseUrl: string;
  headers: Record<string, string>;
  /** Sends requests whose body is decoded on this thread (getJson, inThread). */
  fetch: FetchLike;
  sleep: Sleep;
  clock: Clock;
  random?: () => number;
  limiter: RateLimiter;
  logger: HttpLogger;
  /** Masks secrets in anything the client puts into an error or a log line. */
  redact: (text: string) => string;
  timeoutMs?: number;
  maxRetries?: number;
  maxRetryTimeMs?: number;
  /** Requests in flight at once, across every stream of the process. */
  maxConcurrent?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /**
   * A tighter budget for network failures (refused, DNS, no response): at most `retries`
   * retries within `maxTimeMs`. `check` answers in seconds instead of backing off for a minute;
   * without it a network failure is retried like any other.
   */
  networkRetries?: { retries: number; maxTimeMs: number };
}

export interface RequestHooks {
  /** Called before the client waits on a 429 or a rate-limit pause; `untilMs` is epoch ms. */
  onRateLimited?: (untilMs: number) => void;
  /** Headers for this request only, over the client's own (a beta header some endpoints of a provider need). */
  headers?: Record<string, string>;
  /** A JSON body: the request is a POST of it (a query API); absent: a GET. */
  body?: string;
}

export interface JsonResponse<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  url: string;
}

/** Turns a 2xx body into a value; throws NotJsonError when the bytes are not JSON (retried as bad_body). */
type BodyDecoder<T> = (bytes: Uint8Array) => T | Promise<T>;

/** A 2xx body that does not parse as JSON: a proxy's HTML page, a truncated reply. Retried. */
export class NotJsonError extends Error {
  /** `excerpt`: the start of the body (see bodyExcerpt), for the error message. */
  constructor(readonly excerpt = '') {
    super('not JSON');
  }
}

const utf8 = new TextDecoder();

/** UTF-8 bytes as a string; ASCII (the usual body) is copied as one-byte text, without decoding. */
export function bodyText(bytes: Uint8Array): string {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return isAscii(buf) ? buf.toString('latin1') : utf8.decode(bytes);
}

/** The default decoder: UTF-8, then JSON.parse. */
export const parseJsonBody: BodyDecoder<unknown> = (bytes) => {
  try {
    return JSON.parse(bodyText(bytes));
  } catch {
    throw new NotJsonError();
  }
};

const DEFAULT_TIMEOUT_MS = 60_000;
/**
 * A connection that cannot be made (HttpError.details.unreachable) is retried at most this often
 * within this time, whatever the other budgets: a wrong host or a closed port does not heal in a
 * minute, and every stream waiting on it would only multiply the requests (issue 25).
 */
export const UNREACHABLE_RETRIES = { retries: 2, maxTimeMs: 5_000 };
const DEFAULT_MAX_RETRIES = 8;
const DEFAULT_MAX_RETRY_TIME_MS = 10 * 60_000;
const EXCERPT_CHARS = 300;
/** Enough bytes for EXCERPT_CHARS characters of UTF-8. */
const EXCERPT_BYTES = EXCERPT_CHARS * 4;

/** The start of a body as one line of text, for an error message (the client redacts it). */
export function bodyExcerpt(bytes: Uint8Array): string {
  return utf8.decode(bytes.subarray(0, EXCERPT_BYTES)).slice(0, EXCERPT_CHARS).replace(/\s+/g, ' ');
}

/** The most of a non-2xx body kept for its error (the message's excerpt and the parsed error envelope). */
const ERROR_BODY_BYTES = 64 * 1024;
const NO_BODY = new Uint8Array(0);

/** What a transport keeps of a response's body for an error: nothing for a 2xx. */
export const errorBodyOf = (ok: boolean, bytes: Uint8Array): Uint8Array => (ok ? NO_BODY : bytes.subarray(0, ERROR_BODY_BYTES));

/** What a body buffer starts at when its length is not known in advance, and the most a declared length reserves. */
const FIRST_BODY_BYTES = 64 * 1024;
const MAX_RESERVED_BODY_BYTES = 256 * 1024 * 1024;

/**
 * A response's whole body in one buffer. Response.arrayBuffer() gathers the chunks and then
 * copies them into one buffer, so a large page was held twice for a moment (the peak RSS of a
 * dense read); here the chunks go straight into a buffer sized by Content-Length when the body
 * comes as is (not compressed), grown as they come otherwise.
 */
export async function receiveBody(res: FetchedResponse): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const declared = res.headers.has('content-encoding') ? Number.NaN : Number(res.headers.get('content-length') ?? Number.NaN);
  let buf = new Uint8Array(Number.isSafeInteger(declared) && declared > 0 ? Math.min(declared, MAX_RESERVED_BODY_BYTES) : FIRST_BODY_BYTES);
  let n = 0;
  for await (const chunk of res.body) {
    if (n + chunk.byteLength > buf.byteLength) {
      const grown = new Uint8Array(Math.max(2 * buf.byteLength, n + chunk.byteLength));
      grown.set(buf.subarray(0, n));
      buf = grown;
    }
    buf.set(chunk, n);
    n += chunk.byteLength;
  }
  return buf.subarray(0, n);
}

/** `decode` of a 2xx body; a NotJsonError comes out carrying the start of the body. */
async function decodeBody<T>(decode: BodyDecoder<T>, bytes: Uint8Array): Promise<T> {
  decodingOnThisThread();
  try {
    return await decode(bytes);
  } catch (err) {
    if (err instanceof NotJsonError) throw new NotJsonError(bodyExcerpt(bytes));
    throw err;
  }
}

/** A transport that receives the body on this thread and decodes it with `decode` when the client asks (after it freed the request slot). */
export function fetchTransport<T>(fetch: FetchLike, decode: BodyDecoder<T>): Transport<T> {
  return async (url, init) => {
    let res: FetchedResponse;
    let bytes: Uint8Array;
    try {
      res = await fetch(url, init);
      bytes = await receiveBody(res);
    } catch (err) {
      throw new FetchFailed(fetchFailure(err));
    }
    return { status: res.status, headers: res.headers, errorBody: errorBodyOf(res.ok, bytes), decoded: () => decodeBody(decode, bytes) };
  };
}

/**
 * What every view of one client shares (HttpClient.forStream): the request slots, the first-request
 * gate, the run-ending failure and the request counts.
 */
class ClientState {
  constructor(readonly slots: Semaphore) {}
  requests = 0;
  readonly requestsByStream = new Map<string, number>();
  fatalError: HttpError | null = null;
  opened = false;
  gate: Promise<void> | null = null;
  openGate: () => void = () => undefined;
}

/**
 * JSON client (GET, and POST of a JSON body where RequestHooks.body says so): timeout, classified errors, retry with backoff, shared rate limit. Every
 * request is counted, and counted for its stream when sent through the stream's view (forStream),
 * whichever transport receives it (this thread or a decode worker).
 */
export class HttpClient {
  private readonly random: () => number;
  private readonly s: ClientState;
  /** The stream this view's requests are counted for (forStream); undefined: the client itself. */
  private readonly stream: string | undefined;

  constructor(o: HttpClientOptions);
  /** A view of a client (forStream): the same state, requests labelled `stream`. */
  constructor(o: HttpClientOptions, view: { state: ClientState; stream: string });
  constructor(
    private readonly o: HttpClientOptions,
    view?: { state: ClientState; stream: string },
  ) {
    this.random = o.random ?? Math.random;
    this.s = view?.state ?? new ClientState(new Semaphore(o.maxConcurrent ?? 1));
    this.stream = view?.stream;
  }

  /**
   * The same client (slots, rate limit, gate, failure, counts) with its requests counted for
   * `stream`: the read loop sends each stream's requests through its view.
   */
  forStream(stream: string): HttpClient {
    return new HttpClient(this.o, { state: this.s, stream });
  }

  /** Requests sent (every attempt, retries included), of every stream and none. */
  get requestCount(): number {
    return this.s.requests;
  }

  /** Requests sent through `stream`'s view (forStream), retries included. */
  requestsOf(stream: string): number {
    return this.s.requestsByStream.get(stream) ?? 0;
  }

  /**
   * The failure that ended every request of this client: a 401 (the key is wrong or revoked: no
   * endpoint will take it) or a connection that cannot be made. Set once; every request after it
   * (and every retry in flight) fails with it at once, without being sent, so a run of many
   * streams sends no more requests and reports it once (engine/read.ts).
   */
  get fatalError(): HttpError | null {
    return this.s.fatalError;
  }

  url(path: string, query: Query): string {
    const base = this.o.baseUrl.replace(/\/+$/, '');
    const qs = new URLSearchParams(query.map(([k, v]): [string, string] => [k, v])).toString();
    return `${base}${path}${qs ? `?${qs}` : ''}`;
  }

  getJson(path: string, query: Query, hooks: RequestHooks = {}): Promise<JsonResponse> {
    return this.get(path, query, hooks, this.inThread(parseJsonBody));
  }

  /** A transport whose bodies are received and decoded (with `decode`) on this thread. */
  inThread<T>(decode: BodyDecoder<T>): Transport<T> {
    return fetchTransport(this.o.fetch, decode);
  }

  /**
   * GET with retries through `transport`. The request slot is released once the answer is in,
   * before its body is decoded, so decoding never holds up other requests. A NotJsonError from
   * the decoding is retried like any bad body; any other error from it ends the request.
   */
  async get<T>(path: string, query: Query, hooks: RequestHooks, transport: Transport<T>): Promise<JsonResponse<T>> {
    const probe = await this.waitForFirst();
    try {
      return await this.send(path, query, hooks, transport);
    } catch (err) {
      // No connection after the retries: no other request of the run will get one either.
      if (err instanceof HttpError && err.details.unreachable) this.s.fatalError ??= err;
      throw err;
    } finally {
      if (probe) this.open();
    }
  }

  /** Whether this request is the first one (the probe); any other waits until the first has an answer. */
  /** The first request goes alone: the others wait until it has an answer (or failed), so a refused key or host costs one request. */
  private async waitForFirst(): Promise<boolean> {
    const s = this.s;
    if (s.opened) return false;
    if (s.gate) {
      await s.gate;
      return false;
    }
    s.gate = new Promise((resolve) => {
      s.openGate = resolve;
    });
    return true;
  }

  private open(): void {
    if (this.s.opened) return;
    this.s.opened = true;
    this.s.openGate();
  }

  private async send<T>(path: string, query: Query, hooks: RequestHooks, transport: Transport<T>): Promise<JsonResponse<T>> {
    const url = this.url(path, query);
    const started = this.o.clock.now();
    const maxRetryTime = this.o.maxRetryTimeMs ?? DEFAULT_MAX_RETRY_TIME_MS;
    return pRetry(
      async () => {
        if (this.fatalError) throw new AbortError(this.fatalError);
        let received: Received<T>;
        await this.s.slots.acquire();
        try {
          if (this.fatalError) throw this.fatalError;
          await this.waitForLimiter(hooks);
          received = await this.once(url, transport, hooks);
          this.open();
        } catch (err) {
          if (err instanceof HttpError && err.details.status !== undefined) this.open();
          if (err instanceof HttpError && err.details.status === 401) this.s.fatalError ??= err;
          if (err === this.fatalError || (err instanceof HttpError && !err.retryable)) throw new AbortError(err as Error);
          throw err;
        } finally {
          this.s.slots.release();
        }
        let body: T;
        try {
          body = await received.decoded();
        } catch (err) {
          if (!(err instanceof NotJsonError)) throw new AbortError(err as Error);
          const excerpt = this.o.redact(err.excerpt);
          throw new HttpError('bad_body', `HTTP ${received.status} from ${this.describe(url)} is not JSON: ${excerpt}`, {
            status: received.status,
            url: this.describe(url),
            bodyExcerpt: excerpt,
          });
        }
        this.o.limiter.relax();
        return { status: received.status, headers: received.headers, body, url: this.describe(url) };
      },
      {
        retries: this.o.maxRetries ?? DEFAULT_MAX_RETRIES,
        // Delays come from our own policy below (Retry-After or full jitter) and run on the injected sleep.
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: async ({ error, attemptNumber }) => {
          const e = error instanceof HttpError ? error : new HttpError('network', String(error.message));
          if (this.fatalError) return false;
          const delay = this.delayFor(e, attemptNumber);
          const elapsed = this.o.clock.now() - started;
          const unreachable = e.details.unreachable === true;
          const budgets = [e.kind === 'network' ? this.o.networkRetries : undefined, unreachable ? UNREACHABLE_RETRIES : undefined];
          const giveUp = elapsed + delay > maxRetryTime || budgets.some((b) => b !== undefined && (attemptNumber > b.retries || elapsed + delay > b.maxTimeMs));
          if (giveUp) return false;
          // A connection not made is retried quietly (seconds at most): its final failure is the one line a run prints.
          const log = unreachable ? this.o.logger.debug : this.o.logger.warn;
          log.call(this.o.logger, `${this.o.redact(e.message)}; retry ${attemptNumber} in ${Math.round(delay)} ms (${this.describe(url)})`);
          if (e.action === 'rate_limited') {
            // The pause applies to every request of the process; the retry waits for it in waitForLimiter.
            this.o.limiter.penalize(delay);
          } else {
            await this.o.sleep(delay);
          }
          return true;
        },
      },
    );
  }

  /** Exponential backoff with full jitter, capped; a server-given delay wins. */
  private delayFor(error: HttpError, attempt: number): number {
    if (error.details.retryAfterMs !== undefined) return error.details.retryAfterMs;
    const base = this.o.backoffBaseMs ?? 500;
    const cap = this.o.backoffCapMs ?? 30_000;
    return this.random() * Math.min(cap, base * 2 ** (attempt - 1));
  }

  private async waitForLimiter(hooks: RequestHooks): Promise<void> {
    const paused = this.o.limiter.pausedUntilMs;
    if (paused > 0) hooks.onRateLimited?.(paused);
    await this.o.limiter.acquire();
  }

  private describe(url: string): string {
    return this.o.redact(url.replace(this.o.baseUrl.replace(/\/+$/, ''), ''));
  }

  private async once<T>(url: string, transport: Transport<T>, hooks: RequestHooks): Promise<Received<T>> {
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    this.s.requests += 1;
    if (this.stream !== undefined) this.s.requestsByStream.set(this.stream, this.requestsOf(this.stream) + 1);
    const post = hooks.body === undefined ? undefined : { method: 'POST' as const, body: hooks.body };
    this.o.logger.debug(`${post ? 'POST' : 'GET'} ${this.describe(url)}`);
    let res: Received<T>;
    try {
      const headers = { ...this.o.headers, ...hooks.headers, ...(post ? { 'content-type': 'application/json' } : {}) };
      res = await transport(url, { headers, signal: controller.signal, ...post });
    } catch (err) {
      if (controller.signal.aborted) throw new HttpError('network', `request failed: no response within ${timeoutMs} ms`, { url: this.describe(url) });
      throw networkError(url, err, this.describe(url));
    } finally {
      clearTimeout(timer);
    }
    this.observeBudget(res.headers);
    if (res.status < 200 || res.status > 299) {
      throw statusError(
        { status: res.status, headers: res.headers, bytes: res.errorBody },
        { url: this.describe(url), excerpt: this.o.redact(bodyExcerpt(res.errorBody)), redact: this.o.redact, nowMs: this.o.clock.now() },
      );
    }
    return res;
  }

  /** Standard RateLimit-Remaining / RateLimit-Reset (seconds): pause before the budget runs dry. */
  private observeBudget(headers: Headers): void {
    const remaining = headers.get('ratelimit-remaining');
    const reset = headers.get('ratelimit-reset');
    if (remaining !== null && reset !== null && Number(remaining) <= 0 && Number(reset) > 0) {
      this.o.limiter.penalize(Number(reset) * 1000);
    }
  }
}

/**
 * A fetch that failed before any response, as an HttpError naming the host (fetchFailure: the
 * same on this thread and from a decode worker); a refused connection and a failed DNS lookup
 * are usually a wrong base_url, so they say what to check.
 */
function networkError(url: string, err: unknown, described: string): HttpError {
  const failure = fetchFailure(err);
  const code = failure.code;
  const { hostname, port, protocol } = new URL(url);
  const hostPort = `${hostname}:${port || (protocol === 'https:' ? '443' : '80')}`;
  // fetch refuses the Fetch standard's "bad ports" (1, 9, 25, 6000, ...) without a code.
  if (code === undefined && failure.cause === 'bad port') {
    return new HttpError('network', `cannot connect to ${hostPort} (fetch does not allow port ${port})`, {
      url: described,
      hint: 'use another port in base_url',
      unreachable: true,
      failureType: 'config_error',
    });
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new HttpError('network', `cannot connect to ${hostPort} (connection refused)`, {
        url: described,
        hint: 'check base_url and that the server is up',
        unreachable: true,
        failureType: 'config_error',
      });
    case 'ENOTFOUND':
      return new HttpError('network', `cannot resolve host ${hostname} (DNS lookup failed: ${code})`, {
        url: described,
        hint: 'check the host in base_url and the network',
        unreachable: true,
        failureType: 'config_error',
      });
    case 'EAI_AGAIN':
      // A DNS server that did not answer: the network's trouble, not the config's.
      return new HttpError('network', `cannot resolve host ${hostname} (DNS lookup failed: ${code})`, {
        url: described,
        hint: 'check the host in base_url and the network',
        unreachable: true,
      });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'EHOSTDOWN':
    case 'ENETDOWN':
      return new HttpError('network', `cannot connect to ${hostPort} (${code}: host or network unreachable)`, {
        url: described,
        hint: 'check the network and the host in base_url',
        unreachable: true,
      });
    default:
      return new HttpError('network', `request failed: ${code ?? failure.message}`, { url: described });
  }
}
