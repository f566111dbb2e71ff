/**
 * What went wrong with a request, and what to do about it. The engine maps
 * `kind` to an Airbyte failure type; the client uses `retryable`.
 */
export type HttpErrorKind =
  | 'auth' // 401/403: the key is wrong or lacks the permission
  | 'rate_limited' // 429
  | 'server' // 5xx, 408
  | 'network' // connection refused/reset, timeout, truncated body
  | 'bad_body' // 2xx whose body is not JSON
  | 'client'; // other 4xx: the request is wrong

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    readonly details: {
      status?: number;
      url?: string;
      bodyExcerpt?: string;
      retryAfterMs?: number | undefined;
      /** What to do about it, when the failure itself says (a refused connection: check base_url). */
      hint?: string;
    } = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.kind === 'rate_limited' || this.kind === 'server' || this.kind === 'network' || this.kind === 'bad_body';
  }
}

/** The classification table: HTTP status -> kind. */
export function kindForStatus(status: number): HttpErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'server';
  return 'client';
}

/**
 * Delay asked for by the server: `retry-after-ms` (ms), then `Retry-After`
 * as delta-seconds or an HTTP date. Undefined when absent or unparseable.
 */
export function parseRetryAfter(headers: Headers, nowMs: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}
