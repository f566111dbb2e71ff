import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connector/engine/errors.js';
import { responseFailure, responseRule, type FailRule, type IgnoreRule, type RestartRule } from '../../connector/engine/fetch/responses.js';
import { HttpError } from '../../connector/http/errors.js';
import { responseError } from '../support/responses.js';

const tokenRefused: RestartRule = { when: { status: 400, code: 'invalid_page_token' }, action: 'restart' };
const gone: IgnoreRule = { when: { status: 404, path: /\/api_keys$/ }, action: 'ignore', reason: 'gone' };
const grouping: FailRule<string> = {
  when: { status: 400, type: 'invalid_request_error', messageIncludes: 'group_by' },
  action: 'fail',
  failureType: 'config_error',
  message: (e, ctx) => `refused in ${ctx}: "${e.message}" (${e.requestId ?? 'no id'})`,
};
const anthropic400 = (message: string) =>
  responseError(400, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message }, request_id: 'req_1' }), '/v1/r?x=1');

describe('per-stream response rules', () => {
  it('given rules when an error response matches every field of one then that rule applies, else none', () => {
    const rules = [tokenRefused, gone, grouping];
    const aurous = (code: string) => responseError(400, JSON.stringify({ error: { type: 'invalid_request', code, message: 'm' } }));
    expect(responseRule(rules, aurous('invalid_page_token'))).toBe(tokenRefused);
    expect(responseRule(rules, aurous('invalid_parameter'))).toBeUndefined();
    expect(responseRule(rules, anthropic400('Cannot specify more than 3 group_by[] dimensions.'))).toBe(grouping);
    expect(responseRule(rules, anthropic400('limit: Input should be between 1 and 31'))).toBeUndefined();
    // The same body with another status, or the words only in the raw text, is no match.
    expect(
      responseRule(rules, responseError(500, JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'group_by' } }))),
    ).toBeUndefined();
    expect(responseRule(rules, responseError(400, '<html>invalid_request_error group_by</html>'))).toBeUndefined();
    // A path rule needs the request path.
    expect(responseRule(rules, responseError(404, '{}'), '/organization/projects/p/api_keys')).toBe(gone);
    expect(responseRule(rules, responseError(404, '{}'), '/organization/projects')).toBeUndefined();
    expect(responseRule(rules, responseError(404, '{}'))).toBeUndefined();
  });

  it('given an error without a response (network, bad body, any other error) when matched then no rule applies', () => {
    const catchAll: FailRule<string> = { ...grouping, when: { status: 400 } };
    expect(responseRule([catchAll], new HttpError('network', 'request failed: ECONNRESET'))).toBeUndefined();
    expect(responseRule([catchAll], new HttpError('bad_body', 'HTTP 200 from /x is not JSON', { status: 200 }))).toBeUndefined();
    expect(responseRule([catchAll], new Error('HTTP 400'))).toBeUndefined();
    expect(responseRule(undefined, anthropic400('group_by'))).toBeUndefined();
  });

  it('given a matching fail rule when applied then a ConnectorError with its failure type, its message from the parsed body and the HTTP line as internal message', () => {
    const err = anthropic400('Cannot specify more than 3 group_by[] dimensions.');
    const failure = responseFailure([grouping], err, 'window w');
    expect(failure).toBeInstanceOf(ConnectorError);
    expect(failure).toMatchObject({
      failureType: 'config_error',
      message: 'refused in window w: "Cannot specify more than 3 group_by[] dimensions." (req_1)',
      internalMessage: err.message,
    });
    expect(err.message).toMatch(/^HTTP 400 from \/v1\/r\?x=1: \{"type":"error"/);
  });

  it('given a matching rule of another action when a failure is asked for then there is none', () => {
    const err = responseError(400, JSON.stringify({ error: { code: 'invalid_page_token' } }));
    expect(responseFailure<string>([tokenRefused, grouping], err, 'w')).toBeUndefined();
  });
});
