import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, errors, files, lastStates, ofType, records, run, states, statuses, type Message, type RunResult } from '../support/cli.js';
import { assertProtocol, canonicalRows } from '../support/invariants.js';
import { ANALYTICS_BETA, EXPIRED_MESSAGE, unitsToUsd } from '../fake/anthropic-analytics.js';
import { FakeAnthropic, type FakeAnthropicOptions } from '../fake/anthropic.js';
import type { LoggedRequest } from '../fake/server.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * analytics_cost and analytics_usage (issue 15) against the fake Usage and Cost Analytics API on
 * the real clock: the organisation has 400 days of data, of which the API serves what lies after
 * max(2026-01-01, now - 365 days).
 */
const KEY = 'sk-ant-admin01-E2E-ANALYTICS-5e4d3c2b1a';
const DAY = 86_400;
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const FIRST = TODAY - 400 * DAY;
/** The API's floor, computed here independently: whole days at or after both limits. */
const FLOOR = Math.max(Date.UTC(2026, 0, 1) / 1000, Math.ceil((Date.now() / 1000 - 365 * DAY) / DAY) * DAY);
const isoDate = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const isoTime = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const STREAMS = ['analytics_cost', 'analytics_usage'] as const;
const schemas = Object.fromEntries(
  [...STREAMS, 'cost_report'].map((s) => [s, JSON.parse(readFileSync(join(CONTRACTS.anthropic, 'schemas', `${s}.json`), 'utf8')) as Record<string, unknown>]),
);
const outputs: RunResult[] = [];
const servers: FakeAnthropic[] = [];

async function server(extra: Partial<FakeAnthropicOptions> = {}): Promise<FakeAnthropic> {
  const f = new FakeAnthropic({ firstDay: FIRST, days: 400, adminKey: KEY, ...extra });
  await f.start();
  servers.push(f);
  return f;
}

let fake: FakeAnthropic;
beforeAll(async () => {
  fake = await server();
});
afterAll(async () => {
  for (const s of servers) await s.stop();
  for (const r of outputs) expect(r.stdout + r.stderr).not.toContain(KEY);
});

const config = (f: FakeAnthropic, extra: Record<string, unknown> = {}) => ({ admin_api_key: KEY, start_date: isoDate(FLOOR), base_url: f.baseUrl, ...extra });

async function read(f: FakeAnthropic, cfg: Record<string, unknown>, streams: readonly string[], state?: unknown) {
  const fl = files({
    'c.json': cfg,
    'cat.json': catalog(streams.map((name) => ({ name, mode: 'incremental' as const }))),
    ...(state ? { 's.json': state } : {}),
  });
  const before = f.requests.length;
  const result = await run(BINS.anthropic, [
    'read',
    '--config',
    fl['c.json'] as string,
    '--catalog',
    fl['cat.json'] as string,
    ...(fl['s.json'] ? ['--state', fl['s.json']] : []),
  ]);
  outputs.push(result);
  return { result, requests: f.requests.slice(before) };
}

const errorText = (r: RunResult): string => JSON.stringify(errors(r.messages).map((e) => e.trace.error.message));
const ok = (r: RunResult, streams: readonly string[]): void => {
  expect(r.code, errorText(r)).toBe(0);
  assertProtocol(r, { streams: [...streams], schemas });
};
const analyticsRequests = (requests: LoggedRequest[], kind?: 'cost' | 'usage'): LoggedRequest[] =>
  requests.filter((r) => r.path === `/v1/organizations/analytics/${kind ?? (r.path.endsWith('/cost') ? 'cost' : 'usage')}`);
const exact = (r: RunResult, stream: string, expected: Array<Record<string, unknown>>): void => {
  const got = records(r.messages, stream);
  expect(got.length, stream).toBe(expected.length);
  expect(canonicalRows(got), stream).toEqual(canonicalRows(expected));
};
/** Exact sum of decimal strings (dollars, negative ones too: the ledger's credits), by BigInt at 1e-11 dollar. */
const sumUsd = (values: unknown[]): string => {
  let units = 0n;
  for (const v of values) {
    const text = String(v);
    const neg = text.startsWith('-');
    const [i = '0', f = ''] = (neg ? text.slice(1) : text).split('.');
    const u = BigInt(i) * 100_000_000_000n + BigInt(f.padEnd(11, '0') || '0');
    units += neg ? -u : u;
  }
  return unitsToUsd(units);
};
/** The starting_at of the rows of the fake's first page for the first 31 days from `start`, as ranked. */
const f40Ranked = (f: FakeAnthropic, start: number): string[] =>
  f.analytics.data
    .rows('cost', { start, end: start + 31 * DAY, width: '1d', groupBy: ['workspace_id', 'api_key_id', 'actor', 'model'] })
    .sort((a, b) => ((a._rank as bigint) < (b._rank as bigint) ? 1 : -1))
    .map((r) => String(r.starting_at));
const logs = (r: RunResult, level: string): string[] =>
  ofType(r.messages, 'LOG')
    .filter((m) => m.log.level === level)
    .map((m) => m.log.message as string);

describe('source-anthropic-costs analytics streams', () => {
  it('given 400 days of data when reading both analytics streams from the floor then every record equals the ground truth to the last digit (amount and list_amount), windows stay within 31 days and the state covers exactly floor..today', async () => {
    const { result, requests } = await read(fake, config(fake), [...STREAMS, 'cost_report']);
    ok(result, [...STREAMS, 'cost_report']);
    const cost = fake.analytics.data.expectedCost(FLOOR, TODAY);
    exact(result, 'analytics_cost', cost);
    exact(result, 'analytics_usage', fake.analytics.data.expectedUsage(FLOOR, TODAY));
    const got = records(result.messages, 'analytics_cost');
    // Totals from the events themselves (not the rows): amount and list_amount, exact.
    const total = fake.analytics.data.totalUsd(FLOOR, TODAY);
    expect(sumUsd(got.map((r) => r.amount_usd))).toBe(total.amount);
    expect(sumUsd(got.map((r) => r.list_amount_usd))).toBe(total.list);
    // Many fractional digits survive, and the cent strings are passed through untouched.
    expect(got.some((r) => /\.\d{8,}$/.test(String(r.amount_cents)))).toBe(true);
    // Two actors with one id string and different types: two records, two ids, every day with data.
    const shared = got.filter((r) => r.actor_id === fake.analytics.data.sharedActorId);
    expect(new Set(shared.map((r) => r.actor_type))).toEqual(new Set(['service_account_actor', 'api_actor']));
    expect(new Set(shared.map((r) => r.id)).size).toBe(shared.length);
    // Federated actors (no tagged id) and unattributed rows come through with a null actor_id.
    expect(got.some((r) => r.actor_type === 'federated_actor' && r.actor_id === null)).toBe(true);
    expect(got.some((r) => r.actor === null)).toBe(true);
    // Requests: every analytics request carries the beta and version headers, and a window of at most 31 whole days.
    const analytics = analyticsRequests(requests);
    expect(analytics.length).toBeGreaterThanOrEqual(2 * Math.ceil((TODAY - FLOOR) / DAY / 31));
    for (const r of analytics) {
      expect(r.headers['anthropic-beta']).toBe(ANALYTICS_BETA);
      expect(r.headers['anthropic-version']).toBe('2023-06-01');
      const s = Date.parse(r.query.get('starting_at') as string) / 1000;
      const e = Date.parse(r.query.get('ending_at') as string) / 1000;
      expect(s % DAY).toBe(0);
      expect(e - s).toBeLessThanOrEqual(31 * DAY);
      expect(s).toBeGreaterThanOrEqual(FLOOR);
      expect(e).toBeLessThanOrEqual(TODAY);
      expect(r.query.get('time_bucket_width')).toBe('1d');
      expect(r.query.getAll('group_by[]')).toEqual(['workspace_id', 'api_key_id', 'actor', 'model']);
    }
    // ... and the legacy report's requests never do.
    const legacy = requests.filter((r) => r.path === '/v1/organizations/cost_report');
    expect(legacy.length).toBeGreaterThan(0);
    for (const r of legacy) expect(r.headers['anthropic-beta']).toBeUndefined();
    const last = lastStates(result.messages) as Array<{ stream: { stream_descriptor: { name: string }; stream_state: unknown } }>;
    for (const s of STREAMS) {
      expect(last.find((x) => x.stream.stream_descriptor.name === s)?.stream.stream_state).toEqual({ version: 2, covered_from: FLOOR, cursor: TODAY });
    }
  });

  it('given a page size of 4 when reading 40 days then windows span many pages and the records still equal the ground truth, each emitted only after its window is complete', async () => {
    const start = TODAY - 40 * DAY;
    const { result, requests } = await read(fake, config(fake, { start_date: isoDate(start), analytics_page_size: 4 }), ['analytics_cost']);
    ok(result, ['analytics_cost']);
    exact(result, 'analytics_cost', fake.analytics.data.expectedCost(start, TODAY));
    const paged = analyticsRequests(requests).filter((r) => r.query.has('page'));
    expect(paged.length).toBeGreaterThan(20);
    // A followed page repeats the first request byte for byte, plus the cursor.
    for (const r of paged) expect(r.query.get('limit')).toBe('4');
    // Pages come ranked by amount, not by time; the records come out in time order, so every
    // window was collected whole before any of its records was emitted.
    const pageStarts = analyticsRequests(requests).length;
    expect(pageStarts).toBeGreaterThan(paged.length);
    const times = records(result.messages, 'analytics_cost').map((r) => String(r.starting_at));
    expect(times).toEqual([...times].sort());
    const firstPage = f40Ranked(fake, start);
    expect(firstPage).not.toEqual([...firstPage].sort());
  });

  it('given cursors that expire twice mid-window when reading then the window restarts from its first page and the records equal the ground truth with no duplicate', async () => {
    const f = await server({ analytics: { expiry: { afterPages: 2, times: 2 } } });
    const start = TODAY - 20 * DAY;
    const { result, requests } = await read(f, config(f, { start_date: isoDate(start), analytics_page_size: 5 }), ['analytics_cost']);
    ok(result, ['analytics_cost']);
    exact(result, 'analytics_cost', f.analytics.data.expectedCost(start, TODAY));
    expect(logs(result, 'WARN').filter((m) => m.includes('reading the window again from its first page'))).toHaveLength(2);
    // The restart is a first page again: no cursor, the same window.
    const firstPages = analyticsRequests(requests).filter((r) => !r.query.has('page'));
    expect(firstPages.length).toBe(1 + 2);
  });

  it('given pages shorter than the limit and a cursor the API no longer ties to the query (400) when reading then the window restarts and the records equal the ground truth', async () => {
    // pageCap: pages of 6 rows whatever limit (1000) says; the cursor is followed all the same.
    const f = await server({ analytics: { misbind: { afterPages: 1, times: 1 }, pageCap: 6 } });
    const start = TODAY - 10 * DAY;
    const { result, requests } = await read(f, config(f, { start_date: isoDate(start) }), ['analytics_usage']);
    expect(analyticsRequests(requests).filter((r) => r.query.has('page')).length).toBeGreaterThan(5);
    ok(result, ['analytics_usage']);
    exact(result, 'analytics_usage', f.analytics.data.expectedUsage(start, TODAY));
    expect(logs(result, 'WARN').some((m) => m.includes('does not match the query'))).toBe(true);
  });

  it('given the data refreshing between two pages of a window when reading then the window is re-read whole and the records equal the refreshed ground truth, never a mix', async () => {
    const f = await server({ firstDay: TODAY - 30 * DAY, days: 30, analytics: { refreshAfterPages: 2 } });
    const start = TODAY - 30 * DAY;
    const before = f.analytics.data.expectedCost(start, TODAY).length;
    const { result } = await read(f, config(f, { start_date: isoDate(start), analytics_page_size: 10 }), ['analytics_cost']);
    ok(result, ['analytics_cost']);
    expect(f.analytics.data.generation).toBe(1);
    const after = f.analytics.data.expectedCost(start, TODAY);
    expect(after.length).toBeGreaterThan(before);
    exact(result, 'analytics_cost', after);
  });

  it('given cursors that always expire from one window on when reading then the stream fails with a transient_error after 3 restarts, emits none of that window and its state stops before it', async () => {
    const start = TODAY - 93 * DAY;
    const from = TODAY - 31 * DAY; // the third window
    const f = await server({ analytics: { expiry: { afterPages: 1, times: Number.POSITIVE_INFINITY, from } } });
    const { result, requests } = await read(f, config(f, { start_date: isoDate(start), analytics_page_size: 20 }), ['analytics_cost']);
    expect(result.code).not.toBe(0);
    assertProtocol(result, { streams: ['analytics_cost'], schemas, expectComplete: false });
    expect(statuses(result.messages, 'analytics_cost').at(-1)).toBe('INCOMPLETE');
    const [err] = errors(result.messages);
    expect(err?.trace.error.failure_type).toBe('transient_error');
    expect(err?.trace.error.message).toContain('gave up after 3 restart(s)');
    expect(err?.trace.error.message).toContain(EXPIRED_MESSAGE);
    expect(analyticsRequests(requests).filter((r) => !r.query.has('page') && r.query.get('starting_at') === isoTime(from))).toHaveLength(4);
    // Everything before the failed window, exactly; nothing of it or after it.
    exact(result, 'analytics_cost', f.analytics.data.expectedCost(start, from));
    const cursors = states(result.messages, 'analytics_cost').map((m: Message) => m.state.stream.stream_state.cursor as number);
    expect(Math.max(...cursors)).toBe(from);
  });

  describe('a start_date before the floor (issue 23: any start_date works)', () => {
    const early = (f: FakeAnthropic, extra: Record<string, unknown> = {}) => config(f, { start_date: isoDate(FIRST), lookback_days: 2, ...extra });
    /** The one line each analytics stream says, the same in check, dry-run, read and sync. */
    const notice = (stream: string, path: string): string =>
      `${stream}: start_date ${isoDate(FIRST)} is before ${isoDate(FLOOR)}, the first day ${path} serves (Anthropic analytics serve at most the last 365 days and nothing before 2026-01-01); the stream starts at ${isoDate(FLOOR)}, without ${isoDate(FIRST)}..${isoDate(FLOOR - DAY)}.`;
    const NOTICES = [notice('analytics_cost', '/v1/organizations/analytics/cost'), notice('analytics_usage', '/v1/organizations/analytics/usage')];
    const analyticsTraces = (r: RunResult): unknown[] =>
      ofType(r.messages, 'TRACE')
        .filter((m) => m.trace.type === 'ANALYTICS')
        .map((m) => m.trace.analytics);
    const trace = (stream: string) => ({
      type: 'stream-start-at-api-floor',
      value: JSON.stringify({ stream, floor: isoTime(FLOOR), requested: isoTime(FIRST), cause: 'start_date' }),
    });

    it('given a start_date before the floor when checking then check succeeds and says, once per analytics stream and before any read, that it starts at the floor', async () => {
      const before = fake.requests.length;
      const fl = files({ 'c.json': early(fake) });
      const r = await run(BINS.anthropic, ['check', '--config', fl['c.json'] as string]);
      outputs.push(r);
      expect(r.code).toBe(0);
      expect(logs(r, 'WARN')).toEqual(NOTICES);
      const [status] = ofType(r.messages, 'CONNECTION_STATUS');
      expect(status?.connectionStatus.status).toBe('SUCCEEDED');
      expect(status?.connectionStatus.message).toBe(NOTICES.join(' '));
      expect(analyticsRequests(fake.requests.slice(before))).toHaveLength(0);
      for (const line of r.lines) expect(line).not.toMatch(/stored state|catalog/);
    });

    it('given a start_date before the floor when dry-running then the same two lines come first and no planned request starts before the floor', async () => {
      const fl = files({ 'c.json': early(fake), 'cat.json': catalog([...STREAMS, 'cost_report'].map((name) => ({ name }))) });
      const before = fake.requests.length;
      const r = await run(BINS.anthropic, ['read', '--dry-run', '--config', fl['c.json'] as string, '--catalog', fl['cat.json'] as string]);
      outputs.push(r);
      expect(r.code).toBe(0);
      expect(fake.requests.length).toBe(before);
      expect(logs(r, 'WARN')).toEqual(NOTICES);
      const planned = logs(r, 'INFO').filter((l) => l.startsWith('dry-run analytics_'));
      const starts = planned.map((l) => Date.parse(/starting_at=([^&]+)/.exec(decodeURIComponent(l))?.[1] ?? '') / 1000);
      expect(Math.min(...starts)).toBe(FLOOR);
      expect(logs(r, 'INFO').find((l) => l.startsWith('dry-run cost_report'))).toContain(isoTime(FIRST));
    });

    it('given a start_date before the floor when reading twice with the state then both reads exit 0, say it exactly once per stream each, read exactly from the floor, store covered_from = floor and leave no gap', async () => {
      const first = await read(fake, early(fake), [...STREAMS, 'cost_report']);
      ok(first.result, [...STREAMS, 'cost_report']);
      expect(errors(first.result.messages)).toEqual([]);
      expect(logs(first.result, 'WARN')).toEqual(NOTICES);
      expect(analyticsTraces(first.result)).toEqual([trace('analytics_cost'), trace('analytics_usage')]);
      exact(first.result, 'analytics_cost', fake.analytics.data.expectedCost(FLOOR, TODAY));
      exact(first.result, 'analytics_usage', fake.analytics.data.expectedUsage(FLOOR, TODAY));
      const starts = analyticsRequests(first.requests).map((r) => Date.parse(r.query.get('starting_at') as string) / 1000);
      expect(Math.min(...starts)).toBe(FLOOR);
      // The legacy report has no floor: it reads from start_date.
      expect(
        Math.min(...first.requests.filter((r) => r.path.endsWith('/cost_report')).map((r) => Date.parse(r.query.get('starting_at') as string) / 1000)),
      ).toBe(FIRST);
      const state = lastStates(first.result.messages) as Array<{ stream: { stream_descriptor: { name: string }; stream_state: Record<string, number> } }>;
      for (const s of STREAMS) {
        expect(state.find((x) => x.stream.stream_descriptor.name === s)?.stream.stream_state).toEqual({ version: 2, covered_from: FLOOR, cursor: TODAY });
      }
      const second = await read(fake, early(fake), [...STREAMS], state);
      ok(second.result, [...STREAMS]);
      expect(logs(second.result, 'WARN')).toEqual(NOTICES);
      const again = analyticsRequests(second.requests).map((r) => Date.parse(r.query.get('starting_at') as string) / 1000);
      expect(Math.min(...again)).toBe(TODAY - 2 * DAY);
      exact(second.result, 'analytics_cost', fake.analytics.data.expectedCost(TODAY - 2 * DAY, TODAY));
      const after = lastStates(second.result.messages) as typeof state;
      for (const s of STREAMS) expect(after.find((x) => x.stream.stream_descriptor.name === s)?.stream.stream_state.covered_from).toBe(FLOOR);
    });

    it('given a start_date before the floor when syncing twice then both syncs exit 0, warn once per run, the summary says where the stream starts and the warehouse holds exactly floor..today with covered_from = floor', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'an-floor-'));
      try {
        const cfgFile = files({ 'c.json': early(fake) })['c.json'] as string;
        const db = join(dir, 'w.duckdb');
        for (const run of [1, 2]) {
          const synced = await runCli(BINS.anthropic, ['sync', '--config', cfgFile, '--db', db, '--streams', 'analytics_cost,cost_report']);
          expect(synced.code, synced.stderr).toBe(0);
          expect(synced.stderr).not.toContain(KEY);
          const lines = synced.stderr.split('\n');
          expect(
            lines.filter((l) => l.startsWith('warn: ')),
            `run ${run}`,
          ).toEqual([`warn: ${NOTICES[0]}`]);
          const summary = lines.find((l) => l.startsWith('analytics_cost: ok, '));
          expect(summary?.endsWith(`; from ${isoDate(FLOOR)}, the first day its API serves (start_date ${isoDate(FIRST)} is earlier)`), synced.stderr).toBe(
            true,
          );
          expect(synced.stderr).not.toMatch(/stored state|catalog|FAILED/);
          const expected = fake.analytics.data.expectedCost(FLOOR, TODAY);
          const [count] = await query(db, 'SELECT count(*) AS n FROM anthropic.analytics_cost');
          expect(Number(count?.n)).toBe(expected.length);
          const [none] = await query(db, `SELECT count(*) AS n FROM anthropic.analytics_cost WHERE starting_at < '${isoTime(FLOOR)}'`);
          expect(Number(none?.n)).toBe(0);
          const [stored] = await query(db, "SELECT state FROM anthropic._connector_state WHERE stream = 'analytics_cost'");
          const st = (typeof stored?.state === 'string' ? JSON.parse(stored.state) : stored?.state) as Record<string, number>;
          expect(st).toEqual({ version: 2, covered_from: FLOOR, cursor: TODAY });
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('given no start_date (the production template) when checking and reading then nothing is a warning, analytics_cost starts at the floor or the last 365 days, whichever is later, and cost_report at the last 365 days', async () => {
    const { start_date: _none, ...cfg } = config(fake);
    const defaultStart = TODAY - 364 * DAY;
    const fl = files({ 'c.json': cfg });
    const check = await run(BINS.anthropic, ['check', '--config', fl['c.json'] as string]);
    outputs.push(check);
    expect(ofType(check.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus)).toEqual([{ status: 'SUCCEEDED' }]);
    expect(logs(check, 'WARN')).toEqual([]);
    const { result, requests } = await read(fake, cfg, ['analytics_cost', 'cost_report']);
    ok(result, ['analytics_cost', 'cost_report']);
    expect(logs(result, 'WARN')).toEqual([]);
    const from = Math.max(FLOOR, defaultStart);
    exact(result, 'analytics_cost', fake.analytics.data.expectedCost(from, TODAY));
    const first = (path: string): number =>
      Math.min(...requests.filter((r) => r.path.endsWith(path)).map((r) => Date.parse(r.query.get('starting_at') as string) / 1000));
    expect(first('/analytics/cost')).toBe(from);
    expect(first('/cost_report')).toBe(defaultStart);
    const [state] = (lastStates(result.messages) as Array<{ stream: { stream_descriptor: { name: string }; stream_state: unknown } }>).filter(
      (x) => x.stream.stream_descriptor.name === 'analytics_cost',
    );
    expect(state?.stream.stream_state).toEqual({ version: 2, covered_from: from, cursor: TODAY });
  });

  it('given a first read to a date and its state when reading again then the second read resumes at the cursor minus lookback and both together equal the ground truth', async () => {
    const start = TODAY - 50 * DAY;
    const mid = TODAY - 20 * DAY;
    const first = await read(fake, config(fake, { start_date: isoDate(start), end_date: isoDate(mid - DAY), lookback_days: 2 }), ['analytics_cost']);
    ok(first.result, ['analytics_cost']);
    exact(first.result, 'analytics_cost', fake.analytics.data.expectedCost(start, mid));
    const state = lastStates(first.result.messages);
    const second = await read(fake, config(fake, { start_date: isoDate(start), lookback_days: 2 }), ['analytics_cost'], state);
    ok(second.result, ['analytics_cost']);
    const starts = analyticsRequests(second.requests).map((r) => Date.parse(r.query.get('starting_at') as string) / 1000);
    expect(Math.min(...starts)).toBe(mid - 2 * DAY);
    exact(second.result, 'analytics_cost', fake.analytics.data.expectedCost(mid - 2 * DAY, TODAY));
  });

  it('given cost grouped by cost_type and token_type in 1h buckets when reading then rows fan out, requests is null on every row, and the amounts equal the ground truth', async () => {
    const start = TODAY - 3 * DAY;
    const groupBy = ['workspace_id', 'cost_type', 'token_type'];
    const { result, requests } = await read(
      fake,
      config(fake, { start_date: isoDate(start), time_bucket_width: '1h', group_by: { analytics_cost: groupBy } }),
      ['analytics_cost'],
    );
    ok(result, ['analytics_cost']);
    exact(result, 'analytics_cost', fake.analytics.data.expectedCost(start, TODAY, '1h', groupBy));
    const got = records(result.messages, 'analytics_cost');
    expect(got.every((r) => r.requests === null)).toBe(true);
    expect(new Set(got.map((r) => r.cost_type))).toEqual(new Set(['tokens', 'web_search', 'code_execution']));
    for (const r of analyticsRequests(requests)) expect(r.query.get('time_bucket_width')).toBe('1h');
  });

  it('given 1m buckets from two days ago when reading then every request spans at most 24 hours, windows are contiguous up to the last finished minute, and the records equal the ground truth', async () => {
    const start = TODAY - 2 * DAY;
    const { result, requests } = await read(fake, config(fake, { start_date: isoDate(start), time_bucket_width: '1m' }), ['analytics_usage']);
    ok(result, ['analytics_usage']);
    exact(result, 'analytics_usage', fake.analytics.data.expectedUsage(start, TODAY, '1m'));
    // Windows of at most 1440 minutes, contiguous from start_date to the last finished minute (today's included).
    const windows = analyticsRequests(requests)
      .filter((r) => !r.query.has('page'))
      .map((r) => [Date.parse(r.query.get('starting_at') as string) / 1000, Date.parse(r.query.get('ending_at') as string) / 1000] as const)
      .sort((a, b) => a[0] - b[0]);
    expect(windows[0]?.[0]).toBe(start);
    for (const [i, [s, e]] of windows.entries()) {
      expect(e - s).toBeLessThanOrEqual(DAY);
      if (i > 0) expect(s).toBe(windows[i - 1]?.[1]);
    }
    expect(windows.at(-1)?.[1]).toBeGreaterThan(TODAY);
    expect(windows.at(-1)?.[1]).toBeLessThanOrEqual(Math.floor(Date.now() / 60_000) * 60);
  });

  it('given filters in the config when reading then they are sent as arrays and the records equal the filtered ground truth', async () => {
    const start = TODAY - 10 * DAY;
    const models = ['claude-haiku-4-5'];
    const { result, requests } = await read(
      fake,
      config(fake, { start_date: isoDate(start), filters: { analytics_usage: { models, exclude_deleted_users: true } } }),
      ['analytics_usage'],
    );
    ok(result, ['analytics_usage']);
    for (const r of analyticsRequests(requests)) {
      expect(r.query.getAll('models[]')).toEqual(models);
      expect(r.query.get('exclude_deleted_users')).toBe('true');
    }
    const got = records(result.messages, 'analytics_usage');
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((r) => r.model === 'claude-haiku-4-5')).toBe(true);
    const rows = fake.analytics.data.rows('usage', {
      start,
      end: TODAY,
      width: '1d',
      groupBy: ['workspace_id', 'api_key_id', 'actor', 'model'],
      filters: new Map([['models[]', models]]),
      excludeDeleted: true,
    });
    expect(got.length).toBe(rows.length);
    expect(got.reduce((s, r) => s + (r.total_tokens as number), 0)).toBe(
      rows.reduce((s, r) => s + ((r.usage as { total_tokens: number }).total_tokens as number), 0),
    );
  });

  it.each([
    [{ group_by: { analytics_cost: ['workspace_id', 'api_key_id', 'actor', 'model', 'service_tier', 'product'] } }, 'at most 5'],
    [
      { group_by: { analytics_usage: ['claude_tag_user_id'] }, filters: { analytics_usage: { rbac_group_ids: ['rbac_group_1'] } } },
      'claude_tag_user_id with rbac_group_id',
    ],
    [{ filters: { analytics_cost: { api_key_ids: Array.from({ length: 101 }, (_, i) => `apikey_${i}`) } } }, 'more than 100 values'],
    [{ analytics_page_size: 1001 }, 'analytics_page_size must be between 1 and 1000'],
    [{ group_by: { analytics_usage: ['cost_type'] } }, 'group_by.analytics_usage accepts only'],
  ])('given a bad analytics config %j when reading then a config_error says what to fix before any request', async (extra, says) => {
    const { result, requests } = await read(fake, config(fake, extra), ['analytics_cost', 'analytics_usage']);
    expect(result.code).not.toBe(0);
    expect(requests).toHaveLength(0);
    const [err] = errors(result.messages);
    expect(err?.trace.error.failure_type).toBe('config_error');
    expect(err?.trace.error.message).toContain(says);
  });

  it('given a request without the beta header when sent to the fake then it answers 404 not_found_error, as for an unknown path', async () => {
    const url = `${fake.baseUrl}/v1/organizations/analytics/cost?starting_at=${isoTime(TODAY - DAY)}&ending_at=${isoTime(TODAY)}&time_bucket_width=1d`;
    const res = await fetch(url, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
    const withBeta = await fetch(url, { headers: { 'x-api-key': KEY, 'anthropic-version': '2023-06-01', 'anthropic-beta': ANALYTICS_BETA } });
    expect(withBeta.status).toBe(200);
  });

  it('given Singer mode with a catalog selecting analytics_cost when synced then its records equal the Airbyte read', async () => {
    const start = TODAY - 15 * DAY;
    const cfg = config(fake, { start_date: isoDate(start) });
    const fl = files({ 'c.json': cfg });
    const discovered = await run(BINS.anthropic, ['--config', fl['c.json'] as string, '--discover']);
    outputs.push(discovered);
    expect(discovered.code, discovered.stderr).toBe(0);
    const cat = JSON.parse(discovered.stdout) as {
      streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }>;
    };
    for (const s of cat.streams) for (const m of s.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = s.tap_stream_id === 'analytics_cost';
    const sf = files({ 'c.json': cfg, 'cat.json': cat });
    const singer = await run(BINS.anthropic, ['--config', sf['c.json'] as string, '--catalog', sf['cat.json'] as string]);
    outputs.push(singer);
    expect(singer.code, singer.stderr).toBe(0);
    const schema = singer.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'analytics_cost');
    expect(schema).toMatchObject({ key_properties: ['id'], bookmark_properties: ['starting_at'] });
    const singerRecords = singer.messages.filter((m) => m.type === 'RECORD' && m.stream === 'analytics_cost').map((m) => m.record as Record<string, unknown>);
    const airbyte = await read(fake, cfg, ['analytics_cost']);
    expect(singerRecords).toEqual(records(airbyte.result.messages, 'analytics_cost'));
    expect(canonicalRows(singerRecords)).toEqual(canonicalRows(fake.analytics.data.expectedCost(start, TODAY)));
  });

  it('given analytics_cost synced into DuckDB with the entities when reported then the table has the ground truth rows, the report total equals the fake total to the last digit and the cost by API key equals it per key, paid and list price', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'an-analytics-'));
    try {
      const start = TODAY - 20 * DAY;
      const cfgFile = files({ 'c.json': config(fake, { start_date: isoDate(start) }) })['c.json'] as string;
      const db = join(dir, 'w.duckdb');
      const synced = await runCli(BINS.anthropic, ['sync', '--config', cfgFile, '--db', db, '--streams', 'analytics_cost,workspaces,api_keys,users']);
      expect(synced.code, synced.stderr).toBe(0);
      const expected = fake.analytics.data.expectedCost(start, TODAY);
      const [count] = await query(db, 'SELECT count(*) AS n FROM anthropic.analytics_cost');
      expect(Number(count?.n)).toBe(expected.length);
      const out = join(dir, 'r.html');
      const reported = await runCli(BINS.anthropic, ['report', '--db', db, '--out', out]);
      expect(reported.code, reported.stderr).toBe(0);
      const html = readFileSync(out, 'utf8');
      expect(html).toContain(`id="total-period" data-exact="${fake.analytics.data.totalUsd(start, TODAY).amount}"`);
      expect(html).toContain('Federated identity');
      // Cost by API key: the report's 10 largest keys (Console usage, with no key, is one of them), paid and list price, equal the ground truth per key.
      const scale = (d: string): bigint => {
        const [i = '0', f = ''] = d.replace('-', '').split('.');
        const v = BigInt(i) * 10n ** 12n + BigInt((f + '0'.repeat(12)).slice(0, 12));
        return d.startsWith('-') ? -v : v;
      };
      const perKey = new Map<string, { paid: bigint; list: bigint }>();
      for (const row of expected) {
        const k = perKey.get(String(row.api_key_id)) ?? { paid: 0n, list: 0n };
        perKey.set(String(row.api_key_id), { paid: k.paid + scale(String(row.amount_usd)), list: k.list + scale(String(row.list_amount_usd)) });
      }
      const ranked = [...perKey.values()].sort((a, b) => (b.paid > a.paid ? 1 : b.paid < a.paid ? -1 : 0));
      // The 10 largest, then the rest as one "Other" row (all of them by name when there are 11), so the rows add up to the total.
      const rest = ranked.slice(10);
      const top =
        ranked.length <= 11 ? ranked : [...ranked.slice(0, 10), { paid: rest.reduce((a, r) => a + r.paid, 0n), list: rest.reduce((a, r) => a + r.list, 0n) }];
      const body = /<table id="by-api-key">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
      const shown = [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...(m[1] ?? '').matchAll(/data-exact="([^"]*)"/g)].map((x) => x[1] as string));
      const paidAndList = shown.map((cells) => [scale(cells[0] ?? 'x'), scale(cells.at(-1) ?? 'x')]);
      expect(paidAndList.map(String)).toEqual(top.map((t) => String([t.paid, t.list])));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
