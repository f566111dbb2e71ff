import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isSingerInvocation } from '../../connector/cli/singer/args.js';
import { BINS, CONTRACTS, ROOT, catalog as airbyteCatalog, files, records as airbyteRecords, run, type Message, type RunResult } from '../support/cli.js';
import { withoutIds } from '../support/invariants.js';
import { errorsText, recordValidator } from '../support/protocol.js';
import { unpatched, validateSingerCatalog, validateSingerMessage } from '../support/singer.js';
import { FakeOpenAi } from '../fake/openai.js';

const KEY = 'sk-admin-e2e-singer-7a6b5c4d3e';
const FIRST = Date.UTC(2025, 9, 1) / 1000; // 2025-10-01
const DAYS = 40;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 3, adminKey: KEY, emptyEvery: 0, extraProjects: 4, users: 5 });
  await fake.start();
});
afterAll(() => fake.stop());

const config = (extra: Record<string, unknown> = {}) => ({
  admin_api_key: KEY,
  start_date: '2025-10-01',
  end_date: '2025-11-09',
  base_url: fake.baseUrl,
  max_window_days: 10,
  lookback_days: 2,
  ...extra,
});

type Catalog = {
  streams: Array<{
    tap_stream_id: string;
    stream: string;
    schema: Record<string, any>;
    key_properties: string[];
    metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }>;
  }>;
}; // eslint-disable-line @typescript-eslint/no-explicit-any

let discovered: Promise<{ result: RunResult; catalog: Catalog }> | undefined;
/** One --discover run, shared by the tests (each uses a copy of its catalog). */
function discover(): Promise<{ result: RunResult; catalog: Catalog }> {
  discovered ??= (async () => {
    const f = files({ 'config.json': config() });
    const result = await run(BINS.openai, ['--config', f['config.json'] as string, '--discover']);
    return { result, catalog: JSON.parse(result.stdout) as Catalog };
  })();
  return discovered.then(({ result, catalog }) => ({ result, catalog: structuredClone(catalog) }));
}

interface Pick {
  method?: 'FULL_TABLE' | 'INCREMENTAL' | 'LOG_BASED';
  key?: unknown;
  deselect?: string[];
}

/** Mark streams selected in a discovered catalog, as Meltano or a user would. */
function select(catalog: Catalog, picks: Record<string, Pick>): Catalog {
  const copy = structuredClone(catalog);
  for (const s of copy.streams) {
    const pick = picks[s.tap_stream_id];
    if (!pick) continue;
    for (const m of s.metadata) {
      if (m.breadcrumb.length === 0) {
        m.metadata.selected = true;
        if (pick.method) m.metadata['replication-method'] = pick.method;
        if (pick.key !== undefined) m.metadata['replication-key'] = pick.key;
      } else if (pick.deselect?.includes(m.breadcrumb[1] as string)) m.metadata.selected = false;
    }
  }
  return copy;
}

async function sync(cfg: Record<string, unknown>, opts: { catalog?: unknown; state?: unknown; flag?: '--catalog' | '--properties' } = {}) {
  const f = files({ 'config.json': cfg, ...(opts.catalog ? { 'catalog.json': opts.catalog } : {}), ...(opts.state ? { 'state.json': opts.state } : {}) });
  const args = ['--config', f['config.json'] as string];
  if (f['catalog.json']) args.push(opts.flag ?? '--catalog', f['catalog.json']);
  if (f['state.json']) args.push('--state', f['state.json']);
  const before = fake.requests.length;
  const result = await run(BINS.openai, args);
  return { result, requests: fake.requests.slice(before) };
}

const ofType = (result: RunResult, type: string): Message[] => result.messages.filter((m) => m.type === type);
const recordsOf = (result: RunResult, stream: string): Array<Record<string, unknown>> =>
  ofType(result, 'RECORD')
    .filter((m) => m.stream === stream)
    .map((m) => m.record as Record<string, unknown>);
const lastBookmarks = (result: RunResult): Record<string, any> => ofType(result, 'STATE').at(-1)?.value.bookmarks; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What every Singer sync must hold: only valid Singer messages on stdout, SCHEMA before RECORDs, keys present and unique. */
function assertSinger(result: RunResult, schemas: Record<string, Record<string, unknown>>): void {
  expect(result.stdout).not.toContain(KEY);
  expect(result.stderr).not.toContain(KEY);
  expect(result.messages.length).toBe(result.lines.length);
  const announced = new Map<string, Message>();
  const ids = new Map<string, Set<unknown>>();
  const validators = new Map<string, ReturnType<typeof recordValidator>>();
  for (const m of result.messages) {
    if (!validateSingerMessage(m)) throw new Error(`invalid Singer message ${JSON.stringify(m).slice(0, 200)}: ${errorsText(validateSingerMessage)}`);
    expect(['SCHEMA', 'RECORD', 'STATE']).toContain(m.type);
    if (m.type === 'SCHEMA') {
      expect(announced.has(m.stream), `second SCHEMA for ${m.stream}`).toBe(false);
      expect(Array.isArray(m.key_properties)).toBe(true);
      expect(Array.isArray(m.bookmark_properties)).toBe(true);
      announced.set(m.stream, m);
      validators.set(m.stream, recordValidator(m.schema));
    }
    if (m.type === 'RECORD') {
      const schema = announced.get(m.stream);
      expect(schema, `RECORD of ${m.stream} before its SCHEMA`).toBeDefined();
      expect(schemas[m.stream], `RECORD of unselected stream ${m.stream}`).toBeDefined();
      expect(new Date(m.time_extracted).toISOString()).toBe(m.time_extracted);
      const v = validators.get(m.stream);
      if (v && !v(m.record)) throw new Error(`record of ${m.stream} invalid against its SCHEMA: ${errorsText(v)}`);
      for (const k of schema?.key_properties ?? []) expect(m.record[k], `key ${k} of ${m.stream}`).not.toBeNull();
      const key = JSON.stringify(((schema?.key_properties ?? []) as string[]).map((k) => m.record[k]));
      const seen = ids.get(m.stream) ?? new Set();
      expect(seen.has(key), `duplicate key in ${m.stream}`).toBe(false);
      seen.add(key);
      ids.set(m.stream, seen);
    }
    if (m.type === 'STATE') {
      expect(Object.keys(m.value)).toEqual(['bookmarks']);
      expect(m.value).not.toHaveProperty('progress_markers');
    }
  }
}

describe('Singer mode: argv routing', () => {
  it.each([
    [['--config', 'c.json'], true],
    [['--config', 'c.json', '--discover'], true],
    [['--discover', '--config', 'c.json'], true],
    [['--config', 'c.json', '--catalog', 'cat.json', '--state', 's.json'], true],
    [['--about'], true],
    [['read', '--config', 'c.json', '--catalog', 'cat.json'], false],
    [['--debug', 'read', '--config', 'c.json'], false],
    [['spec'], false],
    [['discover', '--config', 'c.json'], false],
    [[], false],
  ])('given argv %j when routed then Singer is %s', (argv, singer) => {
    expect(isSingerInvocation(argv as string[])).toBe(singer);
  });
});

describe('Singer mode: source-openai-costs', () => {
  it('given --discover when run then stdout is one Singer catalog with breadcrumb metadata for every stream, valid against the Singer schema', async () => {
    const { result, catalog } = await discover();
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain(KEY);
    if (!validateSingerCatalog(catalog)) throw new Error(errorsText(validateSingerCatalog));
    // Only deviation 1 of test/support/singer.ts (JSON Schema keywords in `schema`) separates us from the legacy schema.
    const strict = unpatched().catalog;
    expect(strict(catalog)).toBe(false);
    expect(strict.errors?.every((e) => e.instancePath.includes('/schema'))).toBe(true);
    const names = catalog.streams.map((s) => s.tap_stream_id);
    expect(names).toContain('costs');
    expect(new Set(names).size).toBe(names.length);
    for (const s of catalog.streams) {
      expect(s.stream).toBe(s.tap_stream_id);
      expect(s.schema).toEqual(JSON.parse(readFileSync(join(CONTRACTS.openai, 'schemas', `${s.stream}.json`), 'utf8')));
      const top = s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata;
      expect(top).toMatchObject({ inclusion: 'available', 'selected-by-default': false, 'table-key-properties': s.key_properties });
      const fields = s.metadata.filter((m) => m.breadcrumb.length === 2).map((m) => m.breadcrumb[1]);
      expect(fields).toEqual(Object.keys(s.schema.properties));
      // The key is always selected: id, or x_RecordId for the FOCUS spend stream.
      expect(s.metadata.find((m) => m.breadcrumb[1] === s.key_properties[0])?.metadata.inclusion).toBe('automatic');
    }
    const costs = catalog.streams.find((s) => s.stream === 'costs');
    expect(costs?.metadata[0]?.metadata).toMatchObject({ 'table-key-properties': ['id'], 'valid-replication-keys': ['start_time'] });
    expect(costs?.metadata[0]?.metadata).not.toHaveProperty('forced-replication-method');
    expect(costs?.metadata.find((m) => m.breadcrumb[1] === 'start_time')?.metadata.inclusion).toBe('automatic');
    const projects = catalog.streams.find((s) => s.stream === 'projects');
    expect(projects?.metadata[0]?.metadata).toMatchObject({ 'forced-replication-method': 'FULL_TABLE', 'table-key-properties': ['id'] });
    expect(projects?.metadata[0]?.metadata).not.toHaveProperty('valid-replication-keys');
  });

  it('given a catalog selecting costs (incremental, one field deselected) and projects when synced then SCHEMA precedes RECORDs, records equal the Airbyte read and every STATE carries both bookmarks', async () => {
    const { catalog } = await discover();
    const picked = select(catalog, { costs: { method: 'INCREMENTAL', key: 'start_time', deselect: ['quantity', 'id'] }, projects: {} });
    if (!validateSingerCatalog(picked)) throw new Error(errorsText(validateSingerCatalog));
    const { result } = await sync(config(), { catalog: picked });
    expect(result.code, result.stderr).toBe(0);
    const schemaOf = (name: string) => catalog.streams.find((s) => s.stream === name)?.schema as Record<string, unknown>;
    assertSinger(result, { costs: schemaOf('costs'), projects: schemaOf('projects') });
    // Only the selected streams, each announced once, with keys and bookmarks.
    const schemas = ofType(result, 'SCHEMA');
    expect(schemas.map((m) => m.stream).sort()).toEqual(['costs', 'projects']);
    const costsSchema = schemas.find((m) => m.stream === 'costs');
    expect(costsSchema).toMatchObject({ key_properties: ['id'], bookmark_properties: ['start_time'] });
    expect(Object.keys(costsSchema?.schema.properties)).not.toContain('quantity');
    expect(Object.keys(costsSchema?.schema.properties)).toContain('id'); // automatic: cannot be deselected
    expect(schemas.find((m) => m.stream === 'projects')).toMatchObject({ key_properties: ['id'], bookmark_properties: [] });
    // The same data as the Airbyte read of the same config, minus the deselected field.
    const f = files({
      'c.json': config(),
      'cat.json': airbyteCatalog([
        { name: 'costs', mode: 'incremental' },
        { name: 'projects', mode: 'full_refresh' },
      ]),
    });
    const airbyte = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
    expect(airbyte.code).toBe(0);
    const costs = recordsOf(result, 'costs');
    expect(costs.length).toBeGreaterThan(100);
    expect(costs.every((r) => !('quantity' in r))).toBe(true);
    expect(costs).toEqual(airbyteRecords(airbyte.messages, 'costs').map(({ quantity: _q, ...rest }) => rest));
    expect(recordsOf(result, 'projects')).toEqual(airbyteRecords(airbyte.messages, 'projects'));
    expect(withoutIds(costs)).toEqual(
      withoutIds(fake.org.expectedCosts(day('2025-10-01'), day('2025-11-10'), ['project_id', 'line_item']).map(({ quantity: _q, ...rest }) => rest)),
    );
    // Bookmarks: our per-stream state, one STATE per Airbyte STATE, the last one holding both streams.
    const states = ofType(result, 'STATE');
    expect(states.length).toBeGreaterThanOrEqual(5);
    expect(lastBookmarks(result)).toEqual({
      costs: { version: 2, covered_from: day('2025-10-01'), cursor: day('2025-11-10') },
      projects: expect.objectContaining({ version: 1 }),
    });
    const cursors = states.map((m) => m.value.bookmarks.costs?.cursor).filter((c) => c !== undefined);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    // Logs on stderr only.
    expect(result.stderr).toMatch(/costs: COMPLETE/);
  });

  it('given the last STATE value of a sync as --state when synced again then costs resumes at its bookmark minus the lookback and other bookmarks are carried forward', async () => {
    const { catalog } = await discover();
    const picked = select(catalog, { costs: {} });
    const first = await sync(config(), { catalog: picked });
    expect(first.result.code).toBe(0);
    const state = { bookmarks: { ...lastBookmarks(first.result), users: { version: 1, synced_at: 1, pages: 1 }, retired_stream: { anything: true } } };
    const second = await sync(config(), { catalog: picked, state });
    expect(second.result.code, second.result.stderr).toBe(0);
    assertSinger(second.result, { costs: catalog.streams[0]?.schema as Record<string, unknown> });
    expect(second.requests.map((r) => r.query.get('start_time'))).toEqual([String(day('2025-11-08'))]);
    expect(withoutIds(recordsOf(second.result, 'costs'))).toEqual(
      withoutIds(fake.org.expectedCosts(day('2025-11-08'), day('2025-11-10'), ['project_id', 'line_item'])),
    );
    expect(lastBookmarks(second.result)).toEqual({
      costs: { version: 2, covered_from: day('2025-10-01'), cursor: day('2025-11-10') },
      users: { version: 1, synced_at: 1, pages: 1 },
      retired_stream: { anything: true },
    });
    expect(second.result.stderr).toMatch(/retired_stream/);
  });

  it('given FULL_TABLE on costs when synced with a bookmark then the bookmark is ignored and every day is read', async () => {
    const { catalog } = await discover();
    const { result, requests } = await sync(config(), {
      catalog: select(catalog, { costs: { method: 'FULL_TABLE' } }),
      state: { bookmarks: { costs: { version: 1, cursor: day('2025-11-05') } } },
    });
    expect(result.code).toBe(0);
    expect(requests[0]?.query.get('start_time')).toBe(String(day('2025-10-01')));
    expect(ofType(result, 'SCHEMA')[0]).toMatchObject({ bookmark_properties: [] });
    expect(recordsOf(result, 'costs')).toHaveLength(fake.org.expectedCosts(day('2025-10-01'), day('2025-11-10'), ['project_id', 'line_item']).length);
  });

  it('given a Meltano SDK bookmark, a legacy --properties catalog with replication-key as an array and a STATE-message state file when synced then all are understood, and since neither bookmark records where its coverage starts, costs is re-read from start_date once', async () => {
    const { catalog } = await discover();
    const picked = select(catalog, { costs: { method: 'INCREMENTAL', key: ['start_time'] } });
    if (!validateSingerCatalog(picked)) throw new Error(errorsText(validateSingerCatalog));
    const full = { version: 2, covered_from: day('2025-10-01'), cursor: day('2025-11-10') };
    const sdk = await sync(config({ lookback_days: 0 }), {
      catalog: picked,
      flag: '--properties',
      state: { bookmarks: { costs: { replication_key: 'start_time', replication_key_value: day('2025-11-07') } } },
    });
    expect(sdk.result.code, sdk.result.stderr).toBe(0);
    expect(sdk.requests.map((r) => r.query.get('start_time'))[0]).toEqual(String(day('2025-10-01')));
    expect(lastBookmarks(sdk.result).costs).toEqual(full);
    const wrapped = await sync(config({ lookback_days: 0 }), {
      catalog: picked,
      state: { type: 'STATE', value: { bookmarks: { costs: { start_time: day('2025-11-09') } } } },
    });
    expect(wrapped.result.code).toBe(0);
    expect(wrapped.requests.map((r) => r.query.get('start_time'))[0]).toEqual(String(day('2025-10-01')));
    expect(lastBookmarks(wrapped.result).costs).toEqual(full);
    // Our own bookmark records its coverage: the next sync resumes at its cursor (the end: nothing to read).
    const ours = await sync(config({ lookback_days: 0 }), { catalog: picked, state: { bookmarks: { costs: full } } });
    expect(ours.result.code).toBe(0);
    expect(ours.requests).toHaveLength(0);
    expect(lastBookmarks(ours.result).costs).toEqual(full);
  });

  it('given no catalog when synced then every stream is synced with its default method', async () => {
    const { catalog } = await discover();
    const { result } = await sync(config({ start_date: '2025-11-08' }));
    expect(result.code, result.stderr).toBe(0);
    assertSinger(result, Object.fromEntries(catalog.streams.map((s) => [s.stream, s.schema])));
    expect(
      ofType(result, 'SCHEMA')
        .map((m) => m.stream)
        .sort(),
    ).toEqual(catalog.streams.map((s) => s.stream).sort());
    expect(Object.keys(lastBookmarks(result)).sort()).toEqual(catalog.streams.map((s) => s.stream).sort());
  });

  it('given a catalog that selects nothing when synced then it is a CRITICAL config error, exit 1, nothing on stdout and no request (issue 25)', async () => {
    const { catalog } = await discover();
    const { result, requests } = await sync(config(), { catalog });
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(requests).toHaveLength(0);
    expect(result.stderr).toMatch(/^CRITICAL Catalog selects no stream: .*--select .*\(config_error\)\n$/);
  });

  it.each([
    ['INCREMENTAL on a full-table stream', { projects: { method: 'INCREMENTAL' } }, /supports only FULL_TABLE/],
    ['LOG_BASED', { costs: { method: 'LOG_BASED' } }, /FULL_TABLE or INCREMENTAL/],
    ['an unknown replication-key', { costs: { key: 'end_time' } }, /only valid replication key is 'start_time'/],
  ] as Array<[string, Record<string, Pick>, RegExp]>)(
    'given %s when synced then CRITICAL on stderr, nothing on stdout, exit 1',
    async (_what, picks, message) => {
      const { catalog } = await discover();
      const { result, requests } = await sync(config(), { catalog: select(catalog, picks) });
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(/^CRITICAL /m);
      expect(result.stderr).toMatch(message);
      expect(requests).toHaveLength(0);
    },
  );

  it('given a wrong key when synced then the stream fails with the Admin-key hint on stderr, the key is never printed and the exit is 1', async () => {
    const { catalog } = await discover();
    const wrong = 'sk-admin-singerwrongkey12345';
    const { result } = await sync(config({ admin_api_key: wrong }), { catalog: select(catalog, { costs: {} }) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/ERROR costs: .*sk-admin-/);
    expect(result.stdout + result.stderr).not.toContain(wrong);
    expect(ofType(result, 'RECORD')).toHaveLength(0);
  });

  it('given a state file that is not a Singer state when synced then a config error on stderr and exit 1', async () => {
    const { result } = await sync(config(), { state: { bookmarks: [1, 2] } });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/CRITICAL State file must be a Singer state/);
  });

  it('given --version and --about when run then the name, version and settings are printed', async () => {
    const version = await run(BINS.openai, ['--version']);
    expect(version.stdout.trim()).toBe(`source-openai-costs ${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version}`);
    const about = await run(BINS.openai, ['--about']);
    expect(JSON.parse(about.stdout)).toMatchObject({ name: 'source-openai-costs', capabilities: expect.arrayContaining(['catalog', 'discover', 'state']) });
  });
});

describe('examples/meltano/meltano.yml', () => {
  it('given the Meltano example when compared with the spec then its extractor runs the binary with catalog/discover/state and its settings are spec fields, the key a password', () => {
    const project = parse(readFileSync(join(ROOT, 'examples/meltano/meltano.yml'), 'utf8')) as { plugins: { extractors: Array<Record<string, any>> } }; // eslint-disable-line @typescript-eslint/no-explicit-any
    const extractor = project.plugins.extractors[0];
    expect(extractor?.executable).toBe('source-openai-costs');
    expect(extractor?.capabilities).toEqual(expect.arrayContaining(['catalog', 'discover', 'state']));
    const spec = JSON.parse(readFileSync(join(CONTRACTS.openai, 'spec.json'), 'utf8')) as {
      connectionSpecification: { properties: Record<string, unknown>; required: string[] };
    };
    const settings = extractor?.settings as Array<{ name: string; kind?: string }>;
    for (const s of settings) expect(Object.keys(spec.connectionSpecification.properties), s.name).toContain(s.name);
    for (const r of spec.connectionSpecification.required) expect(settings.map((s) => s.name)).toContain(r);
    expect(settings.find((s) => s.name === 'admin_api_key')?.kind).toBe('password');
  });
});
