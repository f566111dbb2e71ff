import { type HttpError, statusError } from '../../connector/http/errors.js';

/**
 * The HttpError the client makes of a non-2xx response (statusError), for tests that drive a stream's
 * responses without sockets: the body is parsed and classified exactly as a received one.
 */
export function responseError(status: number, body: string, url = '/x', headers: Record<string, string> = {}): HttpError {
  const bytes = new TextEncoder().encode(body);
  return statusError({ status, headers: new Headers(headers), bytes }, { url, excerpt: body, redact: (s) => s, nowMs: 0 });
}
