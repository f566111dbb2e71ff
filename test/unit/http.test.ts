import { describe, expect, it } from 'vitest';
import { type FetchLike, HttpClient, NotJsonError, receiveBody } from '../../connector/http/client.js';
import { ERROR_TABLE, HttpError, kindForStatus, parseRetryAfter, retryAction } from '../../connector/http/errors.js';
import { RateLimiter } from '../../connector/http/rate-limit.js';
import { toConnectorError } from '../../connector/engine/errors.js';
import { baseUrlVersionHint } from '../../connector/engine/config.js';

/** A fake clock whose sleep advances time instantly, recording each wait. */
function fakeTime() {
  let now = 1_000_000;
  const sleeps: number[] = [];
  return { clock: { now: () => now }, sleep: async (ms: number) => void (sleeps.push(ms), (now += ms)), sleeps };
}

function client(responses: Array<() => Response>, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  const t = fakeTime();
  const calls: string[] = [];
  let i = 0;
  const fetch = (async (url: string) => {
    calls.push(url);
    const make = responses[Math.min(i++, responses.length - 1)] as () => Response;
    return make();
  }) satisfies FetchLike;
  const http = new HttpClient({
    baseUrl: 'https://api.example.com/v1',
    headers: {},
    fetch,
    sleep: t.sleep,
    clock: t.clock,
    random: () => 0.5,
    limiter: new RateLimiter(t.clock, t.sleep),
    logger: { debug: () => {}, warn: () => {} },
    redact: (s) => s.replaceAll('sekrit', '***'),
    ...extra,
  });
  return { http, calls, t };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    new Response(JSON.stringify(body), { status, headers });

describe('HttpClient with a body decoder', () => {
  it('given a decoder that finds no JSON when requested then it is retried as a bad body and the next body is decoded', async () => {
    const { http, calls } = client([() => new Response('<html>proxy sekrit</html>'), json(200, { ok: true })]);
    const seen: string[] = [];
    const decode = (bytes: Uint8Array) => {
      const text = new TextDecoder().decode(bytes);
      seen.push(text);
      bytes.fill(0); // a decoder may consume the bytes (a worker takes them): the error excerpt must not depend on them
      if (!text.startsWith('{')) throw new NotJsonError('not JSON');
      return JSON.parse(text) as unknown;
    };
    const res = await http.get('/x', [], {}, http.inThread(decode));
    expect(res.body).toEqual({ ok: true });
    expect(calls).toHaveLength(2);
    expect(seen).toEqual(['<html>proxy sekrit</html>', '{"ok":true}']);
  });

  it('given only bodies that are not JSON when retries run out then the bad_body error quotes the redacted start of the body', async () => {
    const { http, calls } = client([() => new Response('<html>proxy sekrit</html>')], { maxRetries: 2 });
    const err = await http
      .get(
        '/x',
        [],
        {},
        http.inThread(() => {
          throw new NotJsonError('not JSON');
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).kind).toBe('bad_body');
    expect((err as HttpError).details.bodyExcerpt).toBe('<html>proxy ***</html>');
    expect(calls).toHaveLength(3);
  });

  it('given a decoder that rejects the content when requested then the error is passed on at once, without a retry', async () => {
    const { http, calls } = client([json(200, { data: 'x' })]);
    const wrong = new Error('results[0]: not a number');
    await expect(
      http.get(
        '/x',
        [],
        {},
        http.inThread(() => Promise.reject(wrong)),
      ),
    ).rejects.toBe(wrong);
    expect(calls).toHaveLength(1);
  });
});

describe('HttpClient', () => {
  it('given a 429 with Retry-After when requested then it waits that long and succeeds', async () => {
    const { http, t } = client([json(429, { error: {} }, { 'retry-after': '3' }), json(200, { ok: true })]);
    const res = await http.getJson('/x', []);
    expect(res.body).toEqual({ ok: true });
    expect(t.sleeps).toEqual([3000]);
  });

  it('given 503s without Retry-After when requested then backoff grows with full jitter', async () => {
    const { http, t } = client([json(503, {}), json(503, {}), json(503, {}), json(200, { ok: 1 })]);
    await http.getJson('/x', []);
    expect(t.sleeps).toEqual([250, 500, 1000]);
  });

  it('given a 401 when requested then it fails at once as an auth error, which maps to config_error', async () => {
    const { http, calls } = client([json(401, { error: { message: 'bad sekrit' } })]);
    const err = await http.getJson('/x', []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).kind).toBe('auth');
    expect(calls).toHaveLength(1);
    expect((err as Error).message).not.toContain('sekrit');
    expect(toConnectorError(err, { authHint: () => 'need admin key' }).failureType).toBe('config_error');
  });

  it('given a 400 when requested then it is not retried and maps to system_error', async () => {
    const { http, calls } = client([json(400, { error: { message: 'bad param' } })]);
    const err = await http.getJson('/x', []).catch((e: unknown) => e);
    expect(calls).toHaveLength(1);
    expect(toConnectorError(err, { authHint: () => '' }).failureType).toBe('system_error');
  });

  it('given 500s beyond the retry budget when requested then it fails as transient_error', async () => {
    const { http, calls } = client([json(500, {})], { maxRetries: 2 });
    const err = await http.getJson('/x', []).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(toConnectorError(err, { authHint: () => '' }).failureType).toBe('transient_error');
  });

  it('given a 200 whose body is HTML when requested then it is retried and then fails as transient', async () => {
    const { http, calls } = client([() => new Response('<html>oops</html>', { status: 200 })], { maxRetries: 1 });
    const err = await http.getJson('/x', []).catch((e: unknown) => e);
    expect((err as HttpError).kind).toBe('bad_body');
    expect(calls).toHaveLength(2);
  });

  it('given Retry-After as an HTTP date or retry-after-ms when parsed then both give milliseconds', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(parseRetryAfter(new Headers({ 'retry-after-ms': '1500' }), now)).toBe(1500);
    expect(parseRetryAfter(new Headers({}), now)).toBeUndefined();
  });

  it('given a 429 when other requests start then the whole process waits for the pause', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter(t.clock, t.sleep);
    limiter.penalize(2000);
    const before = t.clock.now();
    await limiter.acquire();
    expect(t.clock.now() - before).toBe(2000);
  });
});

describe('the error table', () => {
  it('given each status when classified then its kind, action and failure type are those of ERROR_TABLE, the rows the docs list', () => {
    const row = (status: number) => {
      const kind = kindForStatus(status);
      return [status, kind, ERROR_TABLE[kind].action, ERROR_TABLE[kind].failureType].join(' ');
    };
    expect([400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504, 529, 304].map(row)).toEqual([
      '400 client fail system_error',
      '401 auth fail config_error',
      '403 auth fail config_error',
      '404 client fail system_error',
      '408 server retry transient_error',
      '409 client fail system_error',
      '422 client fail system_error',
      '429 rate_limited rate_limited transient_error',
      '500 server retry transient_error',
      '502 server retry transient_error',
      '503 server retry transient_error',
      '504 server retry transient_error',
      '529 server retry transient_error',
      '304 client fail system_error',
    ]);
    expect([ERROR_TABLE.network, ERROR_TABLE.bad_body]).toEqual([
      { statuses: [], action: 'retry', failureType: 'transient_error' },
      { statuses: [], action: 'retry', failureType: 'transient_error' },
    ]);
  });

  it('given x-should-retry when a kind is resolved then false stops any retry, true retries a final status, and a rate limit stays a rate limit', () => {
    expect(retryAction('server', false)).toBe('fail');
    expect(retryAction('rate_limited', false)).toBe('fail');
    expect(retryAction('client', true)).toBe('retry');
    expect(retryAction('auth', true)).toBe('retry');
    expect(retryAction('rate_limited', true)).toBe('rate_limited');
    expect(retryAction('client', undefined)).toBe('fail');
  });
});

describe('HttpClient and x-should-retry', () => {
  it('given a 503 with x-should-retry false when requested then it fails after one request, still a transient_error, and not "after retries"', async () => {
    const { http, calls, t } = client([json(503, { error: { message: 'overloaded' } }, { 'x-should-retry': 'false' }), json(200, { ok: true })]);
    const err = (await http.getJson('/x', []).catch((e: unknown) => e)) as HttpError;
    expect(calls).toHaveLength(1);
    expect(t.sleeps).toEqual([]);
    expect([err.kind, err.retryable, err.details.shouldRetry]).toEqual(['server', false, false]);
    expect(toConnectorError(err, { authHint: () => '' })).toMatchObject({
      failureType: 'transient_error',
      message: 'HTTP 503 from /x: {"error":{"message":"overloaded"}}',
    });
  });

  it('given a 409 with x-should-retry true when requested then it is retried after a backoff and the next answer is returned', async () => {
    const { http, calls, t } = client([json(409, { error: { message: 'conflict' } }, { 'x-should-retry': 'true' }), json(200, { ok: true })]);
    const res = await http.getJson('/x', []);
    expect(res.body).toEqual({ ok: true });
    expect(calls).toHaveLength(2);
    expect(t.sleeps).toEqual([250]);
  });

  it("given a 409 with x-should-retry true and Retry-After when requested then the retry waits the server's delay", async () => {
    const { http, t } = client([json(409, {}, { 'x-should-retry': 'true', 'retry-after': '2' }), json(200, { ok: true })]);
    await http.getJson('/x', []);
    expect(t.sleeps).toEqual([2000]);
  });

  it('given a 409 with x-should-retry true on every try when retries run out then it ends as the table says for a 409, a system_error after retries', async () => {
    const { http, calls } = client([json(409, {}, { 'x-should-retry': 'true' })], { maxRetries: 2 });
    const err = await http.getJson('/x', []).catch((e: unknown) => e);
    expect(calls).toHaveLength(3);
    expect(toConnectorError(err, { authHint: () => '' })).toMatchObject({ failureType: 'system_error', message: 'HTTP 409 from /x: {} after retries' });
  });

  it('given a 429 with x-should-retry false when requested then it fails at once and pauses no other request', async () => {
    const t = fakeTime();
    const limiter = new RateLimiter(t.clock, t.sleep);
    const { http, calls } = client([json(429, {}, { 'x-should-retry': 'false', 'retry-after': '30' }), json(200, { ok: true })], { limiter });
    const err = (await http.getJson('/x', []).catch((e: unknown) => e)) as HttpError;
    expect(calls).toHaveLength(1);
    expect([err.kind, err.action, err.details.retryAfterMs]).toEqual(['rate_limited', 'fail', undefined]);
    expect(limiter.pausedUntilMs).toBe(0);
  });

  it('given x-should-retry with another value when requested then it is ignored and the status decides', async () => {
    const { http, calls } = client([json(400, {}, { 'x-should-retry': 'maybe' }), json(200, { ok: true })]);
    await expect(http.getJson('/x', [])).rejects.toThrow('HTTP 400');
    expect(calls).toHaveLength(1);
  });
});

describe('HttpClient error bodies', () => {
  const failOnce = async (status: number, body: string) => {
    const { http } = client([() => new Response(body, { status })], { maxRetries: 0 });
    return (await http.getJson('/x', []).catch((e: unknown) => e)) as HttpError;
  };

  it('given the error bodies of OpenAI, Anthropic and Aurous when a request fails then each is parsed once into status, type, code, message, param and request id', async () => {
    const openai = await failOnce(
      400,
      JSON.stringify({ error: { message: "Invalid value for 'group_by': 'api_key_id'.", type: 'invalid_request_error', param: 'group_by', code: null } }),
    );
    expect(openai.details.apiError).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: "Invalid value for 'group_by': 'api_key_id'.",
      param: 'group_by',
    });
    const anthropic = await failOnce(
      400,
      JSON.stringify({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'Cannot specify more than 4 group_by[] dimensions.' },
        request_id: 'req_011C',
      }),
    );
    expect(anthropic.details.apiError).toEqual({
      status: 400,
      type: 'invalid_request_error',
      message: 'Cannot specify more than 4 group_by[] dimensions.',
      requestId: 'req_011C',
    });
    const aurous = await failOnce(
      400,
      JSON.stringify({ error: { type: 'invalid_request', code: 'invalid_page_token', message: 'page_token expired.', detail: 'token_expired' } }),
    );
    expect(aurous.details.apiError).toEqual({ status: 400, type: 'invalid_request', code: 'invalid_page_token', message: 'page_token expired.' });
  });

  it('given a body that is not the error envelope (HTML, JSON without error, cut short) when a request fails then only the status is known', async () => {
    expect((await failOnce(502, '<html>Bad Gateway</html>')).details.apiError).toEqual({ status: 502 });
    expect((await failOnce(400, '{"message":"bad"}')).details.apiError).toEqual({ status: 400 });
    expect((await failOnce(400, '{"error":{"message":"cut')).details.apiError).toEqual({ status: 400 });
  });

  it('given an error message that echoes a secret, spans lines, or is longer than the excerpt when parsed then it is redacted, one line and whole', async () => {
    const long = `group_by ${'x'.repeat(400)} end`;
    const e = await failOnce(401, JSON.stringify({ error: { message: 'Incorrect API key provided: sekrit.\nSee  docs.', type: 'invalid_request_error' } }));
    expect(e.details.apiError?.message).toBe('Incorrect API key provided: ***. See docs.');
    expect((await failOnce(400, JSON.stringify({ error: { message: long } }))).details.apiError?.message).toBe(long);
  });
});

/** What undici's fetch throws before any response, and what the decode pool's fetch rebuilds: the code on `cause`. */
const fetchFailed = (code: string) => () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: { code } });
};

describe('HttpClient network failures', () => {
  it('given a refused connection when requested then the error names host and port and says to check base_url', async () => {
    const { http } = client([fetchFailed('ECONNREFUSED')], { baseUrl: 'http://127.0.0.1:8787/v1', maxRetries: 0 });
    const err = (await http.getJson('/x', []).catch((e: unknown) => e)) as HttpError;
    expect(err.kind).toBe('network');
    expect(err.message).toBe('cannot connect to 127.0.0.1:8787 (connection refused)');
    expect(toConnectorError(err, { authHint: () => '' })).toMatchObject({
      failureType: 'config_error',
      message: 'cannot connect to 127.0.0.1:8787 (connection refused) after retries: check base_url and that the server is up',
    });
  });

  it('given a host that does not resolve (ENOTFOUND, EAI_AGAIN) when requested then the error names the host, and an https URL without a port names 443 when refused', async () => {
    for (const code of ['ENOTFOUND', 'EAI_AGAIN']) {
      const { http } = client([fetchFailed(code)], { maxRetries: 0 });
      const err = (await http.getJson('/x', []).catch((e: unknown) => e)) as HttpError;
      expect(err.message).toBe(`cannot resolve host api.example.com (DNS lookup failed: ${code})`);
      expect(err.details.hint).toBe('check the host in base_url and the network');
    }
    const { http } = client([fetchFailed('ECONNREFUSED')], { maxRetries: 0 });
    expect(((await http.getJson('/x', []).catch((e: unknown) => e)) as Error).message).toBe('cannot connect to api.example.com:443 (connection refused)');
  });

  it('given a port fetch blocks (the Fetch standard bad ports, e.g. 9) when requested then the error names host and port and says to use another port', async () => {
    const badPort = () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: new Error('bad port') });
    };
    const { http } = client([badPort], { baseUrl: 'http://127.0.0.1:9/v1', maxRetries: 0 });
    const err = await http.getJson('/x', []).catch((e: unknown) => e);
    expect(toConnectorError(err, { authHint: () => '' }).message).toBe(
      'cannot connect to 127.0.0.1:9 (fetch does not allow port 9) after retries: use another port in base_url',
    );
  });

  it('given a network budget when the connection is refused then it stops after that many retries, while a 500 keeps the full retries', async () => {
    const networkRetries = { retries: 2, maxTimeMs: 5_000 };
    const refused = client([fetchFailed('ECONNREFUSED')], { maxRetries: 8, networkRetries });
    await expect(refused.http.getJson('/x', [])).rejects.toThrow('connection refused');
    expect(refused.calls).toHaveLength(3);
    const failing = client([json(500, {})], { maxRetries: 8, networkRetries });
    await expect(failing.http.getJson('/x', [])).rejects.toThrow('HTTP 500');
    expect(failing.calls).toHaveLength(9);
  });

  it('given a network budget of a few seconds when backoff would pass it then it stops before', async () => {
    // random 0.5, base 500 ms: delays 250, 500, 1000, 2000 ms; 250 + 500 + 1000 = 1750 <= 2000 < 3750.
    // (A reset, not a refusal: a refused connection has its own tighter budget, test/unit/http-fatal.test.ts.)
    const { http, calls, t } = client([fetchFailed('ECONNRESET')], { maxRetries: 8, networkRetries: { retries: 8, maxTimeMs: 2_000 } });
    await expect(http.getJson('/x', [])).rejects.toThrow('request failed: ECONNRESET');
    expect(calls).toHaveLength(4);
    expect(t.sleeps).toEqual([250, 500, 1000]);
  });
});

describe('errors that name the fix', () => {
  it('given a 404 when a base_url hint is known then it is a config_error with the hint; without one it stays the 404 as a system_error', async () => {
    const { http } = client([json(404, { error: { message: 'Unknown request URL' } })]);
    const err = await http.getJson('/organization/costs', []).catch((e: unknown) => e);
    expect(toConnectorError(err, { authHint: () => '', notFoundHint: 'base_url must end in /v1' })).toMatchObject({
      failureType: 'config_error',
      message: 'base_url must end in /v1 (HTTP 404 from /organization/costs)',
    });
    expect(toConnectorError(err, { authHint: () => '' })).toMatchObject({
      failureType: 'system_error',
      message: expect.stringMatching(/^HTTP 404 from \/organization\/costs: /),
    });
  });

  it('given a 401 and a 403 when mapped then the auth hint is asked for by status', async () => {
    const hint = (status: number | undefined) => `hint for ${status}`;
    for (const status of [401, 403]) {
      const { http } = client([json(status, {})]);
      const err = await http.getJson('/x', []).catch((e: unknown) => e);
      expect(toConnectorError(err, { authHint: hint }).message).toBe(`hint for ${status} (HTTP ${status})`);
    }
  });

  it('given base_urls when checked against where the provider puts /v1 then only a missing (or doubled) /v1 gets a hint, showing origin and path only', () => {
    expect(baseUrlVersionHint('https://api.openai.com/v1', 'base_url')).toBeUndefined();
    expect(baseUrlVersionHint('http://127.0.0.1:8787/v1/', 'base_url')).toBeUndefined();
    expect(baseUrlVersionHint('http://127.0.0.1:8787', 'base_url')).toBe(
      "base_url must end in /v1: it is 'http://127.0.0.1:8787'; set it to 'http://127.0.0.1:8787/v1'",
    );
    expect(baseUrlVersionHint('https://proxy.example.com/openai/?token=x', 'base_url')).toBe(
      "base_url must end in /v1: it is 'https://proxy.example.com/openai'; set it to 'https://proxy.example.com/openai/v1'",
    );
    expect(baseUrlVersionHint('https://api.anthropic.com', 'paths')).toBeUndefined();
    expect(baseUrlVersionHint('https://proxy.example.com/anthropic', 'paths')).toBeUndefined();
    expect(baseUrlVersionHint('https://api.anthropic.com/v1', 'paths')).toBe(
      "base_url must not end in /v1 (request paths start with /v1): it is 'https://api.anthropic.com/v1'; set it to 'https://api.anthropic.com'",
    );
  });
});

describe('receiveBody', () => {
  /** A Response whose body arrives in the given chunks, with the given headers. */
  const streamed = (chunks: string[], headers: Record<string, string>): Response => {
    const enc = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        for (const s of chunks) c.enqueue(enc.encode(s));
        c.close();
      },
    });
    return new Response(body, { headers });
  };
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  const chunks = ['{"data":[', '"é€', '😀"', ',1'.repeat(70_000), ']}'];
  const whole = chunks.join('');
  const bytes = new TextEncoder().encode(whole).byteLength;

  it('given a body in chunks with an exact, a missing, a too small or a too large Content-Length, or compressed, when received then the bytes are the body exactly', async () => {
    for (const headers of [
      { 'content-length': String(bytes) },
      {},
      { 'content-length': '10' },
      { 'content-length': String(bytes + 5000) },
      { 'content-length': '10', 'content-encoding': 'gzip' },
      { 'content-length': 'nonsense' },
    ]) {
      const got = await receiveBody(streamed(chunks, headers));
      expect(got.byteLength, JSON.stringify(headers)).toBe(bytes);
      expect(text(got)).toBe(whole);
    }
  });

  it('given a response without a body stream (an injected fetch) or an empty body when received then its arrayBuffer, or nothing', async () => {
    const injected = { ok: true, status: 200, headers: new Headers(), arrayBuffer: async () => new TextEncoder().encode('{"a":1}').buffer };
    expect(text(await receiveBody(injected))).toBe('{"a":1}');
    expect((await receiveBody(new Response(null))).byteLength).toBe(0);
    expect((await receiveBody(streamed([], { 'content-length': '0' }))).byteLength).toBe(0);
  });
});
