import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { USAGE_LIMITS } from '../../connector/providers/openai/api.js';
import { REPORTS } from '../../connector/providers/openai/streams.js';
import { BINS, CONTRACTS, catalog, errors, files, lastStates, ofType, records, run, states, type Message } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { SHARED_SPECS } from '../support/protocol.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { USAGE_ENDPOINTS, type KeyObject, type ProjectObject, type UsageWidth, type UserObject } from '../fake/openai-usage.js';
import type { LoggedRequest } from '../fake/server.js';

/**
 * Issue 3: the ten usage streams and the three entity streams, end to end
 * through the built CLI against the fake OpenAI admin API.
 */
const KEY = 'sk-admin-e2e-usage-8e7d6c5b4a';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 120; // through 2025-12-29
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

type Row = Record<string, unknown>;
const USAGE = USAGE_ENDPOINTS.map((e) => e.stream);
const ENTITIES = ['projects', 'users', 'project_api_keys'];
const schemaOf = (s: string): Record<string, unknown> =>
  JSON.parse(readFileSync(join(CONTRACTS.openai, `schemas/${s}.json`), 'utf8')) as Record<string, unknown>;
const SCHEMAS = Object.fromEntries([...USAGE, ...ENTITIES].map((s) => [s, schemaOf(s)]));
const schemasFor = (streams: readonly string[]) => Object.fromEntries(streams.map((s) => [s, SCHEMAS[s] as Record<string, unknown>]));
/** Every dimension of the endpoint: the default grouping. */
const ALL_DIMS = Object.fromEntries(USAGE_ENDPOINTS.map((e) => [e.stream, e.dims]));
const pathOf = (stream: string): string => `/v1/organization/usage/${stream.replace(/^usage_/, '')}`;

let fake: FakeOpenAi;
beforeAll(async () => {
  // 3 projects with cost + 120 without (every third archived), 230 users: lists need several pages of 100.
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 4, adminKey: KEY, emptyEvery: 9, extraProjects: 120, users: 230 });
  await fake.start();
});
afterAll(() => fake.stop());

const config = (extra: Record<string, unknown> = {}) => ({
  admin_api_key: KEY,
  start_date: '2025-09-01',
  end_date: '2025-12-29',
  base_url: fake.baseUrl,
  ...extra,
});

async function read(
  server: FakeOpenAi,
  cfg: Record<string, unknown>,
  streams: readonly string[],
  opts: { mode?: 'incremental' | 'full_refresh'; state?: unknown } = {},
): Promise<{ result: Awaited<ReturnType<typeof run>>; requests: LoggedRequest[] }> {
  const f = files({
    'config.json': cfg,
    'catalog.json': catalog(streams.map((name) => ({ name, mode: ENTITIES.includes(name) ? 'full_refresh' : (opts.mode ?? 'incremental') }))),
    ...(opts.state ? { 'state.json': opts.state } : {}),
  });
  const args = ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string];
  if (f['state.json']) args.push('--state', f['state.json']);
  const before = server.requests.length;
  const result = await run(BINS.openai, args);
  return { result, requests: server.requests.slice(before) };
}

const cursors = (messages: Message[], stream: string): number[] => states(messages, stream).map((m) => m.state.stream.stream_state.cursor as number);
/** Requests in window order (windows may be fetched ahead, concurrently). */
const byStart = (reqs: LoggedRequest[]): LoggedRequest[] => [...reqs].sort((a, b) => Number(a.query.get('start_time')) - Number(b.query.get('start_time')));
/**
 * The requests of one stream tile [start, end) exactly: contiguous windows, each asking for as
 * many buckets as it spans, at most `max`, in the fewest requests. Returns the window ends.
 */
function expectWindows(reqs: LoggedRequest[], width: UsageWidth, start: number, end: number, max: number): number[] {
  const step = { '1d': DAY, '1h': 3_600, '1m': 60 }[width];
  const sorted = byStart(reqs);
  expect(sorted.length).toBe(Math.ceil((end - start) / step / max));
  let at = start;
  for (const r of sorted) {
    expect(r.query.get('bucket_width')).toBe(width);
    expect(Number(r.query.get('start_time'))).toBe(at);
    const next = Number(r.query.get('end_time'));
    const buckets = (next - at) / step;
    expect(Number(r.query.get('limit'))).toBe(buckets);
    expect(buckets).toBeLessThanOrEqual(max);
    expect(r.query.has('page')).toBe(false);
    at = next;
  }
  expect(at).toBe(end);
  return sorted.map((r) => Number(r.query.get('end_time')));
}

const sortById = (rows: Row[]): Row[] => [...rows].sort((a, b) => (String(a.id) < String(b.id) ? -1 : 1));

/** Exact equality of every usage stream with the fake's ground truth over [start, end) at `width`. */
function expectUsageExact(messages: Message[], server: FakeOpenAi, streams: readonly string[], start: number, end: number, width: UsageWidth): void {
  for (const s of streams) {
    const expected = server.org.expectedUsage(s, start, end, width, ALL_DIMS[s] ?? []);
    expect(expected.length, `ground truth of ${s} is not empty`).toBeGreaterThan(0);
    expect(withoutIds(records(messages, s)), s).toEqual(withoutIds(expected));
  }
}

describe('source-openai-costs usage streams', () => {
  it('given every usage stream at 1d when reading the whole range and again with its last state then records equal the ground truth and the re-read emits only the lookback window', async () => {
    const first = await read(fake, config(), USAGE);
    expect(first.result.code).toBe(0);
    assertProtocol(first.result, { streams: USAGE, schemas: schemasFor(USAGE) });
    expectUsageExact(first.result.messages, fake, USAGE, day('2025-09-01'), day('2025-12-30'), '1d');
    for (const s of USAGE) {
      const reqs = first.requests.filter((r) => r.path === pathOf(s));
      // 120 days in 4 requests of at most 31 daily buckets, grouped by every dimension, never following a cursor.
      const ends = expectWindows(reqs, '1d', day('2025-09-01'), day('2025-12-30'), 31);
      expect(ends).toHaveLength(4);
      expect(reqs.every((r) => JSON.stringify(r.query.getAll('group_by')) === JSON.stringify(ALL_DIMS[s]))).toBe(true);
      expect(cursors(first.result.messages, s)).toEqual(ends);
    }

    const second = await read(fake, config({ lookback_days: 3 }), USAGE, { state: lastStates(first.result.messages) });
    expect(second.result.code).toBe(0);
    assertProtocol(second.result, { streams: USAGE, schemas: schemasFor(USAGE) });
    expectUsageExact(second.result.messages, fake, USAGE, day('2025-12-27'), day('2025-12-30'), '1d');
    for (const s of USAGE) {
      expect(second.requests.filter((r) => r.path === pathOf(s)).map((r) => r.query.get('start_time'))).toEqual([String(day('2025-12-27'))]);
      expect(cursors(second.result.messages, s)).toEqual([day('2025-12-30')]);
    }
  });

  it('given usage records when compared with costs and the directory then usage exists only on days with cost and only for listed projects, users and keys', async () => {
    const { result } = await read(fake, config({ start_date: '2025-11-20' }), USAGE, { mode: 'full_refresh' });
    expect(result.code).toBe(0);
    const projects = new Set(fake.org.projectsList().map((p) => p.id));
    const users = new Set(fake.org.usersList().map((u) => u.id));
    // Listed keys, and the key deleted since it was used (in usage, in no list).
    const keys = new Set([...fake.org.projectsList().flatMap((p) => (fake.org.apiKeys(p.id) ?? []).map((k) => k.id)), ...fake.org.deletedKeys]);
    const rows = records(result.messages);
    expect(rows.length).toBeGreaterThan(300);
    for (const r of rows) {
      expect(fake.org.costsOn(Math.floor((r.start_time as number) / DAY) * DAY).length).toBeGreaterThan(0);
      expect(projects.has(r.project_id as string)).toBe(true);
      if (r.user_id !== undefined && r.user_id !== null) expect(users.has(r.user_id as string)).toBe(true);
      if (r.api_key_id !== undefined && r.api_key_id !== null) expect(keys.has(r.api_key_id as string)).toBe(true);
    }
    // Days without cost (every 9th) have no usage either.
    const noCost = Array.from({ length: 40 }, (_, i) => day('2025-11-20') + i * DAY).filter((d) => fake.org.costsOn(d).length === 0);
    expect(noCost.length).toBeGreaterThan(2);
    for (const d of noCost) expect(rows.some((r) => r.start_time === d)).toBe(false);
    // batch is a boolean dimension, kept as such; a metric absent upstream is null.
    const completions = records(result.messages, 'usage_completions');
    expect(new Set(completions.map((r) => r.batch))).toEqual(new Set([true, false]));
    expect(completions.some((r) => r.user_id === null)).toBe(true);
  });

  it('given completions before OpenAI added cache-write fields when reading then those metrics are null there and integers after', async () => {
    const { result } = await read(fake, config({ start_date: '2025-10-28', end_date: '2025-11-03' }), ['usage_completions'], { mode: 'full_refresh' });
    expect(result.code).toBe(0);
    const rows = records(result.messages);
    const before = rows.filter((r) => (r.start_time as number) < day('2025-11-01'));
    const after = rows.filter((r) => (r.start_time as number) >= day('2025-11-01'));
    expect(before.length).toBeGreaterThan(0);
    expect(after.length).toBeGreaterThan(0);
    expect(before.every((r) => r.input_cache_write_tokens === null && r.input_uncached_tokens === null)).toBe(true);
    expect(after.every((r) => Number.isInteger(r.input_cache_write_tokens) && Number.isInteger(r.input_uncached_tokens))).toBe(true);
  });

  it('given bucket_width 1h when reading a week in 2-day windows and again with lookback_days 2 then both reads equal the hourly ground truth and the re-read covers only the last 2 days', async () => {
    const cfg = config({ start_date: '2025-12-15', end_date: '2025-12-21', bucket_width: '1h', max_window_days: 2 });
    const first = await read(fake, cfg, USAGE);
    expect(first.result.code).toBe(0);
    assertProtocol(first.result, { streams: USAGE, schemas: schemasFor(USAGE) });
    expectUsageExact(first.result.messages, fake, USAGE, day('2025-12-15'), day('2025-12-22'), '1h');
    for (const s of USAGE) {
      // 168 hours in windows of at most 2 days (48 buckets): 4 requests.
      const ends = expectWindows(
        first.requests.filter((r) => r.path === pathOf(s)),
        '1h',
        day('2025-12-15'),
        day('2025-12-22'),
        48,
      );
      expect(ends).toHaveLength(4);
      expect(cursors(first.result.messages, s)).toEqual(ends);
    }
    const hourly = records(first.result.messages, 'usage_completions');
    expect(hourly.every((r) => (r.start_time as number) % 3_600 === 0 && (r.end_time as number) - (r.start_time as number) === 3_600)).toBe(true);

    const second = await read(fake, { ...cfg, lookback_days: 2 }, USAGE, { state: lastStates(first.result.messages) });
    expect(second.result.code).toBe(0);
    assertProtocol(second.result, { streams: USAGE, schemas: schemasFor(USAGE) });
    expectUsageExact(second.result.messages, fake, USAGE, day('2025-12-20'), day('2025-12-22'), '1h');
    for (const s of USAGE) {
      expect(second.requests.filter((r) => r.path === pathOf(s)).map((r) => r.query.get('start_time'))).toEqual([String(day('2025-12-20'))]);
    }
  });

  it('given bucket_width 1m when reading three days one day per request and again with lookback_days 1 then both reads equal the per-minute ground truth and the re-read covers only the last day', async () => {
    const cfg = config({ start_date: '2025-12-19', end_date: '2025-12-21', bucket_width: '1m', max_window_days: 1 });
    const first = await read(fake, cfg, USAGE);
    expect(first.result.code).toBe(0);
    assertProtocol(first.result, { streams: USAGE, schemas: schemasFor(USAGE) });
    expectUsageExact(first.result.messages, fake, USAGE, day('2025-12-19'), day('2025-12-22'), '1m');
    for (const s of USAGE) {
      const ends = expectWindows(
        first.requests.filter((r) => r.path === pathOf(s)),
        '1m',
        day('2025-12-19'),
        day('2025-12-22'),
        1440,
      );
      expect(ends).toEqual([day('2025-12-20'), day('2025-12-21'), day('2025-12-22')]);
      expect(cursors(first.result.messages, s)).toEqual(ends);
    }
    const minutes = records(first.result.messages, 'usage_embeddings');
    expect(minutes.every((r) => (r.start_time as number) % 60 === 0 && (r.end_time as number) - (r.start_time as number) === 60)).toBe(true);

    const second = await read(fake, { ...cfg, lookback_days: 1 }, USAGE, { state: lastStates(first.result.messages) });
    expect(second.result.code).toBe(0);
    assertProtocol(second.result, { streams: USAGE, schemas: schemasFor(USAGE) });
    expectUsageExact(second.result.messages, fake, USAGE, day('2025-12-21'), day('2025-12-22'), '1m');
    for (const s of USAGE) {
      expect(second.requests.filter((r) => r.path === pathOf(s)).map((r) => r.query.get('start_time'))).toEqual([String(day('2025-12-21'))]);
      expect(cursors(second.result.messages, s)).toEqual([day('2025-12-22')]);
    }
  });

  it('given 1h and 1m widths without max_window_days when reading then each request asks for the per-width maximum of buckets (168, 1440)', async () => {
    const hours = await read(fake, config({ start_date: '2025-12-01', end_date: '2025-12-10', bucket_width: '1h' }), ['usage_completions'], {
      mode: 'full_refresh',
    });
    expect(hours.result.code).toBe(0);
    expect(expectWindows(hours.requests, '1h', day('2025-12-01'), day('2025-12-11'), 168)).toHaveLength(2);
    expect(hours.requests.map((r) => Number(r.query.get('limit'))).sort((a, b) => a - b)).toEqual([72, 168]);
    expectUsageExact(hours.result.messages, fake, ['usage_completions'], day('2025-12-01'), day('2025-12-11'), '1h');
    const minutes = await read(fake, config({ start_date: '2025-12-01', end_date: '2025-12-02', bucket_width: '1m' }), ['usage_moderations'], {
      mode: 'full_refresh',
    });
    expect(minutes.result.code).toBe(0);
    expect(expectWindows(minutes.requests, '1m', day('2025-12-01'), day('2025-12-03'), 1440)).toHaveLength(2);
    expectUsageExact(minutes.result.messages, fake, ['usage_moderations'], day('2025-12-01'), day('2025-12-03'), '1m');
  });

  it('given an ungrouped usage query and a server that truncates pages when reading then the cursor is followed with identical parameters and nothing is lost', async () => {
    const truncating = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 4, adminKey: KEY, emptyEvery: 9, truncateAt: 5 });
    await truncating.start();
    try {
      const { result, requests } = await read(
        truncating,
        { ...config(), base_url: truncating.baseUrl, group_by: { usage_embeddings: [] } },
        ['usage_embeddings'],
        { mode: 'full_refresh' },
      );
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['usage_embeddings'], schemas: schemasFor(['usage_embeddings']) });
      const expected = truncating.org.expectedUsage('usage_embeddings', day('2025-09-01'), day('2025-12-30'), '1d', []);
      expect(withoutIds(records(result.messages))).toEqual(withoutIds(expected));
      expect(records(result.messages).every((r) => r.project_id === null && r.model === null)).toBe(true);
      const paged = requests.filter((r) => r.query.has('page'));
      expect(paged.length).toBeGreaterThan(10);
      for (const r of paged) {
        const q = new URLSearchParams(r.query);
        q.delete('page');
        const first = requests.find((x) => !x.query.has('page') && x.query.get('start_time') === q.get('start_time'));
        expect(q.toString()).toBe(new URLSearchParams(first?.query).toString());
      }
    } finally {
      await truncating.stop();
    }
  });

  it('given a custom group_by and filters when reading then each endpoint gets only the filters it supports and the output equals the filtered ground truth', async () => {
    const cfg = config({
      start_date: '2025-12-01',
      group_by: { usage_completions: ['model', 'batch'], usage_vector_stores: [] },
      project_ids: ['proj_002'],
      models: ['gpt-4o-2024-08-06', 'o3-2025-04-16'],
    });
    const { result, requests } = await read(fake, cfg, ['usage_completions', 'usage_vector_stores', 'usage_file_search_calls'], { mode: 'full_refresh' });
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['usage_completions', 'usage_vector_stores', 'usage_file_search_calls'], schemas: SCHEMAS });
    const completions = requests.find((r) => r.path === pathOf('usage_completions'));
    expect(completions?.query.getAll('group_by')).toEqual(['model', 'batch']);
    expect(completions?.query.getAll('models')).toEqual(['gpt-4o-2024-08-06', 'o3-2025-04-16']);
    expect(completions?.query.getAll('project_ids')).toEqual(['proj_002']);
    for (const s of ['usage_vector_stores', 'usage_file_search_calls']) {
      const r = requests.find((x) => x.path === pathOf(s));
      expect(r?.query.getAll('project_ids')).toEqual(['proj_002']);
      expect(r?.query.has('models'), `${s} does not take models`).toBe(false);
    }
    const [start, end] = [day('2025-12-01'), day('2025-12-30')];
    const filters = { project_ids: ['proj_002'], models: ['gpt-4o-2024-08-06', 'o3-2025-04-16'] };
    const exp = (s: string, g: readonly string[], f: Record<string, string[]>) => withoutIds(fake.org.expectedUsage(s, start, end, '1d', g, f));
    expect(withoutIds(records(result.messages, 'usage_completions'))).toEqual(exp('usage_completions', ['model', 'batch'], filters));
    expect(withoutIds(records(result.messages, 'usage_vector_stores'))).toEqual(exp('usage_vector_stores', [], { project_ids: ['proj_002'] }));
    expect(withoutIds(records(result.messages, 'usage_file_search_calls'))).toEqual(
      exp('usage_file_search_calls', ALL_DIMS.usage_file_search_calls ?? [], { project_ids: ['proj_002'] }),
    );
    expect(records(result.messages, 'usage_completions').every((r) => r.project_id === null && r.user_id === null)).toBe(true);
  });

  it('given a group_by dimension an endpoint does not support when reading or checking then config validation refuses it and names the allowed dimensions', async () => {
    const cfg = config({ group_by: { usage_file_search_calls: ['project_id', 'model'] } });
    const allowed = 'group_by.usage_file_search_calls accepts only project_id, user_id, api_key_id, vector_store_id';
    const before = fake.requests.length;
    const { result } = await read(fake, cfg, ['usage_file_search_calls']);
    expect(result.code).toBe(1);
    const [error] = errors(result.messages);
    expect(error?.trace.error.failure_type).toBe('config_error');
    expect(error?.trace.error.message).toContain(allowed);
    const f = files({ 'c.json': cfg });
    const check = await run(BINS.openai, ['check', '--config', f['c.json'] as string]);
    const [status] = ofType(check.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toContain(allowed);
    expect(fake.requests.length).toBe(before);
  });

  it('given the live API refusing a dimension the spec allows (a 400 naming group_by, as PostHog/posthog#73075 saw) when reading then config_error names only that dimension and quotes OpenAI, with no records and no STATE', async () => {
    const message = "Invalid value for 'group_by': 'model'. Supported values are: 'project_id', 'user_id', 'api_key_id'.";
    const body = JSON.stringify({ error: { message, type: 'invalid_request_error', param: 'group_by', code: null } });
    fake.fault({ path: '/usage/embeddings', fault: { kind: 'status', status: 400, body } });
    try {
      const { result, requests } = await read(fake, config(), ['usage_embeddings']);
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['usage_embeddings'], expectComplete: false });
      const errs = errors(result.messages);
      expect(errs.map((e) => e.trace.error.failure_type)).toEqual(['config_error']);
      expect(errs[0]?.trace.error.message).toBe(
        `OpenAI refused group_by model on usage_embeddings for [2025-09-01T00:00:00Z, 2025-09-28T00:00:00Z) ("${message}"): remove 'model' from group_by.usage_embeddings.`,
      );
      expect(records(result.messages)).toHaveLength(0);
      expect(states(result.messages)).toHaveLength(0);
      expect(requests).toHaveLength(1);
    } finally {
      fake.clearFaults();
    }
  });
});

describe('fake OpenAI usage API (validated per the OpenAPI excerpt)', () => {
  const get = async (path: string, query: string): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${fake.baseUrl}${path}?${query}`, { headers: { authorization: `Bearer ${KEY}` } });
    return { status: res.status, body: await res.json() };
  };
  const start = day('2025-12-01');

  it('given queries outside the spec when sent to the fake then it answers 400 naming the allowed values, like OpenAI', async () => {
    const fileSearch = await get('/organization/usage/file_search_calls', `start_time=${start}&group_by=model`);
    expect(fileSearch.status).toBe(400);
    expect(fileSearch.body.error.message).toContain("'project_id', 'user_id', 'api_key_id', 'vector_store_id'");
    expect((await get('/organization/usage/completions', 'limit=3')).status).toBe(400);
    expect((await get('/organization/usage/completions', `start_time=${start}&bucket_width=1w`)).status).toBe(400);
    for (const [width, max] of [
      ['1d', 31],
      ['1h', 168],
      ['1m', 1440],
    ] as const) {
      expect((await get('/organization/usage/embeddings', `start_time=${start}&bucket_width=${width}&limit=${max}`)).status).toBe(200);
      const over = await get('/organization/usage/embeddings', `start_time=${start}&bucket_width=${width}&limit=${max + 1}`);
      expect(over.status).toBe(400);
      expect(over.body.error.message).toContain(`less than or equal to ${max}`);
    }
    expect((await get('/organization/usage/vector_stores', `start_time=${start}&models=gpt-4o`)).status).toBe(400);
    expect((await get('/organization/usage/images', `start_time=${start}&sizes=9x9`)).status).toBe(400);
  });

  it('given a start in the middle of an hour when asking for hourly buckets then buckets are ascending, aligned to the hour and the default limit is 24', async () => {
    const { status, body } = await get('/organization/usage/completions', `start_time=${start + 1_800}&end_time=${start + 3 * DAY}&bucket_width=1h`);
    expect(status).toBe(200);
    const starts = (body.data as Array<{ start_time: number; end_time: number }>).map((b) => b.start_time);
    expect(starts).toHaveLength(24);
    expect(starts[0]).toBe(start);
    expect(starts.every((t, i) => t === start + i * 3_600)).toBe(true);
    expect(body.has_more).toBe(true);
    expect(body.data[0].results.every((r: { object: string }) => r.object === 'organization.usage.completions.result')).toBe(true);
  });
});

describe('usage declarations against the OpenAPI excerpt', () => {
  interface OpenApiParam {
    name: string;
    description?: string;
    schema: { type: string; enum?: string[]; items?: { enum?: string[] } };
  }
  interface OpenApiProp {
    type?: string;
    enum?: string[];
    anyOf?: Array<{ type: string }>;
  }
  const spec = parseYaml(readFileSync(`${SHARED_SPECS}openai-admin-usage-costs.openapi.yaml`, 'utf8')) as {
    paths: Record<string, { get: { parameters: OpenApiParam[] } }>;
    components: { schemas: Record<string, { properties: Record<string, OpenApiProp>; required: string[] }> };
  };
  const pascal = (s: string): string =>
    s
      .split('_')
      .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
      .join('');
  const FILTERS = ['project_ids', 'user_ids', 'api_key_ids', 'models'];

  it('given every usage path of the spec when compared then the connector declares exactly its path, result object, group_by values and types, integer metrics, filters and limits', () => {
    const usagePaths = Object.keys(spec.paths).filter((p) => p.startsWith('/organization/usage/'));
    const decls = REPORTS.filter((r) => r.path.startsWith('/organization/usage/'));
    expect(decls.map((d) => d.path).sort()).toEqual(usagePaths.sort());
    for (const decl of decls) {
      const endpoint = decl.path.replace('/organization/usage/', '');
      const params = spec.paths[decl.path]?.get.parameters ?? [];
      const result = spec.components.schemas[`Usage${pascal(endpoint)}Result`];
      expect(result, endpoint).toBeDefined();
      const props = result?.properties ?? {};
      expect(decl.name).toBe(`usage_${endpoint}`);
      expect(decl.resultObject).toBe(props.object?.enum?.[0]);
      const groupBy = params.find((p) => p.name === 'group_by')?.schema.items?.enum ?? [];
      expect([...decl.dimensions]).toEqual(groupBy);
      expect([...decl.defaultGroupBy]).toEqual(groupBy);
      for (const d of groupBy) {
        const types = (props[d]?.anyOf ?? []).map((a) => a.type).filter((t) => t !== 'null');
        expect(types, `${endpoint}.${d}`).toEqual([decl.dimensionTypes?.[d] ?? 'string']);
      }
      const integers = Object.entries(props)
        .filter(([, p]) => p.type === 'integer')
        .map(([k]) => k);
      expect(decl.metrics.map((m) => m.name).sort()).toEqual(integers.sort());
      expect(decl.metrics.every((m) => m.type === 'integer' && !m.from)).toBe(true);
      // Required metrics are required (a result without one is malformed); the others stay nullable.
      expect(
        decl.metrics
          .filter((m) => m.required)
          .map((m) => m.name)
          .sort(),
        `${endpoint} required`,
      ).toEqual((result?.required ?? []).filter((r) => r !== 'object').sort());
      expect([...decl.filters].sort()).toEqual(
        params
          .map((p) => p.name)
          .filter((n) => FILTERS.includes(n))
          .sort(),
      );
      const limit = params.find((p) => p.name === 'limit')?.description ?? '';
      for (const w of ['1d', '1h', '1m'] as const) {
        const m = new RegExp(`bucket_width=${w}\`: default: (\\d+), max: (\\d+)`).exec(limit);
        expect(m, `${endpoint} limit for ${w}`).not.toBeNull();
        expect(USAGE_LIMITS[w]).toEqual({ default: Number(m?.[1]), max: Number(m?.[2]) });
        expect(decl.maxBuckets[w]).toBe(Number(m?.[2]));
      }
    }
  });

  it('given every usage path of the spec when compared then the fake serves the same group_by values, metrics, required fields and filters', () => {
    for (const ep of USAGE_ENDPOINTS) {
      const path = `/organization/usage/${ep.endpoint}`;
      const params = spec.paths[path]?.get.parameters ?? [];
      const result = spec.components.schemas[`Usage${pascal(ep.endpoint)}Result`];
      const props = result?.properties ?? {};
      expect(ep.object).toBe(props.object?.enum?.[0]);
      expect([...ep.dims]).toEqual(params.find((p) => p.name === 'group_by')?.schema.items?.enum);
      expect([...ep.metrics].sort()).toEqual(
        Object.entries(props)
          .filter(([, p]) => p.type === 'integer')
          .map(([k]) => k)
          .sort(),
      );
      expect([...ep.required].sort()).toEqual((result?.required ?? []).filter((r) => r !== 'object').sort());
      const filters = params.filter((p) => !['start_time', 'end_time', 'bucket_width', 'group_by', 'limit', 'page'].includes(p.name));
      expect(Object.keys(ep.filters).sort()).toEqual(filters.map((p) => p.name).sort());
      for (const p of filters) {
        const spec = ep.filters[p.name];
        if (p.schema.items?.enum) expect(spec?.kind === 'enum' ? [...spec.values] : null, `${ep.endpoint} ${p.name}`).toEqual(p.schema.items.enum);
        if (p.schema.type === 'boolean') expect(spec?.kind).toBe('bool');
      }
    }
  });
});

// ---- entity streams -------------------------------------------------------------

const projectRecord = (p: ProjectObject): Row => ({
  id: p.id,
  object: p.object,
  name: p.name,
  created_at: p.created_at,
  archived_at: p.archived_at,
  status: p.status,
});
const userRecord = (u: UserObject): Row => ({ id: u.id, object: u.object, email: u.email, name: u.name, role: u.role, added_at: u.added_at });
const keyRecord = (k: KeyObject, projectId: string): Row => {
  const who = k.owner.user ?? k.owner.service_account;
  return {
    id: k.id,
    object: k.object,
    name: k.name,
    redacted_value: k.redacted_value,
    created_at: k.created_at,
    last_used_at: k.last_used_at,
    project_id: projectId,
    owner_type: k.owner.type,
    owner_id: who?.id ?? null,
    owner_name: who?.name ?? null,
    owner_email: k.owner.user?.email ?? null,
    owner_role: who?.role ?? null,
  };
};
const expectedKeys = (server: FakeOpenAi, projectIds?: readonly string[]): Row[] =>
  server.org
    .projectsList()
    .filter((p) => !projectIds || projectIds.includes(p.id))
    .flatMap((p) => (server.org.apiKeys(p.id) ?? []).map((k) => keyRecord(k, p.id)));
const keyValues = (server: FakeOpenAi): string[] => expectedKeys(server).map((k) => server.org.apiKeyValue(k.id as string) as string);

describe('source-openai-costs entity streams', () => {
  it('given projects, users and project_api_keys when read then each equals the fake directory, archived projects included, across several pages of 100 followed by after', async () => {
    const { result, requests } = await read(fake, config(), ENTITIES);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ENTITIES, schemas: schemasFor(ENTITIES) });
    const projects = fake.org.projectsList();
    expect(projects.length).toBe(123);
    expect(projects.some((p) => p.status === 'archived')).toBe(true);
    expect(sortById(records(result.messages, 'projects'))).toEqual(sortById(projects.map(projectRecord)));
    expect(sortById(records(result.messages, 'users'))).toEqual(sortById(fake.org.usersList().map(userRecord)));
    expect(sortById(records(result.messages, 'project_api_keys'))).toEqual(sortById(expectedKeys(fake)));

    const projectReqs = requests.filter((r) => r.path === '/v1/organization/projects');
    const userReqs = requests.filter((r) => r.path === '/v1/organization/users');
    // projects is listed twice: once for its stream, once to enumerate keys.
    expect(projectReqs).toHaveLength(4);
    expect(projectReqs.every((r) => r.query.get('include_archived') === 'true' && r.query.get('limit') === '100')).toBe(true);
    expect(projectReqs.filter((r) => r.query.has('after')).map((r) => r.query.get('after'))).toEqual(['proj_100', 'proj_100']);
    expect(userReqs.map((r) => r.query.get('after'))).toEqual([null, fake.org.usersList()[99]?.id, fake.org.usersList()[199]?.id]);
    const keyPaths = new Set(requests.filter((r) => r.path.endsWith('/api_keys')).map((r) => r.path));
    expect(keyPaths).toEqual(new Set(projects.map((p) => `/v1/organization/projects/${p.id}/api_keys`)));
    const states = ofType(result.messages, 'STATE').map((m) => m.state.stream.stream_state);
    expect(states.every((s) => typeof s.synced_at === 'number')).toBe(true);
  });

  it('given a server that pages lists smaller than asked and sends full key values when reading project_api_keys then every key is read page by page and no full key value is emitted', async () => {
    const leaky = new FakeOpenAi({
      firstDay: FIRST,
      days: 10,
      projects: 3,
      lineItems: 2,
      adminKey: KEY,
      extraProjects: 5,
      users: 9,
      idleKeysPerProject: 6,
      listPageCap: 4,
      leakKeyValues: true,
    });
    await leaky.start();
    try {
      const { result, requests } = await read(leaky, { ...config(), base_url: leaky.baseUrl }, ['project_api_keys', 'users']);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['project_api_keys', 'users'], schemas: schemasFor(ENTITIES) });
      const rows = records(result.messages, 'project_api_keys');
      expect(sortById(rows)).toEqual(sortById(expectedKeys(leaky)));
      expect(rows.every((r) => !('value' in r) && /\.\.\./.test(r.redacted_value as string))).toBe(true);
      const keyPages = requests.filter((r) => r.path.endsWith('/api_keys'));
      // 8 projects of 6-8 keys at 4 per page: two pages each.
      expect(keyPages).toHaveLength(16);
      expect(keyPages.filter((r) => r.query.has('after'))).toHaveLength(8);
      expect(requests.filter((r) => r.path === '/v1/organization/users' && r.query.has('after'))).toHaveLength(2);
      expect(sortById(records(result.messages, 'users'))).toEqual(sortById(leaky.org.usersList().map(userRecord)));
      // The fake sent every key's full value; the connector emits none of them.
      expect(keyValues(leaky).every((v) => v.startsWith('sk-proj-') && v.length > 40)).toBe(true);
      for (const secret of keyValues(leaky)) {
        expect(result.stdout).not.toContain(secret);
        expect(result.stderr).not.toContain(secret);
      }
    } finally {
      await leaky.stop();
    }
  });

  /** A small org whose project proj_002 is deleted right after the project list (see FakeOpenAiOptions.deletedProjects). */
  async function withDeletedProject<T>(extra: Partial<ConstructorParameters<typeof FakeOpenAi>[0]>, body: (server: FakeOpenAi) => Promise<T>): Promise<T> {
    const server = new FakeOpenAi({
      firstDay: FIRST,
      days: 10,
      projects: 3,
      lineItems: 2,
      adminKey: KEY,
      extraProjects: 2,
      users: 3,
      deletedProjects: { ids: ['proj_002'] },
      ...extra,
    });
    await server.start();
    try {
      return await body(server);
    } finally {
      await server.stop();
    }
  }
  const keysOf = (requests: LoggedRequest[], projectId: string) => requests.filter((r) => r.path === `/v1/organization/projects/${projectId}/api_keys`);

  it('given a project deleted between the project list and its keys request (404) when reading project_api_keys then that project is skipped and every other key equals the fake directory', async () => {
    await withDeletedProject({}, async (server) => {
      const { result, requests } = await read(server, { ...config(), base_url: server.baseUrl }, ['project_api_keys']);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['project_api_keys'], schemas: schemasFor(ENTITIES) });
      const others = server.org
        .projectsList()
        .map((p) => p.id)
        .filter((id) => id !== 'proj_002');
      expect(sortById(records(result.messages, 'project_api_keys'))).toEqual(sortById(expectedKeys(server, others)));
      expect(keysOf(requests, 'proj_002')).toHaveLength(1);
      expect(errors(result.messages)).toEqual([]);
    });
  });

  it('given a project deleted while its keys are paged (404 on the second page) when reading project_api_keys then the stream fails loudly as system_error instead of passing a cut list as whole', async () => {
    await withDeletedProject({ deletedProjects: { ids: ['proj_002'], midList: true }, listPageCap: 2, idleKeysPerProject: 2 }, async (server) => {
      const { result, requests } = await read(server, { ...config(), base_url: server.baseUrl }, ['project_api_keys']);
      expect(result.code).not.toBe(0);
      assertProtocol(result, { streams: ['project_api_keys'], expectComplete: false });
      const [error] = errors(result.messages);
      expect(error?.trace.error.failure_type).toBe('system_error');
      expect(error?.trace.error.message).toMatch(
        /^HTTP 404 from \/organization\/projects\/proj_002\/api_keys\?limit=100&after=\w+: .*No project found with id 'proj_002'/,
      );
      expect(keysOf(requests, 'proj_002')).toHaveLength(2);
    });
  });

  it('given a 404 on the project list itself when reading project_api_keys then it is not ignored: the stream fails as system_error after one request', async () => {
    await withDeletedProject({ deletedProjects: { ids: [] } }, async (server) => {
      server.fault({
        path: '/organization/projects',
        fault: {
          kind: 'status',
          status: 404,
          body: JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error', param: null, code: null } }),
        },
      });
      const { result, requests } = await read(server, { ...config(), base_url: server.baseUrl }, ['project_api_keys']);
      expect(result.code).not.toBe(0);
      assertProtocol(result, { streams: ['project_api_keys'], expectComplete: false });
      expect(errors(result.messages)[0]?.trace.error).toMatchObject({
        failure_type: 'system_error',
        message: expect.stringMatching(/^HTTP 404 from \/organization\/projects\?/),
      });
      expect(requests).toHaveLength(1);
    });
  });

  it('given project_ids when reading projects and project_api_keys then only those projects and their keys are emitted', async () => {
    const { result, requests } = await read(fake, config({ project_ids: ['proj_002', 'proj_050'] }), ['projects', 'project_api_keys']);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['projects', 'project_api_keys'], schemas: schemasFor(ENTITIES) });
    expect(records(result.messages, 'projects').map((r) => r.id)).toEqual(['proj_002', 'proj_050']);
    expect(sortById(records(result.messages, 'project_api_keys'))).toEqual(sortById(expectedKeys(fake, ['proj_002', 'proj_050'])));
    expect(requests.filter((r) => r.path.endsWith('/api_keys')).map((r) => r.path)).toEqual([
      '/v1/organization/projects/proj_002/api_keys',
      '/v1/organization/projects/proj_050/api_keys',
    ]);
  });
});

describe('source-openai-costs discover', () => {
  it('given discover when run then usage streams are incremental on start_time, entity streams full refresh only, all keyed by id with the committed schemas', async () => {
    const f = files({ 'c.json': config() });
    const result = await run(BINS.openai, ['discover', '--config', f['c.json'] as string]);
    expect(result.code).toBe(0);
    const streams = ofType(result.messages, 'CATALOG')[0]?.catalog.streams as Array<Record<string, unknown>>;
    for (const s of USAGE) {
      expect(
        streams.find((x) => x.name === s),
        s,
      ).toMatchObject({
        supported_sync_modes: ['full_refresh', 'incremental'],
        source_defined_cursor: true,
        default_cursor_field: ['start_time'],
        source_defined_primary_key: [['id']],
        json_schema: SCHEMAS[s],
      });
    }
    for (const s of ENTITIES) {
      const stream = streams.find((x) => x.name === s);
      expect(stream, s).toMatchObject({ supported_sync_modes: ['full_refresh'], source_defined_primary_key: [['id']], json_schema: SCHEMAS[s] });
      expect(stream?.default_cursor_field).toBeUndefined();
    }
  });
});
