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

export const configError = (message: string, internal?: string): ConnectorError => new ConnectorError('config_error', message, internal);
export const systemError = (message: string, internal?: string): ConnectorError => new ConnectorError('system_error', message, internal);

export interface ErrorContext {
  /** Provider-specific hint for a 401/403 (by status): which kind of key is needed, or that the key is wrong. */
  authHint: (status: number | undefined) => string;
  /** Set when the configured base_url explains a 404 (a missing or doubled /v1): what to change. */
  notFoundHint?: string | undefined;
}

export function toConnectorError(err: unknown, ctx: ErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  if (err instanceof HttpError) {
    // The failure type comes from the error table (http/errors.ts), next to the retry action.
    const failureType = err.failureType;
    const status = err.details.status;
    if (err.kind === 'auth') {
      return new ConnectorError(failureType, `${ctx.authHint(status)} (HTTP ${status ?? '?'})`, err.message);
    }
    if (status === 404 && ctx.notFoundHint) {
      return configError(`${ctx.notFoundHint} (HTTP 404 from ${err.details.url ?? '?'})`, err.message);
    }
    const retried = err.retryable ? ' after retries' : '';
    const hint = err.details.hint ? `: ${err.details.hint}` : '';
    return new ConnectorError(failureType, `${err.message}${retried}${hint}`, err.details.bodyExcerpt);
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return new ConnectorError('system_error', `Unexpected error: ${e.message}`, e.stack);
}
