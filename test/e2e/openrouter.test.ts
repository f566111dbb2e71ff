import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, errors, files, lastStates, ofType, records, run, type RunResult } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { query, runCli } from '../support/warehouse.js';
import { DAY, FakeOpenRouter, FORBIDDEN_MESSAGE, WINDOW_MESSAGE } from '../fake/openrouter.js';
import { decimalOf } from '../support/number-text.js';

/**
 * source-openrouter-costs against the fake OpenRouter management API (test/fake/openrouter.ts), unkind by
 * default (429 and 408 on analytics, an HTML 524 on /activity, float noise, exponent amounts, string
 * counts, both analytics time keys). The fake's window moves with the clock, so the days are relative to
 * today. Every run uses a sentinel key; every output is searched for it at the end.
 */
const KEY = 'sk-or-v1-SENTINEL-9c8b7a6d5e4f';
const INFERENCE_KEY = 'sk-or-v1-INFERENCE-1a2b3c4d5e6f';
const DIR = CONTRACTS.openrouter;
const schemaOf = (stream: string) => JSON.parse(readFileSync(join(DIR, `schemas/${stream}.json`), 'utf8')) as Record<string, unknown>;
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const outputs: Array<{ stdout: string; stderr: string }> = [];

let fake: FakeOpenRouter;
beforeAll(async () => {
  fake = new FakeOpenRouter({ keys: [KEY], inferenceKeys: [INFERENCE_KEY] });
  await fake.start();
});
afterAll(() => fake.stop());

const config = (extra: Record<string, unknown> = {}, server: FakeOpenRouter = fake) => ({
  management_key: KEY,
  start_date: isoDay(TODAY - 45 * DAY),
  base_url: server.baseUrl,
  ...extra,
});

async function read(
  cfg: Record<string, unknown>,
  streams: string[],
  o: { mode?: 'incremental' | 'full_refresh'; state?: unknown; server?: FakeOpenRouter } = {},
) {
  const server = o.server ?? fake;
  const f = files({
    'c.json': cfg,
    'cat.json': catalog(streams.map((name) => ({ name, mode: o.mode ?? 'full_refresh' }))),
    ...(o.state ? { 's.json': o.state } : {}),
  });
  const args = ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, ...(f['s.json'] ? ['--state', f['s.json']] : [])];
  const before = server.requests.length;
  const result = await run(BINS.openrouter, args);
  outputs.push(result);
  return { result, requests: server.requests.slice(before) };
}

function expectOk(result: RunResult, streams: string[]): void {
  expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
  assertProtocol(result, { streams, schemas: Object.fromEntries(streams.map((s) => [s, schemaOf(s)])) });
}

/** The activity records without their bucket times (the ground truth names the day by `date`). */
const activityOf = (result: RunResult) => withoutIds(records(result.messages, 'activity').map(({ start_time: _s, end_time: _e, ...r }) => r));

describe('source-openrouter-costs activity stream', () => {
  it('given 45 days when reading then the records equal the ledger exactly: the last 30 completed days from /activity (one request per day, never today), the 15 before from analytics per model', async () => {
    const throttled = new FakeOpenRouter({ keys: [KEY] });
    await throttled.start();
    try {
      const { result, requests } = await read(config({}, throttled), ['activity'], { server: throttled });
      expectOk(result, ['activity']);
      const expected = withoutIds(throttled.expectedActivity(TODAY - 45 * DAY, TODAY));
      expect(expected.length).toBeGreaterThan(100);
      expect(activityOf(result)).toEqual(expected);
      // One source per day, never both.
      const sources = new Map<string, Set<unknown>>();
      for (const r of records(result.messages, 'activity')) sources.set(String(r.date), (sources.get(String(r.date)) ?? new Set()).add(r.source));
      expect([...sources.values()].every((s) => s.size === 1)).toBe(true);
      expect(sources.get(isoDay(TODAY - 31 * DAY))).toEqual(new Set(['analytics']));
      expect(sources.get(isoDay(TODAY - 30 * DAY))).toEqual(new Set(['activity']));
      expect(sources.has(isoDay(TODAY))).toBe(false);
      // /activity: one date per request, the 30 days once each (the 524 retried), never today.
      const dates = requests.filter((q) => q.path === '/api/v1/activity').map((q) => q.query.get('date'));
      expect(new Set(dates)).toEqual(new Set(Array.from({ length: 30 }, (_, i) => isoDay(TODAY - (30 - i) * DAY))));
      expect(dates).toHaveLength(31); // one retried after the HTML 524
      // Analytics: the 429, the 408, then the query; the body as documented, end exclusive.
      const analytics = requests.filter((q) => q.path === '/api/v1/analytics/query');
      expect(analytics.map((q) => q.method)).toEqual(['POST', 'POST', 'POST']);
      expect(throttled.analyticsBodies).toEqual([
        {
          metrics: ['credits_usage', 'byok_usage', 'request_count', 'tokens_prompt', 'tokens_completion', 'reasoning_tokens'],
          dimensions: ['model'],
          granularity: 'day',
          time_range: { start: `${isoDay(TODAY - 45 * DAY)}T00:00:00Z`, end: `${isoDay(TODAY - 30 * DAY)}T00:00:00Z` },
          limit: 1000,
        },
      ]);
      expect(result.stdout).toContain('HTTP 429');
      expect(result.stdout).toContain('HTTP 524');
    } finally {
      await throttled.stop();
    }
  });

  it('given the ledger when read then amounts are the exact decimals of the JSON number text (exponent forms written out), usage and byok_usage_inference apart, reasoning above completion kept', async () => {
    const { result } = await read(config(), ['activity']);
    expectOk(result, ['activity']);
    const rows = records(result.messages, 'activity');
    const activity = rows.filter((r) => r.source === 'activity');
    // The fake sends tiny amounts in exponent form (2.5e-7): each comes out written out exactly.
    const tiny = fake.rows.filter((x) => x.day >= TODAY - 30 * DAY && x.day < TODAY && JSON.stringify(x.usage).includes('e-'));
    expect(tiny.length).toBeGreaterThan(0);
    for (const x of tiny) {
      const r = activity.find((a) => a.date === isoDay(x.day) && a.endpoint_id === x.endpoint_id);
      expect(r?.usage).toBe(decimalOf(x.usage));
      expect(String(r?.usage)).toMatch(/^0\.0000\d+$/);
    }
    expect(activity.some((r) => r.usage === '0.30000000000000004' || String(r.usage).length > 12)).toBe(true);
    expect(activity.some((r) => r.usage !== '0' && r.byok_usage_inference !== '0')).toBe(true);
    expect(activity.some((r) => Number(r.reasoning_tokens) > Number(r.completion_tokens))).toBe(true);
    // Analytics counts came as strings; they are integers here.
    expect(rows.filter((r) => r.source === 'analytics').every((r) => Number.isInteger(r.requests))).toBe(true);
  });

  it('given start_date 400 days ago when reading then the read starts at the 365-day floor and says so (WARN and TRACE ANALYTICS), a truncated analytics answer is split until whole, and nothing is missing', async () => {
    const before = fake.analyticsBodies.length;
    const { result } = await read(config({ start_date: isoDay(TODAY - 400 * DAY) }), ['activity'], { mode: 'incremental' });
    expectOk(result, ['activity']);
    const floor = TODAY - 365 * DAY;
    const warnings = ofType(result.messages, 'LOG')
      .filter((m) => m.log.level === 'WARN')
      .map((m) => String(m.log.message));
    expect(
      warnings.some((w) => w.includes(`the stream starts at ${isoDay(floor)}, without ${isoDay(TODAY - 400 * DAY)}..${isoDay(floor - DAY)}`)),
      warnings.join('\n'),
    ).toBe(true);
    expect(ofType(result.messages, 'TRACE').some((m) => m.trace.type === 'ANALYTICS')).toBe(true);
    expect(activityOf(result)).toEqual(withoutIds(fake.expectedActivity(floor, TODAY)));
    // 335 analytics days x about 5 models exceed the 1000-row limit: the query was split, never accepted truncated.
    const bodies = fake.analyticsBodies.slice(before) as Array<{ time_range: { start: string; end: string } }>;
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies[0]?.time_range).toEqual({ start: `${isoDay(floor)}T00:00:00Z`, end: `${isoDay(TODAY - 30 * DAY)}T00:00:00Z` });
    const state = lastStates(result.messages)[0] as { stream: { stream_state: { covered_from: number; cursor: number } } };
    expect(state.stream.stream_state.covered_from).toBe(floor);
  });

  it('given analytics limited to 1 request per 2 s (any two queries in a row collide) (a 429 with X-RateLimit-*, Retry-After every other time) when reading activity and spend over 400 days then every 429 is waited out and the records equal the ledger exactly', async () => {
    const limited = new FakeOpenRouter({ keys: [KEY], throttleAnalytics: false, cloudflare524: false, analyticsRateLimit: { limit: 1, windowMs: 2000 } });
    await limited.start();
    try {
      const { result } = await read(config({ start_date: isoDay(TODAY - 400 * DAY) }, limited), ['activity', 'spend'], { server: limited });
      expectOk(result, ['activity', 'spend']);
      expect(activityOf(result)).toEqual(withoutIds(limited.expectedActivity(TODAY - 365 * DAY, TODAY)));
      expect(records(result.messages, 'spend')).toHaveLength(records(result.messages, 'activity').length);
      // Both kinds of 429 were met: with Retry-After and without (the client's backoff).
      expect(limited.analyticsRateLimited).toBeGreaterThanOrEqual(2);
      expect(result.stdout).toContain('HTTP 429');
    } finally {
      await limited.stop();
    }
  }, 180_000);

  it('given an incremental read then a second read with lookback_days replaces the re-read days: the same ids, no new ones, and today is never read', async () => {
    const first = await read(config({ lookback_days: 5 }), ['activity'], { mode: 'incremental' });
    expectOk(first.result, ['activity']);
    const state = lastStates(first.result.messages);
    const second = await read(config({ lookback_days: 5 }), ['activity'], { mode: 'incremental', state });
    expectOk(second.result, ['activity']);
    const ids1 = new Set(records(first.result.messages, 'activity').map((r) => r.id));
    const ids2 = records(second.result.messages, 'activity').map((r) => r.id);
    expect(ids2.length).toBeGreaterThan(0);
    expect(ids2.every((id) => ids1.has(id))).toBe(true);
    const dates = second.requests.filter((q) => q.path === '/api/v1/activity').map((q) => q.query.get('date'));
    expect([...new Set(dates)].sort()).toEqual(Array.from({ length: 5 }, (_, i) => isoDay(TODAY - (5 - i) * DAY)));
  });
});

describe('source-openrouter-costs spend stream', () => {
  it('given 45 days when reading spend then each row is its activity row in FOCUS: BilledCost the usage exactly, OpenRouter the service provider and invoice issuer, the upstream the host, the BYOK estimate only in x_', async () => {
    const { result } = await read(config(), ['activity', 'spend']);
    expectOk(result, ['activity', 'spend']);
    // The activity the spend rows are compared with is the fake's ledger exactly.
    expect(activityOf(result)).toEqual(withoutIds(fake.expectedActivity(TODAY - 45 * DAY, TODAY)));
    const activity = new Map(records(result.messages, 'activity').map((r) => [r.id, r]));
    const spend = records(result.messages, 'spend');
    expect(spend).toHaveLength(activity.size);
    for (const s of spend) {
      const a = activity.get(s.x_RecordId) as Record<string, unknown>;
      expect(s.BilledCost).toBe(a.usage);
      expect(s.EffectiveCost).toBe(a.usage);
      expect(s.x_ByokInferenceCostEstimateUsd).toBe(a.byok_usage_inference);
      expect(s.ServiceProviderName).toBe('OpenRouter');
      expect(s.InvoiceIssuerName).toBe('OpenRouter');
      expect(s.HostProviderName).toBe(a.source === 'activity' ? a.provider_name : 'OpenRouter');
      expect(s.ConsumedQuantity).toBe(String(Number(a.prompt_tokens) + Number(a.completion_tokens)));
      expect(s.ConsumedUnit).toBe('Tokens');
      expect(s.ChargePeriodStart).toBe(`${a.date}T00:00:00Z`);
      expect(s.x_Source).toBe(a.source);
    }
    expect(new Set(spend.map((s) => s.HostProviderName))).toEqual(
      new Set(['OpenAI', 'Azure', 'Anthropic', 'Amazon Bedrock', 'Together', 'Google AI Studio', 'Chutes', 'OpenRouter']),
    );
  });

  it('given two syncs over overlapping days (lookback) when the table is read then it equals one sync: re-read days replace their rows, never add', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'or-sync-'));
    const db = join(dir, 'or.duckdb');
    const f = files({ 'c.json': config({ lookback_days: 7 }) });
    const totals = async () =>
      query(
        db,
        `SELECT count(*)::INTEGER AS n, sum(BilledCost::DECIMAL(38, 18))::VARCHAR AS billed, count(DISTINCT x_RecordId)::INTEGER AS ids FROM openrouter.spend`,
      );
    const one = await runCli(BINS.openrouter, ['sync', '--config', f['c.json'] as string, '--db', db, '--streams', 'activity,spend'], { timeoutMs: 120_000 });
    outputs.push(one);
    expect(one.code, one.stderr).toBe(0);
    const after1 = await totals();
    const two = await runCli(BINS.openrouter, ['sync', '--config', f['c.json'] as string, '--db', db, '--streams', 'activity,spend'], { timeoutMs: 120_000 });
    outputs.push(two);
    expect(two.code, two.stderr).toBe(0);
    expect(await totals()).toEqual(after1);
    const expected = fake.expectedActivity(TODAY - 45 * DAY, TODAY);
    expect(after1[0]?.n).toBe(expected.length);
    expect(after1[0]?.ids).toBe(expected.length);
    // The table's BilledCost total is the ledger's usage total exactly (at 24 decimals, in BigInt).
    const scaled = (t: string): bigint => {
      const [i = '0', f = ''] = t.split('.');
      return BigInt(i || '0') * 10n ** 24n + BigInt(f.padEnd(24, '0').slice(0, 24) || '0');
    };
    const ledger = expected.reduce((sum, r) => sum + scaled(String(r.usage)), 0n);
    const [table] = await query(db, 'SELECT sum(BilledCost::DECIMAL(38, 24))::VARCHAR AS billed FROM openrouter.spend');
    expect(scaled(String(table?.billed))).toBe(ledger);
    const activity = await query(db, 'SELECT count(*)::INTEGER AS n FROM openrouter.activity');
    expect(activity[0]?.n).toBe(expected.length);
  }, 240_000);
});

describe('source-openrouter-costs late changes', () => {
  it('given yesterday still settling at the first sync when a later sync re-reads it (lookback) then its rows are replaced by the settled amounts: the table equals the ledger, no row added', async () => {
    const late = new FakeOpenRouter({ keys: [KEY], lateChanges: true, now: () => TODAY * 1000 + 10 * 60_000 });
    await late.start();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'or-late-'));
      const db = join(dir, 'late.duckdb');
      const f = files({ 'c.json': config({ start_date: isoDay(TODAY - 10 * DAY), lookback_days: 2 }, late) });
      const sync = async () => {
        const r = await runCli(BINS.openrouter, ['sync', '--config', f['c.json'] as string, '--db', db, '--streams', 'activity'], { timeoutMs: 120_000 });
        outputs.push(r);
        expect(r.code, r.stderr).toBe(0);
        return query(db, 'SELECT date::VARCHAR AS date, endpoint_id, usage::VARCHAR AS usage FROM openrouter.activity ORDER BY date, endpoint_id');
      };
      const truth = late
        .expectedActivity(TODAY - 10 * DAY, TODAY)
        .map((r) => ({ date: r.date, endpoint_id: r.endpoint_id, usage: r.usage }))
        .sort((a, b) => `${a.date}${a.endpoint_id}`.localeCompare(`${b.date}${b.endpoint_id}`));
      const first = await sync();
      // Yesterday was partial: some of its rows differ from the ledger, the other days equal it.
      expect(first).toHaveLength(truth.length);
      expect(first).not.toEqual(truth);
      expect(first.filter((r) => r.date !== isoDay(TODAY - DAY))).toEqual(truth.filter((r) => r.date !== isoDay(TODAY - DAY)));
      late.now = () => TODAY * 1000 + 2 * 3_600_000;
      expect(await sync()).toEqual(truth);
    } finally {
      await late.stop();
    }
  }, 240_000);
});

describe('source-openrouter-costs keys, workspaces and credits', () => {
  it('given three workspaces, one with 150 keys, when reading then every workspace and every key (disabled included, two pages) is listed once with its running counters, and credits equal the ledger', async () => {
    const { result, requests } = await read(config(), ['keys', 'workspaces', 'credits']);
    expectOk(result, ['keys', 'workspaces', 'credits']);
    expect(records(result.messages, 'workspaces').map((w) => w.id)).toEqual(fake.workspaceList.map((w) => w.id));
    const keys = records(result.messages, 'keys');
    expect(new Set(keys.map((k) => k.id))).toEqual(new Set(fake.keyList.map((k) => k.hash)));
    expect(keys).toHaveLength(fake.keyList.length);
    expect(keys.some((k) => k.disabled === true)).toBe(true);
    // The running counters (day, Monday week, month, lifetime) exactly as the fake's ledger gives them now.
    for (const k of keys) {
      const counters = fake.keyUsage(String(k.hash));
      expect(Object.fromEntries(Object.keys(counters).map((c) => [c, k[c]]))).toEqual(
        Object.fromEntries(Object.entries(counters).map(([c, v]) => [c, decimalOf(v)])),
      );
    }
    expect(keys.some((k) => k.usage_monthly !== '0' && k.usage !== k.usage_monthly)).toBe(true);
    // The Cloudflare HTML 502 on /workspaces was retried.
    expect(result.stdout).toContain('HTTP 502');
    const keyQueries = requests.filter((q) => q.path === '/api/v1/keys');
    expect(keyQueries.every((q) => q.query.get('include_disabled') === 'true' && q.query.get('workspace_id') !== null)).toBe(true);
    expect(keyQueries.map((q) => q.query.get('offset'))).toEqual(['0', '100', '0', '0']);
    const credits = records(result.messages, 'credits');
    expect(credits).toHaveLength(1);
    expect(credits[0]?.total_usage).toBe(decimalOf(fake.totalUsage()));
    expect(credits[0]?.total_credits).toBe('5000');
  });
});

describe('source-openrouter-costs refusals', () => {
  it('given an inference key when reading activity then the 403 is a config_error naming the management key, non-zero exit, nothing emitted', async () => {
    const { result } = await read(config({ management_key: INFERENCE_KEY }), ['activity']);
    expect(result.code).toBe(1);
    const e = errors(result.messages)[0];
    expect(e?.trace.error.failure_type).toBe('config_error');
    expect(String(e?.trace.error.message)).toContain('management key');
    expect(result.stdout + result.stderr).toContain(FORBIDDEN_MESSAGE);
    expect(records(result.messages)).toHaveLength(0);
    expect(result.stdout + result.stderr).not.toContain(INFERENCE_KEY);
  });

  it('given a key the API does not know when checking then CONNECTION_STATUS FAILED with the 401 and the hint', async () => {
    const f = files({ 'c.json': config({ management_key: 'sk-or-v1-unknown-000' }) });
    const r = await run(BINS.openrouter, ['check', '--config', f['c.json'] as string]);
    outputs.push(r);
    const status = ofType(r.messages, 'CONNECTION_STATUS')[0];
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(String(status?.connectionStatus.message)).toContain('management_key');
  });

  it('given an API whose day turns later than this clock when reading then the day it calls outside its window fails the read as transient, naming the day, nothing of it emitted', async () => {
    const late = new FakeOpenRouter({ keys: [KEY], now: () => Date.now() - DAY * 1000, cloudflare524: false });
    await late.start();
    try {
      const { result } = await read(config({ start_date: isoDay(TODAY - 3 * DAY) }, late), ['activity'], { mode: 'incremental', server: late });
      expect(result.code).toBe(1);
      const e = errors(result.messages)[0];
      expect(e?.trace.error.failure_type).toBe('transient_error');
      expect(String(e?.trace.error.message)).toContain(`refused ${isoDay(TODAY - DAY)} as outside its window`);
      expect(records(result.messages, 'activity').some((r) => r.date === isoDay(TODAY - DAY))).toBe(false);
    } finally {
      await late.stop();
    }
  });

  it('given the fake when asked for today or a day older than 30 then it answers the documented 400 (the connector never asks: see the first test)', async () => {
    for (const d of [TODAY, TODAY - 31 * DAY]) {
      const res = await fetch(`${fake.baseUrl}/activity?date=${isoDay(d)}`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: { message: WINDOW_MESSAGE, code: 400 } });
    }
  });
});

afterAll(() => {
  for (const o of outputs) expect(o.stdout + o.stderr).not.toContain(KEY);
});
