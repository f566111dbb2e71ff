import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, OPENAI_STREAMS } from '../support/cli.js';
import { nanosToDecimal, query, runCli, snapshot, trimDecimal } from '../support/warehouse.js';

const KEY = 'sk-admin-e2e-warehouse-7a6b5c4d3e';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 75; // through 2025-11-14
const END = FIRST + DAYS * DAY;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
const ALL_STREAMS = OPENAI_STREAMS;

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 4, lineItems: 6, adminKey: KEY, emptyEvery: 9 });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'warehouse-'));
});
afterAll(() => fake.stop());

function configFile(extra: Record<string, unknown> = {}): string {
  const path = join(mkdtempSync(join(dir, 'cfg-')), 'config.json');
  writeFileSync(path, JSON.stringify({ admin_api_key: KEY, start_date: '2025-09-01', end_date: iso(END - DAY), base_url: fake.baseUrl, ...extra }));
  return path;
}
const dbFile = (name: string): string => join(dir, `${name}.duckdb`);
const sync = (config: string, db: string, more: string[] = [], o: Parameters<typeof runCli>[2] = {}) =>
  runCli(BINS.openai, ['sync', '--config', config, '--db', db, ...more], o);
const count = async (db: string, table: string): Promise<number> => Number((await query(db, `SELECT count(*) AS n FROM openai."${table}"`))[0]?.n);
const summary = (stderr: string, stream: string): string => stderr.split('\n').find((l) => l.startsWith(`${stream}: `) && !l.includes('committed')) ?? '';

/** Exact spend per day from the fake's finest-grain rows, in nano-dollars. */
function truthPerDay(from: number, to: number): Map<string, string> {
  const out = new Map<string, string>();
  for (let d = from; d < to; d += DAY) {
    const rows = fake.org.costsOn(d);
    if (rows.length > 0) out.set(iso(d), nanosToDecimal(rows.reduce((a, r) => a + BigInt(r.nanos), 0n)));
  }
  return out;
}

async function perDayInDb(db: string): Promise<Map<string, string>> {
  const rows = await query(
    db,
    `SELECT CAST("date" AS VARCHAR) AS d, CAST(sum(CAST(CAST(amount_value AS VARCHAR) AS DECIMAL(38,12))) AS VARCHAR) AS total FROM openai.costs GROUP BY 1 ORDER BY 1`,
  );
  return new Map(rows.map((r) => [String(r.d), trimDecimal(String(r.total))]));
}

describe('sync into DuckDB', () => {
  it('given a first sync of every stream when it finishes then each stream has a typed table, a state row, exact per-day totals, and a summary line', async () => {
    const db = dbFile('first');
    const r = await sync(configFile(), db);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    for (const s of ALL_STREAMS)
      expect(summary(r.stderr, s), `summary of ${s}`).toMatch(new RegExp(`^${s}: ok, [\\d,]+ rows \\([\\d,]+ inserted, 0 updated, 0 unchanged`));
    expect(summary(r.stderr, 'costs')).toMatch(/2025-09-01\.\.2025-11-14 \(75 days\), 1 request, [\d.]+ s$/);
    expect(r.stderr).toMatch(/source-openai-costs sync: 15\/15 streams loaded into .*first\.duckdb/);
    expect(r.stderr).not.toContain(KEY);

    const expected = fake.org.expectedCosts(FIRST, END, ['project_id', 'line_item']);
    expect(await count(db, 'costs')).toBe(expected.length);
    expect(await count(db, 'projects')).toBe(fake.org.projectsList().length);
    expect(await count(db, 'users')).toBe(fake.org.usersList().length);
    const states = await query(db, 'SELECT stream, source, CAST(state AS VARCHAR) AS state FROM openai._connector_state ORDER BY stream');
    expect(states.map((s) => s.stream)).toEqual([...ALL_STREAMS].sort());
    expect(new Set(states.map((s) => s.source))).toEqual(new Set(['source-openai-costs']));
    expect(JSON.parse(String(states.find((s) => s.stream === 'costs')?.state))).toEqual({ version: 2, covered_from: day('2025-09-01'), cursor: END });

    const types = await query(
      db,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'openai' AND table_name = 'costs' ORDER BY ordinal_position",
    );
    expect(Object.fromEntries(types.map((t) => [t.column_name, t.data_type]))).toEqual({
      id: 'VARCHAR',
      start_time: 'BIGINT',
      end_time: 'BIGINT',
      date: 'DATE',
      project_id: 'VARCHAR',
      line_item: 'VARCHAR',
      api_key_id: 'VARCHAR',
      amount_value: 'DOUBLE',
      amount_currency: 'VARCHAR',
      quantity: 'DOUBLE',
      quantity_unit: 'VARCHAR',
      _account_id: 'VARCHAR',
      _extracted_at: 'TIMESTAMP WITH TIME ZONE',
    });
    const batch = await query(
      db,
      "SELECT data_type FROM information_schema.columns WHERE table_schema = 'openai' AND table_name = 'usage_completions' AND column_name = 'batch'",
    );
    expect(batch[0]?.data_type).toBe('BOOLEAN');

    // Money: per-day DECIMAL sums in DuckDB equal the fake's nano-dollar ground truth exactly.
    const truth = truthPerDay(FIRST, END);
    expect(truth.size).toBeGreaterThan(60);
    expect(await perDayInDb(db)).toEqual(truth);
  });

  it('given two syncs when the second re-reads the lookback and one day changed upstream then row counts are stable and that day is updated, never duplicated', async () => {
    const db = dbFile('twice');
    const config = configFile();
    const first = await sync(config, db, ['--streams', 'costs,projects,usage_completions']);
    expect(first.code, first.stderr).toBe(0);
    const before = { costs: await count(db, 'costs'), projects: await count(db, 'projects'), usage: await count(db, 'usage_completions') };

    const again = await sync(config, db, ['--streams', 'costs,projects,usage_completions']);
    expect(again.code, again.stderr).toBe(0);
    // Lookback 3 days: 2025-11-12..14 re-read, nothing new.
    expect(summary(again.stderr, 'costs')).toMatch(/^costs: ok, \d+ rows \(0 inserted, 0 updated, \d+ unchanged\), 2025-11-12\.\.2025-11-14 \(3 days\)/);
    expect(summary(again.stderr, 'projects')).toMatch(/\(0 inserted, 0 updated, \d+ unchanged, 0 deleted\)/);
    expect({ costs: await count(db, 'costs'), projects: await count(db, 'projects'), usage: await count(db, 'usage_completions') }).toEqual(before);

    // Late data for 2025-11-13: one amount settles higher and one new line item appears.
    const changed = day('2025-11-13');
    let target: { project_id: string | null; line_item: string | null } | undefined;
    fake.fault({
      path: '/organization/costs',
      fault: {
        kind: 'transform',
        fn: (body) => {
          const page = body as { data: Array<{ start_time: number; results: Array<Record<string, unknown>> }> };
          const bucket = page.data.find((b) => b.start_time === changed);
          const first = bucket?.results[0];
          if (!bucket || !first) return body;
          target = { project_id: first.project_id as string | null, line_item: first.line_item as string | null };
          first.amount = { value: 4321.987654, currency: 'usd' };
          bucket.results.push({
            ...first,
            line_item: 'late-model-2025, output',
            amount: { value: 0.000001, currency: 'usd' },
            quantity: 1,
            quantity_unit: 'tokens',
          });
          return body;
        },
      },
    });
    const third = await sync(config, db, ['--streams', 'costs,projects,usage_completions']);
    expect(third.code, third.stderr).toBe(0);
    expect(target).toBeDefined();
    expect(summary(third.stderr, 'costs')).toMatch(/^costs: ok, \d+ rows \(1 inserted, 1 updated, \d+ unchanged\)/);
    expect(await count(db, 'costs')).toBe(before.costs + 1);
    expect(await count(db, 'projects')).toBe(before.projects);
    const dupes = await query(db, 'SELECT count(*) - count(DISTINCT id) AS d FROM openai.costs');
    expect(Number(dupes[0]?.d)).toBe(0);
    const row = await query(
      db,
      `SELECT CAST(amount_value AS VARCHAR) AS v FROM openai.costs WHERE "date" = DATE '2025-11-13' AND project_id IS NOT DISTINCT FROM ${target?.project_id === null ? 'NULL' : `'${target?.project_id}'`} AND line_item = '${target?.line_item}'`,
    );
    expect(row).toEqual([{ v: '4321.987654' }]);
    const late = await query(db, `SELECT CAST(amount_value AS VARCHAR) AS v FROM openai.costs WHERE line_item = 'late-model-2025, output'`);
    expect(late).toEqual([{ v: '1e-06' }]);
    const states = await query(db, "SELECT CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = 'costs'");
    expect(JSON.parse(String(states[0]?.s))).toEqual({ version: 2, covered_from: day('2025-09-01'), cursor: END });
  });

  it('given a sync killed with SIGKILL after some windows were committed when it is rerun then the database equals a clean run', async () => {
    const streams = ['--streams', 'costs,usage_completions,projects'];
    const config = configFile({ max_window_days: 5 });
    const clean = dbFile('clean');
    const cleanRun = await sync(config, clean, streams);
    expect(cleanRun.code, cleanRun.stderr).toBe(0);

    const db = dbFile('killed');
    fake.latencyMs = 80;
    let killed: Awaited<ReturnType<typeof sync>>;
    try {
      killed = await sync(config, db, [...streams, '--verbose'], { killWhen: (_line, all) => all.filter((l) => l.startsWith('costs: committed')).length >= 2 });
    } finally {
      fake.latencyMs = 0;
    }
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(`${db}.lock`)).toBe(true);

    // Consistent at the kill: the costs table holds exactly the windows its stored state covers.
    const st = await query(db, "SELECT CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = 'costs'");
    const cursor = (JSON.parse(String(st[0]?.s)) as { cursor: number }).cursor;
    expect(cursor).toBeGreaterThan(FIRST);
    expect(cursor).toBeLessThan(END);
    expect(await count(db, 'costs')).toBe(fake.org.expectedCosts(FIRST, cursor, ['project_id', 'line_item']).length);
    const beyond = await query(db, `SELECT count(*) AS n FROM openai.costs WHERE start_time >= ${cursor}`);
    expect(Number(beyond[0]?.n)).toBe(0);

    const rerun = await sync(config, db, streams);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/removed a stale lock .* left by pid \d+, which is no longer running/);
    // Resumed from the stored cursor (minus the lookback), not from start_date.
    expect(summary(rerun.stderr, 'costs')).toMatch(/^costs: ok, .*\.\.2025-11-14/);
    expect(summary(rerun.stderr, 'costs')).not.toContain('2025-09-01..');
    expect(existsSync(`${db}.lock`)).toBe(false);
    expect(await snapshot(db)).toEqual(await snapshot(clean));
  });

  it('given a sync running on a database when a second sync or a report starts on it then both are refused with exit 3, and SIGTERM stops the first after a committed window', async () => {
    const db = dbFile('busy');
    const config = configFile({ max_window_days: 1 });
    // Slow enough that the first sync is still running while the second and the report start (about 75 windows x 400 ms / 4).
    fake.latencyMs = 400;
    try {
      let firstCommit!: () => void;
      const committed = new Promise<void>((resolve) => (firstCommit = resolve));
      let pid = 0;
      const first = runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs', '--verbose'], {
        onSpawn: (c) => (pid = c.pid ?? 0),
        killWhen: (line) => {
          if (line.startsWith('costs: committed')) firstCommit();
          return false;
        },
      });
      await committed;
      const second = await sync(config, db, ['--streams', 'costs']);
      expect(second.code).toBe(3);
      expect(second.stderr.trim().split('\n')).toHaveLength(1);
      expect(second.stderr).toContain(`source-openai-costs sync: Another sync is using '${db}' (pid ${pid} on `);
      const report = await runCli(BINS.openai, ['report', '--db', db, '--out', join(dir, 'busy.html')]);
      expect(report.code).toBe(3);
      expect(report.stderr).toContain('is open in another process');

      process.kill(pid, 'SIGTERM');
      const r = await first;
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('SIGTERM received: stopping after the current window');
      expect(summary(r.stderr, 'costs')).toMatch(/^costs: INTERRUPTED, .* the next sync resumes from 2025-/);
      expect(existsSync(`${db}.lock`)).toBe(false);
    } finally {
      fake.latencyMs = 0;
    }
    const st = await query(db, "SELECT CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = 'costs'");
    const cursor = (JSON.parse(String(st[0]?.s)) as { cursor: number }).cursor;
    expect(await count(db, 'costs')).toBe(fake.org.expectedCosts(FIRST, cursor, ['project_id', 'line_item']).length);
  });

  it('given a wrong key when syncing then the sync ends in one line with the Admin-key hint, the exit is 2 (docs/cli.md: a 401 ends the run), and the key is never printed', async () => {
    const wrong = 'sk-admin-wrong-warehouse-99887766';
    const db = dbFile('wrongkey');
    const r = await sync(configFile({ admin_api_key: wrong }), db, ['--streams', 'costs', '--debug']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('source-openai-costs sync: ') || l.startsWith('costs: '))).toEqual([
      expect.stringMatching(/^source-openai-costs sync: OpenAI refused the Admin key \(sk-admin-\.\.\.\): it is wrong or revoked.*\(HTTP 401\)$/),
    ]);
    expect(r.stderr + r.stdout).not.toContain(wrong);
    expect(existsSync(`${db}.lock`)).toBe(false);
    expect(await query(db, 'SELECT * FROM openai._connector_state')).toEqual([]);
  });

  it('given bad command lines when syncing then each is refused in one line with exit 2 and no database is created', async () => {
    const db = dbFile('never');
    const unknown = await sync(configFile(), db, ['--streams', 'costs,nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^source-openai-costs sync: Unknown stream 'nope' in --streams; this connector has: costs, spend, usage_completions/);
    const noConfig = await runCli(BINS.openai, ['sync', '--db', db]);
    expect(noConfig.code).toBe(2);
    expect(noConfig.stderr).toContain('--config FILE is required.');
    const badFlag = await runCli(BINS.openai, ['sync', '--config', configFile(), '--db', db, '--catalog', 'x']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain("Unknown option '--catalog'");
    const badConfig = await sync(configFile({ lookback_days: 99 }), db);
    expect(badConfig.code).toBe(2);
    expect(badConfig.stderr).toContain('lookback_days must be between 0 and 31');
    expect(existsSync(db)).toBe(false);
  });

  it('given the OpenAI and the Anthropic fakes synced into one file when focus_spend is read then both providers are side by side and the BilledCost of each equals its own total exactly', async () => {
    const ANTHROPIC_KEY = 'sk-ant-admin01-e2e-warehouse-focus-5e4d';
    const anthropic = new FakeAnthropic({ firstDay: FIRST, days: 30, adminKey: ANTHROPIC_KEY });
    await anthropic.start();
    try {
      const db = dbFile('two-providers');
      const openai = await sync(configFile(), db);
      expect(openai.code, openai.stderr).toBe(0);
      const anthropicConfig = join(mkdtempSync(join(dir, 'cfg-')), 'anthropic.json');
      writeFileSync(
        anthropicConfig,
        JSON.stringify({ admin_api_key: ANTHROPIC_KEY, start_date: '2025-09-01', end_date: '2025-09-30', base_url: anthropic.baseUrl }),
      );
      // users included: OpenAI's users are in schema openai, Anthropic's in schema anthropic. The analytics
      // streams are left out only because they serve nothing before 2026-01-01 and this fake is in 2025.
      const second = await runCli(BINS.anthropic, [
        'sync',
        '--config',
        anthropicConfig,
        '--db',
        db,
        '--streams',
        'cost_report,spend,usage_messages,usage_claude_code,workspaces,api_keys,users',
      ]);
      expect(second.code, second.stderr).toBe(0);
      expect(second.stderr).not.toContain(ANTHROPIC_KEY);
      expect(await count(db, 'users')).toBe(fake.org.usersList().length);
      const anthropicUsers = Number((await query(db, 'SELECT count(*) AS n FROM anthropic.users'))[0]?.n);
      expect(anthropicUsers).toBeGreaterThan(0);

      const exactSum = (sql: string) => query(db, sql).then((r) => Object.fromEntries(r.map((x) => [String(x.k), trimDecimal(String(x.total))])));
      const focus = await exactSum(
        `SELECT ServiceProviderName AS k, CAST(sum(CAST(BilledCost AS DECIMAL(38,12))) AS VARCHAR) AS total FROM focus_spend GROUP BY 1 ORDER BY 1`,
      );
      const own = {
        ...(await exactSum(`SELECT 'OpenAI' AS k, CAST(sum(CAST(CAST(amount_value AS VARCHAR) AS DECIMAL(38,12))) AS VARCHAR) AS total FROM openai.costs`)),
        ...(await exactSum(`SELECT 'Anthropic' AS k, CAST(sum(CAST(amount_usd AS DECIMAL(38,12))) AS VARCHAR) AS total FROM anthropic.cost_report`)),
      };
      expect(Object.keys(focus).sort()).toEqual(['Anthropic', 'OpenAI']);
      expect(focus).toEqual(own);
      // And against the fake's own ground truth for OpenAI, in nano-dollars.
      let nanos = 0n;
      for (let d = FIRST; d < END; d += DAY) for (const row of fake.org.costsOn(d)) nanos += BigInt(row.nanos);
      expect(focus.OpenAI).toBe(nanosToDecimal(nanos));
      const rows = await query(db, 'SELECT count(*) AS n, count(DISTINCT x_RecordId) AS d FROM focus_spend');
      expect(Number(rows[0]?.n)).toBe((await count(db, 'costs')) + Number((await query(db, 'SELECT count(*) AS n FROM anthropic.cost_report'))[0]?.n));
      expect(rows[0]?.d).toBe(rows[0]?.n);
      // Typed as FOCUS reads: periods are instants, money DECIMAL (exact: test/e2e/focus-view.test.ts), custom columns x_.
      const types = await query(
        db,
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'focus_spend' AND column_name IN ('BilledCost', 'ChargePeriodStart', 'SkuPriceDetails', 'x_AccountId', 'x_ExtractedAt', '_account_id', '_extracted_at') ORDER BY 1",
      );
      expect(types.map((t) => `${t.column_name} ${t.data_type}`)).toEqual([
        'BilledCost DECIMAL(38,24)',
        'ChargePeriodStart TIMESTAMP WITH TIME ZONE',
        'SkuPriceDetails JSON',
        'x_AccountId VARCHAR',
        'x_ExtractedAt TIMESTAMP WITH TIME ZONE',
      ]);

      // The report takes both providers' money from focus_spend, and its period total is their exact sum.
      const html = join(dir, 'two-providers.html');
      const report = await runCli(BINS.openai, ['report', '--db', db, '--out', html]);
      expect(report.code, report.stderr).toBe(0);
      expect(report.stderr).toMatch(/wrote .*: focus_spend, .*\(Anthropic, OpenAI\)/);
      const page = readFileSync(html, 'utf8');
      const trim = (d: string): string => (d.includes('.') ? d.replace(/0+$/, '').replace(/\.$/, '') : d);
      for (const [provider, total] of Object.entries(focus)) {
        const row = new RegExp(`<tr data-provider="${provider}">[\\s\\S]*?</tr>`).exec(page)?.[0] ?? '';
        expect(trim(/data-exact="([^"]*)"/.exec(row)?.[1] ?? 'missing'), provider).toBe(trim(total));
      }
    } finally {
      await anthropic.stop();
    }
  });

  it('given a database of an earlier version (tables in main) when syncing then its tables move into the connector schema with their rows and state, and the report reads both layouts', async () => {
    const db = dbFile('legacy');
    const config = configFile();
    const first = await sync(config, db, ['--streams', 'costs,projects']);
    expect(first.code, first.stderr).toBe(0);
    const before = await snapshot(db);
    // Rewrite it as the earlier layout: the same tables and state in main (without accounts), no connector schema.
    await query(
      db,
      `CREATE TABLE main.costs AS SELECT * EXCLUDE (_account_id) FROM openai.costs; CREATE TABLE main.projects AS SELECT * EXCLUDE (_account_id) FROM openai.projects;
       CREATE TABLE main._connector_state AS SELECT * EXCLUDE (account_id) FROM openai._connector_state; DROP VIEW IF EXISTS focus_spend; DROP SCHEMA openai CASCADE;`,
      { write: true },
    );
    const legacyReport = await runCli(BINS.openai, ['report', '--db', db, '--out', join(dir, 'legacy.html')]);
    expect(legacyReport.code, legacyReport.stderr).toBe(0);
    expect(legacyReport.stderr).toMatch(/wrote .*: costs, 2025-/);

    const again = await sync(config, db, ['--streams', 'costs,projects']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('source-openai-costs sync: moved 2 tables of an earlier version from main into schema openai (costs, projects)');
    // Resumed from the moved state: only the lookback was re-read, nothing inserted.
    expect(summary(again.stderr, 'costs')).toMatch(/^costs: ok, \d+ rows \(0 inserted, 0 updated, \d+ unchanged\), 2025-11-12\.\.2025-11-14/);
    expect(await query(db, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name <> 'focus_spend'")).toEqual([]);
    const after = await snapshot(db);
    expect(after).toEqual(before);
  });
});
