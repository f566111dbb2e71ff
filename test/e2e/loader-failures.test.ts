import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordEncoder, type RecordFormat } from '../../connector/engine/decode/decode.js';
import type { BucketStream, EncodedRecords, Row } from '../../connector/engine/stream.js';
import type { OpenAiConfig } from '../../connector/providers/openai/config.js';
import { openAiSource } from '../../connector/providers/openai/index.js';
import { Warehouse } from '../../connector/warehouse/db.js';
import { EXIT } from '../../connector/warehouse/exit-codes.js';
import { Loader, type LoadAccount } from '../../connector/warehouse/loader.js';
import { createTableSql, tableLayout } from '../../connector/warehouse/schema.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * A commit that fails (issue 23, point 6): the loader commits one transaction per checkpoint, and
 * once a stream's commit has failed, no later checkpoint of that stream may commit, or its state
 * would claim the lost rows and the next sync would never read them again. Both tests make a real
 * DuckDB commit fail between two good ones and read the file back.
 */
const dir = mkdtempSync(join(tmpdir(), 'loader-failures-'));
/** Records of the costs stream in the form the loader takes them, as read() encodes them. */
const encoded = (format: RecordFormat, rows: readonly Row[]): EncodedRecords => {
  const out = new RecordEncoder(format, 'costs', Date.now());
  for (const row of rows) out.push(row);
  out.cut();
  return out.batches()[0] as EncodedRecords;
};
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
const SOURCE = 'source-openai-costs';
const ACCOUNT: LoadAccount = { id: 'org-loader-failures', name: null, from: 'config', fingerprint: 'sha256:0123456789abcdef', field: 'organization_id' };
const costs = openAiSource.streams.find((s) => s.name === 'costs') as BucketStream<OpenAiConfig>;
const plan = costs.plan(openAiSource.configSchema.parse({ admin_api_key: 'sk-admin-loader', start_date: '2025-09-01' }));

describe('a failed commit between two good checkpoints, through the Loader and a real DuckDB file', () => {
  /** Costs records of one day, made by the connector's own mapping from results as the API sends them. */
  const dayRecords = (start: number, projects: string[]): Row[] =>
    projects.map((project_id, i) =>
      plan.toRecord(
        { start, end: start + DAY, results: [] },
        {
          object: 'organization.costs.result',
          amount: { value: 0.25 + i, currency: 'usd' },
          line_item: 'gpt-4o-2024-08-06, input',
          project_id,
          quantity: 1000 + i,
          quantity_unit: 'tokens',
        },
        i,
      ),
    );
  const state = (cursor: number) => ({ version: 2, covered_from: day('2025-09-01'), cursor });

  it('given rows of the second checkpoint that DuckDB cannot cast when three checkpoints are committed then only the first is stored, its cursor is the stored state, and the stream is failed', async () => {
    const path = join(dir, 'cast.duckdb');
    const db = await Warehouse.open(path);
    const errorsSeen: string[] = [];
    const commits: Array<number | null> = [];
    try {
      const loader = new Loader(db, SOURCE, [{ def: costs, mode: 'incremental' }], {
        clock: { now: () => Date.now() },
        account: ACCOUNT,
        schema: 'openai',
        onCommit: (c) => commits.push(c.cursor),
        onError: (_stream, message) => errorsSeen.push(message),
      });
      expect(await loader.prepare()).toEqual(new Map());
      const emitter = loader.emitter();
      const hooks = loader.hooks();
      const emit = (rows: Row[]) => emitter.emitRecords('costs', encoded(emitter.records, rows), () => undefined);

      const first = dayRecords(day('2025-09-01'), ['proj_a', 'proj_b']);
      const good = dayRecords(day('2025-09-02'), ['proj_a', 'proj_c']);
      // One value DuckDB cannot cast to the column's type (quantity is DOUBLE), between two good rows of the same checkpoint.
      const bad = { ...(good[0] as Row), id: 'not-castable', project_id: 'proj_b', quantity: '1,000 tokens' };
      const third = dayRecords(day('2025-09-03'), ['proj_a', 'proj_b', 'proj_c']);

      hooks.onStreamStart?.('costs');
      emit(first);
      hooks.onCheckpoint?.('costs', state(day('2025-09-02')), [{ start: day('2025-09-01'), end: day('2025-09-02') }]);
      emit([good[0] as Row, bad, good[1] as Row]);
      hooks.onCheckpoint?.('costs', state(day('2025-09-03')), [{ start: day('2025-09-02'), end: day('2025-09-03') }]);
      emit(third);
      hooks.onCheckpoint?.('costs', state(day('2025-09-04')), [{ start: day('2025-09-03'), end: day('2025-09-04') }]);
      hooks.onStreamEnd?.('costs', 'COMPLETE');
      await loader.ready();

      const [stats] = loader.stats();
      expect(stats?.outcome).toBe('failed');
      expect(stats?.error).toMatch(/^loading into table 'openai\.costs' failed: .*1,000 tokens/);
      expect(stats?.cursor).toBe(day('2025-09-02'));
      expect(stats?.commits).toBe(1);
      expect(stats?.rows).toBe(first.length);
      expect(commits).toEqual([day('2025-09-02')]);
      expect(errorsSeen).toHaveLength(1);
    } finally {
      db.close();
    }

    // The file: the first checkpoint's rows and state exactly, nothing of the failed one or of the one after it.
    const rows = await query(path, 'SELECT id, CAST("date" AS VARCHAR) AS d, project_id FROM openai.costs ORDER BY id');
    const firstIds = dayRecords(day('2025-09-01'), ['proj_a', 'proj_b']).map((r) => r.id);
    expect(rows.map((r) => r.id)).toEqual([...firstIds].sort());
    expect(new Set(rows.map((r) => r.d))).toEqual(new Set(['2025-09-01']));
    const stored = await query(path, 'SELECT stream, account_id, source, CAST(state AS VARCHAR) AS state FROM openai._connector_state');
    expect(stored.map((r) => ({ ...r, state: JSON.parse(String(r.state)) }))).toEqual([
      { stream: 'costs', account_id: ACCOUNT.id, source: SOURCE, state: state(day('2025-09-02')) },
    ]);

    // The next sync resumes where the stored state says: the day whose commit failed.
    const again = await Warehouse.open(path);
    try {
      const resumed = await new Loader(again, SOURCE, [{ def: costs, mode: 'incremental' }], {
        clock: { now: () => Date.now() },
        account: ACCOUNT,
        schema: 'openai',
      }).prepare();
      expect(resumed.get('costs')?.cursor).toBe(day('2025-09-02'));
    } finally {
      again.close();
    }
  });
});

describe('a failed commit between two good checkpoints, through the sync command', () => {
  const KEY = 'sk-admin-e2e-loader-failures-1a2b3c';
  const FIRST = day('2025-09-01');
  const DAYS = 20;
  const REFUSED = '2025-09-08'; // in the second of four 5-day windows
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 4, adminKey: KEY });
    await fake.start();
  });
  afterAll(() => fake.stop());

  it('given a table that refuses one day of the second window when syncing four windows then exit is partial, costs is FAILED, and the file holds exactly the first window with its cursor', async () => {
    const db = join(dir, 'check.duckdb');
    // The table as a user may have made it stricter: a CHECK constraint DuckDB enforces in the merge of the second window.
    const layout = tableLayout(openAiSource.streams.find((s) => s.name === 'costs') as BucketStream<OpenAiConfig>, 'openai');
    const ddl = createTableSql(layout).replace(/\)$/, `, CHECK ("date" <> DATE '${REFUSED}'))`);
    await query(db, 'CREATE SCHEMA openai', { write: true });
    await query(db, ddl, { write: true });
    const cfg = join(dir, 'config.json');
    writeFileSync(
      cfg,
      JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl, max_window_days: 5 }),
    );
    const r = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'costs']);
    expect(r.code, r.stderr).toBe(EXIT.partial);
    expect(r.stderr).toMatch(/^costs: loading into table 'openai\.costs' failed: .*CHECK constraint/m);
    expect(r.stderr).toMatch(/^costs: FAILED, .* the next sync resumes from 2025-09-06$/m);
    expect(r.stderr).toMatch(/source-openai-costs sync: 0\/1 streams loaded/);

    const expected = fake.org.expectedCosts(FIRST, FIRST + 5 * DAY, ['project_id', 'line_item']);
    expect(expected.length).toBeGreaterThan(0);
    const rows = await query(db, 'SELECT CAST("date" AS VARCHAR) AS date, project_id, line_item, amount_value FROM openai.costs ORDER BY 1, 2, 3');
    const key = (r: Record<string, unknown>) => JSON.stringify([r.date, r.project_id, r.line_item, Number(r.amount_value)]);
    expect(rows.map(key).sort()).toEqual(expected.map(key).sort());
    const [stored] = await query(db, "SELECT CAST(state AS VARCHAR) AS state FROM openai._connector_state WHERE stream = 'costs'");
    expect(JSON.parse(String(stored?.state))).toEqual({ version: 2, covered_from: FIRST, cursor: FIRST + 5 * DAY });

    // The table fixed (the same rows, without the CHECK): the next sync re-reads from the failed window and leaves no gap.
    await query(db, 'CREATE TABLE main.kept AS SELECT * FROM openai.costs', { write: true });
    await query(db, 'DROP TABLE openai.costs', { write: true });
    await query(db, createTableSql(layout), { write: true });
    await query(db, 'INSERT INTO openai.costs SELECT * FROM main.kept', { write: true });
    await query(db, 'DROP TABLE main.kept', { write: true });
    const again = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'costs']);
    expect(again.code, again.stderr).toBe(0);
    const all = fake.org.expectedCosts(FIRST, FIRST + DAYS * DAY, ['project_id', 'line_item']);
    const rowsAfter = await query(db, 'SELECT CAST("date" AS VARCHAR) AS date, project_id, line_item, amount_value FROM openai.costs');
    expect(rowsAfter.map(key).sort()).toEqual(all.map(key).sort());
    const [after] = await query(db, "SELECT CAST(state AS VARCHAR) AS state FROM openai._connector_state WHERE stream = 'costs'");
    expect(JSON.parse(String(after?.state))).toEqual({ version: 2, covered_from: FIRST, cursor: FIRST + DAYS * DAY });
  });
});

describe('a re-read window replaces its rows, through the Loader and a real DuckDB file', () => {
  const dayRecords = (start: number, projects: string[]): Row[] =>
    projects.map((project_id, i) =>
      plan.toRecord(
        { start, end: start + DAY, results: [] },
        { object: 'organization.costs.result', amount: { value: 0.5 + i, currency: 'usd' }, line_item: 'gpt-4o, input', project_id, quantity: 10 + i },
        i,
      ),
    );
  const OTHER: LoadAccount = { ...ACCOUNT, id: 'org-other', fingerprint: 'sha256:fedcba9876543210' };
  const load = async (
    path: string,
    account: LoadAccount,
    checkpoints: Array<{ rows: Row[]; cursor: number; windows: Array<{ start: number; end: number }> }>,
  ) => {
    const db = await Warehouse.open(path);
    try {
      const loader = new Loader(db, SOURCE, [{ def: costs, mode: 'incremental' }], { clock: { now: () => Date.now() }, account, schema: 'openai' });
      await loader.prepare();
      const emitter = loader.emitter();
      const hooks = loader.hooks();
      hooks.onStreamStart?.('costs');
      for (const c of checkpoints) {
        emitter.emitRecords('costs', encoded(emitter.records, c.rows), () => undefined);
        hooks.onCheckpoint?.('costs', { version: 2, covered_from: day('2025-09-01'), cursor: c.cursor }, c.windows);
      }
      hooks.onStreamEnd?.('costs', 'COMPLETE');
      await loader.ready();
      return loader.stats()[0];
    } finally {
      db.close();
    }
  };

  it('given three days loaded for two accounts when the last two days are re-read with a project gone and a day empty then only that account’s rows of those days that the API no longer reports are deleted', async () => {
    const path = join(dir, 'replace.duckdb');
    const [d1, d2, d3] = [day('2025-09-01'), day('2025-09-02'), day('2025-09-03')];
    const all = [...dayRecords(d1, ['proj_a', 'proj_b']), ...dayRecords(d2, ['proj_a', 'proj_b']), ...dayRecords(d3, ['proj_a'])];
    await load(path, ACCOUNT, [{ rows: all, cursor: d3 + DAY, windows: [{ start: d1, end: d3 + DAY }] }]);
    await load(path, OTHER, [{ rows: all, cursor: d3 + DAY, windows: [{ start: d1, end: d3 + DAY }] }]);
    // The re-read: 2025-09-02 without proj_b (one window), then 2025-09-03 with nothing at all (the next window).
    const kept = dayRecords(d2, ['proj_a']);
    const stats = await load(path, ACCOUNT, [
      { rows: kept, cursor: d3, windows: [{ start: d2, end: d3 }] },
      { rows: [], cursor: d3 + DAY, windows: [{ start: d3, end: d3 + DAY }] },
    ]);
    expect(stats?.deleted).toBe(2);
    expect(stats?.unchanged).toBe(1);
    const rows = await query(path, 'SELECT _account_id AS a, id FROM openai.costs ORDER BY a, id');
    const ids = (rs: Row[]) => rs.map((r) => r.id as string).sort();
    expect(rows.filter((r) => r.a === ACCOUNT.id).map((r) => r.id)).toEqual(ids([...all.slice(0, 2), ...kept]));
    expect(rows.filter((r) => r.a === OTHER.id).map((r) => r.id)).toEqual(ids(all));
  });
});
