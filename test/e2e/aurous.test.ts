import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, dataLines, errors, files, lastStates, ofType, records, run, states, statuses, type RunResult } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { AUROUS_VERSION, DAY, FakeAurous, FINGERPRINT_MISMATCH, type Dim, type FakeAurousOptions, type Filters, type Width } from '../fake/aurous.js';

/**
 * source-aurous-usage against the fake Aurous Labs API: exact output, the group
 * split, token-only continuation and expiry, rate limits, protocol invariants.
 * Every run uses a sentinel key; every output is searched for it at the end.
 */
const KEY = 'al_live_SENTINEL_4f7a1c9e2b3d';
const FIRST = Date.UTC(2026, 5, 1) / 1000; // 2026-06-01
const DAYS = 120;
const DIR = CONTRACTS.aurous;
const schema = JSON.parse(readFileSync(join(DIR, 'schemas/usage.json'), 'utf8')) as Record<string, unknown>;
const day = (isoDate: string): number => Date.parse(`${isoDate}T00:00:00Z`) / 1000;
const outputs: RunResult[] = [];
/** What the connector sends with every request: the key and the pinned API version. */
const HEADERS = { 'x-api-key': KEY, 'aurous-version': AUROUS_VERSION };
const base: FakeAurousOptions = { firstTime: FIRST, endTime: FIRST + DAYS * DAY, apiKey: KEY, users: 12, models: 3 };

let fake: FakeAurous;
beforeAll(async () => {
  fake = new FakeAurous(base);
  await fake.start();
});
afterAll(() => fake.stop());

const config = (extra: Record<string, unknown> = {}, server: FakeAurous = fake) => ({
  api_key: KEY,
  start_date: '2026-06-01',
  end_date: '2026-07-30',
  base_url: server.baseUrl,
  ...extra,
});

async function read(cfg: Record<string, unknown>, o: { mode?: 'incremental' | 'full_refresh'; state?: unknown; server?: FakeAurous } = {}) {
  const server = o.server ?? fake;
  const f = files({ 'c.json': cfg, 'cat.json': catalog([{ name: 'usage', mode: o.mode ?? 'incremental' }]), ...(o.state ? { 's.json': o.state } : {}) });
  const args = ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, ...(f['s.json'] ? ['--state', f['s.json']] : [])];
  const before = server.served.length;
  const started = Date.now();
  const result = await run(BINS.aurous, args);
  outputs.push(result);
  return { result, served: server.served.slice(before), ms: Date.now() - started };
}

const truth = (start: string, endExclusive: string, width: Width, groupBy: Dim[], filters: Filters = {}, server: FakeAurous = fake) =>
  withoutIds(server.data.expected(day(start), day(endExclusive), width, groupBy, filters));

function expectExact(result: RunResult, expected: Array<Record<string, unknown>>): void {
  expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
  assertProtocol(result, { streams: ['usage'], schemas: { usage: schema } });
  expect(expected.length).toBeGreaterThan(0);
  expect(withoutIds(records(result.messages, 'usage'))).toEqual(expected);
}

const span = (q: URLSearchParams): number => (Date.parse(q.get('end_time') ?? '') - Date.parse(q.get('start_time') ?? '')) / 1000;
const tokenOnly = (q: URLSearchParams): boolean => [...q.keys()].join() === 'page_token';

describe('source-aurous-usage usage stream', () => {
  it('given the default group_by (type, model) when reading 60 days then the records equal the fake ground truth exactly and no request is refused', async () => {
    const { result, served } = await read(config(), { mode: 'full_refresh' });
    expectExact(result, truth('2026-06-01', '2026-07-31', '1d', ['type', 'model']));
    expect(served.every((s) => s.status === 200)).toBe(true);
    expect(served[0]?.query.get('group_by')).toBe('type,model');
    expect(served[0]?.query.get('bucket_width')).toBe('1d');
    expect(served[0]?.query.get('limit')).toBe('100');
    const rows = records(result.messages);
    expect(rows.some((r) => r.duration_ms_p50 === null)).toBe(true); // groups of only cancelled requests
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
  });

  it('given buckets with more groups than limit when reading then no group is lost: every possibly-cut bucket is re-read alone and later pages carry only page_token', async () => {
    const groupBy: Dim[] = ['user_id', 'model'];
    const expected = truth('2026-06-01', '2026-07-01', '1d', groupBy);
    const perBucket = new Map<string, number>();
    for (const r of expected) perBucket.set(r.bucket_start as string, (perBucket.get(r.bucket_start as string) ?? 0) + 1);
    expect(Math.max(...perBucket.values())).toBeGreaterThan(10);
    const { result, served } = await read(config({ end_date: '2026-06-30', group_by: groupBy, page_size: 10 }), { mode: 'full_refresh' });
    expectExact(result, expected);
    expect(served.every((s) => s.status === 200)).toBe(true);
    const continued = served.filter((s) => s.query.has('page_token'));
    expect(continued.length).toBeGreaterThan(5);
    expect(continued.every((s) => tokenOnly(s.query))).toBe(true);
    const singles = served.filter((s) => !s.query.has('page_token') && span(s.query) === DAY);
    expect(singles.length).toBeGreaterThan(5);
    expect(singles.every((s) => s.query.get('limit') === '100' && s.query.get('group_by') === 'user_id,model')).toBe(true);
  });

  it("given the same fake when a naive reader follows next_page with the same small limit then it loses the cut buckets' groups (the behaviour the connector defends against)", async () => {
    const groupBy: Dim[] = ['user_id', 'model'];
    const rows: Array<{ bucket: string; key: unknown }> = [];
    const pages: Array<{ data: Array<{ bucket_start: string; groups: unknown[] }>; has_more: boolean; next_page: string | null }> = [];
    let q = new URLSearchParams({
      start_time: '2026-06-01T00:00:00Z',
      end_time: '2026-07-01T00:00:00Z',
      bucket_width: '1d',
      group_by: groupBy.join(','),
      limit: '10',
    });
    for (;;) {
      const res = await fetch(`${fake.baseUrl}/v1/usage?${q}`, { headers: HEADERS });
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).not.toBeNull();
      const page = (await res.json()) as (typeof pages)[number];
      pages.push(page);
      for (const b of page.data) for (const g of b.groups) rows.push({ bucket: b.bucket_start, key: (g as { key: unknown }).key });
      if (!page.has_more || !page.next_page) break;
      q = new URLSearchParams({ page_token: page.next_page });
    }
    const expected = truth('2026-06-01', '2026-07-01', '1d', groupBy);
    expect(rows.length).toBeLessThan(expected.length);
    // Newest first; page 2 resumes strictly after (older than) page 1's cut bucket, whose other groups never come.
    const whole = (bucket: string) => expected.filter((r) => r.bucket_start === bucket).length;
    const i = pages.findIndex((p) => p.has_more && (p.data.at(-1)?.groups.length ?? 0) < whole(p.data.at(-1)?.bucket_start ?? ''));
    expect(i).toBeGreaterThanOrEqual(0);
    const cut = pages[i]?.data.at(-1);
    expect(Date.parse(pages[i + 1]?.data[0]?.bucket_start ?? '')).toBeLessThan(Date.parse(cut?.bucket_start ?? ''));
    expect(rows.filter((r) => r.bucket === cut?.bucket_start).length).toBeLessThan(whole(cut?.bucket_start ?? ''));
    const starts = pages.flatMap((p) => p.data.map((b) => Date.parse(b.bucket_start)));
    expect([...starts].sort((a, b) => b - a)).toEqual(starts);
    // Re-sending parameters with the token is a fingerprint mismatch.
    const resent = await fetch(`${fake.baseUrl}/v1/usage?${new URLSearchParams({ page_token: pages[0]?.next_page ?? '', bucket_width: '1d' })}`, {
      headers: HEADERS,
    });
    expect(resent.status).toBe(400);
    expect(await resent.json()).toEqual({ error: { type: 'invalid_request', code: 'invalid_page_token', message: FINGERPRINT_MISMATCH } });
  });

  it('given a page_token that expired (the fake clock jumps 25 h after page 1) when continuing then the query restarts for the unread part and the output is exact', async () => {
    // The fake's clock jumps 25 hours once it has answered the first request: page 1's token is then stale.
    const expiring: FakeAurous = new FakeAurous({ ...base, now: () => Date.now() + (expiring.served.length > 0 ? 25 * 3_600_000 : 0) });
    await expiring.start();
    try {
      const groupBy: Dim[] = ['user_id', 'model'];
      const f = files({
        'c.json': config({ start_date: '2026-06-01', end_date: '2026-06-20', group_by: groupBy, page_size: 20 }, expiring),
        'cat.json': catalog([{ name: 'usage' }]),
      });
      const result = await run(BINS.aurous, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
      outputs.push(result);
      expectExact(result, truth('2026-06-01', '2026-06-21', '1d', groupBy, {}, expiring));
      const served = expiring.served;
      const expired = served.findIndex((s) => s.detail === 'token_expired');
      expect(expired).toBeGreaterThan(0);
      expect(served.filter((s) => s.status !== 200)).toHaveLength(1);
      expect(tokenOnly(served[expired]!.query)).toBe(true);
      // The restart: a fresh query (no token) from the window start to the oldest bucket read so far.
      const restart = served[expired + 1]!.query;
      expect(restart.has('page_token')).toBe(false);
      expect(restart.get('start_time')).toBe('2026-06-01T00:00:00Z');
      const readBefore = served
        .slice(0, expired)
        .filter((s) => !s.query.has('page_token') && span(s.query) === DAY)
        .map((s) => s.query.get('start_time'));
      expect(restart.get('end_time')).toBe(readBefore.at(-1));
    } finally {
      await expiring.stop();
    }
  });

  it('given a bucket with more groups than the API maximum limit when reading then the stream fails loudly naming the bucket, suggests a narrower group_by and emits no part of that bucket', async () => {
    const dense = new FakeAurous({ ...base, users: 40, models: 4, dense: [day('2026-06-05') + 7200], denseRows: 600 });
    await dense.start();
    try {
      expect(dense.data.groups('1d', day('2026-06-05'), ['user_id', 'model']).length).toBeGreaterThan(100);
      const { result } = await read(config({ end_date: '2026-06-10', group_by: ['user_id', 'model'] }, dense), { server: dense });
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['usage'], schemas: { usage: schema }, expectComplete: false });
      expect(statuses(result.messages, 'usage').at(-1)).toBe('INCOMPLETE');
      const [error] = errors(result.messages);
      expect(error?.trace.error.failure_type).toBe('config_error');
      expect(error?.trace.error.message).toContain('2026-06-05T00:00:00Z');
      expect(error?.trace.error.message).toContain('narrower group_by');
      expect(records(result.messages).filter((r) => r.bucket_start === '2026-06-05T00:00:00Z')).toHaveLength(0);
    } finally {
      await dense.stop();
    }
  });

  it('given an incremental read when reading again with its last state then only the lookback is re-read and re-emitted', async () => {
    const first = await read(config({ end_date: '2026-08-29' }));
    expectExact(first.result, truth('2026-06-01', '2026-08-30', '1d', ['type', 'model']));
    const cursors = states(first.result.messages).map((m) => m.state.stream.stream_state.cursor as number);
    // 90 days in windows of at most 31: the remainder (28 days) first.
    expect(cursors).toEqual([day('2026-06-29'), day('2026-07-30'), day('2026-08-30')]);
    const second = await read(config({ end_date: '2026-08-29', lookback_days: 3 }), { state: lastStates(first.result.messages) });
    expectExact(second.result, truth('2026-08-27', '2026-08-30', '1d', ['type', 'model']));
    expect(second.served.map((s) => s.query.get('start_time'))).toEqual(['2026-08-27T00:00:00Z']);
    expect(states(second.result.messages).map((m) => m.state.stream.stream_state)).toEqual([
      { version: 2, covered_from: day('2026-06-01'), cursor: day('2026-08-30') },
    ]);
  });

  it('given 429s with Retry-After when reading then the connector waits as told, reports RATE_LIMITED and the output is exact', async () => {
    fake.throttle(2, 1);
    const { result, served, ms } = await read(config({ end_date: '2026-06-20', max_concurrent_requests: 1 }), { mode: 'full_refresh' });
    expectExact(result, truth('2026-06-01', '2026-06-21', '1d', ['type', 'model']));
    expect(served.slice(0, 2).map((s) => s.status)).toEqual([429, 429]);
    expect(ms).toBeGreaterThanOrEqual(2000);
    const limited = ofType(result.messages, 'TRACE').filter((m) => m.trace.stream_status?.reasons?.[0]?.type === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
  });

  it('given RateLimit-Remaining reaching 0 when reading then the connector pauses until RateLimit-Reset and is never refused', async () => {
    const budget = new FakeAurous({ ...base, rateLimit: { limit: 4, windowMs: 1000 } });
    await budget.start();
    try {
      const { result, served, ms } = await read(
        config({ end_date: '2026-06-10', group_by: ['user_id', 'model'], page_size: 25, max_concurrent_requests: 1 }, budget),
        { server: budget },
      );
      expectExact(result, truth('2026-06-01', '2026-06-11', '1d', ['user_id', 'model'], {}, budget));
      expect(served.length).toBeGreaterThan(4);
      expect(served.every((s) => s.status === 200 && s.code === null)).toBe(true);
      expect(ofType(result.messages, 'TRACE').some((m) => m.trace.stream_status?.reasons?.[0]?.type === 'RATE_LIMITED')).toBe(true);
      // Every fourth request empties the budget: the next waits for the reset (1 s).
      expect(ms).toBeGreaterThanOrEqual(Math.floor((served.length - 1) / 4) * 1000 - 100);
    } finally {
      await budget.stop();
    }
  });

  it('given 7d buckets when reading then buckets start on Thursdays (epoch-aligned weeks) and equal the ground truth', async () => {
    const { result } = await read(config({ start_date: '2026-06-01', end_date: '2026-09-15', bucket_width: '7d' }), { mode: 'full_refresh' });
    // 2026-06-01 is a Monday: the first week starts on Thursday 2026-05-28; the last holds 2026-09-15.
    expectExact(result, truth('2026-05-28', '2026-09-17', '7d', ['type', 'model']));
    const starts = new Set(records(result.messages).map((r) => r.bucket_start as string));
    expect([...starts].every((s) => new Date(s).getUTCDay() === 4 && s.endsWith('T00:00:00Z'))).toBe(true);
    for (const r of records(result.messages)) expect(Date.parse(r.bucket_end as string) - Date.parse(r.bucket_start as string)).toBe(7 * DAY * 1000);
  });

  it('given 1h and 5m buckets when reading then every bucket of the range equals the ground truth', async () => {
    const hourly = await read(config({ start_date: '2026-06-10', end_date: '2026-06-17', bucket_width: '1h', group_by: ['status'] }), { mode: 'full_refresh' });
    expectExact(hourly.result, truth('2026-06-10', '2026-06-18', '1h', ['status']));
    expect(hourly.served.filter((s) => s.status === 200 && !s.query.has('page_token') && span(s.query) > 3600).map((s) => span(s.query))).toEqual([
      DAY,
      7 * DAY,
    ]);
    const fine = await read(config({ start_date: '2026-06-10', end_date: '2026-06-10', bucket_width: '5m', group_by: [] }), { mode: 'full_refresh' });
    expectExact(fine.result, truth('2026-06-10', '2026-06-11', '5m', []));
    expect(records(fine.result.messages).every((r) => r.type === null && r.model === null)).toBe(true);
  });

  it('given cut buckets re-read alone, token continuations and empty buckets when read with decode_threads 2 and 0 then the RECORD and STATE lines are byte for byte the same and equal the ground truth', async () => {
    // Some days of the range have no usage (the last ones, past the fake's data, and a few before): empty buckets, which the fake omits.
    const cfg = (threads: number) =>
      config({ start_date: '2026-09-10', end_date: '2026-10-05', group_by: ['user_id', 'model'], page_size: 10, decode_threads: threads });
    const [onWorkers, onMain] = [await read(cfg(2)), await read(cfg(0))];
    const workers = (r: RunResult) => ofType(r.messages, 'LOG').filter((m) => /worker thread/.test(m.log.message as string)).length;
    expect([workers(onWorkers.result), workers(onMain.result)]).toEqual([1, 0]);
    expect(onWorkers.served.filter((s) => tokenOnly(s.query)).length).toBeGreaterThan(0);
    expect(onWorkers.served.filter((s) => span(s.query) === DAY).length).toBeGreaterThan(0);
    expect(dataLines(onWorkers.result.stdout)).toEqual(dataLines(onMain.result.stdout));
    const expected = truth('2026-09-10', '2026-10-06', '1d', ['user_id', 'model']);
    const daysWithUsage = new Set(expected.map((r) => r.bucket_start)).size;
    expect(daysWithUsage).toBeGreaterThan(10);
    expect(daysWithUsage).toBeLessThan(26);
    expectExact(onWorkers.result, expected);
  });

  it('given a fake that serves empty buckets as groups [] when reading then the output is the same as when it omits them', async () => {
    const withEmpty = new FakeAurous({ ...base, includeEmptyBuckets: true });
    await withEmpty.start();
    try {
      const { result } = await read(config({ group_by: ['type'], page_size: 7 }, withEmpty), { server: withEmpty, mode: 'full_refresh' });
      expectExact(result, truth('2026-06-01', '2026-07-31', '1d', ['type']));
      expect(withEmpty.served.some((s) => s.status === 200 && s.query.has('page_token'))).toBe(true);
    } finally {
      await withEmpty.stop();
    }
  });

  it('given filters when reading then each is sent (character_id once) and the output equals the filtered ground truth', async () => {
    const filters = {
      status: ['succeeded', 'failed'],
      type: ['image', 'upscale'],
      user_id: ['usr_001', 'usr_002', 'usr_003', 'usr_004'],
      character_id: 'chr_001',
    };
    const { result, served } = await read(config({ ...filters, group_by: ['user_id', 'status'] }), { mode: 'full_refresh' });
    expectExact(result, truth('2026-06-01', '2026-07-31', '1d', ['user_id', 'status'], filters));
    const q = served[0]?.query;
    expect(q?.getAll('status')).toEqual(['succeeded', 'failed']);
    expect(q?.getAll('type')).toEqual(['image', 'upscale']);
    expect(q?.getAll('character_id')).toEqual(['chr_001']);
  });

  it('given a server that refuses ranges over 8 buckets when reading then windows are halved until served and the output is exact', async () => {
    const capped = new FakeAurous({ ...base, maxRangeBuckets: 8 });
    await capped.start();
    try {
      const { result, served } = await read(config({}, capped), { server: capped, mode: 'full_refresh' });
      expectExact(result, truth('2026-06-01', '2026-07-31', '1d', ['type', 'model'], {}, capped));
      expect(served.some((s) => s.code === 'range_too_large')).toBe(true);
    } finally {
      await capped.stop();
    }
  });

  it('given group_by with three dimensions or an unknown one when reading then a config_error says what is allowed', async () => {
    const three = await read(config({ group_by: ['type', 'model', 'status'] }));
    expect(three.result.code).toBe(1);
    expect(errors(three.result.messages)[0]?.trace.error).toMatchObject({ failure_type: 'config_error' });
    expect(errors(three.result.messages)[0]?.trace.error.message).toContain('at most 2 dimensions');
    const unknown = await read(config({ group_by: ['project_id'] }));
    expect(errors(unknown.result.messages)[0]?.trace.error.message).toContain('group_by accepts only status, api_key_id, user_id, type, model');
    expect(three.served.length + unknown.served.length).toBe(0);
  });

  it('given group_by with three dimensions, an unknown one, or page_size 101 when checking then FAILED names the limit and no request is sent', async () => {
    const before = fake.requests.length;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ group_by: ['type', 'model', 'status'] }, 'group_by accepts at most 2 dimensions (an Aurous limit)'],
      [{ group_by: ['project_id'] }, 'group_by accepts only status, api_key_id, user_id, type, model'],
      [{ page_size: 101 }, 'page_size must be between 1 and 100'],
    ];
    for (const [extra, says] of cases) {
      const result = await run(BINS.aurous, ['check', '--config', files({ 'c.json': config(extra) })['c.json'] as string]);
      outputs.push(result);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: [] });
      const [status] = ofType(result.messages, 'CONNECTION_STATUS');
      expect(status?.connectionStatus.status).toBe('FAILED');
      expect(status?.connectionStatus.message).toContain(says);
    }
    const big = await read(config({ page_size: 101 }));
    expect(big.result.code).toBe(1);
    expect(errors(big.result.messages)[0]?.trace.error).toMatchObject({
      failure_type: 'config_error',
      message: expect.stringContaining('page_size must be between 1 and 100'),
    });
    expect(fake.requests.length).toBe(before);
  });

  it("given an API that takes only the API reference's four group_by dimensions when reading and checking with group_by type,model then a config_error quotes the refusal after one request, with no record", async () => {
    const strict = new FakeAurous({ ...base, groupByDimensions: ['status', 'api_key_id', 'user_id', 'type'] });
    await strict.start();
    try {
      const { result, served } = await read(config({}, strict), { server: strict });
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['usage'], expectComplete: false });
      expect(records(result.messages)).toEqual([]);
      expect(statuses(result.messages, 'usage').at(-1)).toBe('INCOMPLETE');
      const [error] = errors(result.messages);
      expect(error?.trace.error.failure_type).toBe('config_error');
      expect(error?.trace.error.message).toContain(
        "Aurous refused group_by type,model: Invalid 'group_by' value 'model': one of status, api_key_id, user_id, type.",
      );
      expect(error?.trace.error.message).toContain('Set group_by to at most 2 dimensions');
      // Refused as a config mistake, not halved window after window.
      expect(served.map((s) => s.code)).toEqual(['invalid_parameter']);
      const check = await run(BINS.aurous, ['check', '--config', files({ 'c.json': config({}, strict) })['c.json'] as string]);
      outputs.push(check);
      const [status] = ofType(check.messages, 'CONNECTION_STATUS');
      expect(status?.connectionStatus.status).toBe('FAILED');
      expect(status?.connectionStatus.message).toContain("Aurous refused group_by type,model: Invalid 'group_by' value 'model'");
      const ok = await read(config({ group_by: ['type', 'user_id'], end_date: '2026-06-10' }, strict), { server: strict, mode: 'full_refresh' });
      expectExact(ok.result, truth('2026-06-01', '2026-06-11', '1d', ['type', 'user_id'], {}, strict));
    } finally {
      await strict.stop();
    }
  });

  it("given check and a read that pages, re-reads cut buckets and continues with tokens when the fake's request log is read then every request carried Aurous-Version 2026-05-15 and the key", async () => {
    const logged = new FakeAurous(base);
    await logged.start();
    try {
      const check = await run(BINS.aurous, ['check', '--config', files({ 'c.json': config({ group_by: ['user_id', 'model'] }, logged) })['c.json'] as string]);
      outputs.push(check);
      expect(ofType(check.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status)).toEqual(['SUCCEEDED']);
      const { result } = await read(config({ end_date: '2026-06-30', group_by: ['user_id', 'model'], page_size: 10 }, logged), {
        server: logged,
        mode: 'full_refresh',
      });
      expectExact(result, truth('2026-06-01', '2026-07-01', '1d', ['user_id', 'model'], {}, logged));
      const requests = logged.requests;
      expect(requests.filter((r) => r.query.has('page_token')).length).toBeGreaterThan(5);
      expect(requests.filter((r) => !r.query.has('page_token') && span(r.query) === DAY).length).toBeGreaterThan(5);
      expect(requests.map((r) => [r.headers['aurous-version'], r.headers['x-api-key']])).toEqual(requests.map(() => ['2026-05-15', KEY]));
    } finally {
      await logged.stop();
    }
  });

  it('given a proxy that strips Aurous-Version (the fake answers lifetime totals) when reading then a system_error names /v1/usage, exit 1, no RECORD and no STATE; check says FAILED naming the header', async () => {
    const stripped = new FakeAurous({ ...base, stripVersionHeader: true });
    await stripped.start();
    try {
      const { result, served } = await read(config({}, stripped), { server: stripped });
      expect(served.length).toBeGreaterThan(0);
      expect(served.every((s) => s.status === 200)).toBe(true);
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['usage'], expectComplete: false });
      expect(records(result.messages)).toEqual([]);
      expect(states(result.messages)).toEqual([]);
      expect(statuses(result.messages, 'usage').at(-1)).toBe('INCOMPLETE');
      const [error] = errors(result.messages);
      expect(error?.trace.error.failure_type).toBe('system_error');
      expect(error?.trace.error.message).toContain('/v1/usage');
      expect(error?.trace.error.message).toContain('data');
      const check = await run(BINS.aurous, ['check', '--config', files({ 'c.json': config({}, stripped) })['c.json'] as string]);
      outputs.push(check);
      expect(check.code).toBe(0);
      const [status] = ofType(check.messages, 'CONNECTION_STATUS');
      expect(status?.connectionStatus.status).toBe('FAILED');
      expect(status?.connectionStatus.message).toContain('/v1/usage answered something other than usage buckets');
      expect(status?.connectionStatus.message).toContain('Aurous-Version');
    } finally {
      await stripped.stop();
    }
  });

  it("given an API that serves buckets oldest first (the pagination page's reading) when reading then a system_error says buckets are not newest first, exit 1 and no record or state: never a silent gap", async () => {
    const ascending = new FakeAurous({ ...base, oldestFirst: true });
    await ascending.start();
    try {
      const { result } = await read(config({}, ascending), { server: ascending });
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['usage'], expectComplete: false });
      expect(records(result.messages)).toEqual([]);
      expect(states(result.messages)).toEqual([]);
      const [error] = errors(result.messages);
      expect(error?.trace.error.failure_type).toBe('system_error');
      expect(error?.trace.error.message).toMatch(/^\/v1\/usage window .*buckets are not newest first/);
    } finally {
      await ascending.stop();
    }
  });

  it('given a wrong key when reading then TRACE ERROR config_error names X-Api-Key, the stream is INCOMPLETE and the exit is non-zero', async () => {
    const wrong = 'al_live_wrongwrongwrong42';
    const { result } = await read(config({ api_key: wrong }));
    expect(result.code).toBe(1);
    assertProtocol(result, { streams: ['usage'], expectComplete: false });
    expect(statuses(result.messages, 'usage').at(-1)).toBe('INCOMPLETE');
    const [error] = errors(result.messages);
    expect(error?.trace.error.failure_type).toBe('config_error');
    expect(error?.trace.error.message).toContain('X-Api-Key');
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });
});

describe('fake Aurous Labs /v1/usage over HTTP (the live behaviours the connector must survive)', () => {
  const get = async (query: Record<string, string> | URLSearchParams, headers: Record<string, string> = HEADERS, server: FakeAurous = fake) => {
    const res = await fetch(`${server.baseUrl}/v1/usage?${new URLSearchParams(query)}`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, any>, headers: res.headers };
  };
  const june = { start_time: '2026-06-01T00:00:00Z', end_time: '2026-06-11T00:00:00Z', bucket_width: '1d' };
  const invalid = (message: string) => ({ error: { type: 'invalid_request', code: 'invalid_parameter', message } });

  it('given a request without Aurous-Version when sent then the answer is 200 with lifetime totals and no buckets, whatever the query; a malformed version is a 400 invalid_version', async () => {
    const lifetime = await get({ ...june, group_by: 'type,model' }, { 'x-api-key': KEY });
    expect(lifetime.status).toBe(200);
    expect(Object.keys(lifetime.body)).toEqual(['object', 'team_id', 'metrics']);
    expect(lifetime.body).toMatchObject({ object: 'usage.lifetime', team_id: 'team_fake' });
    const everyDay = fake.data.expected(FIRST, FIRST + DAYS * DAY, '1d', []);
    const sum = (f: 'request_count' | 'total_input_tokens') => everyDay.reduce((a, r) => a + r[f], 0);
    expect(lifetime.body.metrics).toMatchObject({ request_count: sum('request_count'), total_input_tokens: sum('total_input_tokens') });
    // Even a continuation or a query the versioned API refuses gets the totals.
    expect((await get({ page_token: 'anything' }, { 'x-api-key': KEY })).body.object).toBe('usage.lifetime');
    expect((await get({ limit: '500' }, { 'x-api-key': KEY })).body.object).toBe('usage.lifetime');
    const malformed = await get(june, { ...HEADERS, 'aurous-version': 'latest' });
    expect(malformed).toMatchObject({
      status: 400,
      body: { error: { type: 'invalid_request', code: 'invalid_version', message: "Aurous-Version must be a date (YYYY-MM-DD), got 'latest'." } },
    });
    const versioned = await get(june);
    expect(versioned.status).toBe(200);
    expect(versioned.body).toMatchObject({ object: 'list', has_more: false, next_page: null });
    expect(versioned.body.data.length).toBeGreaterThan(5);
    expect(versioned.body.data.every((b: { object: string }) => b.object === 'usage.bucket')).toBe(true);
  });

  it('given group_by with more than two dimensions in any spelling or an unknown dimension when sent then a 400 invalid_parameter says so, with RateLimit headers', async () => {
    const three = await get({ ...june, group_by: 'type,model,status' });
    expect(three.status).toBe(400);
    expect(three.body).toEqual(invalid("'group_by' accepts at most 2 dimensions."));
    expect(three.headers.get('ratelimit-limit')).toBe('10000');
    expect(three.headers.get('ratelimit-remaining')).not.toBeNull();
    const spelled = new URLSearchParams([...Object.entries(june), ['group_by', 'type'], ['group_by[]', 'model'], ['group_by', 'status']]);
    expect((await get(spelled)).body).toEqual(invalid("'group_by' accepts at most 2 dimensions."));
    expect((await get({ ...june, group_by: 'project_id' })).body).toEqual(
      invalid("Invalid 'group_by' value 'project_id': one of status, api_key_id, user_id, type, model."),
    );
    expect((await get({ ...june, group_by: 'type,type' })).body).toEqual(invalid("'group_by' lists a dimension twice."));
    expect((await get({ ...june, group_by: 'status,user_id' })).status).toBe(200);
  });

  it('given limit outside 1-100 when sent then a 400 invalid_parameter; given no limit then a page holds at most 24 group rows (the stricter documented default)', async () => {
    expect(await get({ ...june, limit: '101' })).toMatchObject({ status: 400, body: invalid("Invalid 'limit' '101': must be between 1 and 100.") });
    expect(await get({ ...june, limit: '0' })).toMatchObject({ status: 400, body: invalid("Invalid 'limit' '0': must be between 1 and 100.") });
    expect(await get({ ...june, limit: '2.5' })).toMatchObject({ status: 400, body: invalid("Invalid 'limit' '2.5': must be between 1 and 100.") });
    expect((await get({ ...june, limit: '100' })).status).toBe(200);
    const page = await get({ ...june, group_by: 'user_id,model' });
    const rows = (page.body.data as Array<{ groups: unknown[] }>).reduce((a, b) => a + b.groups.length, 0);
    expect(rows).toBe(24);
    expect(page.body.has_more).toBe(true);
  });

  it("given a page_token minted for one team when continued with another team's key then 400 invalid_page_token; with the minting team's key it continues", async () => {
    const OTHER = 'al_live_OTHER_TEAM_0000';
    const teams = new FakeAurous({ ...base, teamKeys: { [OTHER]: 'team_other' } });
    await teams.start();
    try {
      const first = await get({ ...june, group_by: 'user_id,model', limit: '10' }, HEADERS, teams);
      expect(first.body.has_more).toBe(true);
      const token = { page_token: first.body.next_page as string };
      const other = await get(token, { ...HEADERS, 'x-api-key': OTHER }, teams);
      expect(other).toMatchObject({
        status: 400,
        body: { error: { type: 'invalid_request', code: 'invalid_page_token', message: 'page_token belongs to another team.' } },
      });
      expect((await get(june, { ...HEADERS, 'x-api-key': OTHER }, teams)).status).toBe(200);
      expect((await get(token, HEADERS, teams)).status).toBe(200);
    } finally {
      await teams.stop();
    }
  });

  it("given oldestFirst (the pagination page's order) when a reader walks every page then buckets ascend across pages and the ungrouped days are all served once", async () => {
    const ascending = new FakeAurous({ ...base, oldestFirst: true });
    await ascending.start();
    try {
      const starts: string[] = [];
      let q: Record<string, string> = { ...june, limit: '3' };
      for (;;) {
        const page = await get(q, HEADERS, ascending);
        expect(page.status).toBe(200);
        starts.push(...(page.body.data as Array<{ bucket_start: string }>).map((b) => b.bucket_start));
        if (!page.body.has_more) break;
        q = { page_token: page.body.next_page as string };
      }
      expect(starts).toEqual([...new Set(truth('2026-06-01', '2026-06-11', '1d', [], {}, ascending).map((r) => r.bucket_start as string))]);
    } finally {
      await ascending.stop();
    }
  });

  it("given a range longer than the width's cap when sent then 400 range_too_large names the cap", async () => {
    const minutes = { start_time: '2026-06-01T00:00:00Z', bucket_width: '1m' };
    const tooLong = await get({ ...minutes, end_time: '2026-06-09T00:00:00Z' });
    expect(tooLong).toMatchObject({
      status: 400,
      body: { error: { type: 'invalid_request', code: 'range_too_large', message: 'The range holds 11520 buckets of 1m; at most 10080 per request.' } },
    });
    expect((await get({ ...minutes, end_time: '2026-06-08T00:00:00Z' })).status).toBe(200);
    expect((await get({ start_time: '2025-06-01T00:00:00Z', end_time: '2026-06-03T00:00:00Z', bucket_width: '1d' })).body.error.code).toBe('range_too_large');
  });
});

describe('source-aurous-usage spec, check and discover', () => {
  it('given spec when run then exactly one SPEC equal to the generated spec.json, with the key secret and group_by capped at 2', async () => {
    const result = await run(BINS.aurous, ['spec']);
    outputs.push(result);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    expect(result.messages).toHaveLength(1);
    const spec = result.messages[0]?.spec;
    expect(spec).toEqual(JSON.parse(readFileSync(join(DIR, 'spec.json'), 'utf8')));
    expect(JSON.stringify(spec)).not.toContain('$ref');
    const props = spec.connectionSpecification.properties;
    expect(props.api_key.airbyte_secret).toBe(true);
    expect(props.group_by.maxItems).toBe(2);
    expect(props.bucket_width.enum).toEqual(['1m', '5m', '15m', '1h', '1d', '7d']);
    expect(props.base_url.default).toBe('https://api.aurous-labs.com');
    expect(spec.connectionSpecification.required).toEqual(['api_key']);
  });

  it('given a good key when checking then SUCCEEDED; given a bad key then FAILED naming X-Api-Key; exit 0 both times and the key never printed', async () => {
    const good = await run(BINS.aurous, ['check', '--config', files({ 'c.json': config() })['c.json'] as string]);
    outputs.push(good);
    expect(good.code).toBe(0);
    assertProtocol(good, { streams: [] });
    expect(ofType(good.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status)).toEqual(['SUCCEEDED']);
    const wrong = 'al_live_notthekey_7777777';
    const bad = await run(BINS.aurous, ['check', '--config', files({ 'c.json': config({ api_key: wrong }) })['c.json'] as string]);
    outputs.push(bad);
    expect(bad.code).toBe(0);
    const [status] = ofType(bad.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toContain('X-Api-Key');
    expect(bad.stdout + bad.stderr).not.toContain(wrong);
  });

  it('given discover when run then one CATALOG with the usage stream (incremental on bucket_start, key id) and spend (incremental on ChargePeriodStart, key x_RecordId), the generated schemas', async () => {
    const result = await run(BINS.aurous, ['discover', '--config', files({ 'c.json': config() })['c.json'] as string]);
    outputs.push(result);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    const streams = ofType(result.messages, 'CATALOG')[0]?.catalog.streams;
    expect(streams.map((s: { name: string }) => s.name)).toEqual(['usage', 'spend']);
    expect(streams[1]).toMatchObject({
      name: 'spend',
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['ChargePeriodStart'],
      source_defined_primary_key: [['x_RecordId']],
    });
    expect(streams[1].json_schema).toEqual(JSON.parse(readFileSync(join(DIR, 'schemas/spend.json'), 'utf8')));
    expect(streams[0]).toMatchObject({
      name: 'usage',
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['bucket_start'],
      source_defined_primary_key: [['id']],
    });
    expect(streams[0].json_schema).toEqual(schema);
  });

  it('given every run of this file when its stdout and stderr are searched then the key never appears', () => {
    expect(outputs.length).toBeGreaterThan(15);
    for (const r of outputs) {
      expect(r.stdout).not.toContain(KEY);
      expect(r.stderr).not.toContain(KEY);
    }
  });
});
