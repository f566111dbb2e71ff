import pRetry, { AbortError } from 'p-retry';
import { HttpError, kindForStatus, parseRetryAfter } from './errors.js';
import { Semaphore, type Clock, type RateLimiter, type Sleep } from './rate-limit.js';

export type Query = ReadonlyArray<readonly [string, string]>;

export interface HttpLogger {
  debug(msg: string): void;
  warn(msg: string): void;
}

export interface HttpClientOptions {
  baseUrl: string;
  headers: Record<string, string>;
  fetch: typeof globalThis.fetch;
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
}

export interface RequestHooks {
  /** Called before the client waits on a 429 or a rate-limit pause; `untilMs` is epoch ms. */
  onRateLimited?: (untilMs: number) => void;
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
  url: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 8;
export const DEFAULT_MAX_RETRY_TIME_MS = 10 * 60_000;
const EXCERPT_CHARS = 300;

/** GET-only JSON client: timeout, classified errors, retry with backoff, shared rate limit. */
export class HttpClient {
  private readonly random: () => number;
  private readonly slots: Semaphore;
  requestCount = 0;

  constructor(private readonly o: HttpClientOptions) {
    this.random = o.random ?? Math.random;
    this.slots = new Semaphore(o.maxConcurrent ?? 1);
  }

  url(path: string, query: Query): string {
    const base = this.o.baseUrl.replace(/\/+$/, '');
    const qs = new URLSearchParams(query.map(([k, v]): [string, string] => [k, v])).toString();
    return `${base}${path}${qs ? `?${qs}` : ''}`;
  }

  async getJson(path: string, query: Query, hooks: RequestHooks = {}): Promise<JsonResponse> {
    const url = this.url(path, query);
    const started = this.o.clock.now();
    const maxRetryTime = this.o.maxRetryTimeMs ?? DEFAULT_MAX_RETRY_TIME_MS;
    return pRetry(
      async () => {
        await this.slots.acquire();
        try {
          await this.waitForLimiter(hooks);
          return await this.once(url);
        } catch (err) {
          if (err instanceof HttpError && !err.retryable) throw new AbortError(err);
          throw err;
        } finally {
          this.slots.release();
        }
      },
      {
        retries: this.o.maxRetries ?? DEFAULT_MAX_RETRIES,
        // Delays come from our own policy below (Retry-After or full jitter) and run on the injected sleep.
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetry: async ({ error, attemptNumber }) => {
          const e = error instanceof HttpError ? error : new HttpError('network', String(error.message));
          const delay = this.delayFor(e, attemptNumber);
          const elapsed = this.o.clock.now() - started;
          if (elapsed + delay > maxRetryTime) return false;
          this.o.logger.warn(
            `${this.o.redact(e.message)}; retry ${attemptNumber} in ${Math.round(delay)} ms (${this.describe(url)})`,
          );
          if (e.kind === 'rate_limited') {
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

  private async once(url: string): Promise<JsonResponse> {
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    this.requestCount += 1;
    this.o.logger.debug(`GET ${this.describe(url)}`);
    let res: Response;
    let text: string;
    try {
      res = await this.o.fetch(url, { headers: this.o.headers, signal: controller.signal });
      text = await res.text();
    } catch (err) {
      const reason = controller.signal.aborted
        ? `no response within ${timeoutMs} ms`
        : (err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new HttpError('network', `request failed: ${reason}`, { url: this.describe(url) });
    } finally {
      clearTimeout(timer);
    }
    this.observeBudget(res.headers);
    const excerpt = this.o.redact(text.slice(0, EXCERPT_CHARS).replace(/\s+/g, ' '));
    if (!res.ok) {
      const kind = kindForStatus(res.status);
      throw new HttpError(kind, `HTTP ${res.status} from ${this.describe(url)}: ${excerpt}`, {
        status: res.status,
        url: this.describe(url),
        bodyExcerpt: excerpt,
        retryAfterMs: kind === 'rate_limited' || kind === 'server' ? parseRetryAfter(res.headers, this.o.clock.now()) : undefined,
        headers: Object.fromEntries(res.headers),
      });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError('bad_body', `HTTP ${res.status} from ${this.describe(url)} is not JSON: ${excerpt}`, {
        status: res.status,
        url: this.describe(url),
        bodyExcerpt: excerpt,
      });
    }
    this.o.limiter.relax();
    return { status: res.status, headers: res.headers, body, url: this.describe(url) };
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
