import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { runCli } from '../support/warehouse.js';

/**
 * DuckDB names a database file's catalog after the file: `--db anthropic.duckdb` would make
 * `anthropic.spend` ambiguous between that catalog and the schema of Anthropic's tables, and DuckDB
 * would fail every statement. sync and report refuse such a name at once, before any request.
 */
const KEY = 'sk-admin-e2e-db-name-7a8b9c0d';
const FIRST = Date.UTC(2025, 8, 1) / 1000;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
let dir: string;
let config: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: 3, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'sync-db-name-'));
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + 2 * DAY), base_url: fake.baseUrl }));
});
afterAll(() => fake.stop());

describe('a database file named after a connector schema', () => {
  it.each(CONNECTORS.map((c) => [c.provider]))(
    'given --db %s.duckdb (in capitals) when synced then it exits 2 with one line naming the clash and a name to use, creates no file and sends no request',
    async (provider) => {
      const db = join(dir, `${provider.toUpperCase()}.duckdb`);
      const before = fake.requests.length;
      const r = await runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs']);
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`DuckDB names the database after its file, '${provider}', which is also the schema of`);
      expect(lines[0]).toContain('--db spend.duckdb');
      expect(existsSync(db)).toBe(false);
      expect(fake.requests.length).toBe(before);
    },
  );

  it('given --db openai.duckdb when a report is asked for then it exits 2 with the same line', async () => {
    const r = await runCli(BINS.openai, ['report', '--db', join(dir, 'openai.duckdb'), '--out', join(dir, 'r.html')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("DuckDB names the database after its file, 'openai'");
  });

  it('given a name that only contains a schema name when synced then it loads (exit 0)', async () => {
    const r = await runCli(BINS.openai, ['sync', '--config', config, '--db', join(dir, 'openai-costs.duckdb'), '--streams', 'costs']);
    expect(r.code, r.stderr).toBe(0);
  });
});
