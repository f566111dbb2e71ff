import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, ROOT } from '../support/cli.js';
import { nanosToDecimal, runCli } from '../support/warehouse.js';

/**
 * Issue 25, points 2 and 3: the README's "Query the DuckDB file" section, from the README's own text.
 * Queries 4 and 5 run against a file synced from the fake OpenAI (whose data has days without rows),
 * in a session whose time zone is not UTC; query 5 must give the report's comparison exactly. The
 * Node snippet runs from a directory outside the checkout, with the connectors installed as step 1
 * says (`npm install -g .`, into a temporary prefix), and with a wrong path must fail and create nothing.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const KEY = 'sk-admin-fake-0123456789abcdef';
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const FIRST = TODAY - 69 * DAY;
const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

function block(kind: string, lang: string): string {
  const m = new RegExp(`<!-- test-readme: ${kind} -->\\s*\\n\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (!m) throw new Error(`README.md has no ${kind} block`);
  return m[1] as string;
}
/** The SQL block's queries, split as test/e2e/readme.test.ts splits them; each starts with its "-- N." comment. */
const queries = block('sql', 'sql')
  .split(/;\s*\n/)
  .map((q) => q.trim())
  .filter((q) => q.replace(/--.*$/gm, '').trim() !== '');
const numbered = (n: number): string => {
  const q = queries.find((x) => x.startsWith(`-- ${n}.`));
  if (!q) throw new Error(`README query ${n} not found`);
  return q;
};

/** "12.500" -> "12.5", "0.000" -> "0": the same exact value, written once. */
const canon = (d: string): string => (d.includes('.') ? d.replace(/0+$/, '').replace(/\.$/, '') : d);

let fake: FakeOpenAi;
let dir: string;
let db: string;
beforeAll(async () => {
  // emptyEvery 7 (the fake's default): every seventh day has no cost rows at all.
  fake = new FakeOpenAi({ firstDay: FIRST, days: 70, projects: 3, lineItems: 4, adminKey: KEY, emptyEvery: 7 });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'readme-queries-'));
  const config = join(dir, 'openai.json');
  writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), base_url: fake.baseUrl }));
  mkdirSync(join(dir, 'home', 'spend'), { recursive: true });
  db = join(dir, 'home', 'spend', 'spend.duckdb');
  const r = await runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs,spend,projects']);
  expect(r.code, r.stderr).toBe(0);
}, 120_000);
afterAll(async () => {
  await fake?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Rows of one query, read-only, in a session whose time zone is 11-13 hours ahead of UTC (as a DuckDB CLI far from UTC). */
async function rowsOf(sql: string): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  try {
    const c = await instance.connect();
    await c.run("SET TimeZone = 'Pacific/Auckland'");
    const rows = (await c.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>;
    c.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

/** Exact spend of the fake's cost rows on the UTC day starting at `t`. */
const truthOn = (t: number): string => nanosToDecimal(fake.org.costsOn(t).reduce((a, r) => a + BigInt(r.nanos), 0n));

function bash(script: string, cwd: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('README queries', () => {
  it('given a synced file with days without rows when README query 4 runs then every UTC day from the first to yesterday has one row, zero on the days without rows, equal to the fake ledger', async () => {
    const rows = await rowsOf(numbered(4));
    const expected: Array<{ day: string; usd: string }> = [];
    for (let t = FIRST; t < TODAY; t += DAY) expected.push({ day: iso(t), usd: truthOn(t) });
    const empty = expected.filter((e) => e.usd === '0');
    expect(empty.length).toBeGreaterThanOrEqual(9);
    expect(rows.map((r) => ({ day: String(r.day), usd: canon(String(r.usd)) }))).toEqual(expected);
  });

  it("given a synced file when README query 5 runs then it compares the report's days and gives the report's month to date and same days of the previous month exactly", async () => {
    const out = join(dir, 'report.html');
    const r = await runCli(BINS.openai, ['report', '--db', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    const exact = (id: string): string => canon(new RegExp(`id="${id}" data-exact="([^"]*)"`).exec(html)?.[1] ?? 'missing');
    const through = iso(TODAY - 2 * DAY);
    const monthStart = `${through.slice(0, 8)}01`;
    expect(r.stderr).toContain(`complete through OpenAI ${through};`);

    const rows = await rowsOf(numbered(5));
    expect(rows).toHaveLength(1);
    const row = rows[0] as Record<string, unknown>;
    expect({ month: row.month, through: row.through }).toEqual({ month: monthStart, through });
    expect(canon(String(row.this_month))).toBe(exact('total-mtd'));
    expect(canon(String(row.last_month_same_days))).toBe(exact('total-prev-same'));
    // And both are the fake's ledger over the same days: days 1..N of the month and of the month before.
    const n = Number(through.slice(8, 10));
    const monthT = Date.parse(`${monthStart}T00:00:00Z`) / 1000;
    const prev = new Date(monthT * 1000);
    prev.setUTCMonth(prev.getUTCMonth() - 1);
    const lastStart = prev.getTime() / 1000;
    let mtd = 0n;
    let same = 0n;
    for (let t = monthT; t <= Date.parse(`${through}T00:00:00Z`) / 1000; t += DAY) mtd += BigInt(fake.org.costsOn(t).reduce((a, x) => a + x.nanos, 0));
    for (let t = lastStart, i = 1; t < monthT && i <= n; t += DAY, i++) same += BigInt(fake.org.costsOn(t).reduce((a, x) => a + x.nanos, 0));
    expect(canon(String(row.this_month))).toBe(nanosToDecimal(mtd));
    expect(canon(String(row.last_month_same_days))).toBe(nanosToDecimal(same));
  });
});

describe('README Node snippet', () => {
  let base: string;
  let env: Record<string, string>;
  let out: string;
  beforeAll(async () => {
    // Step 1 of the README (npm install -g .) from a directory of links to the checkout, into a temporary prefix.
    base = join(dir, 'node');
    const sandbox = join(base, 'checkout');
    const prefix = join(base, 'prefix');
    out = join(base, 'elsewhere');
    for (const d of [sandbox, prefix, out]) mkdirSync(d, { recursive: true });
    for (const name of readdirSync(ROOT)) if (!['.git', 'state.json', 'spend.duckdb'].includes(name)) symlinkSync(join(ROOT, name), join(sandbox, name));
    env = { PATH: `${join(prefix, 'bin')}:${process.env.PATH}`, HOME: join(dir, 'home'), NPM_CONFIG_PREFIX: prefix, npm_config_prefix: prefix };
    const r = await bash('npm install -g . --no-audit --no-fund', sandbox, env);
    expect(r.code, r.stderr).toBe(0);
    // From here the environment is a minimal one: the prefix's bin (where step 1 put the commands) and node.
    env = { PATH: `${join(prefix, 'bin')}:${process.execPath.replace(/\/node$/, '')}:/usr/bin:/bin`, HOME: join(dir, 'home') };
    writeFileSync(join(out, 'spend.mjs'), block('node', 'js'));
  }, 120_000);

  it('given the snippet saved outside the checkout when node runs it then it prints the daily spend of ~/spend/spend.duckdb, exactly', async () => {
    const r = await bash('node spend.mjs', out, env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const days = [...r.stdout.matchAll(/\{ day: '(\d{4}-\d\d-\d\d)', usd: '([\d.]+)' \}/g)].map((m) => ({ day: m[1], usd: canon(m[2] as string) }));
    const expected: Array<{ day: string; usd: string }> = [];
    for (let t = FIRST; t < TODAY; t += DAY) if (fake.org.costsOn(t).length > 0) expected.push({ day: iso(t), usd: truthOn(t) });
    expect(days).toEqual(expected);
  });

  it('given a wrong path when the snippet runs then it exits non-zero saying the database does not exist and creates no file', async () => {
    const wrong = join(out, 'spnd.duckdb');
    const r = await bash(`node spend.mjs ${wrong}`, out, env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`Cannot open database "${wrong}" in read-only mode: database does not exist`);
    expect(existsSync(wrong)).toBe(false);
    expect(readdirSync(out)).toEqual(['spend.mjs']);
  });

  it('given no file at ~/spend/spend.duckdb when the snippet runs then it fails and creates none', async () => {
    const home = join(base, 'empty-home');
    mkdirSync(join(home, 'spend'), { recursive: true });
    const r = await bash('node spend.mjs', out, { ...env, HOME: home });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('database does not exist');
    expect(readdirSync(join(home, 'spend'))).toEqual([]);
  });
});
