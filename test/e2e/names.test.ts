import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import type { LoggedRequest } from '../fake/server.js';
import { BINS, CONTRACTS, catalog, errors, files, ofType, records, run, type Message, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { query, runCli } from '../support/warehouse.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/**
 * Issue 24 point 4: SubAccountName (FOCUS SubAccountName-C-005-C: not null where SubAccountId is
 * not null) and the x_ name columns beside the key and actor ids, read by the spend stream itself
 * (Airbyte read and Singer alike) from the entity lists, with the number of extra requests
 * docs/focus.md ("Names") gives. The fakes' names are unkind: two projects (workspaces) with one
 * name, names that are not ASCII, lists longer than a page, and a key and a user deleted after
 * they spent (in the costs, in no list: their names are null, never guessed).
 */
const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const schemaOf = (dir: string): Record<string, unknown> => JSON.parse(readFileSync(join(dir, 'schemas', 'spend.json'), 'utf8')) as Record<string, unknown>;

async function airbyteRead(bin: string, fake: { requests: LoggedRequest[] }, cfg: Record<string, unknown>, streams = ['spend']) {
  const f = files({ 'c.json': cfg, 'cat.json': catalog(streams.map((name) => ({ name, mode: 'incremental' as const }))) });
  const before = fake.requests.length;
  const result = await run(bin, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
  expect(result.code, JSON.stringify(errors(result.messages).map((e) => e.trace.error.message))).toBe(0);
  return { result, requests: fake.requests.slice(before) };
}

/** Singer mode (no command word): discover, select spend, sync; the spend RECORDs. */
async function singerSpend(bin: string, cfg: Record<string, unknown>): Promise<Array<Record<string, unknown>>> {
  const c = files({ 'config.json': cfg });
  const discovered = await run(bin, ['--config', c['config.json'] as string, '--discover'], { env: AS_OF_ENV });
  expect(discovered.code).toBe(0);
  const cat = JSON.parse(discovered.stdout) as {
    streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }>;
  };
  for (const s of cat.streams) for (const m of s.metadata) if (m.breadcrumb.length === 0) m.metadata.selected = s.tap_stream_id === 'spend';
  const f = files({ 'catalog.json': cat });
  const result = await run(bin, ['--config', c['config.json'] as string, '--catalog', f['catalog.json'] as string], { env: AS_OF_ENV });
  expect(result.code, result.stderr).toBe(0);
  return result.messages.filter((m: Message) => m.type === 'RECORD' && m.stream === 'spend').map((m: Message) => m.record as Record<string, unknown>);
}

/** Rows without the time they were read (the only field two reads may differ in). */
const comparable = (rows: ReadonlyArray<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r)).sort();

describe('OpenAI spend names', () => {
  const KEY = 'sk-admin-NAMES-0a1b2c3d4e5f';
  // On or after 2025-12-06: costs may be grouped by api_key_id (the fake's floor).
  const FIRST = Date.UTC(2025, 11, 8) / 1000;
  const DAYS = 12;
  const PAGE = 10;
  /** The organization of this describe's fakes. */
  const ORG = { firstDay: FIRST, days: DAYS, projects: 4, lineItems: 3, adminKey: KEY, apiKeyIdGrouping: 'allowed' } as const;
  let fake: FakeOpenAi;
  beforeAll(async () => {
    // 4 projects with cost + 22 without: 26 projects, 3 list pages of 10.
    fake = new FakeOpenAi({ ...ORG, listPageCap: PAGE, now: testClock() });
    await fake.start();
  });
  afterAll(() => fake.stop());
  const config = (extra: Record<string, unknown> = {}) => ({
    admin_api_key: KEY,
    base_url: fake.baseUrl,
    start_date: isoDay(FIRST),
    end_date: isoDay(FIRST + (DAYS - 1) * DAY),
    group_by: { costs: ['project_id', 'line_item', 'api_key_id'] },
    ...extra,
  });
  const projectName = (id: string) => fake.org.projectsList().find((p) => p.id === id)?.name;
  const keyName = (id: string) =>
    fake.org
      .projectsList()
      .flatMap((p) => fake.org.apiKeys(p.id) ?? [])
      .find((k) => k.id === id)?.name;

  it('given projects with one name, non-ASCII names and a deleted key when spend is read then SubAccountName and x_ApiKeyName are the listed names, the deleted key’s null', async () => {
    const { result, requests } = await airbyteRead(BINS.openai, fake, config());
    assertProtocol(result, { streams: ['spend'], schemas: { spend: schemaOf(CONTRACTS.openai) } });
    const rows = records(result.messages, 'spend');
    expect(rows.length).toBeGreaterThan(50);
    // SubAccountName-C-005-C: every row with a SubAccountId has the fake's name for it.
    for (const r of rows) {
      if (r.SubAccountId === null) expect(r.SubAccountName).toBeNull();
      else expect(r.SubAccountName).toBe(projectName(r.SubAccountId as string));
      expect(r.SubAccountName === null || typeof r.SubAccountName === 'string').toBe(true);
    }
    // Two projects named Production, told apart by their ids; names written as sent.
    const production = new Set(rows.filter((r) => r.SubAccountName === 'Production').map((r) => r.SubAccountId));
    expect(production.size).toBe(2);
    expect(rows.some((r) => r.SubAccountName === 'Recherche & Développement — Zürich')).toBe(true);
    expect(rows.some((r) => r.SubAccountName === '研究チーム 🚀')).toBe(true);
    // The deleted key spent: its rows keep its id and have no name; every other key has its listed name.
    const [deleted] = [...fake.org.deletedKeys];
    expect(rows.filter((r) => r.x_ApiKeyId === deleted).length).toBeGreaterThan(0);
    for (const r of rows) {
      if (r.x_ApiKeyId === null || r.x_ApiKeyId === deleted) expect(r.x_ApiKeyName).toBeNull();
      else expect(r.x_ApiKeyName).toBe(keyName(r.x_ApiKeyId as string));
    }
    // The extra requests docs/focus.md gives: ceil(P / page) project pages, then each project's keys (one page each here).
    const projects = fake.org.projectsList();
    expect(projects.length).toBe(26);
    const extra = requests.filter((r) => r.path !== '/v1/organization/costs');
    expect(extra.filter((r) => r.path === '/v1/organization/projects')).toHaveLength(Math.ceil(projects.length / PAGE));
    expect(extra.filter((r) => r.path === '/v1/organization/projects' && r.query.get('include_archived') !== 'true')).toHaveLength(0);
    const keyLists = extra.filter((r) => r.path.endsWith('/api_keys'));
    expect(keyLists.map((r) => r.path).sort()).toEqual(projects.map((p) => `/v1/organization/projects/${p.id}/api_keys`).sort());
    expect(extra).toHaveLength(Math.ceil(projects.length / PAGE) + projects.length);
  });

  it('given costs not grouped by api_key_id when spend is read then only the project list is read (no key lists) and SubAccountName is set', async () => {
    const { result, requests } = await airbyteRead(BINS.openai, fake, config({ group_by: { costs: ['project_id', 'line_item'] } }));
    const rows = records(result.messages, 'spend');
    expect(rows.filter((r) => r.SubAccountId !== null).every((r) => r.SubAccountName === projectName(r.SubAccountId as string))).toBe(true);
    expect(rows.every((r) => r.x_ApiKeyName === null)).toBe(true);
    const extra = requests.filter((r) => r.path !== '/v1/organization/costs');
    expect(extra.map((r) => r.path)).toEqual(Array(3).fill('/v1/organization/projects'));
  });

  it('given a read without spend when costs are read then no list is requested for names', async () => {
    const { requests } = await airbyteRead(BINS.openai, fake, config(), ['costs']);
    expect(requests.every((r) => r.path === '/v1/organization/costs')).toBe(true);
  });

  it('given a dry run of spend when planned then it names the lists it would read for names and sends nothing', async () => {
    const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]) });
    const before = fake.requests.length;
    const r = await run(BINS.openai, ['read', '--dry-run', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
    expect(r.code).toBe(0);
    const lines = ofType(r.messages, 'LOG').map((m) => String(m.log.message));
    expect(lines.filter((l) => l.startsWith('dry-run spend: names'))).toEqual([
      'dry-run spend: names (docs/focus.md, Names), before the read: GET /organization/projects and /organization/projects/{project_id}/api_keys, list pages followed by cursor (not planned)',
    ]);
    expect(fake.requests.length).toBe(before);
  });

  it('given Singer mode when spend is synced then its rows carry the same names as the Airbyte read', async () => {
    const airbyte = records((await airbyteRead(BINS.openai, fake, config())).result.messages, 'spend');
    const singer = await singerSpend(BINS.openai, config());
    expect(singer.some((r) => r.SubAccountName === 'Production')).toBe(true);
    expect(comparable(singer)).toEqual(comparable(airbyte));
  });

  it('given sync into DuckDB when spend is synced then the spend table has the names, the summary counts the list requests as spend’s, and a refused list key exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'names-sync-'));
    try {
      const c = join(dir, 'c.json');
      writeFileSync(c, JSON.stringify(config()));
      const db = join(dir, 'names.duckdb');
      const before = fake.requests.length;
      const s = await runCli(BINS.openai, ['sync', '--config', c, '--db', db, '--streams', 'spend'], { env: AS_OF_ENV });
      expect(s.code, s.stderr).toBe(0);
      const sent = fake.requests.slice(before).length;
      expect(s.stderr).toMatch(new RegExp(`^spend: ok, .*\\b${sent} requests\\b`, 'm'));
      const rows = await query(db, 'SELECT "SubAccountId" AS id, "SubAccountName" AS name, "x_ApiKeyId" AS k, "x_ApiKeyName" AS kn FROM openai.spend');
      expect(rows.length).toBeGreaterThan(50);
      for (const r of rows) {
        expect(r.name).toBe(r.id === null ? null : (projectName(String(r.id)) ?? null));
        expect(r.kn).toBe(r.k === null || fake.org.deletedKeys.has(String(r.k)) ? null : (keyName(String(r.k)) ?? null));
      }
      fake.fault({ path: '/v1/organization/projects', fault: { kind: 'status', status: 401 }, times: 5 });
      const refused = await runCli(BINS.openai, ['sync', '--config', c, '--db', db, '--streams', 'spend'], { env: AS_OF_ENV });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/cannot read the names of the spend rows/);
    } finally {
      fake.clearFaults();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('given a project list that fails with 500 when spend is read then the read succeeds with a WARN and null names, the money unchanged', async () => {
    const good = records((await airbyteRead(BINS.openai, fake, config({ group_by: { costs: ['project_id', 'line_item'] } }))).result.messages, 'spend');
    fake.fault({ path: '/v1/organization/projects', fault: { kind: 'status', status: 500 }, times: 20 });
    try {
      const { result } = await airbyteRead(BINS.openai, fake, config({ group_by: { costs: ['project_id', 'line_item'] }, max_retries: 1 }));
      const rows = records(result.messages, 'spend');
      expect(rows.every((r) => r.SubAccountName === null)).toBe(true);
      expect(rows.map((r) => [r.x_RecordId, r.BilledCost, r.SubAccountId])).toEqual(good.map((r) => [r.x_RecordId, r.BilledCost, r.SubAccountId]));
      const warns = ofType(result.messages, 'LOG').filter((m) => m.log.level === 'WARN' && /names not read/.test(m.log.message));
      expect(warns).toHaveLength(1);
    } finally {
      fake.clearFaults();
    }
  });

  it('given a project deleted between the project list and its key list (404) when spend is read then its keys have null names, every other name is set, and the read succeeds', async () => {
    const gone = new FakeOpenAi({ ...ORG, deletedProjects: { ids: ['proj_002'] }, now: testClock() });
    await gone.start();
    try {
      const { result } = await airbyteRead(BINS.openai, gone, { ...config(), base_url: gone.baseUrl });
      const rows = records(result.messages, 'spend');
      const ofGone = rows.filter((r) => r.SubAccountId === 'proj_002' && r.x_ApiKeyId !== null);
      expect(ofGone.length).toBeGreaterThan(0);
      expect(ofGone.every((r) => r.x_ApiKeyName === null && r.SubAccountName === 'Production')).toBe(true);
      const others = rows.filter((r) => r.SubAccountId !== 'proj_002' && r.x_ApiKeyId !== null && !gone.org.deletedKeys.has(r.x_ApiKeyId as string));
      expect(others.length).toBeGreaterThan(0);
      expect(others.every((r) => r.x_ApiKeyName === keyName(r.x_ApiKeyId as string))).toBe(true);
    } finally {
      await gone.stop();
    }
  });

  it('given a project list answering 401 when spend is read then the read fails as config_error naming the key', async () => {
    fake.fault({ path: '/v1/organization/projects', fault: { kind: 'status', status: 401 }, times: 5 });
    try {
      const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]) });
      const result: RunResult = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
      expect(result.code).not.toBe(0);
      const [e] = errors(result.messages);
      expect(e?.trace.error.failure_type).toBe('config_error');
      expect(e?.trace.error.message).toMatch(/names of the spend rows/);
      expect(records(result.messages, 'spend')).toHaveLength(0);
    } finally {
      fake.clearFaults();
    }
  });
});

describe('Anthropic spend names', () => {
  const KEY = 'sk-ant-admin01-NAMES-4d5e6f7a8b';
  // Inside the analytics API's window (from 2026-01-01, the last 365 days): every run is as of TEST_NOW (support/clock.ts), so on any day.
  const FIRST = Date.UTC(2026, 0, 5) / 1000;
  const DAYS = 21;
  const PAGE = 2;
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: KEY, listPageCap: PAGE, emptyEvery: 0, now: testClock() });
    await fake.start();
  });
  afterAll(() => fake.stop());
  const config = (extra: Record<string, unknown> = {}) => ({
    admin_api_key: KEY,
    base_url: fake.baseUrl,
    start_date: isoDay(FIRST),
    end_date: isoDay(FIRST + (DAYS - 1) * DAY),
    focus: { anthropic_source: 'analytics' },
    ...extra,
  });
  const workspaceName = (id: string) => fake.org.workspaces.find((w) => w.id === id)?.name;
  const keyName = (id: string) => fake.org.listedApiKeys().find((k) => k.id === id)?.name ?? null;
  const userName = (id: string) => fake.org.listedUsers().find((u) => u.id === id)?.name ?? null;

  it('given workspaces with one name, non-ASCII names, a deleted key and a deleted user when spend is read then every name is the listed one and the deleted ids’ are null', async () => {
    const { result, requests } = await airbyteRead(BINS.anthropic, fake, config());
    assertProtocol(result, { streams: ['spend'], schemas: { spend: schemaOf(CONTRACTS.anthropic) } });
    const rows = records(result.messages, 'spend');
    expect(rows.length).toBeGreaterThan(100);
    for (const r of rows) {
      // The default workspace has no id, and so no name (docs/focus.md).
      if (r.SubAccountId === null) expect(r.SubAccountName).toBeNull();
      else expect(r.SubAccountName).toBe(workspaceName(r.SubAccountId as string));
      expect(r.x_ApiKeyName).toBe(r.x_ApiKeyId === null ? null : keyName(r.x_ApiKeyId as string));
      const actor = r.x_ActorType === 'user_actor' ? userName(r.x_ActorId as string) : r.x_ActorType === 'api_actor' ? keyName(r.x_ActorId as string) : null;
      expect(r.x_ActorName).toBe(actor);
    }
    expect(rows.some((r) => r.SubAccountId === null)).toBe(true);
    expect(new Set(rows.filter((r) => r.SubAccountName === 'Production').map((r) => r.SubAccountId)).size).toBe(2);
    expect(rows.some((r) => r.SubAccountName === 'データ基盤 🚀')).toBe(true);
    expect(rows.some((r) => r.x_ActorName === 'José Müller-Ñúñez' || r.x_ActorName === '王小明')).toBe(true);
    expect(rows.some((r) => r.x_ActorType === 'service_account_actor' && r.x_ActorId !== null && r.x_ActorName === null)).toBe(true);
    // The deleted key and user spent: their ids are kept, their names null.
    const [deletedKey] = [...fake.org.deletedApiKeys];
    const [deletedUser] = [...fake.org.deletedUsers];
    expect(rows.filter((r) => r.x_ApiKeyId === deletedKey).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.x_ApiKeyId === deletedKey).every((r) => r.x_ApiKeyName === null)).toBe(true);
    expect(rows.filter((r) => r.x_ActorId === deletedUser).length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.x_ActorId === deletedUser).every((r) => r.x_ActorName === null)).toBe(true);
    // The extra requests docs/focus.md gives: each list's pages, once.
    const pages = (n: number) => Math.max(1, Math.ceil(n / PAGE));
    const count = (path: string) => requests.filter((r) => r.path === path).length;
    expect(count('/v1/organizations/workspaces')).toBe(pages(fake.org.workspaces.length));
    expect(count('/v1/organizations/api_keys')).toBe(pages(fake.org.listedApiKeys().length));
    expect(count('/v1/organizations/users')).toBe(pages(fake.org.listedUsers().length));
    expect(requests.filter((r) => r.path === '/v1/organizations/workspaces').every((r) => r.query.get('include_archived') === 'true')).toBe(true);
    const other = requests.filter((r) => !/^\/v1\/organizations\/(workspaces|api_keys|users|me|analytics\/cost|analytics\/usage)$/.test(r.path));
    expect(other).toEqual([]);
  });

  it('given focus.anthropic_source cost_report when spend is read then only workspaces are listed and SubAccountName is set', async () => {
    const { result, requests } = await airbyteRead(BINS.anthropic, fake, config({ focus: { anthropic_source: 'cost_report' } }));
    const rows = records(result.messages, 'spend');
    expect(rows.filter((r) => r.SubAccountId !== null).length).toBeGreaterThan(0);
    for (const r of rows) expect(r.SubAccountName).toBe(r.SubAccountId === null ? null : workspaceName(r.SubAccountId as string));
    const lists = requests.filter((r) => /^\/v1\/organizations\/(workspaces|api_keys|users)$/.test(r.path)).map((r) => r.path);
    expect(lists).toEqual(Array(Math.ceil(fake.org.workspaces.length / PAGE)).fill('/v1/organizations/workspaces'));
  });

  it('given Singer mode when spend is synced then its rows carry the same names as the Airbyte read', async () => {
    const airbyte = records((await airbyteRead(BINS.anthropic, fake, config())).result.messages, 'spend');
    const singer = await singerSpend(BINS.anthropic, config());
    expect(singer.some((r) => typeof r.x_ActorName === 'string')).toBe(true);
    expect(comparable(singer)).toEqual(comparable(airbyte));
  });
});

describe('Aurous spend names', () => {
  const KEY = 'al_live_NAMES_7a8b9c0d';
  const FIRST = Date.UTC(2026, 5, 1) / 1000;
  const DAYS = 10;
  let fake: FakeAurous;
  beforeAll(async () => {
    fake = new FakeAurous({ firstTime: FIRST, endTime: FIRST + DAYS * DAY, apiKey: KEY, users: 6, models: 3, now: testClock() });
    await fake.start();
  });
  afterAll(() => fake.stop());

  it('given Aurous, whose API lists no keys, users or sub accounts, when spend is read then no extra request is made and no name is invented', async () => {
    const cfg = {
      api_key: KEY,
      base_url: fake.baseUrl,
      start_date: isoDay(FIRST),
      end_date: isoDay(FIRST + (DAYS - 1) * DAY),
      focus: { credit_usd_rate: '0.01' },
    };
    const { result, requests } = await airbyteRead(BINS.aurous, fake, cfg);
    const rows = records(result.messages, 'spend');
    expect(rows.length).toBeGreaterThan(0);
    expect(requests.every((r) => r.path === '/v1/usage')).toBe(true);
    expect(rows.every((r) => r.SubAccountId === null && r.SubAccountName === null)).toBe(true);
    expect(Object.keys(rows[0] ?? {}).filter((k) => /Name$/.test(k) && k.startsWith('x_'))).toEqual([]);
  });
});
