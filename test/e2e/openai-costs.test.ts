import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, OPENAI_STREAMS, ROOT, catalog, errors, files, lastStates, ofType, records, run, states, statuses } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import {
  API_KEY_ID_FLOOR,
  API_KEY_ID_FLOOR_MESSAGE,
  COSTS_GROUP_BY_REFUSED,
  DAY,
  FakeOpenAi,
  INVALID_TOKEN_MESSAGE,
  type FakeOpenAiOptions,
} from '../fake/openai.js';
import { query, runCli } from '../support/warehouse.js';

const KEY = 'sk-admin-e2e-costs-5f1d2c3b4a';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 120; // through 2025-12-29
const schema = JSON.parse(readFileSync(join(CONTRACTS.openai, 'schemas/costs.json'), 'utf8')) as Record<string, unknown>;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

const ORG = { firstDay: FIRST, days: DAYS, projects: 4, lineItems: 5, adminKey: KEY, emptyEvery: 9 };

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = new FakeOpenAi(ORG);
  await fake.start();
});

/** A fake of the same org with other switches, for one test. */
async function withFake<T>(options: Partial<FakeOpenAiOptions>, use: (server: FakeOpenAi) => Promise<T>): Promise<T> {
  const server = new FakeOpenAi({ ...ORG, ...options });
  await server.start();
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}
afterAll(() => fake.stop());

const config = (extra: Record<string, unknown> = {}) => ({
  admin_api_key: KEY,
  start_date: '2025-09-01',
  end_date: '2025-12-29',
  base_url: fake.baseUrl,
  ...extra,
});

async function readCosts(cfg: Record<string, unknown>, opts: { mode?: 'incremental' | 'full_refresh'; state?: unknown; server?: FakeOpenAi } = {}) {
  const server = opts.server ?? fake;
  const f = files({
    'config.json': { ...cfg, base_url: server.baseUrl },
    'catalog.json': catalog([{ name: 'costs', mode: opts.mode ?? 'incremental' }]),
    ...(opts.state ? { 'state.json': opts.state } : {}),
  });
  const args = ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string];
  if (f['state.json']) args.push('--state', f['state.json']);
  const before = server.requests.length;
  const result = await run(BINS.openai, args);
  return { result, requests: server.requests.slice(before) };
}

/** `check` against `server`: the one CONNECTION_STATUS and the requests it sent. */
async function check(cfg: Record<string, unknown>, server: FakeOpenAi = fake) {
  const f = files({ 'c.json': { ...cfg, base_url: server.baseUrl } });
  const before = server.requests.length;
  const result = await run(BINS.openai, ['check', '--config', f['c.json'] as string]);
  expect(result.code).toBe(0);
  assertProtocol(result, { streams: [] });
  const found = ofType(result.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus as { status: string; message?: string });
  expect(found).toHaveLength(1);
  return { status: found[0] as { status: string; message?: string }, requests: server.requests.slice(before) };
}

/** The stream failed loudly with `failureType`: exit 1, INCOMPLETE, one TRACE ERROR; returns its message. */
function expectFailure(result: Awaited<ReturnType<typeof run>>, failureType: string): string {
  expect(result.code).toBe(1);
  assertProtocol(result, { streams: ['costs'], expectComplete: false });
  expect(statuses(result.messages, 'costs').at(-1)).toBe('INCOMPLETE');
  const errs = errors(result.messages);
  expect(errs).toHaveLength(1);
  expect(errs[0]?.trace.error.failure_type).toBe(failureType);
  return errs[0]?.trace.error.message as string;
}

describe('source-openai-costs costs stream', () => {
  it('given a full refresh when reading every day then the records equal the fake ground truth exactly, in one request per 180 days', async () => {
    const { result, requests } = await readCosts(config(), { mode: 'full_refresh' });
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
    const expected = fake.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), ['project_id', 'line_item']);
    expect(expected.length).toBeGreaterThan(500);
    expect(withoutIds(records(result.messages, 'costs'))).toEqual(withoutIds(expected));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.query.get('limit')).toBe('120');
    expect(requests[0]?.query.getAll('group_by')).toEqual(['project_id', 'line_item']);
    expect(result.stdout).not.toContain(KEY);
    expect(result.stderr).not.toContain(KEY);
  });

  it('given records when keys are compared then ids are unique, deterministic across runs and distinguish a null project from the string "null"', async () => {
    const a = records((await readCosts(config({ max_window_days: 10 }), { mode: 'full_refresh' })).result.messages);
    const b = records((await readCosts(config(), { mode: 'full_refresh' })).result.messages);
    expect(a.map((r) => r.id)).toEqual(b.map((r) => r.id));
    expect(new Set(a.map((r) => r.id)).size).toBe(a.length);
    expect(a.some((r) => r.project_id === null)).toBe(true);
  });

  it('given a grouped query whose page ends in empty buckets when the fake says has_more with a broken next_page then nothing is lost and the cursor is never followed', async () => {
    // Day 9 (index 8) of the org is empty; a 9-day window ends on it.
    const { result, requests } = await readCosts(config({ start_date: '2025-09-01', end_date: '2025-09-18', max_window_days: 9 }), { mode: 'full_refresh' });
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
    expect(withoutIds(records(result.messages))).toEqual(withoutIds(fake.org.expectedCosts(day('2025-09-01'), day('2025-09-19'), ['project_id', 'line_item'])));
    expect(requests.every((r) => !r.query.has('page'))).toBe(true);
    expect(requests).toHaveLength(2);
  });

  it('given an ungrouped query and a server that truncates pages when reading then the cursor is followed with identical parameters', async () => {
    const truncating = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 4, lineItems: 5, adminKey: KEY, truncateAt: 7 });
    await truncating.start();
    try {
      const f = files({
        'c.json': { ...config(), base_url: truncating.baseUrl, group_by: { costs: [] } },
        'cat.json': catalog([{ name: 'costs', mode: 'full_refresh' }]),
      });
      const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
      expect(withoutIds(records(result.messages))).toEqual(withoutIds(truncating.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), [])));
      const paged = truncating.requests.filter((r) => r.query.has('page'));
      expect(paged.length).toBe(Math.ceil(120 / 7) - 1);
      for (const r of paged) {
        const q = new URLSearchParams(r.query);
        q.delete('page');
        expect(q.toString()).toBe(new URLSearchParams(truncating.requests[0]?.query).toString());
      }
    } finally {
      await truncating.stop();
    }
  });

  it('given a grouped query and a server that truncates pages when reading then windows are halved until covered and the output is exact', async () => {
    const truncating = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 4, lineItems: 5, adminKey: KEY, truncateAt: 20 });
    await truncating.start();
    try {
      const f = files({ 'c.json': { ...config(), base_url: truncating.baseUrl }, 'cat.json': catalog([{ name: 'costs', mode: 'full_refresh' }]) });
      const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
      expect(withoutIds(records(result.messages))).toEqual(
        withoutIds(truncating.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), ['project_id', 'line_item'])),
      );
      expect(truncating.requests.some((r) => r.query.has('page'))).toBe(false);
    } finally {
      await truncating.stop();
    }
  });

  it('given decode workers and decode_threads 0 when reading the same streams then records and states are the same apart from timestamps, and equal to the ground truth', async () => {
    const read = async (extra: Record<string, unknown>) => {
      const cat = catalog([
        { name: 'costs', mode: 'incremental' },
        { name: 'usage_completions', mode: 'incremental' },
        { name: 'projects', mode: 'full_refresh' },
      ]);
      const f = files({ 'config.json': config({ max_window_days: 10, max_concurrent_requests: 3, ...extra }), 'catalog.json': cat });
      const result = await run(BINS.openai, ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string]);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs', 'usage_completions', 'projects'] });
      // Log lines and statuses interleave across concurrent streams; each stream's records and states keep their order.
      const perStream = (name: string) =>
        result.messages.filter(
          (m) => (m.type === 'RECORD' && m.record.stream === name) || (m.type === 'STATE' && m.state.stream.stream_descriptor.name === name),
        );
      const decoding = ofType(result.messages, 'LOG')
        .filter((m) => /worker thread/.test(m.log.message as string))
        .map((m) => m.log.message as string);
      return [
        decoding,
        ...['costs', 'usage_completions', 'projects'].map((name) => JSON.stringify(perStream(name)).replace(/"(emitted_at|synced_at)":\d+/g, '"$1":0')),
      ];
    };
    const [[onWorkers, ...workers], [onMain, ...mainThread]] = [await read({ decode_threads: 2 }), await read({ decode_threads: 0 })];
    expect(onWorkers).toEqual(['receiving and decoding responses on up to 2 worker thread(s)']);
    expect(onMain).toEqual([]);
    expect(workers).toEqual(mainThread);
    const costs = (JSON.parse(workers[0] as string) as Array<{ type: string; record?: { data: Record<string, unknown> } }>).flatMap((m) =>
      m.record ? [m.record.data] : [],
    );
    const expected = fake.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), ['project_id', 'line_item']);
    expect(withoutIds(costs)).toEqual(withoutIds(expected));
  });

  it('given an incremental read when reading again with its last state then only the lookback window is re-emitted', async () => {
    const first = await readCosts(config({ max_window_days: 30 }));
    expect(first.result.code).toBe(0);
    assertProtocol(first.result, { streams: ['costs'], schemas: { costs: schema } });
    const cursors = states(first.result.messages).map((m) => m.state.stream.stream_state.cursor as number);
    expect(cursors).toEqual([day('2025-10-01'), day('2025-10-31'), day('2025-11-30'), day('2025-12-30')]);
    const second = await readCosts(config({ max_window_days: 30, lookback_days: 3 }), { state: lastStates(first.result.messages) });
    expect(second.result.code).toBe(0);
    assertProtocol(second.result, { streams: ['costs'], schemas: { costs: schema } });
    expect(withoutIds(records(second.result.messages))).toEqual(
      withoutIds(fake.org.expectedCosts(day('2025-12-27'), day('2025-12-30'), ['project_id', 'line_item'])),
    );
    expect(second.requests.map((r) => r.query.get('start_time'))).toEqual([String(day('2025-12-27'))]);
    expect(states(second.result.messages).map((m) => m.state.stream.stream_state)).toEqual([
      { version: 2, covered_from: day('2025-09-01'), cursor: day('2025-12-30') },
    ]);
  });

  it('given no end_date when reading up to now then today is emitted but the cursor stops at the start of today', async () => {
    const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
    const live = new FakeOpenAi({ firstDay: today - 9 * DAY, days: 10, projects: 2, lineItems: 3, adminKey: KEY, emptyEvery: 0 });
    await live.start();
    try {
      const f = files({
        'c.json': { admin_api_key: KEY, start_date: new Date((today - 9 * DAY) * 1000).toISOString().slice(0, 10), base_url: live.baseUrl, max_window_days: 5 },
        'cat.json': catalog([{ name: 'costs' }]),
      });
      const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
      const rows = records(result.messages);
      expect(rows.some((r) => r.start_time === today)).toBe(true);
      const now = Math.floor(Date.now() / 1000 / DAY) * DAY;
      const last = states(result.messages).at(-1)?.state.stream.stream_state.cursor as number;
      expect([today, now]).toContain(last);
      expect(withoutIds(rows)).toEqual(withoutIds(live.org.expectedCosts(today - 9 * DAY, today + DAY, ['project_id', 'line_item'])));
    } finally {
      await live.stop();
    }
  });

  it('given a far-future state when reading then no records, one STATE, COMPLETE and exit 0', async () => {
    const state = JSON.parse(readFileSync(join(ROOT, 'state/far-future.json'), 'utf8')) as unknown;
    const { result, requests } = await readCosts(config(), { state });
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs'] });
    expect(records(result.messages)).toHaveLength(0);
    expect(states(result.messages)).toHaveLength(1);
    expect(requests).toHaveLength(0);
  });

  it('given the states of a costs and a projects read when passed back then the next read accepts both and succeeds', async () => {
    const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'costs' }, { name: 'projects', mode: 'full_refresh' }]) });
    const args = ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string];
    const first = await run(BINS.openai, args);
    expect(first.code).toBe(0);
    const state = lastStates(first.messages);
    expect(state).toHaveLength(2);
    const s = files({ 's.json': state });
    const second = await run(BINS.openai, [...args, '--state', s['s.json'] as string]);
    expect(second.code).toBe(0);
    assertProtocol(second, { streams: ['costs', 'projects'] });
    expect(records(second.messages, 'projects')).toEqual(records(first.messages, 'projects'));
  });

  it('given a version-0 or version-1 state when reading then it migrates to version 2 and, since it never recorded where its coverage starts, re-reads from start_date once', async () => {
    for (const old of [{ start_time: day('2025-12-20') }, { version: 1, cursor: day('2025-12-20') }]) {
      const state = [{ type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: old } }];
      const { result } = await readCosts(config({ lookback_days: 0 }), { state });
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
      expect(withoutIds(records(result.messages))).toEqual(
        withoutIds(fake.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), ['project_id', 'line_item'])),
      );
      expect(states(result.messages).at(-1)?.state.stream.stream_state).toEqual({ version: 2, covered_from: day('2025-09-01'), cursor: day('2025-12-30') });
    }
  });

  it('given a project filter when reading then only that project is requested and emitted', async () => {
    const { result, requests } = await readCosts(config({ project_ids: ['proj_002'] }), { mode: 'full_refresh' });
    expect(result.code).toBe(0);
    expect(requests[0]?.query.getAll('project_ids')).toEqual(['proj_002']);
    const rows = records(result.messages);
    expect(new Set(rows.map((r) => r.project_id))).toEqual(new Set(['proj_002']));
    expect(withoutIds(rows)).toEqual(
      withoutIds(fake.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), ['project_id', 'line_item'], { projectIds: ['proj_002'] })),
    );
  });

  it('given a wrong Admin key when reading then TRACE ERROR config_error says it is wrong or revoked, the stream is INCOMPLETE and the exit is non-zero', async () => {
    const wrong = 'sk-admin-wrongwrongwrong123';
    const { result } = await readCosts(config({ admin_api_key: wrong }));
    expect(result.code).toBe(1);
    assertProtocol(result, { streams: ['costs'], expectComplete: false });
    expect(statuses(result.messages, 'costs').at(-1)).toBe('INCOMPLETE');
    const [error] = errors(result.messages);
    expect(error?.trace.error.failure_type).toBe('config_error');
    expect(error?.trace.error.message).toContain('Admin key (sk-admin-...): it is wrong or revoked');
    expect(result.stdout + result.stderr).not.toContain(wrong);
  });

  it('given a catalog with an unknown stream when reading then that stream is INCOMPLETE, costs still completes, and the exit is non-zero', async () => {
    const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'nope' }, { name: 'costs' }]) });
    const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
    expect(result.code).toBe(1);
    assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
    expect(statuses(result.messages, 'nope')).toEqual(['STARTED', 'INCOMPLETE']);
    expect(errors(result.messages)[0]?.trace.error.failure_type).toBe('config_error');
    expect(records(result.messages).length).toBeGreaterThan(0);
  });
});

describe('group_by api_key_id on costs: the spec allows it, the live API refuses it (altogether, or before 2025-12-06)', () => {
  const byKey = { group_by: { costs: ['project_id', 'api_key_id'] } };
  const refusal = (window: string, apiMessage: string): string =>
    `OpenAI refused group_by api_key_id on costs for ${window} ("${apiMessage}"): remove 'api_key_id' from group_by.costs.`;

  it('given OpenAI refusing api_key_id on costs (the default fake) when checking then FAILED names the grouping to remove, quoting OpenAI, after one request for start_date with that grouping', async () => {
    const { status, requests } = await check(config({ start_date: '2025-11-20', ...byKey }));
    expect(status.status).toBe('FAILED');
    expect(status.message).toBe(refusal('[2025-11-20T00:00:00Z, 2025-11-21T00:00:00Z)', COSTS_GROUP_BY_REFUSED));
    expect(requests).toHaveLength(1);
    expect(requests[0]?.path).toBe('/v1/organization/costs');
    expect(requests[0]?.query.get('start_time')).toBe(String(day('2025-11-20')));
    expect(requests[0]?.query.get('end_time')).toBe(String(day('2025-11-21')));
    expect(requests[0]?.query.getAll('group_by')).toEqual(['project_id', 'api_key_id']);
  });

  it('given OpenAI refusing api_key_id on costs when reading then TRACE ERROR config_error names the grouping, exit 1, one request (no smaller windows tried), no records and no STATE', async () => {
    const { result, requests } = await readCosts(config(byKey));
    expect(expectFailure(result, 'config_error')).toBe(refusal('[2025-09-01T00:00:00Z, 2025-12-30T00:00:00Z)', COSTS_GROUP_BY_REFUSED));
    expect(records(result.messages)).toHaveLength(0);
    expect(states(result.messages)).toHaveLength(0);
    expect(requests).toHaveLength(1);
    expect(result.stdout + result.stderr).not.toContain(KEY);
  });

  it('given OpenAI refusing api_key_id only before 2025-12-06 (floor switch) when checking and reading from 2025-11-20 then both fail quoting the epoch, and nothing is read from the floor on instead', async () => {
    await withFake({ apiKeyIdGrouping: 'floor' }, async (floor) => {
      expect(API_KEY_ID_FLOOR_MESSAGE).toContain('1764979200');
      const checked = await check(config({ start_date: '2025-11-20', ...byKey }), floor);
      expect(checked.status).toEqual({ status: 'FAILED', message: refusal('[2025-11-20T00:00:00Z, 2025-11-21T00:00:00Z)', API_KEY_ID_FLOOR_MESSAGE) });
      const { result, requests } = await readCosts(config({ start_date: '2025-11-20', ...byKey }), { server: floor });
      expect(expectFailure(result, 'config_error')).toBe(refusal('[2025-11-20T00:00:00Z, 2025-12-30T00:00:00Z)', API_KEY_ID_FLOOR_MESSAGE));
      expect(requests.map((r) => r.query.get('start_time'))).toEqual([String(day('2025-11-20'))]);
      expect(records(result.messages)).toHaveLength(0);
      expect(states(result.messages)).toHaveLength(0);
    });
  });

  it('given the floor switch and a state whose lookback reaches before 2025-12-06 when reading then config_error and no STATE; from a state past the floor the read is exact', async () => {
    await withFake({ apiKeyIdGrouping: 'floor' }, async (floor) => {
      const stateAt = (iso: string) => [
        { type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: { version: 2, covered_from: day('2025-09-01'), cursor: day(iso) } } },
      ];
      const early = await readCosts(config({ lookback_days: 3, ...byKey }), { server: floor, state: stateAt('2025-12-08') });
      expect(expectFailure(early.result, 'config_error')).toBe(refusal('[2025-12-05T00:00:00Z, 2025-12-30T00:00:00Z)', API_KEY_ID_FLOOR_MESSAGE));
      expect(states(early.result.messages)).toHaveLength(0);
      const late = await readCosts(config({ lookback_days: 3, ...byKey }), { server: floor, state: stateAt('2025-12-09') });
      expect(late.result.code).toBe(0);
      assertProtocol(late.result, { streams: ['costs'], schemas: { costs: schema } });
      expect(withoutIds(records(late.result.messages))).toEqual(
        withoutIds(floor.org.expectedCosts(API_KEY_ID_FLOOR, day('2025-12-30'), ['project_id', 'api_key_id'])),
      );
      expect(states(late.result.messages).map((m) => m.state.stream.stream_state.cursor)).toEqual([day('2025-12-30')]);
    });
  });

  it('given OpenAI allowing api_key_id (allowed switch) when checking and reading from before the floor then SUCCEEDED and the records equal the ground truth exactly', async () => {
    await withFake({ apiKeyIdGrouping: 'allowed' }, async (allowed) => {
      expect((await check(config({ start_date: '2025-11-20', ...byKey }), allowed)).status).toEqual({ status: 'SUCCEEDED' });
      const { result } = await readCosts(config(byKey), { server: allowed, mode: 'full_refresh' });
      expect(result.code).toBe(0);
      assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
      const expected = allowed.org.expectedCosts(day('2025-09-01'), day('2025-12-30'), ['project_id', 'api_key_id']);
      expect(expected.some((r) => r.api_key_id !== null)).toBe(true);
      expect(withoutIds(records(result.messages))).toEqual(withoutIds(expected));
    });
  });
});

describe('money is exact: amounts beyond 6 decimals', () => {
  /** The number text of each amount.value in a costs body, keyed by bucket and dimensions. */
  function sentAmounts(text: string, into: Map<string, string>): void {
    const raw = [...text.matchAll(/"amount":\{"value":([^,}]+),/g)].map((m) => m[1] as string);
    const body = JSON.parse(text) as { data: Array<{ start_time: number; results: Array<Record<string, unknown>> }> };
    let i = 0;
    for (const b of body.data) for (const r of b.results) into.set(JSON.stringify([b.start_time, r.project_id, r.line_item, r.api_key_id]), raw[i++] as string);
    expect(i).toBe(raw.length);
  }

  it('given amounts such as 1.2e-7 and 12345.678901234 when reading on decode workers and on the main thread then every amount_value is byte for byte the number text OpenAI sent, and sync stores those exact doubles', async () => {
    await withFake({ recordBodies: true }, async (server) => {
      for (const decoding of [{}, { decode_threads: 0 }]) {
        server.bodies.length = 0;
        const { result } = await readCosts(config(decoding), { server, mode: 'full_refresh' });
        expect(result.code).toBe(0);
        const sent = new Map<string, string>();
        for (const b of server.bodies) if (b.path === '/v1/organization/costs') sentAmounts(b.text, sent);
        const values = [...sent.values()];
        expect(values).toContain('1.2e-7');
        expect(values).toContain('12345.678901234');
        expect(values.filter((v) => /\.\d{7,}|e-/.test(v)).length).toBeGreaterThan(values.length / 2);
        const lines = result.lines.filter((l) => l.startsWith('{"type":"RECORD"'));
        expect(lines).toHaveLength(sent.size);
        for (const line of lines) {
          const data = (JSON.parse(line) as { record: { data: Record<string, unknown> } }).record.data;
          const text = /"amount_value":([^,}]+)[,}]/.exec(line)?.[1];
          expect(text, line).toBe(sent.get(JSON.stringify([data.start_time, data.project_id, data.line_item, data.api_key_id])));
        }
      }
      // The warehouse keeps amount_value as the DOUBLE the API sent: the same number text back.
      const sent = new Map<string, string>();
      for (const b of server.bodies) if (b.path === '/v1/organization/costs') sentAmounts(b.text, sent);
      const db = join(mkdtempSync(join(tmpdir(), 'costs-')), 'costs.duckdb');
      const f = files({ 'c.json': { ...config(), base_url: server.baseUrl } });
      const synced = await runCli(BINS.openai, ['sync', '--config', f['c.json'] as string, '--db', db, '--streams', 'costs']);
      expect(synced.code, synced.stderr).toBe(0);
      const rows = await query(db, 'SELECT start_time, project_id, line_item, api_key_id, amount_value FROM openai.costs');
      expect(rows).toHaveLength(sent.size);
      for (const r of rows) expect(String(r.amount_value)).toBe(sent.get(JSON.stringify([Number(r.start_time), r.project_id, r.line_item, r.api_key_id])));
    });
  });
});

describe('fake OpenAI costs API, as reported live', () => {
  const get = async (path: string, q: string, key = KEY): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${fake.baseUrl}${path}${q ? `?${q}` : ''}`, { headers: { authorization: `Bearer ${key}` } });
    return { status: res.status, body: await res.json() };
  };
  const start = day('2025-09-01');
  const openAiError = (message: string, param: string | null, code: string | null = null) => ({
    error: { message, type: 'invalid_request_error', param, code },
  });

  it('given limit outside 1-180 when asking for costs then 400 "Invalid limit provided: 366. Limit must be less than or equal to 180." (rejected, not clamped)', async () => {
    expect(await get('/organization/costs', `start_time=${start}&limit=366`)).toEqual({
      status: 400,
      body: openAiError('Invalid limit provided: 366. Limit must be less than or equal to 180.', 'limit'),
    });
    expect((await get('/organization/costs', `start_time=${start}&limit=0`)).status).toBe(400);
    const max = await get('/organization/costs', `start_time=${start}&end_time=${start + 180 * DAY}&limit=180`);
    expect(max.status).toBe(200);
    expect(max.body.data).toHaveLength(180);
  });

  it('given a group_by costs does not support when asking then 400 with param group_by naming the supported values', async () => {
    expect(await get('/organization/costs', `start_time=${start}&group_by=model`)).toEqual({
      status: 400,
      body: openAiError("Invalid value for 'group_by': 'model'. Supported values are: 'project_id', 'line_item'.", 'group_by'),
    });
    expect(await get('/organization/costs', `start_time=${start}&group_by=api_key_id`)).toEqual({
      status: 400,
      body: openAiError(COSTS_GROUP_BY_REFUSED, 'group_by'),
    });
  });

  it('given a next_page used with changed parameters, or any next_page of a grouped query, when asking then 400 "The page token is invalid, have you modified the query parameters?"', async () => {
    const first = await get('/organization/costs', `start_time=${start}&end_time=${start + 30 * DAY}&limit=7`);
    expect(first.body.has_more).toBe(true);
    const token = first.body.next_page as string;
    const invalid = { status: 400, body: openAiError(INVALID_TOKEN_MESSAGE, null, 'invalid_request_error') };
    expect(await get('/organization/costs', `start_time=${start}&end_time=${start + 31 * DAY}&limit=7&page=${token}`)).toEqual(invalid);
    expect((await get('/organization/costs', `start_time=${start}&end_time=${start + 30 * DAY}&limit=7&page=${token}`)).status).toBe(200);
    const grouped = await get('/organization/costs', `start_time=${start}&end_time=${start + 30 * DAY}&limit=7&group_by=project_id`);
    expect(
      await get('/organization/costs', `start_time=${start}&end_time=${start + 30 * DAY}&limit=7&group_by=project_id&page=${grouped.body.next_page}`),
    ).toEqual(invalid);
  });

  it('given the legacy usage endpoints when asked with an API key then dashboard/billing answers 403 (session key only) and /v1/usage 404; a read of every stream never calls them', async () => {
    expect(
      await fetch(`${fake.url}/v1/dashboard/billing/usage?start_date=2025-09-01&end_date=2025-09-30`, { headers: { authorization: `Bearer ${KEY}` } }).then(
        async (r) => ({ status: r.status, body: await r.json() }),
      ),
    ).toEqual({
      status: 403,
      body: {
        error: {
          message:
            'Your request to GET /v1/dashboard/billing/usage must be made with a session key (that is, it can only be made from the browser). You made it with the following key type: secret.',
          type: 'server_error',
          param: null,
          code: null,
        },
      },
    });
    expect((await fetch(`${fake.url}/v1/usage?date=2025-09-01`, { headers: { authorization: `Bearer ${KEY}` } })).status).toBe(404);
    const all = [...OPENAI_STREAMS];
    const f = files({ 'c.json': config({ start_date: '2025-12-01' }), 'cat.json': catalog(all.map((name) => ({ name, mode: 'full_refresh' as const }))) });
    const before = fake.requests.length;
    const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: all });
    const paths = fake.requests.slice(before).map((r) => r.path);
    expect(paths.length).toBeGreaterThanOrEqual(all.length);
    expect(paths.every((p) => p.startsWith('/v1/organization/'))).toBe(true);
  });
});

describe('source-openai-costs spec, check and discover', () => {
  it('given spec when run then exactly one SPEC equal to spec.json, with the key marked secret and no $ref', async () => {
    const result = await run(BINS.openai, ['spec']);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    expect(result.messages).toHaveLength(1);
    const spec = result.messages[0]?.spec;
    expect(spec).toEqual(JSON.parse(readFileSync(join(CONTRACTS.openai, 'spec.json'), 'utf8')));
    const text = JSON.stringify(spec);
    expect(text).not.toContain('$ref');
    expect(text).not.toContain('"additionalProperties":false');
    expect(spec.connectionSpecification.properties.admin_api_key.airbyte_secret).toBe(true);
  });

  it('given a good key when checking then SUCCEEDED and exit 0; given a bad key then FAILED naming the Admin key and exit 0', async () => {
    const ok = files({ 'c.json': config() });
    const good = await run(BINS.openai, ['check', '--config', ok['c.json'] as string]);
    expect(good.code).toBe(0);
    assertProtocol(good, { streams: [] });
    expect(ofType(good.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status)).toEqual(['SUCCEEDED']);
    const bad = files({ 'c.json': config({ admin_api_key: 'sk-proj-notanadminkey99' }) });
    const failed = await run(BINS.openai, ['check', '--config', bad['c.json'] as string]);
    expect(failed.code).toBe(0);
    const [status] = ofType(failed.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toContain('sk-admin-');
    expect(failed.stdout).not.toContain('sk-proj-notanadminkey99');
  });

  it('given discover when run then one CATALOG whose costs stream lists full_refresh first, cursor start_time and key id', async () => {
    const f = files({ 'c.json': config() });
    const result = await run(BINS.openai, ['discover', '--config', f['c.json'] as string]);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    const catalogs = ofType(result.messages, 'CATALOG');
    expect(catalogs).toHaveLength(1);
    const costs = catalogs[0]?.catalog.streams.find((s: { name: string }) => s.name === 'costs');
    expect(costs).toMatchObject({
      supported_sync_modes: ['full_refresh', 'incremental'],
      source_defined_cursor: true,
      default_cursor_field: ['start_time'],
      source_defined_primary_key: [['id']],
      is_resumable: true,
    });
    expect(costs.json_schema).toEqual(schema);
  });
});
