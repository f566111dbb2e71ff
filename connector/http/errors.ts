import type { FailureType } from '../protocol/messages.js';

/** What went wrong with a request: a row of ERROR_TABLE. */
type HttpErrorKind =
  | 'auth' // 401/403: the key is wrong or lacks the permission
  | 'rate_limited' // 429
  | 'server' // 5xx, 408
  | 'network' // connection refused/reset, timeout, truncated body
  | 'bad_body' // 2xx whose body is not JSON
  | 'client'; // other 4xx: the request is wrong

/**
 * What the client does about a failed request (Airbyte's ResponseAction): retry it after a backoff,
 * retry it after a pause every request of the process waits for, or give up at once.
 */
type RetryAction = 'retry' | 'rate_limited' | 'fail';

type StatusClass = `${1 | 2 | 3 | 4 | 5}xx`;

/**
 * The error table (Airbyte's DEFAULT_ERROR_MAPPING): for each kind of failure, the statuses that
 * make it (an exact status wins over its class), what the client does about it, and the Airbyte
 * failure type it ends in when it reaches the top. A server's `x-should-retry: true|false` header
 * overrides the action of its response (openai-node obeys it the same way), never the failure type.
 * What a particular stream makes of a particular error response is declared with the stream
 * (engine/fetch/responses.ts).
 */
export const ERROR_TABLE: Readonly<Record<HttpErrorKind, { statuses: ReadonlyArray<number | StatusClass>; action: RetryAction; failureType: FailureType }>> = {
  auth: { statuses: [401, 403], action: 'fail', failureType: 'config_error' },
  rate_limited: { statuses: [429], action: 'rate_limited', failureType: 'transient_error' },
  server: { statuses: [408, '5xx'], action: 'retry', failureType: 'transient_error' },
  client: { statuses: ['4xx'], action: 'fail', failureType: 'system_error' },
  // No status: no response at all, or a 2xx that is not JSON.
  network: { statuses: [], action: 'retry', failureType: 'transient_error' },
  bad_body: { statuses: [], action: 'retry', failureType: 'transient_error' },
};

const KINDS = Object.keys(ERROR_TABLE) as HttpErrorKind[];

/** HTTP status -> kind, from ERROR_TABLE (a status it does not name, a stray 3xx, is a client error). */
export function kindForStatus(status: number): HttpErrorKind {
  const cls = `${Math.floor(status / 100)}xx` as StatusClass;
  return KINDS.find((k) => ERROR_TABLE[k].statuses.includes(status)) ?? KINDS.find((k) => ERROR_TABLE[k].statuses.includes(cls)) ?? 'client';
}

/** The table's action for `kind`, unless the server said otherwise (`x-should-retry`). */
export function retryAction(kind: HttpErrorKind, shouldRetry: boolean | undefined): RetryAction {
  const action = ERROR_TABLE[kind].action;
  if (shouldRetry === false) return 'fail';
  if (shouldRetry === true && action === 'fail') return 'retry';
  return action;
}

/**
 * An error response's body as the API meant it, parsed once where the response is received.
 * All three APIs wrap the error in an `error` object: OpenAI {"error":{message, type, param, code}},
 * Anthropic {"type":"error","error":{type, message},"request_id"}, Aurous {"error":{type, code, message}}.
 * Every string is redacted; a field the body does not have (or a body that is not that envelope) is absent.
 */
export interface ApiError {
  status: number;
  type?: string;
  code?: string;
  message?: string;
  param?: string;
  requestId?: string;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    readonly details: {
      status?: number;
      url?: string;
      /** The redacted start of the body, for the human message only: decisions read `apiError`. */
      bodyExcerpt?: string;
      /** The error body of a non-2xx response. */
      apiError?: ApiError;
      /** The server's `x-should-retry` header, when it sent one. */
      shouldRetry?: boolean;
      retryAfterMs?: number | undefined;
      /** What to do about it, when the failure itself says (a refused connection: check base_url). */
      hint?: string;
      /**
       * No connection could be made (refused, no such host, host or network unreachable, a port fetch
       * forbids): retried briefly, then it ends the whole run (HttpClient.fatalError), not one stream.
       */
      unreachable?: boolean;
      /** Overrides the table's failure type: a refused connection or an unknown host is the configured base_url's (config_error). */
      failureType?: FailureType;
    } = {},
  ) {
    super(message);
  }

  get action(): RetryAction {
    return retryAction(this.kind, this.details.shouldRetry);
  }

  get retryable(): boolean {
    return this.action !== 'fail';
  }

  get failureType(): FailureType {
    return this.details.failureType ?? ERROR_TABLE[this.kind].failureType;
  }
}

/** `x-should-retry: true|false` (OpenAI and Anthropic send it); undefined when absent or anything else. */
function shouldRetryHeader(headers: Headers): boolean | undefined {
  const value = headers.get('x-should-retry');
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

const utf8 = new TextDecoder();

/** The `error` envelope of an error body (see ApiError); only `status` when the body is not one. */
function parseApiError(status: number, bytes: Uint8Array, redact: (text: string) => string): ApiError {
  const out: ApiError = { status };
  let body: { error?: unknown; request_id?: unknown } | null;
  try {
    body = JSON.parse(utf8.decode(bytes)) as typeof body;
  } catch {
    return out;
  }
  const e = body?.error;
  if (typeof e !== 'object' || e === null) return out;
  // One line: an API message is quoted in a one-line error.
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? redact(v.replace(/\s+/g, ' ')) : undefined);
  const fields = e as Record<string, unknown>;
  const found = {
    type: text(fields.type),
    code: text(fields.code),
    message: text(fields.message),
    param: text(fields.param),
    requestId: text(body?.request_id),
  };
  for (const [k, v] of Object.entries(found)) if (v !== undefined) out[k as keyof typeof found] = v;
  return out;
}

/** A non-2xx response, as the client received it. */
interface ErrorResponse {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
}

/**
 * A non-2xx response as an HttpError: the kind from ERROR_TABLE, the error body parsed (ApiError),
 * `x-should-retry` and, for a response to retry, the server's delay. `url` is the redacted path;
 * `excerpt` the redacted start of the body, for the message.
 */
export function statusError(res: ErrorResponse, o: { url: string; excerpt: string; redact: (text: string) => string; nowMs: number }): HttpError {
  const kind = kindForStatus(res.status);
  const shouldRetry = shouldRetryHeader(res.headers);
  return new HttpError(kind, `HTTP ${res.status} from ${o.url}: ${o.excerpt}`, {
    status: res.status,
    url: o.url,
    bodyExcerpt: o.excerpt,
    apiError: parseApiError(res.status, res.bytes, o.redact),
    ...(shouldRetry === undefined ? {} : { shouldRetry }),
    retryAfterMs: retryAction(kind, shouldRetry) === 'fail' ? undefined : parseRetryAfter(res.headers, o.nowMs),
  });
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
