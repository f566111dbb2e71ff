import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, dataLines, errors, files, lastStates, ofType, records, run, states, statuses, type RunResult } from '../support/cli.js';
import { assertProtocol, canonicalRows } from '../support/invariants.js';
import {
  ANTHROPIC_VERSION,
  DAY,
  DEFAULT_GROUP_BY,
  FAST_MODE_BETA,
  FakeAnthropic,
  INVALID_DATE_RANGE,
  MAX_GROUP_BY,
  MESSAGES_DIMS,
  MESSAGES_LIMITS,
  PLANTED_AMOUNTS,
  invalidDateRangeFault,
  rateLimitFault,
  tooManyGroupBy,
  type Expected,
} from '../fake/anthropic.js';
import type { LoggedRequest } from '../fake/server.js';

/**
 * source-anthropic-costs against the fake Anthropic Admin API (issue 6). Every run uses a
 * sentinel admin key; every output of every scenario is searched for it at the end.
 */
const KEY = 'sk-ant-admin01-E2E-SENTINEL-9f8e7d6c5b4a';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 60; // through 2025-10-30
const DIR = CONTRACTS.anthropic;
const REPORTS = ['cost_report', 'usage_messages', 'usage_claude_code'] as const;
const ENTITIES = ['workspaces', 'api_keys', 'users'] as const;
const ALL = [...REPORTS, ...ENTITIES];
/** Every stream discover lists, in catalog order: spend (FOCUS 1.3, test/e2e/focus.test.ts) follows cost_report. */
const CATALOG = ['cost_report', 'spend', 'usage_messages', 'usage_claude_code', ...ENTITIES];
const schemas = Object.fromEntries(CATALOG.map((s) => [s, JSON.parse(readFileSync(join(DIR, 'schemas', `${s}.json`), 'utf8')) as Record<string, unknown>]));
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const isoTime = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const outputs: RunResult[] = [];

let fake: FakeAnthropic;
beforeAll(async () => {
  // leakKeyValues: the fake sends every API key's full secret, which the connector must never emit.
  fake = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: KEY, leakKeyValues: true });
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
  const secrets = fake.org.apiKeys.map((k) => fake.org.apiKeySecret(k.id) as string);
  for (const r of outputs) {
    expect(r.stdout + r.stderr).not.toContain(KEY);
    for (const s of secrets) expect(r.stdout).not.toContain(s);
  }
});

const config = (extra: Record<string, unknown> = {}, server: FakeAnthropic = fake) => ({
  admin_api_key: KEY,
  start_date: '2025-09-01',
  end_date: '2025-10-30',
  base_url: server.baseUrl,
  ...extra,
});

type Mode = 'incremental' | 'full_refresh';
const modeOf = (s: string): Mode => ((ENTITIES as readonly string[]).includes(s) ? 'full_refresh' : 'incremental');

async function cli(args: string[]): Promise<RunResult> {
  const r = await run(BINS.anthropic, args);
  outputs.push(r);
  return r;
}

async function read(cfg: Record<string, unknown>, streams: readonly string[], opts: { state?: unknown; server?: FakeAnthropic; mode?: Mode } = {}) {
  const server = opts.server ?? fake;
  const f = files({
    'c.json': cfg,
    'cat.json': catalog(streams.map((name) => ({ name, mode: opts.mode ?? modeOf(name) }))),
    ...(opts.state ? { 's.json': opts.state } : {}),
  });
  const args = ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, ...(f['s.json'] ? ['--state', f['s.json']] : [])];
  const before = server.requests.length;
  const result = await cli(args);
  return { result, requests: server.requests.slice(before) };
}

function expectExact(result: RunResult, stream: string, expected: Expected[]): void {
  expect(canonicalRows(records(result.messages, stream)), stream).toEqual(canonicalRows(expected));
}

const ok = (result: RunResult, streams: readonly string[]): void => {
  expect(result.code, JSON.stringify(errors(result.messages).map((e) => e.trace.error.message))).toBe(0);
  assertProtocol(result, { streams: [...streams], schemas });
};

const at = (r: LoggedRequest, path: string): boolean => r.path === `/v1/organizations/${path}`;

describe('source-anthropic-costs read', () => {
  it('given every stream when reading 60 days then each equals the fake ground truth exactly, with valid requests and no secret in the output', async () => {
    const { result, requests } = await read(config(), ALL);
    ok(result, ALL);
    const end = day('2025-10-31');
    expectExact(result, 'cost_report', fake.org.expectedCostReport(FIRST, end));
    expectExact(result, 'usage_messages', fake.org.expectedUsageMessages(FIRST, end));
    expectExact(result, 'usage_claude_code', fake.org.expectedClaudeCode(FIRST, end));
    expectExact(result, 'workspaces', fake.org.expectedWorkspaces());
    expectExact(result, 'api_keys', fake.org.expectedApiKeys());
    expectExact(result, 'users', fake.org.expectedUsers());
    for (const s of ALL) expect(records(result.messages, s).length, s).toBeGreaterThan(0);

    // Every request authenticates with x-api-key and names the API version.
    for (const r of requests) {
      expect(r.headers['x-api-key']).toBe(KEY);
      expect(r.headers['anthropic-version']).toBe('2023-06-01');
      expect(r.headers.authorization).toBeUndefined();
    }
    // cost_report: day-aligned windows of at most 31 days, tiling the range, grouped by default.
    const costs = requests.filter((r) => at(r, 'cost_report'));
    expect(costs).toHaveLength(2);
    const spans = costs
      .map((r) => [Date.parse(r.query.get('starting_at') as string) / 1000, Date.parse(r.query.get('ending_at') as string) / 1000] as const)
      .sort((a, b) => a[0] - b[0]);
    expect(spans[0]?.[0]).toBe(FIRST);
    expect(spans[1]?.[0]).toBe(spans[0]?.[1]);
    expect(spans[1]?.[1]).toBe(end);
    for (const [i, r] of costs.entries()) {
      const [s, e] = spans[i] as readonly [number, number];
      expect(s % DAY).toBe(0);
      expect((e - s) / DAY).toBeLessThanOrEqual(31);
      expect(r.query.getAll('group_by[]')).toEqual(['workspace_id', 'description']);
      expect(r.query.get('bucket_width')).toBe('1d');
    }
    // usage_messages: grouped by the five cost-allocation dimensions (the API takes at most 5).
    for (const r of requests.filter((x) => at(x, 'usage_report/messages'))) {
      expect(r.query.getAll('group_by[]')).toEqual([...DEFAULT_GROUP_BY]);
      expect(Number(r.query.get('limit'))).toBeLessThanOrEqual(31);
    }
    // usage_claude_code: one request per day, YYYY-MM-DD, limit 1000; one STATE per day.
    const code = requests.filter((r) => at(r, 'usage_report/claude_code'));
    expect(code.map((r) => r.query.get('starting_at')).sort()).toEqual(Array.from({ length: DAYS }, (_, i) => isoTime(FIRST + i * DAY).slice(0, 10)));
    expect(new Set(code.map((r) => r.query.get('limit')))).toEqual(new Set(['1000']));
    expect(states(result.messages, 'usage_claude_code')).toHaveLength(DAYS);
    // Entity lists: limit 1000, archived workspaces included.
    expect(requests.find((r) => at(r, 'workspaces'))?.query.get('include_archived')).toBe('true');
    expect(records(result.messages, 'workspaces').some((w) => w.archived_at !== null)).toBe(true);
    expect(records(result.messages, 'api_keys').every((k) => !('key' in k))).toBe(true);
  });

  it('given the spec example amounts in the cost report when read then "123.78912", "0.1" and "1500" cents become exactly "1.2378912", "0.001" and "15" dollars', async () => {
    const { result } = await read(config({ end_date: '2025-09-03' }), ['cost_report']);
    ok(result, ['cost_report']);
    const rows = records(result.messages, 'cost_report');
    const usd = (cents: string) => rows.filter((r) => r.amount_cents === cents).map((r) => r.amount_usd);
    expect(PLANTED_AMOUNTS.map(usd)).toEqual([['1.2378912'], ['0.001'], ['15']]);
    expect(rows.every((r) => typeof r.amount_usd === 'string' && typeof r.amount_cents === 'string')).toBe(true);
  });

  it('given null dimensions when read then they are data: the default workspace, Console usage and absent nested fields are null with distinct keys', async () => {
    const { result } = await read(config({ end_date: '2025-10-05' }), ['cost_report', 'usage_messages']);
    ok(result, ['cost_report', 'usage_messages']);
    const costs = records(result.messages, 'cost_report');
    const usage = records(result.messages, 'usage_messages');
    expect(costs.some((r) => r.workspace_id === null)).toBe(true);
    expect(usage.some((r) => r.api_key_id === null)).toBe(true);
    expect(usage.some((r) => r.workspace_id === null)).toBe(true);
    // Before the API sent them, nested fields are null, never 0; afterwards they are numbers.
    const before = usage.filter((r) => (r.date as string) < '2025-09-15');
    const after = usage.filter((r) => (r.date as string) >= '2025-10-01');
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((r) => r.cache_creation_ephemeral_1h_input_tokens === null && r.server_tool_use_web_search_requests === null)).toBe(true);
    expect(after.length).toBeGreaterThan(0);
    expect(
      after.every((r) => typeof r.cache_creation_ephemeral_5m_input_tokens === 'number' && typeof r.server_tool_use_web_search_requests === 'number'),
    ).toBe(true);
  });

  it('given hourly and minute buckets when reading usage_messages then records equal the ground truth and pages stay within the per-width limits', async () => {
    const hourly = await read(config({ start_date: '2025-10-01', end_date: '2025-10-10', bucket_width: '1h' }), ['usage_messages']);
    ok(hourly.result, ['usage_messages']);
    expectExact(hourly.result, 'usage_messages', fake.org.expectedUsageMessages(day('2025-10-01'), day('2025-10-11'), '1h'));
    expect(hourly.requests.map((r) => Number(r.query.get('limit'))).sort((a, b) => a - b)).toEqual([72, 168]);
    expect(hourly.requests.every((r) => r.query.get('bucket_width') === '1h')).toBe(true);

    const minutes = await read(config({ start_date: '2025-10-01', end_date: '2025-10-02', bucket_width: '1m' }), ['usage_messages']);
    ok(minutes.result, ['usage_messages']);
    expectExact(minutes.result, 'usage_messages', fake.org.expectedUsageMessages(day('2025-10-01'), day('2025-10-03'), '1m'));
    expect(minutes.requests.map((r) => r.query.get('limit'))).toEqual(['1440', '1440']);
  });

  it('given a custom group_by per stream when reading then exactly those dimensions are requested and the rows aggregate accordingly', async () => {
    const cfg = config({ end_date: '2025-09-20', group_by: { cost_report: ['workspace_id'], usage_messages: ['model'] } });
    const { result, requests } = await read(cfg, ['cost_report', 'usage_messages']);
    ok(result, ['cost_report', 'usage_messages']);
    expectExact(result, 'cost_report', fake.org.expectedCostReport(FIRST, day('2025-09-21'), ['workspace_id']));
    expectExact(result, 'usage_messages', fake.org.expectedUsageMessages(FIRST, day('2025-09-21'), '1d', ['model']));
    expect(requests.filter((r) => at(r, 'cost_report')).every((r) => r.query.getAll('group_by[]').join() === 'workspace_id')).toBe(true);
    expect(records(result.messages, 'cost_report').every((r) => r.description === null && r.model === null)).toBe(true);
  });

  it('given the default config and an API that refuses more than 5 group_by[] values when reading usage_messages then the five cost-allocation dimensions are requested and the records equal the ground truth exactly', async () => {
    const { result, requests } = await read(config({ end_date: '2025-09-30' }), ['usage_messages']);
    ok(result, ['usage_messages']);
    expectExact(result, 'usage_messages', fake.org.expectedUsageMessages(FIRST, day('2025-10-01'), '1d', DEFAULT_GROUP_BY));
    expect(records(result.messages, 'usage_messages').length).toBeGreaterThan(0);
    expect(requests.length).toBeGreaterThan(0);
    for (const r of requests) expect(r.query.getAll('group_by[]')).toEqual(['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window']);
    // Not grouped by, so null in every record.
    for (const r of records(result.messages, 'usage_messages')) expect([r.account_id, r.service_account_id, r.inference_geo]).toEqual([null, null, null]);
  });

  it('given groupings of at most 5 that together cover every dimension when reading then ids are unique, records equal the ground truth, and for each dimension two rows of one bucket differ in it alone', async () => {
    const groupings = [DEFAULT_GROUP_BY, ['account_id', 'service_account_id', 'inference_geo', 'model', 'workspace_id']] as const;
    expect(new Set(groupings.flat())).toEqual(new Set(MESSAGES_DIMS));
    /** Per dimension, whether two rows of one bucket differ in that dimension and in no other. */
    const loneDifferences = (rows: ReadonlyArray<Record<string, unknown>>, dims: readonly string[]): Set<string> => {
      const found = new Set<string>();
      for (const [i, a] of rows.entries()) {
        for (const b of rows.slice(i + 1)) {
          if (a.starting_at !== b.starting_at) continue;
          const differ = dims.filter((d) => a[d] !== b[d]);
          if (differ.length === 1) found.add(differ[0] as string);
        }
      }
      return found;
    };
    const end = day('2025-10-16');
    for (const groupBy of groupings) {
      const cfg = config({ start_date: '2025-09-01', end_date: '2025-10-15', group_by: { usage_messages: [...groupBy] } });
      const { result, requests } = await read(cfg, ['usage_messages']);
      ok(result, ['usage_messages']);
      for (const r of requests) expect(r.query.getAll('group_by[]')).toEqual([...groupBy]);
      const rows = records(result.messages, 'usage_messages');
      expectExact(result, 'usage_messages', fake.org.expectedUsageMessages(FIRST, end, '1d', groupBy));
      expect(new Set(rows.map((r) => r.id)).size, groupBy.join()).toBe(rows.length);
      // All eight dimension columns are compared: those not grouped by are null on both sides.
      expect([...loneDifferences(rows, MESSAGES_DIMS)].sort(), groupBy.join()).toEqual([...groupBy].sort());
    }
    // cost_report: its two dimensions, the same way (the parsed fields follow description).
    const { result } = await read(config({ end_date: '2025-10-15' }), ['cost_report']);
    ok(result, ['cost_report']);
    const costs = records(result.messages, 'cost_report');
    expectExact(result, 'cost_report', fake.org.expectedCostReport(FIRST, end));
    expect(new Set(costs.map((r) => r.id)).size).toBe(costs.length);
    expect([...loneDifferences(costs, ['workspace_id', 'description'])].sort()).toEqual(['description', 'workspace_id']);
  });

  it('given records paginated over several pages (claude_code) when read with decode_threads 2 and 0 then the RECORD and STATE lines are byte for byte the same and equal the ground truth', async () => {
    const paged = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: KEY, recordPageCap: 3 });
    await paged.start();
    try {
      const read2 = async (threads: number) => {
        const { result, requests } = await read(config({ end_date: '2025-09-20', decode_threads: threads }, paged), ['usage_claude_code'], { server: paged });
        ok(result, ['usage_claude_code']);
        const workers = ofType(result.messages, 'LOG').filter((m) => /worker thread/.test(m.log.message as string));
        return { result, requests, workers: workers.length, lines: dataLines(result.stdout) };
      };
      const [onWorkers, onMain] = [await read2(2), await read2(0)];
      expect([onWorkers.workers, onMain.workers]).toEqual([1, 0]);
      expect(onWorkers.requests.filter((r) => r.query.has('page')).length).toBeGreaterThan(0);
      expect(onWorkers.lines.length).toBeGreaterThan(20);
      expect(onWorkers.lines).toEqual(onMain.lines);
      expectExact(onWorkers.result, 'usage_claude_code', paged.org.expectedClaudeCode(FIRST, day('2025-09-21')));
    } finally {
      await paged.stop();
    }
  });

  it('given a server with short pages when reading every stream then grouped cursors, record cursors and after_id are followed with identical queries and the output is exact', async () => {
    const paged = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: KEY, bucketPageCap: 4, recordPageCap: 3, listPageCap: 4 });
    await paged.start();
    try {
      const { result, requests } = await read(config({ end_date: '2025-09-30' }, paged), ALL, { server: paged });
      ok(result, ALL);
      const end = day('2025-10-01');
      expectExact(result, 'cost_report', paged.org.expectedCostReport(FIRST, end));
      expectExact(result, 'usage_messages', paged.org.expectedUsageMessages(FIRST, end));
      expectExact(result, 'usage_claude_code', paged.org.expectedClaudeCode(FIRST, end));
      expectExact(result, 'workspaces', paged.org.expectedWorkspaces());
      expectExact(result, 'api_keys', paged.org.expectedApiKeys());
      expectExact(result, 'users', paged.org.expectedUsers());
      for (const path of ['cost_report', 'usage_report/messages', 'usage_report/claude_code']) {
        const mine = requests.filter((r) => at(r, path));
        const follow = mine.filter((r) => r.query.has('page'));
        expect(follow.length, path).toBeGreaterThan(0);
        for (const r of follow) {
          const q = new URLSearchParams(r.query);
          q.delete('page');
          // The same query as one of the first pages, plus the cursor.
          expect(
            mine.some((f) => !f.query.has('page') && new URLSearchParams(f.query).toString() === q.toString()),
            path,
          ).toBe(true);
        }
      }
      expect(requests.filter((r) => at(r, 'users') && r.query.has('after_id')).length).toBe(Math.ceil(paged.org.users.length / 4) - 1);
    } finally {
      await paged.stop();
    }
  });

  it('given an incremental read when reading again with its last states then only the lookback window is re-read and re-emitted', async () => {
    const first = await read(config(), REPORTS);
    ok(first.result, REPORTS);
    for (const s of REPORTS) {
      expect(states(first.result.messages, s).at(-1)?.state.stream.stream_state, s).toEqual({
        version: 2,
        covered_from: day('2025-09-01'),
        cursor: day('2025-10-31'),
      });
    }
    const second = await read(config({ lookback_days: 3 }), REPORTS, { state: lastStates(first.result.messages) });
    ok(second.result, REPORTS);
    const from = day('2025-10-28');
    const end = day('2025-10-31');
    expectExact(second.result, 'cost_report', fake.org.expectedCostReport(from, end));
    expectExact(second.result, 'usage_messages', fake.org.expectedUsageMessages(from, end));
    expectExact(second.result, 'usage_claude_code', fake.org.expectedClaudeCode(from, end));
    expect(second.requests.filter((r) => at(r, 'cost_report')).map((r) => [r.query.get('starting_at'), r.query.get('ending_at')])).toEqual([
      ['2025-10-28T00:00:00Z', '2025-10-31T00:00:00Z'],
    ]);
    expect(
      second.requests
        .filter((r) => at(r, 'usage_report/claude_code'))
        .map((r) => r.query.get('starting_at'))
        .sort(),
    ).toEqual(['2025-10-28', '2025-10-29', '2025-10-30']);
    for (const s of REPORTS)
      expect(states(second.result.messages, s).at(-1)?.state.stream.stream_state, s).toEqual({ version: 2, covered_from: day('2025-09-01'), cursor: end });
  });

  it('given no end_date when reading up to now then cost_report never asks for today (an unfinished day) while usage includes it, and every cursor stops at the start of today', async () => {
    const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
    const live = new FakeAnthropic({ firstDay: today - 9 * DAY, days: 10, adminKey: KEY, emptyEvery: 0 });
    await live.start();
    try {
      const cfg = { admin_api_key: KEY, start_date: isoTime(today - 9 * DAY).slice(0, 10), base_url: live.baseUrl };
      const { result, requests } = await read(cfg, REPORTS, { server: live });
      ok(result, REPORTS);
      const costs = requests.filter((r) => at(r, 'cost_report'));
      expect(costs.length).toBeGreaterThan(0);
      for (const r of costs) expect(Date.parse(r.query.get('ending_at') as string) / 1000).toBeLessThanOrEqual(today);
      const now = Math.floor(Date.now() / 1000 / DAY) * DAY; // the test may straddle midnight
      expect([today, now]).toContain(Math.max(...records(result.messages, 'cost_report').map((r) => Date.parse(r.starting_at as string) / 1000)) + DAY);
      expectExact(result, 'cost_report', live.org.expectedCostReport(today - 9 * DAY, today));
      expect(records(result.messages, 'usage_messages').some((r) => r.starting_at === isoTime(today))).toBe(true);
      expectExact(result, 'usage_claude_code', live.org.expectedClaudeCode(today - 9 * DAY, today + DAY));
      for (const s of REPORTS) expect([today, now]).toContain(states(result.messages, s).at(-1)?.state.stream.stream_state.cursor);
    } finally {
      await live.stop();
    }
  });
});

describe('source-anthropic-costs faults', () => {
  it('given a 429 with retry-after when reading then it is retried and the output stays exact', async () => {
    fake.fault({ fault: rateLimitFault(1), path: 'cost_report', times: 1 });
    try {
      const { result, requests } = await read(config({ end_date: '2025-09-10' }), ['cost_report']);
      ok(result, ['cost_report']);
      expectExact(result, 'cost_report', fake.org.expectedCostReport(FIRST, day('2025-09-11')));
      expect(requests).toHaveLength(2);
      const limited = ofType(result.messages, 'TRACE').filter((m) => m.trace.stream_status?.reasons?.[0]?.type === 'RATE_LIMITED');
      expect(limited.length).toBeGreaterThan(0);
    } finally {
      fake.clearFaults();
    }
  });

  it('given the cost report answers "Invalid date range" with x-should-retry false when reading then a one-day window is not retried and a longer one is halved down to single days, never looping', async () => {
    fake.fault({ fault: invalidDateRangeFault(), path: 'cost_report', times: 100 });
    try {
      const one = await read(config({ start_date: '2025-09-05', end_date: '2025-09-05' }), ['cost_report']);
      expect(one.result.code).toBe(1);
      assertProtocol(one.result, { streams: ['cost_report'], expectComplete: false });
      expect(one.requests).toHaveLength(1);
      expect(statuses(one.result.messages, 'cost_report').at(-1)).toBe('INCOMPLETE');
      const [error] = errors(one.result.messages);
      expect(error?.trace.error.failure_type).toBe('system_error');
      expect(error?.trace.error.message).toContain(INVALID_DATE_RANGE);

      const many = await read(config({ start_date: '2025-09-01', end_date: '2025-09-08' }), ['cost_report']);
      expect(many.result.code).toBe(1);
      expect(records(many.result.messages)).toHaveLength(0);
      // 8 days -> 4 -> 2 -> 1: one request per level, then the single day fails for good.
      expect(many.requests).toHaveLength(4);
      expect(many.requests.map((r) => r.query.get('limit'))).toEqual(['8', '4', '2', '1']);
    } finally {
      fake.clearFaults();
    }
  });

  it('given a regular API key when reading then one TRACE ERROR config_error asks for an Admin key (sk-ant-admin...) before any request, the key is not printed and the exit is non-zero', async () => {
    const wrong = 'sk-ant-api03-NOT-AN-ADMIN-KEY-0123456789';
    const { result, requests } = await read(config({ admin_api_key: wrong }), ['cost_report', 'users']);
    expect(result.code).toBe(1);
    assertProtocol(result, { streams: [] });
    expect(requests).toHaveLength(0);
    const errs = errors(result.messages);
    expect(errs.map((e) => e.trace.error.failure_type)).toEqual(['config_error']);
    expect(errs[0]?.trace.error.message).toContain('create an Admin API key (sk-ant-admin...)');
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it('given a group_by value the stream does not accept when reading then the config is refused before any request', async () => {
    const before = fake.requests.length;
    const { result } = await read(config({ group_by: { cost_report: ['model'] } }), ['cost_report']);
    expect(result.code).toBe(1);
    const [error] = errors(result.messages);
    expect(error?.trace.error.failure_type).toBe('config_error');
    expect(error?.trace.error.message).toContain('group_by.cost_report accepts only workspace_id, description');
    expect(fake.requests.length).toBe(before);
  });
  it('given group_by.usage_messages with 6 dimensions when checking then FAILED names the limit of 5 and the field; when reading then config_error, exit 1 and no request', async () => {
    const six = config({ group_by: { usage_messages: ['api_key_id', 'workspace_id', 'account_id', 'model', 'service_tier', 'context_window'] } });
    const before = fake.requests.length;
    const check = await cli(['check', '--config', files({ 'c.json': six })['c.json'] as string]);
    expect(check.code).toBe(0);
    assertProtocol(check, { streams: [] });
    const [status] = ofType(check.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toBe(
      'Config validation error: group_by.usage_messages: lists 6 dimensions but Anthropic takes at most 5 group_by[] values; keep at most 5 of api_key_id, workspace_id, account_id, service_account_id, model, service_tier, context_window, inference_geo.',
    );

    const { result } = await read(six, ['usage_messages']);
    expect(result.code).toBe(1);
    assertProtocol(result, { streams: [], expectComplete: false });
    const errs = errors(result.messages);
    expect(errs).toHaveLength(1);
    expect(errs[0]?.trace.error.failure_type).toBe('config_error');
    expect(errs[0]?.trace.error.message).toBe(status?.connectionStatus.message);
    expect(records(result.messages)).toHaveLength(0);
    expect(fake.requests.length).toBe(before);
  });

  it('given an API whose group_by[] cap is below the grouping (a future cap of 4) when reading then the stream fails at once with a one-line config_error quoting Anthropic and naming group_by.usage_messages, after one request, not halved', async () => {
    const strict = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: KEY, maxGroupBy: 4 });
    await strict.start();
    try {
      const { result, requests } = await read(config({ end_date: '2025-09-20' }, strict), ['cost_report', 'usage_messages'], { server: strict });
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['cost_report', 'usage_messages'], expectComplete: false });
      expect(statuses(result.messages, 'cost_report').at(-1)).toBe('COMPLETE');
      expect(statuses(result.messages, 'usage_messages').at(-1)).toBe('INCOMPLETE');
      expect(records(result.messages, 'usage_messages')).toHaveLength(0);
      const messages = requests.filter((r) => at(r, 'usage_report/messages'));
      expect(messages).toHaveLength(1);
      expect(messages[0]?.query.get('limit')).toBe('20');
      const [error] = errors(result.messages);
      expect(error?.trace.error.failure_type).toBe('config_error');
      const text = error?.trace.error.message as string;
      expect(text).not.toContain('\n');
      expect(text).toMatch(
        /^Anthropic refused the grouping of usage_messages \(api_key_id, workspace_id, model, service_tier, context_window\): "Cannot specify more than 4 group_by\[\] dimensions\." \(request_id req_\w+\); set group_by\.usage_messages in the config to at most 4 of api_key_id, workspace_id, account_id, service_account_id, model, service_tier, context_window, inference_geo\.$/,
      );
    } finally {
      await strict.stop();
    }
  });
});

describe('the fake Anthropic Admin API reproduces the live limits', () => {
  const HEADERS = { 'x-api-key': KEY, 'anthropic-version': ANTHROPIC_VERSION };
  async function raw(path: string, params: Array<[string, string]>, headers: Record<string, string> = HEADERS) {
    const res = await fetch(`${fake.baseUrl}/v1/organizations/${path}?${new URLSearchParams(params)}`, { headers });
    const body = (await res.json()) as Record<string, unknown>;
    return { status: res.status, headers: res.headers, body };
  }
  /** Anthropic's 400 with its request id in the body and the `request-id` header. */
  const expectRefused = (r: Awaited<ReturnType<typeof raw>>, message: string, type = 'invalid_request_error'): void => {
    expect(r.body).toEqual({ type: 'error', error: { type, message }, request_id: expect.stringMatching(/^req_\w+$/) });
    expect(r.headers.get('request-id')).toBe(r.body.request_id);
  };
  const days = (from: string, n: number): Array<[string, string]> => [
    ['starting_at', `${from}T00:00:00Z`],
    ['ending_at', isoTime(day(from) + n * DAY)],
  ];

  it("given 6 group_by[] values when asking usage_report/messages then 400 with exactly Anthropic's body; 5 are served", async () => {
    expect(MAX_GROUP_BY).toBe(5);
    const six = ['api_key_id', 'workspace_id', 'account_id', 'model', 'service_tier', 'context_window'].map((g): [string, string] => ['group_by[]', g]);
    const refused = await raw('usage_report/messages', [...days('2025-09-01', 2), ...six]);
    expect(refused.status).toBe(400);
    expectRefused(refused, 'Cannot specify more than 5 group_by[] dimensions.');
    expect(tooManyGroupBy(5)).toBe('Cannot specify more than 5 group_by[] dimensions.');
    const five = await raw('usage_report/messages', [...days('2025-09-01', 2), ...six.slice(0, 5)]);
    expect(five.status).toBe(200);
    expect((five.body.data as unknown[]).length).toBe(2);
  });

  it('given a limit outside 1-31 when asking cost_report then 400; 31 is served', async () => {
    for (const limit of ['0', '32']) {
      const r = await raw('cost_report', [...days('2025-09-01', 31), ['limit', limit]]);
      expect(r.status, limit).toBe(400);
      expectRefused(r, `limit: Input should be between 1 and 31, got ${limit}`);
    }
    expect((await raw('cost_report', [...days('2025-09-01', 31), ['limit', '31']])).status).toBe(200);
  });

  it('given a limit above the maximum of its bucket_width when asking usage_report/messages then 400 (1d 31, 1h 168, 1m 1440); the maximum is served', async () => {
    for (const width of ['1d', '1h', '1m'] as const) {
      const { max } = MESSAGES_LIMITS[width];
      const q = (limit: number): Array<[string, string]> => [
        ['starting_at', '2025-09-01T00:00:00Z'],
        ['ending_at', '2025-10-15T00:00:00Z'],
        ['bucket_width', width],
        ['limit', String(limit)],
      ];
      expectRefused(await raw('usage_report/messages', q(max + 1)), `limit: Input should be between 1 and ${max}, got ${max + 1}`);
      const served = await raw('usage_report/messages', q(max));
      expect(served.status, width).toBe(200);
      expect((served.body.data as unknown[]).length, width).toBe(max);
    }
    expect([MESSAGES_LIMITS['1d'].max, MESSAGES_LIMITS['1h'].max, MESSAGES_LIMITS['1m'].max]).toEqual([31, 168, 1440]);
  });

  it('given a limit outside 1-1000 or a starting_at that is not one UTC day when asking usage_report/claude_code then 400; 1000 records of one day are served', async () => {
    for (const limit of ['0', '1001'])
      expectRefused(
        await raw('usage_report/claude_code', [
          ['starting_at', '2025-09-01'],
          ['limit', limit],
        ]),
        `limit: Input should be between 1 and 1000, got ${limit}`,
      );
    expectRefused(
      await raw('usage_report/claude_code', [['starting_at', '2025-09-01T00:00:00Z']]),
      "starting_at: String should match pattern '^\\d{4}-\\d{2}-\\d{2}$', got '2025-09-01T00:00:00Z'",
    );
    expectRefused(
      await raw('usage_report/claude_code', [
        ['starting_at', '2025-09-01'],
        ['ending_at', '2025-09-03'],
      ]),
      'ending_at: Extra inputs are not permitted',
    );
    expect(
      (
        await raw('usage_report/claude_code', [
          ['starting_at', '2025-09-01'],
          ['limit', '1000'],
        ])
      ).status,
    ).toBe(200);
  });

  it('given a cost_report range that is not whole finished UTC days, or starts too recently, then 400 "Invalid date range" with x-should-retry false', async () => {
    const now = Math.floor(Date.now() / 1000);
    const today = Math.floor(now / DAY) * DAY;
    const ranges: Array<Array<[string, string]>> = [
      [
        ['starting_at', '2025-09-01T00:00:00Z'],
        ['ending_at', '2025-09-01T23:59:59Z'],
      ], // constructorfabric/insight#1901
      [
        ['starting_at', '2025-09-01T06:00:00Z'],
        ['ending_at', '2025-09-03T00:00:00Z'],
      ],
      [
        ['starting_at', isoTime(today - DAY)],
        ['ending_at', isoTime(today + DAY)],
      ], // today is unfinished
      [['starting_at', isoTime(now - DAY)]], // "24 hours ago" with no ending_at: langwatch/langwatch#7177
      [['starting_at', isoTime(today)]],
    ];
    for (const q of ranges) {
      const r = await raw('cost_report', q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expectRefused(r, INVALID_DATE_RANGE);
      expect(r.headers.get('x-should-retry')).toBe('false');
    }
    expect(
      (
        await raw('cost_report', [
          ['starting_at', isoTime(today - DAY)],
          ['ending_at', isoTime(today)],
        ])
      ).status,
    ).toBe(200);
  });

  it('given a request without anthropic-version then 400 "anthropic-version: header is required"', async () => {
    const r = await raw('users', [['limit', '1']], { 'x-api-key': KEY });
    expect(r.status).toBe(400);
    expectRefused(r, 'anthropic-version: header is required');
    expect((await raw('users', [['limit', '1']])).status).toBe(200);
  });

  it('given group_by[]=speed without the fast-mode beta header then 400; with it the request is served', async () => {
    const q: Array<[string, string]> = [...days('2025-10-01', 2), ['group_by[]', 'speed']];
    expectRefused(await raw('usage_report/messages', q), `Grouping or filtering by speed requires the anthropic-beta: ${FAST_MODE_BETA} header`);
    expect((await raw('usage_report/messages', q, { ...HEADERS, 'anthropic-beta': FAST_MODE_BETA })).status).toBe(200);
  });

  it('given a group_by[] value the endpoint does not support then 400 naming the allowed values', async () => {
    expectRefused(
      await raw('cost_report', [...days('2025-09-01', 2), ['group_by[]', 'model']]),
      "group_by[]: Input should be 'description' or 'workspace_id', got 'model'",
    );
    expectRefused(
      await raw('usage_report/messages', [...days('2025-09-01', 2), ['group_by[]', 'description']]),
      "group_by[]: Input should be 'account_id', 'api_key_id', 'context_window', 'inference_geo', 'model', 'service_account_id', 'service_tier', 'speed', 'workspace_id', got 'description'",
    );
  });

  it('given the rate-limit fault then 429 rate_limit_error with retry-after in seconds', async () => {
    fake.fault({ fault: rateLimitFault(3), path: 'users', times: 1 });
    try {
      const r = await raw('users', [['limit', '1']]);
      expect(r.status).toBe(429);
      expectRefused(r, 'Number of requests has exceeded your rate limit. Please try again later.', 'rate_limit_error');
      expect(r.headers.get('retry-after')).toBe('3');
      expect((await raw('users', [['limit', '1']])).status).toBe(200);
    } finally {
      fake.clearFaults();
    }
  });
});

describe('source-anthropic-costs spec, check and discover', () => {
  it('given spec when run then exactly one SPEC equal to the generated spec.json, with the key secret and no $ref', async () => {
    const result = await cli(['spec']);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    expect(result.messages).toHaveLength(1);
    const spec = result.messages[0]?.spec;
    expect(spec).toEqual(JSON.parse(readFileSync(join(DIR, 'spec.json'), 'utf8')));
    expect(JSON.stringify(spec)).not.toContain('$ref');
    const props = spec.connectionSpecification.properties;
    expect(props.admin_api_key.airbyte_secret).toBe(true);
    expect(spec.connectionSpecification.required).toEqual(['admin_api_key']);
    expect(Object.keys(props)).toEqual(
      expect.arrayContaining([
        'admin_api_key',
        'start_date',
        'end_date',
        'lookback_days',
        'base_url',
        'group_by',
        'bucket_width',
        'request_timeout_seconds',
        'max_retries',
        'max_concurrent_requests',
        'requests_per_minute',
      ]),
    );
    expect(props.base_url.default).toBe('https://api.anthropic.com');
  });

  it('given a good key when checking then SUCCEEDED; given a bad key then FAILED naming the Admin key, exit 0 both times', async () => {
    const good = await cli(['check', '--config', files({ 'c.json': config() })['c.json'] as string]);
    expect(good.code).toBe(0);
    assertProtocol(good, { streams: [] });
    expect(ofType(good.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status)).toEqual(['SUCCEEDED']);
    const bad = await cli(['check', '--config', files({ 'c.json': config({ admin_api_key: 'sk-ant-admin01-revoked-000' }) })['c.json'] as string]);
    expect(bad.code).toBe(0);
    const [status] = ofType(bad.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toContain('sk-ant-admin');
    expect(bad.stdout).not.toContain('sk-ant-admin01-revoked-000');
  });

  it('given discover when run then one CATALOG with the reports incremental on starting_at, spend on ChargePeriodStart and the entities full refresh, schemas equal to the generated files', async () => {
    const result = await cli(['discover', '--config', files({ 'c.json': config() })['c.json'] as string]);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    const [cat] = ofType(result.messages, 'CATALOG');
    const streams = cat?.catalog.streams as Array<Record<string, unknown>>;
    // The analytics streams (test/e2e/anthropic-analytics.test.ts) come first, then the legacy reports (spend, FOCUS 1.3, after cost_report) and the entities.
    const analytics = ['analytics_cost', 'analytics_usage'];
    expect(streams.map((s) => s.name)).toEqual([...analytics, ...CATALOG]);
    const schemaOf = (name: string): unknown => schemas[name] ?? JSON.parse(readFileSync(join(DIR, 'schemas', `${name}.json`), 'utf8'));
    for (const s of streams) {
      expect(s.json_schema).toEqual(schemaOf(s.name as string));
      if (s.name === 'spend') {
        expect(s).toMatchObject({
          supported_sync_modes: ['full_refresh', 'incremental'],
          source_defined_cursor: true,
          default_cursor_field: ['ChargePeriodStart'],
          source_defined_primary_key: [['x_RecordId']],
        });
        continue;
      }
      expect(s.source_defined_primary_key).toEqual([['id']]);
      if ([...REPORTS, ...analytics].includes(s.name as string)) {
        expect(s).toMatchObject({
          supported_sync_modes: ['full_refresh', 'incremental'],
          source_defined_cursor: true,
          default_cursor_field: ['starting_at'],
          is_resumable: true,
        });
      } else {
        expect(s.supported_sync_modes).toEqual(['full_refresh']);
      }
    }
  });
});
