import { HttpError, type ApiError } from '../../http/errors.js';
import type { FailureType } from '../../protocol/messages.js';
import { ConnectorError } from '../errors.js';

/**
 * Per-stream response actions, declared with the stream (Airbyte's HttpResponseFilter): which error
 * responses mean something particular for this stream, and what the engine then does. An error no
 * rule matches follows the error table (http/errors.ts). Rules match the parsed error body
 * (ApiError), never the text of the body.
 */
interface ResponseMatch {
  status: number;
  type?: string;
  code?: string;
  param?: string;
  /** A piece of the API's message (case-sensitive). */
  messageIncludes?: string;
  messageMatches?: RegExp;
  /** The request path, for a stream that reads more than one. */
  path?: RegExp;
}

/**
 * Fail the stream at once with `failureType` and `message` (the API's words quoted, the setting to
 * change named): a refusal no retry and no smaller window would fix. Applied to a bucketed report's
 * windows (not halved: halving would read around it and leave a gap), a list's pages and `check`.
 */
export interface FailRule<C> {
  when: ResponseMatch;
  action: 'fail';
  failureType: FailureType;
  message: (e: ApiError, ctx: C) => string;
}

/**
 * The thing listed is gone (a project deleted since it was listed): the list is empty. Only on a
 * list's first page: an error after that is never ignored, as it would cut the list short.
 */
export interface IgnoreRule {
  when: ResponseMatch;
  action: 'ignore';
  /** Why that is no failure, for the log. */
  reason: string;
}

/** The cursor was refused (expired, or the query drifted): a fetcher that follows one restarts the query without it. */
export interface RestartRule {
  when: ResponseMatch;
  action: 'restart';
}

/**
 * The window asked for is more than the API serves in one request (a range or a limit it caps, with
 * a 400): a bucketed report reads it as two halves, down to single buckets, and keeps the size that
 * worked. Only for an error a smaller window fixes; a refusal of the query itself is a 'fail'
 * declared before it.
 */
export interface HalveRule {
  when: ResponseMatch;
  action: 'halve';
}

/** Any 400 not matched by a rule before it halves the window (the reports whose APIs cap a range or limit with a 400). */
export const HALVE_ON_400: HalveRule = { when: { status: 400 }, action: 'halve' };

export type ResponseRule<C> = FailRule<C> | IgnoreRule | RestartRule | HalveRule;

function matches(m: ResponseMatch, e: ApiError, path: string | undefined): boolean {
  return (
    m.status === e.status &&
    (m.type === undefined || m.type === e.type) &&
    (m.code === undefined || m.code === e.code) &&
    (m.param === undefined || m.param === e.param) &&
    (m.messageIncludes === undefined || (e.message ?? '').includes(m.messageIncludes)) &&
    (m.messageMatches === undefined || m.messageMatches.test(e.message ?? '')) &&
    (m.path === undefined || (path !== undefined && m.path.test(path)))
  );
}

/** The first rule that matches `err`'s response (undefined for an error without one); `path` is the request's path. */
export function responseRule<R extends { when: ResponseMatch }>(rules: readonly R[] | undefined, err: unknown, path?: string): R | undefined {
  const api = err instanceof HttpError ? err.details.apiError : undefined;
  return api ? rules?.find((r) => matches(r.when, api, path)) : undefined;
}

/** The error a matching 'fail' rule turns `err` into (its HTTP line kept for engineers); undefined when none matches. */
export function responseFailure<C>(rules: ReadonlyArray<ResponseRule<C>> | undefined, err: unknown, ctx: C, path?: string): ConnectorError | undefined {
  const rule = responseRule(rules, err, path);
  if (rule?.action !== 'fail') return undefined;
  const e = err as HttpError;
  return new ConnectorError(rule.failureType, rule.message(e.details.apiError as ApiError, ctx), e.message);
}

/**
 * What a bucketed window's error comes to under its plan's rules: the first 'fail' or 'halve' rule
 * that matches (a 'fail' as the error to throw). 'restart' rules are the page reader's, about a
 * followed cursor, and never decide for the window. Undefined: no rule says anything.
 */
export function windowAction<C>(
  rules: ReadonlyArray<ResponseRule<C>> | undefined,
  err: unknown,
  ctx: C,
): { action: 'fail'; error: ConnectorError } | { action: 'halve' } | undefined {
  const rule = responseRule(
    rules?.filter((r) => r.action === 'fail' || r.action === 'halve'),
    err,
  );
  if (rule?.action === 'halve') return { action: 'halve' };
  const error = responseFailure(rule ? [rule] : undefined, err, ctx);
  return error ? { action: 'fail', error } : undefined;
}
