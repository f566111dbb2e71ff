import type { FailureType } from '../protocol/messages.js';
import { HttpError } from '../http/errors.js';

/**
 * An error with a user-facing one-line message and an Airbyte failure type.
 * Anything else that reaches the top is a system_error.
 */
export class ConnectorError extends Error {
  override readonly name = 'ConnectorError';
  constructor(
    readonly failureType: FailureType,
    message: string,
    readonly internalMessage?: string,
  ) {
    super(message);
  }
}

export const configError = (message: string, internal?: string): ConnectorError =>
  new ConnectorError('config_error', message, internal);
export const systemError = (message: string, internal?: string): ConnectorError =>
  new ConnectorError('system_error', message, internal);

/** The one table from HTTP failure kind to Airbyte failure type. */
const FAILURE_BY_KIND: Record<HttpError['kind'], FailureType> = {
  auth: 'config_error',
  rate_limited: 'transient_error',
  server: 'transient_error',
  network: 'transient_error',
  bad_body: 'transient_error',
  client: 'system_error',
};

export interface ErrorContext {
  /** Provider-specific hint for 401/403, e.g. which kind of key is needed. */
  authHint: string;
}

export function toConnectorError(err: unknown, ctx: ErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof HttpError) {
    const failureType = FAILURE_BY_KIND[err.kind];
    if (err.kind === 'auth') {
      return new ConnectorError(failureType, `${ctx.authHint} (HTTP ${err.details.status ?? '?'})`, err.message);
    }
    const retried = err.retryable ? ' after retries' : '';
    return new ConnectorError(failureType, `${err.message}${retried}`, err.details.bodyExcerpt);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new ConnectorError('system_error', `Unexpected error: ${e.message}`, e.stack);
}
