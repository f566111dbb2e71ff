import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Connector, CONNECTORS, connectorOf } from '../../connector/connectors.js';
import { generatedFiles } from '../../connector/tools/generate.js';
import { Warehouse } from '../../connector/warehouse/db.js';
import { buildReport, settleRules } from '../../connector/warehouse/report.js';
import { acceptanceConnectors } from '../acceptance/connectors.js';
import { ROOT } from '../support/cli.js';
import { goldenSources, loadGolden, recordsOf } from '../support/golden-ids.js';
import { kitOf, kitPath } from '../support/kit.js';

/**
 * A provider is its folder (connector/providers/<provider>/), its fake, kit and fixtures, its docs,
 * and one line of the registry (connector/connectors.ts); everything else iterates the registry
 * (docs/adding-a-provider.md). Two checks: no file outside those names a provider in code, and a
 * scratch provider added to a copy of the registry is picked up by the generated files, the
 * acceptance suite, the golden ids and the report with no other edit.
 */

/**
 * Files that name a provider in code although they are none of its own, each with how many lines do
 * and why. A count that grows fails (a new hard-coded provider); one that shrinks must be lowered here.
 */
const KNOWN: Record<string, { lines: number; why: string }> = {
  'connector/warehouse/report.ts': {
    lines: 32,
    why: 'the provider tables of a database synced before the spend stream (OpenAI costs, Anthropic analytics_cost and cost_report) and the Anthropic cost by API key and actor; a new provider has neither',
  },
  'connector/prices/list-prices.ts': { lines: 44, why: 'the list prices of OpenAI and Anthropic models (a gap: they belong in the providers’ folders)' },
  'connector/engine/focus/focus.ts': { lines: 4, why: 'FOCUS column descriptions naming providers as examples: text of the generated schemas' },
  'connector/engine/config.ts': {
    lines: 2,
    why: 'the start_date description (generated specs) and the Aurous credit rate message (a gap: it belongs in its config)',
  },
  'test/support/warehouse.ts': { lines: 5, why: "the report's Anthropic figure checks, used by the report tests" },
  'test/support/focus-rules.ts': { lines: 1, why: 'the FOCUS rule exception of Anthropic rows without a quantity' },
  'test/support/cli.ts': { lines: 1, why: 'OPENAI_STREAMS, the stream list the OpenAI tests assert' },
  'test/fake/cli.ts': { lines: 2, why: '`npm run fake-api`: the help of --projects and --line-items, which only the OpenAI fake has' },
  'bench/run.ts': { lines: 10, why: 'the benchmarks read the OpenAI fake (and sync it into its openai schema)' },
  'scripts/demo.ts': { lines: 41, why: '`npm run demo` tells the story of an OpenAI and an Anthropic organization' },
};

/** A provider's own files: its folder, its fake and kit (test/fake/<provider>.ts, <provider>-*.ts). */
const own = (file: string, provider: string): boolean =>
  file.startsWith(`connector/providers/${provider}/`) || file === `test/fake/${provider}.ts` || file.startsWith(`test/fake/${provider}-`);

/** Where any provider may be named: the registry, fixtures, docs and examples, generated files, and tests (a test names what it tests). */
const ALLOWED = [
  /^connector\/connectors\.ts$/,
  /^test\/fixtures\//,
  /^docs\//,
  /\.md$/,
  /^examples\//,
  /^(connectors|schemas)\//,
  /^(spec\.json|package\.json|package-lock\.json|Dockerfile|bench\/results\.json)$/,
  /\.test\.ts$/,
];

const literal = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A whole-line comment (TypeScript, shell): the names it gives are examples, not code. */
const COMMENT = /^\s*(\/\/|\*|\/\*|#)/;

/** A regular file (not a deleted one, a directory or a symlink such as a linked node_modules). */
const isFile = (file: string): boolean => {
  try {
    return lstatSync(join(ROOT, file)).isFile();
  } catch {
    return false;
  }
};

/** file -> the lines (number: text) naming a registered provider in code, for every file that is not allowed to. */
async function namedOutside(registry: readonly Connector[]): Promise<Map<string, string[]>> {
  const names = [...registry.map((c) => c.provider), ...(await settleRules(registry)).map((r) => r.provider)];
  const pattern = new RegExp(names.map(literal).join('|'), 'i');
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' }).split('\n');
  const out = new Map<string, string[]>();
  for (const file of files) {
    if (!file || ALLOWED.some((re) => re.test(file)) || registry.some((c) => own(file, c.provider)) || !isFile(file)) continue;
    const text = readFileSync(join(ROOT, file), 'utf8');
    if (text.includes('\u0000')) continue;
    const hits = text.split('\n').flatMap((line, i) => (pattern.test(line) && !COMMENT.test(line) ? [`${file}:${i + 1}: ${line.trim().slice(0, 140)}`] : []));
    if (hits.length > 0) out.set(file, hits);
  }
  return out;
}

describe('a provider is named only in its own files', () => {
  it('given every file of the repository when scanned for the registered providers then only the known files name one, in no more lines than known', async () => {
    const found = await namedOutside(CONNECTORS);
    const problems: string[] = [];
    for (const [file, hits] of found) {
      const known = KNOWN[file];
      if (!known) problems.push(`${file} names a provider (move it into the provider's folder or kit, or iterate the registry):\n  ${hits.join('\n  ')}`);
      else if (hits.length > known.lines) problems.push(`${file} names a provider in ${hits.length} lines, ${known.lines} known:\n  ${hits.join('\n  ')}`);
      else if (hits.length < known.lines)
        problems.push(`${file} names a provider in ${hits.length} lines now: lower its count in KNOWN (test/unit/registry.test.ts) to ${hits.length}`);
    }
    for (const file of Object.keys(KNOWN))
      if (!found.has(file)) problems.push(`${file} no longer names a provider: remove it from KNOWN (test/unit/registry.test.ts)`);
    expect(problems.join('\n')).toBe('');
  });

  it('given each registered connector when its spend stream maps a golden case then the ServiceProviderName is the display name of its about.ts', async () => {
    for (const { source, config } of await goldenSources(CONNECTORS)) {
      const spend = source.streams.find((s) => s.name === 'spend');
      const c = loadGolden(source.name).streams.spend?.find((x) => !x.refused);
      if (!spend || !c) throw new Error(`${source.name}: no spend stream or golden spend case`);
      const [row] = await recordsOf(source, spend, config, c);
      const about = await CONNECTORS.find((x) => x.name === source.name)?.about();
      expect(row?.ServiceProviderName, source.name).toBe(about?.displayName);
    }
  });
});

describe('a scratch provider added by its registry line only', () => {
  const TOY = connectorOf({ name: 'source-toy-usage', provider: 'toy', about: () => import('../toy/about.js') });
  const registry: readonly Connector[] = [...CONNECTORS, TOY];

  it('given the registry with a toy line when the files are generated then its spec, schemas, package.json bin and Dockerfile case appear and nothing of the others changes', async () => {
    const before = new Map((await generatedFiles()).map((f) => [f.path, f.content]));
    const after = await generatedFiles(registry);
    const changed = after.filter((f) => before.get(f.path) !== f.content).map((f) => f.path);
    expect(changed.sort()).toEqual([
      'Dockerfile',
      'connectors/source-toy-usage/schemas/items.json',
      'connectors/source-toy-usage/spec.json',
      'package-lock.json',
      'package.json',
    ]);
    const pkg = JSON.parse(after.find((f) => f.path === 'package.json')?.content ?? '{}') as { bin: Record<string, string> };
    expect(pkg.bin['source-toy-usage']).toBe('dist/providers/toy/main.js');
    expect(after.find((f) => f.path === 'Dockerfile')?.content).toContain('      source-toy-usage) provider=toy ;; \\\n');
  });

  it('given the registry with a toy line when the acceptance connectors are listed then the toy is one, its fake starts from its kit and takes its key only', async () => {
    const all = await acceptanceConnectors(registry);
    expect(all.map((c) => c.name)).toEqual([...CONNECTORS.map((c) => c.name), 'source-toy-usage']);
    const toy = all.at(-1);
    if (!toy) throw new Error('no toy');
    expect([toy.provider, toy.bin, toy.specFile, toy.apiHost, toy.keyField]).toEqual([
      'toy',
      join(ROOT, 'dist/providers/toy/main.js'),
      join(ROOT, 'connectors/source-toy-usage/spec.json'),
      'api.toy.example',
      'api_key',
    ]);
    const h = await toy.start();
    try {
      const get = (c: Record<string, unknown>) =>
        fetch(`${String(c.base_url)}/v1/items`, { headers: { 'x-api-key': String(c.api_key) } }).then((r) => r.status);
      expect([await get(h.config), await get(h.badKeyConfig)]).toEqual([200, 401]);
    } finally {
      await h.stop();
    }
  });

  it('given the registry with a toy line when the golden sources are listed then the toy is one, with its kit’s least config, and its mapping gives ids', async () => {
    const all = await goldenSources(registry);
    const toy = all.find((g) => g.source.name === 'source-toy-usage');
    expect(toy?.config).toEqual({ api_key: 'toy-key-golden', start_date: '2026-01-01' });
    const stream = toy?.source.streams[0];
    if (!toy || !stream) throw new Error('no toy source');
    const rows = await recordsOf(toy.source, stream, toy.config, { name: 'one item', input: { id: 'x9', name: 'ninth' }, id: 'toy:x9' });
    expect(rows).toEqual([{ id: 'toy:x9', name: 'ninth' }]);
  });

  it('given a database with toy spend and toy sync state when the report is built with the toy line then its settle rule names its complete day; without the line it has no rule', async () => {
    const db = await Warehouse.open(join(mkdtempSync(join(tmpdir(), 'registry-')), 'spend.duckdb'));
    try {
      await db.run('CREATE TABLE focus_spend ("ChargePeriodStart" TIMESTAMPTZ, "BilledCost" DECIMAL(38,12), "ServiceProviderName" VARCHAR)');
      await db.run("INSERT INTO focus_spend SELECT TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_days(d), 1.25, 'Toy Cloud' FROM range(0, 10) AS t(d)");
      await db.run('CREATE SCHEMA toy');
      await db.run('CREATE TABLE toy._connector_state (stream VARCHAR, state JSON, updated_at TIMESTAMPTZ)');
      const cursor = Date.parse('2026-11-11T00:00:00Z') / 1000;
      await db.run(`INSERT INTO toy._connector_state VALUES ('spend', '{"cursor": ${cursor}}', TIMESTAMPTZ '2026-11-11 12:00:00+00')`);
      const now = new Date('2026-11-12T08:00:00Z');
      const withToy = await buildReport(db, { days: 30, now, connectors: registry });
      expect(withToy.providers.map((p) => [p.provider, p.period, p.through, p.basis])).toEqual([
        [
          'Toy Cloud',
          '12.500000000000000000000000',
          '2026-11-10',
          'toy.spend read up to 2026-11-11 (exclusive), synced 2026-11-11 12:00 UTC; a day is final 6 h after it ends (the toy API settles six hours after a day ends)',
        ],
      ]);
      const without = await buildReport(db, { days: 30, now });
      expect(without.providers.map((p) => p.basis)).not.toContain(withToy.providers[0]?.basis);
    } finally {
      db.close();
    }
  });

  it('given a provider without a test kit when the tests look for one then the error names the file to write', async () => {
    await expect(kitOf({ name: 'source-missing-usage', provider: 'missing' })).rejects.toThrow(`write ${kitPath('missing')} exporting`);
  });
});
