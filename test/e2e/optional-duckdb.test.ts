import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DUCKDB_MISSING } from '../../connector/warehouse/db.js';
import { FakeOpenAi } from '../fake/openai.js';
import { BINS, catalog, errors, files, records, run } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { runCli } from '../support/warehouse.js';

/**
 * DuckDB (@duckdb/node-api) is an optional dependency, pruned from the connector images
 * (`npm prune --omit=optional`, docs/packaging.md). Here the built CLI runs with a module hook
 * that makes every @duckdb/ package unresolvable, as in the image: the connector commands must
 * never load it, and sync/report must say in one line how to install it.
 */
const KEY = 'sk-admin-e2e-optional-duckdb-1a2b3c';
const FIRST = Date.UTC(2025, 9, 1) / 1000;

let fake: FakeOpenAi;
let dir: string;
let withoutDuckDb: Record<string, string>;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: 10, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'no-duckdb-'));
  // What Node reports for a package that is not installed, for @duckdb/* only.
  const hooks = `export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@duckdb/')) {
    const err = new Error("Cannot find package '" + specifier + "' imported from " + context.parentURL);
    err.code = 'ERR_MODULE_NOT_FOUND';
    throw err;
  }
  return next(specifier, context);
}
`;
  writeFileSync(join(dir, 'hooks.mjs'), hooks);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${join(dir, 'hooks.mjs')}`)});\n`);
  withoutDuckDb = { NODE_OPTIONS: `--import=${join(dir, 'register.mjs')}` };
});
afterAll(() => fake.stop());

const inputs = () =>
  files({
    'config.json': { admin_api_key: KEY, start_date: '2025-10-01', end_date: '2025-10-10', base_url: fake.baseUrl },
    'catalog.json': catalog([{ name: 'costs' }, { name: 'projects', mode: 'full_refresh' }]),
  });

describe('DuckDB is optional', () => {
  it('given DuckDB is not installed when spec, check, discover, read and a Singer sync run then each succeeds with the same output as with it', async () => {
    const f = inputs();
    const spec = await run(BINS.openai, ['spec'], { env: withoutDuckDb });
    expect(spec.code, spec.stderr).toBe(0);
    expect(spec.stdout).toBe((await run(BINS.openai, ['spec'])).stdout);
    const check = await run(BINS.openai, ['check', '--config', f['config.json']!], { env: withoutDuckDb });
    expect(check.code, check.stderr).toBe(0);
    expect(check.messages).toEqual([{ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } }]);
    const discover = await run(BINS.openai, ['discover', '--config', f['config.json']!], { env: withoutDuckDb });
    expect(discover.code, discover.stderr).toBe(0);
    expect(discover.stdout).toBe((await run(BINS.openai, ['discover', '--config', f['config.json']!])).stdout);

    const read = await run(BINS.openai, ['read', '--config', f['config.json']!, '--catalog', f['catalog.json']!], { env: withoutDuckDb });
    expect(read.code, read.stderr).toBe(0);
    expect(errors(read.messages)).toEqual([]);
    assertProtocol(read, { streams: ['costs', 'projects'], expectComplete: true });
    const withIt = await run(BINS.openai, ['read', '--config', f['config.json']!, '--catalog', f['catalog.json']!]);
    expect(records(read.messages, 'costs')).toEqual(records(withIt.messages, 'costs'));
    expect(records(read.messages, 'projects')).toEqual(records(withIt.messages, 'projects'));
    expect(records(read.messages, 'costs').length).toBeGreaterThan(0);

    const singer = await run(BINS.openai, ['--config', f['config.json']!], { env: withoutDuckDb });
    expect(singer.code, singer.stderr).toBe(0);
    expect(singer.messages.filter((m) => m.type === 'RECORD').length).toBeGreaterThan(0);
    expect(`${spec.stderr}${check.stderr}${discover.stderr}${read.stdout}${read.stderr}${singer.stdout}${singer.stderr}`).not.toContain(KEY);
  });

  it('given DuckDB is not installed when sync runs then one line says how to install it, exit 2 (usage), no database file and no request', async () => {
    const f = inputs();
    const db = join(mkdtempSync(join(dir, 'sync-')), 'costs.duckdb');
    const before = fake.requests.length;
    const r = await runCli(BINS.openai, ['sync', '--config', f['config.json']!, '--db', db], { env: withoutDuckDb });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`source-openai-costs sync: ${DUCKDB_MISSING}\n`);
    expect(existsSync(db)).toBe(false);
    expect(readdirSync(join(db, '..'))).toEqual([]);
    expect(fake.requests.length).toBe(before);
    expect(r.stderr).not.toContain(KEY);
  });

  it('given DuckDB is not installed when report runs then the same one line, exit 2 (usage), and no page written', async () => {
    const out = join(mkdtempSync(join(dir, 'report-')), 'report.html');
    const r = await runCli(BINS.openai, ['report', '--db', join(dir, 'none.duckdb'), '--out', out], { env: withoutDuckDb });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`source-openai-costs report: ${DUCKDB_MISSING}\n`);
    expect(existsSync(out)).toBe(false);
  });
});
