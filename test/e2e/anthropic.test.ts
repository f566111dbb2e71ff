import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, ROOT, catalog, errors, files, lastStates, ofType, records, run, states, statuses, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { DAY, FakeAnthropic, INVALID_DATE_RANGE, MESSAGES_DIMS, PLANTED_AMOUNTS, invalidDateRangeFault, rateLimitFault, type Expected } from '../fake/anthropic.js';
import type { LoggedRequest } from '../fake/server.js';

/**
 * source-anthropic-costs against the fake Anthropic Admin API (issue 6). Every run uses a
 * sentinel admin key; every output of every scenario is searched for it at the end.
 */
const KEY = 'sk-ant-admin01-E2E-SENTINEL-9f8e7d6c5b4a';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 60; // through 2025-10-30
const DIR = join(ROOT, 'connectors/source-anthropic-costs');
const REPORTS = ['cost_report', 'usage_messages', 'usage_claude_code'] as const;
const ENTITIES = ['workspaces', 'api_keys', 'users'] as const;
const ALL = [...REPORTS, ...ENTITIES];
const schemas = Object.fromEntries(ALL.map((s) => [s, JSON.parse(readFileSync(join(DIR, 'schemas', `${s}.json`), 'utf8')) as Record<string, unknown>]));
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

/** Rows without id, keys sorted, in a canonical order: exact comparison with ground truth. */
function canon(rows: ReadonlyArray<Record<string, unknown>>): Expected[] {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sortKeys) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])])) : v;
  return rows
    .map(({ id: _id, ...rest }) => sortKeys(rest) as Expected)
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

function expectExact(result: RunResult, stream: string, expected: Expected[]): void {
  expect(canon(records(result.messages, stream)), stream).toEqual(canon(expected));
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
    const spans = costs.map((r) => [Date.parse(r.query.get('starting_at') as string) / 1000, Date.parse(r.query.get('ending_at') as string) / 1000] as const).sort((a, b) => a[0] - b[0]);
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
    // usage_messages: grouped by every dimension that needs no beta header.
    for (const r of requests.filter((x) => at(x, 'usage_report/messages'))) {
      expect(r.query.getAll('group_by[]')).toEqual([...MESSAGES_DIMS]);
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
    expect(after.every((r) => typeof r.cache_creation_ephemeral_5m_input_tokens === 'number' && typeof r.server_tool_use_web_search_requests === 'number')).toBe(true);
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
          expect(mine.some((f) => !f.query.has('page') && new URLSearchParams(f.query).toString() === q.toString()), path).toBe(true);
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
      expect(states(first.result.messages, s).at(-1)?.state.stream.stream_state, s).toEqual({ version: 2, covered_from: day('2025-09-01'), cursor: day('2025-10-31') });
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
    expect(second.requests.filter((r) => at(r, 'usage_report/claude_code')).map((r) => r.query.get('starting_at')).sort()).toEqual(['2025-10-28', '2025-10-29', '2025-10-30']);
    for (const s of REPORTS) expect(states(second.result.messages, s).at(-1)?.state.stream.stream_state, s).toEqual({ version: 2, covered_from: day('2025-09-01'), cursor: end });
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
    expect(spec.connectionSpecification.required).toEqual(['admin_api_key', 'start_date']);
    expect(Object.keys(props)).toEqual(
      expect.arrayContaining(['admin_api_key', 'start_date', 'end_date', 'lookback_days', 'base_url', 'group_by', 'bucket_width', 'request_timeout_seconds', 'max_retries', 'max_concurrent_requests', 'requests_per_minute']),
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

  it('given discover when run then one CATALOG with the reports incremental on starting_at and the entities full refresh, schemas equal to the generated files', async () => {
    const result = await cli(['discover', '--config', files({ 'c.json': config() })['c.json'] as string]);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    const [cat] = ofType(result.messages, 'CATALOG');
    const streams = cat?.catalog.streams as Array<Record<string, unknown>>;
    expect(streams.map((s) => s.name)).toEqual(ALL);
    for (const s of streams) {
      expect(s.json_schema).toEqual(schemas[s.name as string]);
      expect(s.source_defined_primary_key).toEqual([['id']]);
      if ((REPORTS as readonly string[]).includes(s.name as string)) {
        expect(s).toMatchObject({ supported_sync_modes: ['full_refresh', 'incremental'], source_defined_cursor: true, default_cursor_field: ['starting_at'], is_resumable: true });
      } else {
        expect(s.supported_sync_modes).toEqual(['full_refresh']);
      }
    }
  });
});
