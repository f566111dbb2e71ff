import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, files, ofType, records, run, states } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { FakeOpenAi, type FakeOpenAiOptions } from '../fake/openai.js';

/** Issue 5: fewest requests, window halving, concurrency in order, rate limits and backoff. */
const KEY = 'sk-admin-requests-0a1b2c3d4e5f';
const FIRST = Date.UTC(2024, 11, 1) / 1000; // 2024-12-01
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const schema = JSON.parse(readFileSync(join(CONTRACTS.openai, 'schemas/costs.json'), 'utf8')) as Record<string, unknown>;
const YEAR = { start_date: '2025-01-01', end_date: '2025-12-31' };
const truthOf = (f: FakeOpenAi, start = day('2025-01-01'), end = day('2026-01-01')) => withoutIds(f.org.expectedCosts(start, end, ['project_id', 'line_item']));

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: 400, projects: 3, lineItems: 3, adminKey: KEY });
  await fake.start();
});
afterEach(() => {
  fake.clearFaults();
  fake.latencyMs = 0;
  fake.maxInFlight = 0;
});
afterAll(() => fake.stop());

async function read(target: FakeOpenAi, extra: Record<string, unknown> = {}) {
  const f = files({
    'c.json': { admin_api_key: KEY, base_url: target.baseUrl, ...YEAR, ...extra },
    'cat.json': catalog([{ name: 'costs', mode: 'full_refresh' }]),
  });
  const before = target.requests.length;
  const t0 = Date.now();
  const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  return { result, requests: target.requests.slice(before), ms: Date.now() - t0 };
}

async function withFake<T>(options: Partial<FakeOpenAiOptions>, fn: (f: FakeOpenAi) => Promise<T>): Promise<T> {
  const f = new FakeOpenAi({ firstDay: FIRST, days: 400, projects: 3, lineItems: 3, adminKey: KEY, ...options });
  await f.start();
  try {
    return await fn(f);
  } finally {
    await f.stop();
  }
}

describe('fewest requests', () => {
  it('given a 365-day backfill when reading costs then it takes ceil(365 / 180) = 3 requests, each with limit equal to its buckets', async () => {
    const { result, requests } = await read(fake);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
    expect(withoutIds(records(result.messages))).toEqual(truthOf(fake));
    expect(requests.map((r) => r.query.get('limit'))).toEqual(['5', '180', '180']);
    expect(requests.every((r) => !r.query.has('page'))).toBe(true);
  });

  it('given max_window_days 1 when reading a year then it takes one request per day', async () => {
    const { result, requests } = await read(fake, { max_window_days: 1 });
    expect(result.code).toBe(0);
    expect(requests).toHaveLength(365);
    expect(withoutIds(records(result.messages))).toEqual(truthOf(fake));
  });

  it('given a server that answers 400 to a limit above 45 when reading then windows halve until served, the size is kept, and the output is exact', async () => {
    await withFake({ refuseLimitAbove: 45 }, async (f) => {
      const { result, requests } = await read(f, { max_concurrent_requests: 1 });
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
      expect(withoutIds(records(result.messages))).toEqual(truthOf(f));
      const refused = requests.filter((r) => Number(r.query.get('limit')) > 45);
      // 5 is served; 180 is refused, halved to 90 (refused), 45 (served); then 45-bucket windows.
      expect(refused.map((r) => r.query.get('limit'))).toEqual(['180', '90']);
      expect(requests.length).toBe(1 + refused.length + Math.ceil(360 / 45));
    });
  });

  it('given a dense organisation when reading then windows shrink to bound memory and the output stays exact', async () => {
    await withFake({ projects: 40, lineItems: 12, days: 400 }, async (f) => {
      const { result, requests } = await read(f, { start_date: '2025-01-01', end_date: '2025-06-29' });
      expect(result.code).toBe(0);
      expect(withoutIds(records(result.messages))).toEqual(truthOf(f, day('2025-01-01'), day('2025-06-30')));
      const limits = requests.map((r) => Number(r.query.get('limit')));
      expect(limits[0]).toBe(180);
      expect(Math.max(...limits.slice(1))).toBeLessThan(180);
    });
  });
});

describe('concurrency', () => {
  it('given latency and 4 concurrent requests when reading 12 windows then at most 4 are in flight, it beats sequential, and records and states stay in cursor order', async () => {
    fake.latencyMs = 150;
    const seq = await read(fake, { max_window_days: 30, max_concurrent_requests: 1 });
    expect(fake.maxInFlight).toBe(1);
    fake.maxInFlight = 0;
    const par = await read(fake, { max_window_days: 30, max_concurrent_requests: 4 });
    expect(par.result.code).toBe(0);
    assertProtocol(par.result, { streams: ['costs'], schemas: { costs: schema } });
    expect(fake.maxInFlight).toBeLessThanOrEqual(4);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    expect(par.ms).toBeLessThan(seq.ms);
    const starts = records(par.result.messages).map((r) => r.start_time as number);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    const cursors = states(par.result.messages).map((m) => m.state.stream.stream_state.cursor as number);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(cursors).toHaveLength(13);
    expect(withoutIds(records(par.result.messages))).toEqual(truthOf(fake));
  });
});

describe('rate limits', () => {
  it('given a 429 storm with Retry-After when reading then the output is exact, every request waits the pause, and RATE_LIMITED is reported', async () => {
    fake.fault({ fault: { kind: 'status', status: 429, headers: { 'retry-after': '1' } }, times: 3 });
    const { result, requests } = await read(fake, { max_window_days: 60 });
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
    expect(withoutIds(records(result.messages))).toEqual(truthOf(fake));
    // After each 429 the next request of the process starts at least Retry-After later.
    for (let i = 0; i < 3; i++) {
      const gap = (requests[i + 1]?.at ?? 0) - (requests[i]?.at ?? 0);
      expect(gap).toBeGreaterThanOrEqual(950);
    }
    const limited = ofType(result.messages, 'TRACE').filter((m) => m.trace.stream_status?.reasons?.[0]?.type === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.trace.stream_status.status).toBe('RUNNING');
  });

  it('given a 429 storm without Retry-After when reading then backoff grows, the whole process slows, and the output is exact', async () => {
    fake.fault({ fault: { kind: 'status', status: 429 }, times: 4 });
    const { result, requests } = await read(fake, { max_window_days: 60, max_concurrent_requests: 1 });
    expect(result.code).toBe(0);
    expect(withoutIds(records(result.messages))).toEqual(truthOf(fake));
    expect(requests.length).toBe(7 + 4);
    assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
    // Each 429 doubles the spacing every request of the process keeps (250, 500, 1000 ms), on top of
    // the jittered backoff: the k-th retry starts at least 250 * 2^(k-2) ms after the one before.
    const gaps = requests.slice(1, 5).map((r, i) => r.at - (requests[i]?.at ?? 0));
    expect(gaps[1]).toBeGreaterThanOrEqual(250 - 30);
    expect(gaps[2]).toBeGreaterThanOrEqual(500 - 30);
    expect(gaps[3]).toBeGreaterThanOrEqual(1000 - 30);
  });

  it('given requests_per_minute 240 when reading then request starts are spaced 250 ms apart', async () => {
    const { result, requests } = await read(fake, { max_window_days: 60, requests_per_minute: 240 });
    expect(result.code).toBe(0);
    // Starts are spaced by the limiter; arrival at the server jitters by connection set-up only.
    expect(requests.length).toBe(7);
    expect((requests.at(-1)?.at ?? 0) - (requests[0]?.at ?? 0)).toBeGreaterThanOrEqual(6 * 250 - 120);
    for (let i = 1; i < requests.length; i++) expect((requests[i]?.at ?? 0) - (requests[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(150);
  });
});
