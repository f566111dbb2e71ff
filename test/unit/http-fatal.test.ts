import { describe, expect, it } from 'vitest';
import { type FetchLike, HttpClient } from '../../connector/http/client.js';
import { HttpError } from '../../connector/http/errors.js';
import { RateLimiter } from '../../connector/http/rate-limit.js';

/** A client over a scripted fetch, on a fake clock whose sleep advances time at once. */
function client(answer: (url: string, n: number) => Response | Promise<Response>, extra: Partial<ConstructorParameters<typeof HttpClient>[0]> = {}) {
  let now = 1_000_000;
  const clock = { now: () => now };
  const sleep = async (ms: number) => void (now += ms);
  const calls: string[] = [];
  const fetch = (async (url: string) => {
    calls.push(url);
    return answer(url, calls.length);
  }) satisfies FetchLike;
  const warnings: string[] = [];
  const http = new HttpClient({
    baseUrl: 'http://127.0.0.1:8787/v1',
    headers: {},
    fetch,
    sleep,
    clock,
    random: () => 0.5,
    limiter: new RateLimiter(clock, sleep),
    logger: { debug: () => {}, warn: (m) => void warnings.push(m) },
    redact: (s) => s,
    maxRetries: 8,
    maxConcurrent: 4,
    ...extra,
  });
  return { http, calls, warnings };
}

const failWith = (code: string) => () => {
  throw Object.assign(new TypeError('fetch failed'), { cause: { code } });
};
const json = (status: number) => new Response('{}', { status });

describe('HttpClient: failures that end every request', () => {
  it('given a 401 when requested then no other request is sent: later ones fail at once with the same error', async () => {
    const { http, calls } = client(() => json(401));
    const first = await http.getJson('/a', []).catch((e: unknown) => e);
    expect(first).toBeInstanceOf(HttpError);
    expect(http.fatalError).toBe(first);
    expect(await http.getJson('/b', []).catch((e: unknown) => e)).toBe(first);
    expect(calls).toEqual(['http://127.0.0.1:8787/v1/a']);
  });

  it('given a 403 or a 400 when requested then it fails that request only', async () => {
    for (const status of [403, 400]) {
      const { http, calls } = client((_u, n) => (n === 1 ? json(status) : json(200)));
      await expect(http.getJson('/a', [])).rejects.toThrow(`HTTP ${status}`);
      expect(http.fatalError).toBeNull();
      expect((await http.getJson('/b', [])).status).toBe(200);
      expect(calls).toHaveLength(2);
    }
  });

  it('given concurrent requests when the first is refused with 401 then the others wait for it and are never sent', async () => {
    const { http, calls } = client(() => json(401));
    const all = await Promise.allSettled(['/a', '/b', '/c', '/d'].map((p) => http.getJson(p, [])));
    expect(all.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
    expect(calls).toHaveLength(1);
  });

  it('given concurrent requests when the first succeeds then the others go side by side after it', async () => {
    let inFlight = 0;
    let most = 0;
    const { http, calls } = client(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight -= 1;
      return json(200);
    });
    await Promise.all(['/a', '/b', '/c', '/d', '/e'].map((p) => http.getJson(p, [])));
    expect(calls[0]).toBe('http://127.0.0.1:8787/v1/a');
    expect(calls).toHaveLength(5);
    expect(most).toBe(4);
  });

  it('given a connection not made (refused, unknown host, unreachable) when requested then 3 attempts, retried quietly, end every request; a refused port or unknown host is config_error, an unreachable network transient_error', async () => {
    const cases = [
      ['ECONNREFUSED', 'config_error', 'cannot connect to 127.0.0.1:8787 (connection refused)'],
      ['ENOTFOUND', 'config_error', 'cannot resolve host 127.0.0.1 (DNS lookup failed: ENOTFOUND)'],
      ['EAI_AGAIN', 'transient_error', 'cannot resolve host 127.0.0.1 (DNS lookup failed: EAI_AGAIN)'],
      ['EHOSTUNREACH', 'transient_error', 'cannot connect to 127.0.0.1:8787 (EHOSTUNREACH: host or network unreachable)'],
      ['ENETUNREACH', 'transient_error', 'cannot connect to 127.0.0.1:8787 (ENETUNREACH: host or network unreachable)'],
    ] as const;
    for (const [code, failureType, message] of cases) {
      const { http, calls, warnings } = client(failWith(code));
      const err = (await http.getJson('/a', []).catch((e: unknown) => e)) as HttpError;
      expect(err.message).toBe(message);
      expect(err.failureType).toBe(failureType);
      expect(http.fatalError).toBe(err);
      expect(calls).toHaveLength(3);
      expect(warnings).toEqual([]);
      await expect(http.getJson('/b', [])).rejects.toBe(err);
      expect(calls).toHaveLength(3);
    }
  });

  it('given what retrying can fix (a reset, a 500, a 429) when requested then it is retried with the full budget and ends nothing else', async () => {
    const reset = client((_u, n) => (n <= 4 ? failWith('ECONNRESET')() : json(200)));
    expect((await reset.http.getJson('/a', [])).status).toBe(200);
    expect(reset.calls).toHaveLength(5);
    for (const status of [500, 429]) {
      const { http, calls } = client((_u, n) => (n <= 4 ? json(status) : json(200)));
      expect((await http.getJson('/a', [])).status).toBe(200);
      expect(calls).toHaveLength(5);
      expect(http.fatalError).toBeNull();
    }
    const failing = client(() => json(500), { maxRetries: 2 });
    await expect(failing.http.getJson('/a', [])).rejects.toThrow('HTTP 500');
    expect(failing.http.fatalError).toBeNull();
  });
});
