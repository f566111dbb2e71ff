import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { DEFAULT_HISTORY_DAYS } from '../../connector/engine/config.js';
import { BINS, CONTRACTS, ROOT, catalog, errors, files, ofType, run } from '../support/cli.js';
import { fillTemplate, kitsOf, type ProviderFake } from '../support/kit.js';
import { planner } from '../support/planned.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * The config files shipped in examples/ (issue 25, point 5): the production templates
 * (examples/production/<provider>.json) and the fake APIs' examples (each test kit's
 * `e2e.exampleConfig`: examples/config.json, examples/<provider>/config.json), one of each per
 * registered connector. Each is valid against its connector's published spec, syncs against the fake
 * once its placeholders hold what a user puts there (the key, and the kit's `e2e.settings` where the
 * template leaves a placeholder), never expires (no start_date that a moving API floor passes, on any
 * day to 2030), and a template used as shipped (its placeholders still in) is refused before any
 * request, naming the field and the file.
 */
const DAY = 86_400;
type Provider = (typeof CONNECTORS)[number]['provider'];
const KITS = await kitsOf(CONNECTORS);
const byProvider = <T>(f: (k: (typeof KITS)[number]) => T): Record<Provider, T> =>
  Object.fromEntries(KITS.map((k) => [k.connector.provider, f(k)])) as Record<Provider, T>;
/** The keys of `npm run fake-api` (the examples use them). */
const KEYS = byProvider(({ kit }) => kit.fakeApi.key);
const KEY_FIELD = byProvider(({ kit }) => kit.acceptance.keyField);
const SETTINGS = byProvider(({ kit }) => kit.e2e.settings);
const NAME = byProvider(({ connector }) => connector.name);
const SOURCES = Object.fromEntries(await Promise.all(CONNECTORS.map(async (c) => [c.provider, await c.source()] as const))) as Record<
  Provider,
  Awaited<ReturnType<(typeof CONNECTORS)[number]['source']>>
>;
const PLANNERS = byProvider(({ connector }) => planner(SOURCES[connector.provider]));

/** Every connector's production template and fake example, from the registry and the kits. */
const TEMPLATES: Array<{ path: string; provider: Provider }> = KITS.flatMap(({ connector, kit }) => [
  { path: `examples/production/${connector.provider}.json`, provider: connector.provider },
  { path: kit.e2e.exampleConfig, provider: connector.provider },
]);
const raw = (path: string): Record<string, unknown> => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, unknown>;

/** A config as a user makes it from `path`: the fake's key and address, and the kit's settings where the template leaves a placeholder. */
function filledIn(path: string, p: Provider, baseUrl: string): Record<string, unknown> {
  const cfg = { ...(fillTemplate(raw(path), SETTINGS[p]) as Record<string, unknown>), [KEY_FIELD[p]]: KEYS[p], base_url: baseUrl };
  expect(JSON.stringify(cfg), `${path}: a placeholder its kit's e2e.settings does not fill`).not.toContain('REPLACE');
  return cfg;
}

const fakes = {} as Record<Provider, ProviderFake>;
const work = mkdtempSync(join(tmpdir(), 'templates-'));

beforeAll(async () => {
  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  const first = today - 19 * DAY;
  for (const { connector, kit } of KITS) fakes[connector.provider] = kit.fake({ firstDay: first, days: 20, key: KEYS[connector.provider] });
  await Promise.all(Object.values<ProviderFake>(fakes).map((f) => f.start()));
});
afterAll(async () => {
  await Promise.all(Object.values<ProviderFake>(fakes).map((f) => f.stop()));
  rmSync(work, { recursive: true, force: true });
});

describe('the shipped config templates', () => {
  it('given the examples folder when listed then it holds one production template and one fake example per registered connector, and no other config', () => {
    const production = readdirSync(join(ROOT, 'examples', 'production')).filter((n) => n.endsWith('.json'));
    expect(production.sort()).toEqual(CONNECTORS.map((c) => `${c.provider}.json`).sort());
    const examples = [
      ...(existsSync(join(ROOT, 'examples', 'config.json')) ? ['examples/config.json'] : []),
      ...readdirSync(join(ROOT, 'examples'), { withFileTypes: true })
        .filter((d) => d.isDirectory() && existsSync(join(ROOT, 'examples', d.name, 'config.json')))
        .map((d) => `examples/${d.name}/config.json`),
    ];
    expect(examples.sort()).toEqual(KITS.map(({ kit }) => kit.e2e.exampleConfig).sort());
  });

  it("given each template filled in as a user does when validated against its connector's spec.json then it is valid", () => {
    const ajv = new Ajv.default({ strict: false, allErrors: true });
    for (const { path, provider } of TEMPLATES) {
      const spec = JSON.parse(readFileSync(join(CONTRACTS[provider], 'spec.json'), 'utf8')) as { connectionSpecification: object };
      const validate = ajv.compile(spec.connectionSpecification);
      const ok = validate(filledIn(path, provider, fakes[provider].baseUrl));
      expect(validate.errors ?? [], path).toEqual([]);
      expect(ok, path).toBe(true);
    }
  });

  it('given each template when planned on any day from today to 2030 then none has a start_date a moving API floor passes: no stream starts after its configured start (no WARN)', () => {
    const at = (iso: string): number => Date.parse(iso) / 1000;
    const days = [
      Math.floor(Date.now() / 1000),
      at('2027-01-02T08:00:00Z'),
      at('2027-11-11T00:00:00Z'),
      at('2028-06-30T12:00:00Z'),
      at('2030-12-31T23:59:59Z'),
    ];
    for (const { path, provider } of TEMPLATES) {
      const filled = filledIn(path, provider, fakes[provider].baseUrl);
      if (path.startsWith('examples/production/')) expect(raw(path), path).not.toHaveProperty('start_date');
      for (const nowS of days) {
        const { common, notices } = PLANNERS[provider](filled, nowS);
        // A template without start_date reads the last 365 days, whatever the day.
        if (path.startsWith('examples/production/')) expect(common.start, path).toBe(nowS - (nowS % DAY) - (DEFAULT_HISTORY_DAYS - 1) * DAY);
        expect(
          notices.filter((n) => n.level === 'WARN').map((n) => n.stream),
          `${path} on ${new Date(nowS * 1000).toISOString().slice(0, 10)}`,
        ).toEqual([]);
      }
    }
  });

  it('given each template filled in as a user does when synced against the fake then every stream loads: exit 0 and rows in focus_spend', async () => {
    for (const { path, provider } of TEMPLATES) {
      const f = files({ 'c.json': filledIn(path, provider, fakes[provider].baseUrl) });
      const db = join(work, `${path.replaceAll('/', '_')}.duckdb`);
      const r = await runCli(BINS[provider], ['sync', '--config', f['c.json'] as string, '--db', db], { timeoutMs: 240_000 });
      expect(r.code, `${path}\n${r.stderr}`).toBe(0);
      expect(r.stderr, path).not.toContain('FAILED');
      const [row] = await query(db, 'SELECT count(*) AS n FROM focus_spend');
      expect(Number(row?.n), path).toBeGreaterThan(0);
    }
  }, 600_000);
});

describe('a template used as shipped', () => {
  const production = TEMPLATES.filter((t) => t.path.startsWith('examples/production/'));
  /** The template with only base_url pointed at the fake: the placeholders are still in. */
  const asShipped = (path: string, p: Provider): string => {
    const f = files({ 'c.json': { ...raw(path), base_url: fakes[p].baseUrl } });
    return f['c.json'] as string;
  };
  const message = (field: string, file: string, fix = 'put your real key there') => `${field} in '${file}' is still the template's placeholder: ${fix}.`;

  it('given a production template with its placeholder key when checked, read and synced then each fails at once with one line naming the field and the file (check FAILED exit 0, read a config_error exit 1, sync exit 2) and no request is sent', async () => {
    for (const { path, provider } of production) {
      const before = fakes[provider].requests.length;
      const file = asShipped(path, provider);
      const expected = message(KEY_FIELD[provider], file);

      const check = await run(BINS[provider], ['check', '--config', file]);
      expect(check.code, path).toBe(0);
      expect(ofType(check.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus)).toEqual([{ status: 'FAILED', message: expected }]);

      const cat = files({ 'cat.json': catalog([{ name: SOURCES[provider].streams[0]?.name as string, mode: 'full_refresh' }]) });
      const read = await run(BINS[provider], ['read', '--config', file, '--catalog', cat['cat.json'] as string]);
      expect(read.code, path).toBe(1);
      expect(read.messages.map((m) => m.type)).toEqual(['TRACE']);
      expect(errors(read.messages).map((m) => [m.trace.error.message, m.trace.error.failure_type])).toEqual([[expected, 'config_error']]);

      const sync = await runCli(BINS[provider], ['sync', '--config', file, '--db', join(work, `shipped-${provider}.duckdb`)]);
      expect(sync.code, path).toBe(2);
      expect(sync.stderr).toBe(`${NAME[provider]} sync: ${expected}\n`);
      expect(sync.stdout).toBe('');

      expect(fakes[provider].requests.length - before, `${path}: requests sent`).toBe(0);
    }
  });

  // Provider-specific: the Aurous template's second placeholder, its credit rate.
  it('given the Aurous template with the key filled in but its credit rate placeholder when synced then it fails at once naming focus.credit_usd_rate and what to set, exit 2, no request', async () => {
    const before = fakes.aurous.requests.length;
    const file = files({ 'c.json': { ...raw('examples/production/aurous.json'), api_key: KEYS.aurous, base_url: fakes.aurous.baseUrl } })['c.json'] as string;
    const sync = await runCli(BINS.aurous, ['sync', '--config', file, '--db', join(work, 'rate.duckdb')]);
    expect(sync.code).toBe(2);
    expect(sync.stderr).toBe(
      `${NAME.aurous} sync: ${message(
        'focus.credit_usd_rate',
        file,
        'set it to the USD price of one Aurous credit (in your team\'s billing settings) as a decimal string such as "0.01", or delete it and leave spend out (sync --streams usage)',
      )}\n`,
    );
    expect(fakes.aurous.requests.length - before).toBe(0);
  });
});
