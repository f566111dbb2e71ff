import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { query, runCli, snapshot } from '../support/warehouse.js';

/**
 * Issue 26: tables the loader creates have no PRIMARY KEY index; each checkpoint replaces the rows
 * of the windows it read whole, so (id, _account_id) stays unique by construction. A file created
 * before, with the PRIMARY KEY, keeps it and keeps loading by upsert.
 */
const KEY = 'sk-admin-e2e-sync-no-index-7c8d9e0f';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 20;
const END = FIRST + DAYS * DAY;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 3, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'sync-no-index-'));
});
afterAll(() => fake.stop());

const configFile = (name: string): string => {
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(END - DAY), base_url: fake.baseUrl, lookback_days: 5, max_window_days: 3 }),
  );
  return path;
};
const sync = (config: string, db: string, o: Parameters<typeof runCli>[2] = {}) =>
  runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs,projects', '--verbose'], o);
const duplicates = async (db: string, table: string): Promise<number> =>
  Number((await query(db, `SELECT count(*) - count(DISTINCT (id, _account_id)) AS n FROM openai.${table}`))[0]?.n);
const primaryKeys = async (db: string): Promise<string[]> =>
  (await query(db, "SELECT table_name AS t FROM duckdb_constraints() WHERE schema_name = 'openai' AND constraint_type = 'PRIMARY KEY' ORDER BY 1")).map((r) =>
    String(r.t),
  );
const rows = async (db: string): Promise<number> => Number((await query(db, 'SELECT count(*) AS n FROM openai.costs'))[0]?.n);

describe('tables without a primary-key index', () => {
  it('given a fresh file when synced, re-read with the lookback, and a sync killed mid-way is rerun then costs has no PRIMARY KEY, no duplicate (id, _account_id), and equals a clean run', async () => {
    const config = configFile('fresh');
    const all = fake.org.expectedCosts(FIRST, END, ['project_id', 'line_item']).length;
    const clean = join(dir, 'clean.duckdb');
    expect((await sync(config, clean)).code).toBe(0);
    expect(await primaryKeys(clean)).toEqual(['_connector_accounts', '_connector_state']);
    expect(await rows(clean)).toBe(all);

    const again = await sync(config, clean);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/costs: ok, [\d,]+ rows \(0 inserted, 0 updated, [\d,]+ unchanged\)/);
    expect(await duplicates(clean, 'costs')).toBe(0);
    expect(await duplicates(clean, 'projects')).toBe(0);
    expect(await rows(clean)).toBe(all);

    const db = join(dir, 'killed.duckdb');
    fake.latencyMs = 80;
    let killed: Awaited<ReturnType<typeof sync>>;
    try {
      killed = await sync(config, db, { killWhen: (_line, lines) => lines.filter((l) => l.startsWith('costs: committed')).length >= 2 });
    } finally {
      fake.latencyMs = 0;
    }
    expect(killed.signal).toBe('SIGKILL');
    const rerun = await sync(config, db);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(await duplicates(db, 'costs')).toBe(0);
    expect(await snapshot(db)).toEqual(await snapshot(clean));
    // The spool folder of the killed sync was emptied by the rerun and removed at its end.
    expect(existsSync(`${db}.spool`)).toBe(false);
  });

  it('given a file whose tables were created with the PRIMARY KEY when synced twice then they keep it, their rows equal a fresh file, and the second sync changes none', async () => {
    const config = configFile('old');
    const db = join(dir, 'old.duckdb');
    // An earlier version's tables: created by the first sync, then rebuilt with the PRIMARY KEY.
    expect((await sync(config, db)).code).toBe(0);
    for (const t of ['costs', 'projects']) {
      await query(db, `CREATE TABLE openai.${t}_copy AS SELECT * FROM openai.${t}`, { write: true });
      await query(db, `DROP TABLE openai.${t}`, { write: true });
      await query(db, `CREATE TABLE openai.${t} AS SELECT * FROM openai.${t}_copy WITH NO DATA`, { write: true });
      await query(db, `ALTER TABLE openai.${t} ADD PRIMARY KEY (id, _account_id)`, { write: true });
      await query(db, `INSERT INTO openai.${t} SELECT * FROM openai.${t}_copy`, { write: true });
      await query(db, `DROP TABLE openai.${t}_copy`, { write: true });
    }
    await query(db, "DELETE FROM openai._connector_state WHERE stream = 'costs'", { write: true });
    expect(await primaryKeys(db)).toEqual(['_connector_accounts', '_connector_state', 'costs', 'projects']);

    const first = await sync(config, db);
    expect(first.code, first.stderr).toBe(0);
    const all = fake.org.expectedCosts(FIRST, END, ['project_id', 'line_item']).length;
    expect(first.stderr).toMatch(
      new RegExp(`costs: ok, ${all.toLocaleString('en-US')} rows \\(0 inserted, 0 updated, ${all.toLocaleString('en-US')} unchanged\\)`),
    );
    const second = await sync(config, db);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/costs: ok, [\d,]+ rows \(0 inserted, 0 updated, [\d,]+ unchanged\)/);
    expect(await primaryKeys(db)).toEqual(['_connector_accounts', '_connector_state', 'costs', 'projects']);
    const fresh = join(dir, 'fresh-for-old.duckdb');
    expect((await sync(config, fresh)).code).toBe(0);
    expect(await snapshot(db)).toEqual(await snapshot(fresh));
  });
});
