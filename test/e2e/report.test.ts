import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { bundledChromium } from '../support/chromium.js';
import { BINS, ROOT } from '../support/cli.js';
import { anthropicFigureChecks, chartCsvOf, decimalOf, nanosToDecimal, parseCsvText, query, runCli, units, usdFromNanos } from '../support/warehouse.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

const KEY = 'sk-admin-e2e-report-1a2b3c4d5e';
const FIRST = Date.UTC(2025, 8, 20) / 1000; // 2025-09-20
const DAYS = 56; // through 2025-11-14
const END = FIRST + DAYS * DAY;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
const day = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 1000;
const ARTIFACTS = join(ROOT, 'test-artifacts');
// The browser is the headless Chromium of the devDependency @sparticuz/chromium (test/support/chromium.ts):
// nothing to install beside `npm ci`, never skipped.

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 5, lineItems: 9, adminKey: KEY, emptyEvery: 0 });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'report-'));
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Exact spend in nano-dollars over [from, to). */
function truth(from: number, to: number, filter: (r: { project_id: string | null }) => boolean = () => true): bigint {
  let sum = 0n;
  for (let d = from; d < to; d += DAY) for (const r of fake.org.costsOn(d)) if (filter(r)) sum += BigInt(r.nanos);
  return sum;
}

async function syncedDb(): Promise<string> {
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(END - DAY), base_url: fake.baseUrl }));
  const db = join(dir, 'spend.duckdb');
  const r = await runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs,projects']);
  expect(r.code, r.stderr).toBe(0);
  return db;
}

/** A database made by `sql` (tables as sync writes them), reported by `bin`: the page's HTML, after exit 0. */
async function reportOf(bin: string, name: string, sql: string): Promise<string> {
  const db = join(dir, `${name}.duckdb`);
  const instance = await DuckDBInstance.create(db);
  const c = await instance.connect();
  await c.run(sql);
  c.closeSync();
  instance.closeSync();
  const out = join(dir, `${name}.html`);
  const r = await runCli(bin, ['report', '--db', db, '--out', out]);
  expect(r.code, r.stderr).toBe(0);
  return readFileSync(out, 'utf8');
}

/** The inner HTML of each row of a table of the page, by its id. */
const bodyRows = (html: string, id: string): string[] => {
  const body = new RegExp(`<table id="${id}"[^>]*>[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1] ?? '');
};
const cellText = (cell: string): string =>
  cell
    .replace(/<[^>]+>/g, '')
    .replace(/&amp;/g, '&')
    .trim();
/** A table as rows of cell texts (tags dropped). */
const tableRows = (html: string, id: string): string[][] =>
  bodyRows(html, id).map((row) => [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => cellText(c[1] ?? '')));
/** The exact amounts (data-exact) in a table's rows. */
const exactAmounts = (html: string, id: string): string[][] =>
  bodyRows(html, id).map((row) => [...row.matchAll(/data-exact="([^"]*)"/g)].map((x) => x[1] as string));

/** The bundled headless Chromium (test/support/chromium.ts) with a fresh profile; close the context and remove the profile when done. */
async function launchChromium(): Promise<{ context: BrowserContext; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const browser = await bundledChromium();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browser.executablePath,
    env: browser.env,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1100, height: 900 },
  });
  return { context, profile };
}

describe('report', () => {
  it('given a database synced without the spend stream when the report is opened in headless Chromium then it renders the charts from the provider tables, says to re-sync, and shows totals equal to the ground truth', async () => {
    const db = await syncedDb();
    const out = join(dir, 'report.html');
    const r = await runCli(BINS.openai, ['report', '--db', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^source-openai-costs report: wrote .*report\.html: openai\.costs, 2025-09-20\.\.2025-11-14, \$[\d,]+\.\d\d in 56 days/);
    expect(r.stderr).toContain('re-sync with the spend stream');
    // The complete-through day comes from the sync state (the costs cursor after end_date), not from the rows.
    expect(r.stderr).toContain('complete through OpenAI 2025-11-14; November 2025 to date covers Nov 1–14 vs Oct 1–14.');
    const html = readFileSync(out, 'utf8');
    // Self-contained: nothing to fetch, nothing to run.
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)|@import|url\(/);

    const period = truth(FIRST, END);
    const mtd = truth(day('2025-11-01'), END);
    const prevSame = truth(day('2025-10-01'), day('2025-10-15'));
    const prevFull = truth(day('2025-10-01'), day('2025-11-01'));

    const { context, profile } = await launchChromium();
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const requested: string[] = [];
      const problems: string[] = [];
      page.on('request', (req) => requested.push(req.url()));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(pathToFileURL(out).href);
      await expect(page.title()).resolves.toBe('AI spend report');

      const money = async (id: string) => ({
        text: (await page.locator(`#${id}`).textContent())?.trim(),
        exact: await page.locator(`#${id}`).getAttribute('data-exact'),
      });
      expect(await money('total-period')).toEqual({ text: usdFromNanos(period), exact: nanosToDecimal(period) });
      expect(await money('total-mtd')).toEqual({ text: usdFromNanos(mtd), exact: nanosToDecimal(mtd) });
      expect(await money('total-prev-same')).toEqual({ text: usdFromNanos(prevSame), exact: nanosToDecimal(prevSame) });
      expect(await money('total-prev-month')).toEqual({ text: usdFromNanos(prevFull), exact: nanosToDecimal(prevFull) });
      expect(await page.locator('.card .k').allTextContents()).toEqual([
        'Last 56 days',
        'November 2025 to date',
        'November 2025 forecast',
        'October 2025 1–14',
        'October 2025 total',
      ]);

      // Charts: one bar segment per project with spend per day (5 projects + unattributed, 56 days).
      const segments = await page.locator('#chart-projects rect').count();
      expect(segments).toBeGreaterThan(56 * 3);
      expect(await page.locator('#chart-line-items rect').count()).toBeGreaterThan(56 * 3);
      expect(await page.locator('#chart-month polyline').count()).toBe(3); // previous month, this month, this month's forecast
      const box = await page.locator('#chart-projects').boundingBox();
      expect(box?.width).toBeGreaterThan(600);
      expect(box?.height).toBeGreaterThan(150);
      // Project names come from the projects table.
      const names = fake.org
        .projectsList()
        .slice(0, 5)
        .map((p) => p.name);
      const legend = await page.locator('#chart-projects + ul.legend').textContent();
      for (const n of names) expect(legend).toContain(n);

      // Daily table: every day's total, newest first, exact.
      const rows = page.locator('#daily tbody tr');
      expect(await rows.count()).toBe(DAYS);
      const dayTotals = await rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-day'), tr.querySelector('.money')?.getAttribute('data-exact')]));
      expect(dayTotals[0]).toEqual(['2025-11-14', nanosToDecimal(truth(day('2025-11-14'), END))]);
      expect(dayTotals.at(-1)).toEqual(['2025-09-20', nanosToDecimal(truth(FIRST, FIRST + DAY))]);
      // Top projects: the largest project's total, exactly.
      const byProject = new Map<string | null, bigint>();
      for (let d = FIRST; d < END; d += DAY)
        for (const c of fake.org.costsOn(d)) byProject.set(c.project_id, (byProject.get(c.project_id) ?? 0n) + BigInt(c.nanos));
      const [topId, topNanos] = [...byProject].sort((a, b) => (a[1] < b[1] ? 1 : -1))[0] as [string | null, bigint];
      const topName = fake.org.projectsList().find((p) => p.id === topId)?.name;
      const firstRow = page.locator('#top-projects tbody tr').first();
      expect(await firstRow.locator('td').first().textContent()).toBe(topName);
      expect(await firstRow.locator('.money').first().getAttribute('data-exact')).toBe(nanosToDecimal(topNanos));

      expect(requested.every((u) => u.startsWith('file:'))).toBe(true);
      expect(problems).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
    expect(existsSync(join(ARTIFACTS, 'report.png'))).toBe(true);
  });

  it('given a database with an Anthropic cost_report beside OpenAI costs when reporting then both providers are summed exactly as decimals', async () => {
    const html = await reportOf(
      BINS.openai,
      'both',
      `CREATE TABLE costs (id VARCHAR PRIMARY KEY, "date" DATE, project_id VARCHAR, line_item VARCHAR, amount_value DOUBLE, amount_currency VARCHAR);
      INSERT INTO costs VALUES ('a', '2025-11-02', 'proj_1', 'gpt-4o, input', 0.1, 'usd'), ('b', '2025-11-02', 'proj_1', 'gpt-4o, output', 0.2, 'usd'), ('c', '2025-10-02', NULL, 'o3, input', 1e-7, 'usd');
      CREATE TABLE cost_report (id VARCHAR PRIMARY KEY, "date" DATE, workspace_id VARCHAR, description VARCHAR, model VARCHAR, cost_type VARCHAR, currency VARCHAR, amount_cents VARCHAR, amount_usd VARCHAR);
      INSERT INTO cost_report VALUES ('x', '2025-11-03', 'wrkspc_1', 'Claude Sonnet Usage - Input Tokens', 'claude-sonnet', 'tokens', 'USD', '123.78912', '1.2378912'), ('y', '2025-11-03', NULL, 'Web search', NULL, 'web_search', 'USD', '1000', '10');
      CREATE TABLE workspaces (id VARCHAR PRIMARY KEY, name VARCHAR);
      INSERT INTO workspaces VALUES ('wrkspc_1', 'Research <lab>');`,
    );
    // 0.1 + 0.2 + 1.2378912 + 10 (November) and 1e-7 (October): exact, not 0.30000000000000004.
    expect(html).toContain('id="total-period" data-exact="11.5378913"');
    expect(html).toContain('id="total-mtd" data-exact="11.5378912"');
    expect(html).toContain('id="total-prev-month" data-exact="0.0000001"');
    expect(html).toContain('$11.54');
    expect(html).toContain('Anthropic · Research &lt;lab&gt;');
    expect(html).toContain('OpenAI · proj_1');
    expect(html).toContain('Default workspace');
    expect(html).not.toContain('Research <lab>');
    // An older sync (no focus_spend): the provider tables give the money, and the page says to re-sync.
    expect(html).toContain('id="legacy"');
    expect(html).toContain('Re-sync with the <code>spend</code> stream');
  });

  /** Anthropic's analytics_cost as sync writes it (the stream's columns that the report reads), with cost_report beside it. */
  const anthropicTables = (analyticsRows: string): string =>
    `CREATE TABLE cost_report (id VARCHAR PRIMARY KEY, "date" DATE, workspace_id VARCHAR, description VARCHAR, model VARCHAR, cost_type VARCHAR, currency VARCHAR, amount_cents VARCHAR, amount_usd VARCHAR);
      INSERT INTO cost_report VALUES ('x', '2026-11-03', 'wrkspc_1', 'Claude Sonnet Usage - Input Tokens', 'claude-sonnet-5', 'tokens', 'USD', '123.78912', '1.2378912'),
        ('z', '2026-11-01', 'wrkspc_1', 'Web search', NULL, 'web_search', 'USD', '500', '5');
      CREATE TABLE analytics_cost (id VARCHAR PRIMARY KEY, "date" DATE, workspace_id VARCHAR, api_key_id VARCHAR, model VARCHAR, cost_type VARCHAR, token_type VARCHAR,
        rbac_group_id VARCHAR, claude_tag_user_id VARCHAR, actor JSON, actor_id VARCHAR, actor_type VARCHAR, currency VARCHAR,
        amount_cents VARCHAR, amount_usd VARCHAR, list_amount_cents VARCHAR, list_amount_usd VARCHAR, requests BIGINT);
      ${analyticsRows}
      CREATE TABLE workspaces (id VARCHAR PRIMARY KEY, name VARCHAR);
      INSERT INTO workspaces VALUES ('wrkspc_1', 'Research');
      CREATE TABLE api_keys (id VARCHAR PRIMARY KEY, name VARCHAR);
      INSERT INTO api_keys VALUES ('apikey_1', 'Prod key');
      CREATE TABLE users (id VARCHAR PRIMARY KEY, email VARCHAR, name VARCHAR);
      INSERT INTO users VALUES ('user_2', 'grace@example.com', 'Grace');`;

  it('given analytics_cost beside the legacy cost_report when reporting then each day is taken from one of them, never both, and cost by API key and by actor shows paid beside list price exactly, adding up to the headline with the cost_report days as one row', async () => {
    const html = await reportOf(
      BINS.anthropic,
      'analytics',
      anthropicTables(
        `INSERT INTO analytics_cost VALUES
        ('a1', '2026-11-03', 'wrkspc_1', 'apikey_1', 'claude-sonnet-5', NULL, NULL, NULL, NULL, '{"type":"user_actor","user_id":"user_1","email":"ada@example.com"}', 'user_1', NULL, 'USD', '1893412.5625', '18934.125625', '2104902.85', '21049.0285', 48213),
        ('a2', '2026-11-03', NULL, 'apikey_2', 'claude-haiku-4-5', NULL, NULL, NULL, NULL, '{"type":"api_actor","api_key_id":"apikey_2"}', 'apikey_2', NULL, 'USD', '42017', '420.17', '42017', '420.17', 9012),
        ('a3', '2026-11-03', NULL, NULL, NULL, NULL, NULL, NULL, NULL, '{"type":"federated_actor"}', NULL, NULL, 'USD', '0.0001', '0.000001', '0.0002', '0.000002', NULL),
        ('a4', '2026-11-04', 'wrkspc_1', 'apikey_1', 'claude-sonnet-5', NULL, NULL, NULL, NULL, '{"type":"service_account_actor","service_account_id":"svac_1"}', 'svac_1', NULL, 'USD', '150', '1.5', '200', '2', 3),
        ('a5', '2026-11-04', 'wrkspc_1', 'apikey_1', 'claude-sonnet-5', NULL, NULL, NULL, NULL, '{"type":"user_actor","user_id":"user_2"}', 'user_2', NULL, 'USD', '0.5', '0.005', '0.5', '0.005', 1);`,
      ),
    );
    // cost_report's 2026-11-03 (1.2378912) is left out: analytics_cost has that day. Its 11-01 (5) is kept.
    // 5 + 18934.125625 + 420.17 + 0.000001 + 1.5 + 0.005
    expect(html).toContain('id="total-period" data-exact="19360.800626"');
    expect(html).toContain('Anthropic (table <code>analytics_cost</code>), Anthropic (table <code>cost_report</code>, days without analytics_cost rows)');
    const uncovered = 'No per-key breakdown: cost_report days (2026-11-01)';
    // Names, not ids (issue 24): the id only where nothing names the key.
    expect(tableRows(html, 'by-api-key').map((row) => row[0])).toEqual(['Prod key', 'apikey_2', 'No API key (Console)', uncovered]);
    expect(exactAmounts(html, 'by-api-key')).toEqual([['18935.630625', '21051.0335'], ['420.17', '420.17'], ['0.000001', '0.000002'], ['5']]);
    // The rows add up to the Anthropic headline of the same days, shown as the table's total.
    expect(html).toMatch(/<tfoot><tr><th>All \(Anthropic, the same days as its headline\)<\/th><td class="num"><span class="money" data-exact="19360.800626"/);
    expect(tableRows(html, 'by-actor').map((row) => row.slice(0, 2))).toEqual([
      ['ada@example.com', 'User'],
      ['apikey_2', 'API key'],
      ['svac_1', 'Service account'],
      ['grace@example.com', 'User'],
      ['Federated identity', 'Federated identity'],
      [uncovered, '—'],
    ]);
    expect(exactAmounts(html, 'by-actor')).toEqual([
      ['18934.125625', '21049.0285'],
      ['420.17', '420.17'],
      ['1.5', '2'],
      ['0.005', '0.005'],
      ['0.000001', '0.000002'],
      ['5'],
    ]);
    expect(html).not.toContain('data-note');
  });

  it('given analytics_cost grouped by rbac_group_id (rows that overlap) when reporting then its rows stay out of the totals, the page says why, and cost_report gives the money', async () => {
    const html = await reportOf(
      BINS.anthropic,
      'rbac',
      anthropicTables(
        `INSERT INTO analytics_cost VALUES
        ('r1', '2026-11-03', NULL, NULL, NULL, NULL, NULL, 'rbac_group_1', NULL, NULL, NULL, NULL, 'USD', '100', '1', '100', '1', 1),
        ('r2', '2026-11-03', NULL, NULL, NULL, NULL, NULL, 'rbac_group_2', NULL, NULL, NULL, NULL, 'USD', '100', '1', '100', '1', 1);`,
      ),
    );
    expect(html).toContain('id="total-period" data-exact="6.2378912"');
    expect(html).toContain('analytics_cost is left out of the totals: its rows are grouped by rbac_group_id');
    expect(html).not.toContain('id="by-api-key"');
    expect(html).not.toContain('id="by-actor"');
  });

  it('given an empty or missing database when reporting then an empty page is written with exit 0, or the run is refused with exit 2', async () => {
    const empty = join(dir, 'empty.duckdb');
    const instance = await DuckDBInstance.create(empty);
    instance.closeSync();
    const out = join(dir, 'empty.html');
    const r = await runCli(BINS.openai, ['report', '--db', empty, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('id="empty"');
    expect(r.stderr).toContain('has no spend rows yet');
    const missing = await runCli(BINS.openai, ['report', '--db', join(dir, 'nope.duckdb'), '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('does not exist; run sync first');
    expect(existsSync(join(dir, 'nope.duckdb'))).toBe(false);
  });
});

/*
 * FOCUS 1.3: focus_spend as `sync` writes it from every connector's `spend` stream (FOCUS column
 * names, PascalCase). Ground truth is kept here as BigInt at 12 decimals and every number on the
 * page, in its tables and in its CSV files is compared with it exactly.
 */
const SCALE = 10n ** 12n;
/** "12.5" -> 12500000000000n (at most 12 decimals). */
const scaled = (text: string): bigint => {
  const neg = text.startsWith('-');
  const [int = '0', frac = ''] = (neg ? text.slice(1) : text).split('.');
  const v = BigInt(int) * SCALE + BigInt(frac.padEnd(12, '0'));
  return neg ? -v : v;
};
/** 12500000000000n -> "12.5", 0n -> "0": the page's data-exact and CSV form. */
const plain = (v: bigint): string => {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = (a % SCALE).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / SCALE}${frac ? `.${frac}` : ''}`;
};
/** a × num ÷ den, half away from zero. */
const ratio = (a: bigint, num: bigint, den: bigint): bigint => {
  const n = a * num;
  const abs = n < 0n ? -n : n;
  const q = abs / den + ((abs % den) * 2n >= den ? 1n : 0n);
  return n < 0n ? -q : q;
};
/** "$1,234.57" from 12-decimal units, cents rounded half away from zero. */
const usd = (v: bigint): string => {
  const cents = ratio(v, 1n, 10n ** 10n);
  const a = cents < 0n ? -cents : cents;
  const int = (a / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${cents < 0n ? '-' : ''}$${int}.${(a % 100n).toString().padStart(2, '0')}`;
};
const sumOf = (xs: Iterable<bigint>): bigint => {
  let t = 0n;
  for (const x of xs) t += x;
  return t;
};

interface FocusRow {
  day: string;
  provider: string;
  /** null: only the deprecated ProviderName column is set */
  service: boolean;
  sub: string;
  subName: string;
  model: string;
  amount: string;
  category: string;
}

/** A seeded organization: OpenAI from October 1 (with whole days without spend), Anthropic and Aurous from November only. */
function focusRows(): FocusRow[] {
  let seed = 20261201;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const amount = (maxDollars: number): string =>
    `${Math.floor(rand() * maxDollars)}.${String(Math.floor(rand() * 1e6)).padStart(6, '0')}${String(Math.floor(rand() * 1e6)).padStart(6, '0')}`;
  const rows: FocusRow[] = [];
  const dayOf = (t: number): string => new Date(t).toISOString().slice(0, 10);
  for (let t = Date.UTC(2026, 9, 1); t <= Date.UTC(2026, 10, 14); t += 86_400_000) {
    const d = dayOf(t);
    const dom = Number(d.slice(8));
    // No spend at all on these days: the page must still show them, at zero.
    if (d === '2026-10-09' || d === '2026-10-23' || d === '2026-11-07') continue;
    for (let p = 1; p <= 12; p++) {
      if ((dom + p) % 5 === 0) continue;
      const sub = `proj_${String(p).padStart(2, '0')}`;
      rows.push({
        day: d,
        provider: 'OpenAI',
        service: true,
        sub,
        subName: `Project ${p}`,
        model: p % 3 === 0 ? 'gpt-5' : 'gpt-5-mini',
        amount: amount(p * 40),
        category: 'Usage',
      });
    }
    if (d >= '2026-11-01') {
      for (const [ws, name] of [
        ['wrkspc_a', 'Research'],
        ['wrkspc_b', 'Support bots'],
      ] as const)
        rows.push({ day: d, provider: 'Anthropic', service: true, sub: ws, subName: name, model: 'claude-sonnet-5', amount: amount(900), category: 'Usage' });
    }
    if (d >= '2026-11-05')
      rows.push({
        day: d,
        provider: 'Aurous Labs',
        service: false,
        sub: 'team_1',
        subName: 'Team 1',
        model: 'aurous-1',
        amount: amount(30),
        category: 'Usage',
      });
  }
  rows.push({
    day: '2026-11-02',
    provider: 'OpenAI',
    service: true,
    sub: 'proj_01',
    subName: 'Project 1',
    model: 'gpt-5-mini',
    amount: '-0.000000000001',
    category: 'Credit',
  });
  return rows;
}

const sqlText = (v: string | null): string => (v === null ? 'NULL' : `'${v.replace(/'/g, "''")}'`);

/** focus_spend with text timestamps and text money (one way sync may store them). */
function focusSql(rows: FocusRow[]): string {
  const values = rows.map((r, i) => {
    const next = new Date(Date.parse(`${r.day}T00:00:00Z`) + 86_400_000).toISOString().replace('.000', '');
    return `(${[
      sqlText(`${r.day}T00:00:00Z`),
      sqlText(next),
      sqlText(r.amount),
      sqlText(r.amount),
      sqlText(r.amount),
      "'USD'",
      r.service ? sqlText(r.provider) : 'NULL',
      sqlText(r.provider),
      sqlText(r.sub),
      sqlText(r.subName),
      sqlText(`sku_${r.model}`),
      // OpenAI's rows as an earlier version wrote them (ModelId), the others as today (x_ModelId).
      sqlText(JSON.stringify(r.provider === 'OpenAI' ? { ModelId: r.model } : { x_ModelId: r.model })),
      sqlText(r.category),
      "'AI and Machine Learning'",
      sqlText(`${r.provider} API`),
      sqlText(`${r.model} tokens`),
      sqlText(`row_${i}`),
    ].join(', ')})`;
  });
  return `CREATE TABLE focus_spend ("ChargePeriodStart" VARCHAR, "ChargePeriodEnd" VARCHAR, "BilledCost" VARCHAR, "EffectiveCost" VARCHAR, "ListCost" VARCHAR,
      "BillingCurrency" VARCHAR, "ServiceProviderName" VARCHAR, "ProviderName" VARCHAR, "SubAccountId" VARCHAR, "SubAccountName" VARCHAR, "SkuId" VARCHAR,
      "SkuPriceDetails" JSON, "ChargeCategory" VARCHAR, "ServiceCategory" VARCHAR, "ServiceName" VARCHAR, "ChargeDescription" VARCHAR, x_row_id VARCHAR);
    INSERT INTO focus_spend VALUES ${values.join(',\n')};`;
}

/** PNG width and height from its IHDR chunk. */
const pngSize = (png: Buffer): { width: number; height: number } => {
  expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
};

describe('report from focus_spend', () => {
  it('given focus_spend with OpenAI since October and Anthropic and Aurous since November when the report is opened in headless Chromium then totals, changes, forecasts, every day and every chart CSV equal the ground truth exactly, and the new parts render', async () => {
    const rows = focusRows();
    const html = await reportOf(BINS.anthropic, 'focus', focusSql(rows));
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)|@import|url\(/);
    expect(html).toContain('FOCUS 1.3 (table <code>focus_spend</code>');
    expect(html).not.toContain('id="legacy"');

    // Ground truth.
    const days: string[] = [];
    for (let t = Date.UTC(2026, 9, 1); t <= Date.UTC(2026, 10, 14); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
    const sum = (f: (r: FocusRow) => boolean): bigint => sumOf(rows.filter(f).map((r) => scaled(r.amount)));
    const inNov = (r: FocusRow): boolean => r.day >= '2026-11-01';
    const inOctSame = (r: FocusRow): boolean => r.day >= '2026-10-01' && r.day <= '2026-10-14';
    const providers = ['OpenAI', 'Anthropic', 'Aurous Labs'].sort((a, b) => {
      const d = sum((r) => r.provider === b) - sum((r) => r.provider === a);
      return d > 0n ? 1 : d < 0n ? -1 : a < b ? -1 : 1;
    });
    const mtd = sum(inNov);
    const forecast = (v: bigint): bigint => ratio(v, 30n, 14n); // November: MTD ÷ 14 elapsed days × 30 days

    const { context, profile } = await launchChromium();
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(pathToFileURL(join(dir, 'focus.html')).href);
      const exact = (sel: string) => page.locator(sel).getAttribute('data-exact');
      expect(await exact('#total-period')).toBe(plain(sum(() => true)));
      expect(await exact('#total-mtd')).toBe(plain(mtd));
      expect(await exact('#total-prev-same')).toBe(plain(sum(inOctSame)));
      expect(await exact('#forecast-total')).toBe(plain(forecast(mtd)));
      expect((await page.locator('#forecast-total').textContent())?.trim()).toBe(usd(forecast(mtd)));
      expect(await page.locator('#forecast-card').textContent()).toContain('forecast at the daily run rate: November 2026 to date ÷ 14 elapsed days × 30 days');

      // The month-over-month change: never a percentage when a provider has no data in October.
      const change = (await page.locator('#change-mtd').textContent())?.trim();
      expect(change).toBe('incomplete: no data for Anthropic and Aurous Labs in October 2026');
      expect(change).not.toMatch(/%/);

      // By provider: period, MTD, previous same days, change (or the mark), forecast.
      const table = page.locator('#providers tbody tr');
      expect(await table.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-provider')))).toEqual(providers);
      for (const p of providers) {
        const row = page.locator(`#providers tbody tr[data-provider="${p}"]`);
        const amounts = await row.locator('.money').evaluateAll((els) => els.map((e) => e.getAttribute('data-exact')));
        const mine = (r: FocusRow): boolean => r.provider === p;
        expect(amounts).toEqual([
          plain(sum(mine)),
          plain(sum((r) => mine(r) && inNov(r))),
          plain(sum((r) => mine(r) && inOctSame(r))),
          plain(forecast(sum((r) => mine(r) && inNov(r)))),
        ]);
        const changeText = (await row.locator('td.change').textContent())?.trim();
        if (p === 'OpenAI') {
          const before = sum((r) => mine(r) && inOctSame(r));
          const tenths = ratio(sum((r) => mine(r) && inNov(r)) - before, 1000n, before);
          const a = tenths < 0n ? -tenths : tenths;
          expect(changeText).toBe(`${tenths < 0n ? '-' : '+'}${a / 10n}.${a % 10n}%`);
        } else {
          expect(changeText).toBe(`incomplete: no data for ${p} in October 2026`);
        }
      }
      expect(await page.locator('#providers tbody tr[data-provider="Aurous Labs"] td.forecast').textContent()).toContain(
        'incomplete: no data for Aurous Labs before 2026-11-05',
      );
      expect(await page.locator('#providers tbody tr[data-provider="Anthropic"] td.forecast [data-incomplete]').count()).toBe(0);

      // Every day of the range, newest first, zero where nothing was spent.
      const daily = await page
        .locator('#daily tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [tr.getAttribute('data-day'), tr.querySelector('.money')?.getAttribute('data-exact'), tr.querySelector('.money')?.textContent]),
        );
      expect(daily).toEqual([...days].reverse().map((d) => [d, plain(sum((r) => r.day === d)), usd(sum((r) => r.day === d))]));
      expect(daily.find((r) => r[0] === '2026-11-07')).toEqual(['2026-11-07', '0', '$0.00']);

      // Each chart's CSV (a data: URI download link) equals the table behind it and the ground truth.
      const chartCsv = async (id: string): Promise<{ csv: string[][]; table: string[][] }> => {
        const link = page.locator(`#${id}-csv`);
        expect(await link.getAttribute('download')).toMatch(/\.csv$/);
        const href = (await link.getAttribute('href')) as string;
        expect(href.startsWith('data:text/csv;charset=utf-8,')).toBe(true);
        const csv = parseCsvText(decodeURIComponent(href.slice('data:text/csv;charset=utf-8,'.length)));
        const table = await page
          .locator(`#${id}-table`)
          .evaluate((t) => [
            [...t.querySelectorAll('thead th')].map((th) => th.textContent ?? ''),
            ...[...t.querySelectorAll('tbody tr')].map((tr) =>
              [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-exact') ?? td.textContent ?? ''),
            ),
          ]);
        expect(csv).toEqual(table);
        return { csv, table };
      };
      const byProvider = await chartCsv('chart-providers');
      expect(byProvider.csv).toEqual([
        ['Date', ...providers, 'Total', 'Complete'],
        // No sync state in this file: every provider counts as complete through the latest day with spend.
        ...days.map((d) => [d, ...providers.map((p) => plain(sum((r) => r.day === d && r.provider === p))), plain(sum((r) => r.day === d)), 'yes']),
      ]);

      // What the table shows is each exact amount in dollars and cents.
      const cells = await page
        .locator('#chart-providers-table td[data-exact]')
        .evaluateAll((tds) => tds.map((td) => [td.getAttribute('data-exact'), td.textContent]));
      expect(cells.length).toBe(days.length * (providers.length + 1));
      for (const [exactText, shown] of cells) expect(shown).toBe(usd(scaled(exactText as string)));

      // Top 8 sub-accounts by name, the other 7 as one labelled band.
      const items = new Map<string, bigint>();
      for (const r of rows) items.set(`${r.provider}\u0000${r.sub}`, (items.get(`${r.provider}\u0000${r.sub}`) ?? 0n) + scaled(r.amount));
      const ranked = [...items].sort((a, b) => (a[1] === b[1] ? (a[0] < b[0] ? -1 : 1) : a[1] > b[1] ? -1 : 1)).map(([k]) => k);
      const top = ranked.slice(0, 8);
      const label = (k: string): string => {
        const [p, sub] = k.split('\u0000') as [string, string];
        return `${p} · ${rows.find((r) => r.provider === p && r.sub === sub)?.subName}`;
      };
      const byProject = await chartCsv('chart-projects');
      expect(byProject.csv).toEqual([
        ['Date', ...top.map(label), 'Other (7 more sub-accounts)', 'Total', 'Complete'],
        ...days.map((d) => {
          const on = (k: string) => (r: FocusRow) => r.day === d && `${r.provider}\u0000${r.sub}` === k;
          return [
            d,
            ...top.map((k) => plain(sum(on(k)))),
            plain(sum((r) => r.day === d && !top.includes(`${r.provider}\u0000${r.sub}`))),
            plain(sum((r) => r.day === d)),
            'yes',
          ];
        }),
      ]);
      expect(await page.locator('#chart-projects + ul.legend li').last().textContent()).toBe('Other (7 more sub-accounts)');

      const month = await chartCsv('chart-month');
      expect(month.csv[0]).toEqual([
        'Day of month',
        'October 2026 (cumulative)',
        'November 2026 (cumulative)',
        'November 2026 forecast (cumulative)',
        'November 2026 left out (not complete yet)',
      ]);
      expect(month.csv.length).toBe(1 + 31);
      expect(month.csv[14]).toEqual(['14', plain(sum((r) => r.day >= '2026-10-01' && r.day <= '2026-10-14')), plain(mtd), plain(mtd), '']);
      expect(month.csv[30]).toEqual(['30', plain(sum((r) => r.day >= '2026-10-01' && r.day <= '2026-10-30')), '', plain(forecast(mtd)), '']);
      expect(month.csv[31]).toEqual(['31', plain(sum((r) => r.day >= '2026-10-01' && r.day <= '2026-10-31')), '', '', '']);
      await chartCsv('chart-line-items');
      // Models come from SkuPriceDetails.x_ModelId (ModelId in an earlier version's rows).
      const models = await page.locator('#top-models tbody tr').evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[1]?.textContent));
      expect(new Set(models)).toEqual(new Set(['gpt-5', 'gpt-5-mini', 'claude-sonnet-5', 'aurous-1']));

      // Screenshots of the new parts: rendered, sized, not blank.
      mkdirSync(ARTIFACTS, { recursive: true });
      for (const [sel, minW, minH] of [
        ['#chart-providers', 600, 150],
        ['#providers', 600, 80],
        ['#forecast-card', 180, 60],
        ['#change-mtd [data-incomplete]', 100, 10],
      ] as const) {
        const el = page.locator(sel).first();
        await el.scrollIntoViewIfNeeded();
        const box = await el.boundingBox();
        expect(box?.width, sel).toBeGreaterThan(minW);
        expect(box?.height, sel).toBeGreaterThan(minH);
        const png = await el.screenshot({ path: join(ARTIFACTS, `report-focus-${sel.replace(/[^a-z-]/g, '')}.png`) });
        expect(png.length, sel).toBeGreaterThan(500);
        const size = pngSize(png);
        expect(size.width, sel).toBeGreaterThanOrEqual(Math.floor(minW));
        expect(size.height, sel).toBeGreaterThanOrEqual(Math.floor(minH));
      }
      // One bar segment per provider per day with spend (Anthropic and Aurous only in November).
      const segments = await page.locator('#chart-providers rect').count();
      const expected = days.reduce((n, d) => n + providers.filter((p) => sum((r) => r.day === d && r.provider === p) > 0n).length, 0);
      expect(segments).toBe(expected);
      await page.screenshot({ path: join(ARTIFACTS, 'report-focus.png'), fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });

  it('given focus_spend with TIMESTAMPTZ and DECIMAL columns beside Anthropic tables in their connector schema when reporting then the money is focus_spend alone, the cost by API key still comes from anthropic.analytics_cost, and no day is missing', async () => {
    const html = await reportOf(
      BINS.openai,
      'focus-typed',
      `CREATE TABLE focus_spend ("ChargePeriodStart" TIMESTAMPTZ, "ChargePeriodEnd" TIMESTAMPTZ, "BilledCost" DECIMAL(38,12), "EffectiveCost" DECIMAL(38,12),
        "ListCost" DECIMAL(38,12), "BillingCurrency" VARCHAR, "ServiceProviderName" VARCHAR, "SubAccountId" VARCHAR, "SubAccountName" VARCHAR, "ChargeCategory" VARCHAR);
      INSERT INTO focus_spend VALUES
        ('2026-11-01 00:00:00+00', '2026-11-02 00:00:00+00', 0.100000000001, 0.1, 0.1, 'USD', 'OpenAI', 'proj_1', 'Main', 'Usage'),
        ('2026-11-01 00:00:00+00', '2026-11-02 00:00:00+00', 0.2, 0.2, 0.2, 'USD', 'OpenAI', 'proj_1', 'Main', 'Usage'),
        ('2026-11-04 00:00:00+00', '2026-11-05 00:00:00+00', 18934.125625, 18934.125625, 21049.0285, 'USD', 'Anthropic', 'wrkspc_1', 'Research', 'Usage'),
        ('2026-10-31 00:00:00+00', '2026-11-01 00:00:00+00', 7.000000000009, 7, 7, 'USD', 'Anthropic', 'wrkspc_1', 'Research', 'Usage');
      CREATE SCHEMA anthropic;
      CREATE TABLE anthropic.analytics_cost (id VARCHAR PRIMARY KEY, "date" DATE, workspace_id VARCHAR, api_key_id VARCHAR, model VARCHAR, currency VARCHAR, amount_usd VARCHAR, list_amount_usd VARCHAR);
      INSERT INTO anthropic.analytics_cost VALUES ('a1', '2026-11-04', 'wrkspc_1', 'apikey_1', 'claude-sonnet-5', 'USD', '18934.125625', '21049.0285'),
        ('a2', '2026-11-02', 'wrkspc_1', 'apikey_9', 'claude-sonnet-5', 'USD', '5', '5');
      CREATE TABLE anthropic.api_keys (id VARCHAR PRIMARY KEY, name VARCHAR);
      INSERT INTO anthropic.api_keys VALUES ('apikey_1', 'Prod key');`,
    );
    // 0.100000000001 + 0.2 + 18934.125625 + 7.000000000009: analytics_cost is not added again.
    expect(html).toContain('id="total-period" data-exact="18941.42562500001"');
    expect(html).toContain('id="total-mtd" data-exact="18934.425625000001"');
    expect(html).toContain('id="total-prev-month" data-exact="7.000000000009"');
    // November 1–4 forecast: 18934.425625000001 × 30 ÷ 4 = 142008.1921875000075 -> 142008.192187500008 (12 decimals, half away from zero).
    expect(html).toContain('id="forecast-total" data-exact="142008.192187500008"');
    expect(html).toContain('no data for OpenAI in October 2026');
    expect(html).not.toContain('id="legacy"');
    expect(tableRows(html, 'by-api-key').map((row) => row[0])).toEqual(['Prod key']);
    expect(exactAmounts(html, 'by-api-key')).toEqual([['18934.125625', '21049.0285']]);
    // One billing account per provider (none named here): no account table.
    expect(html).not.toContain('id="accounts"');
    // focus_spend without x_Source (its Anthropic rows from cost_report): the breakdown is analytics_cost over
    // the headline's days only (not November 2, a day without Anthropic rows here), and the page says the
    // two are different APIs' figures.
    expect(html).toContain('<div id="by-api-key-section" data-same-rows="false">');
    expect(html).toContain(
      'From anthropic.analytics_cost over the days of Anthropic&#39;s headline only (2026-10-31, 2026-11-04): $18,934.13 there against $18,941.13 in focus_spend, whose Anthropic rows have no x_Source column',
    );
    // Every day from October 31 to November 4, newest first, zero on the days without rows.
    expect(bodyRows(html, 'daily').map((r) => /data-exact="([^"]*)"/.exec(r)?.[1])).toEqual(['18934.125625', '0', '0', '0.300000000001', '7.000000000009']);
    expect(tableRows(html, 'daily').map((r) => r[0])).toEqual(['2026-11-04', '2026-11-03', '2026-11-02', '2026-11-01', '2026-10-31']);
  });

  it('given more sub-accounts than the chart names whose rest add up to more than the largest, and Anthropic spend only in cost_report, when reporting then Other is labelled with its count and explained, the CSV defuses formulas, and the page says Anthropic is missing', async () => {
    const big = Array.from(
      { length: 8 },
      (_, i) => `('2026-11-02T00:00:00Z', '10.000000000001', 'OpenAI', 'proj_b${i}', ${i === 0 ? "'=cmd|calc'" : `'Big ${i}'`})`,
    );
    const small = Array.from({ length: 10 }, (_, i) => `('2026-11-02T00:00:00Z', '5', 'OpenAI', 'proj_s${i}', 'Small ${i}')`);
    const html = await reportOf(
      BINS.openai,
      'focus-other',
      `CREATE TABLE focus_spend ("ChargePeriodStart" VARCHAR, "BilledCost" VARCHAR, "ServiceProviderName" VARCHAR, "SubAccountId" VARCHAR, "SubAccountName" VARCHAR);
      INSERT INTO focus_spend VALUES ${[...big, ...small].join(', ')};
      CREATE TABLE cost_report (id VARCHAR PRIMARY KEY, "date" DATE, workspace_id VARCHAR, description VARCHAR, currency VARCHAR, amount_usd VARCHAR);
      INSERT INTO cost_report VALUES ('x', '2026-11-02', 'wrkspc_1', 'Web search', 'USD', '99');`,
    );
    // 8 × 10.000000000001 + 10 × 5; cost_report's 99 is not added.
    expect(html).toContain('id="total-period" data-exact="130.000000000008"');
    expect(html).toContain('cost_report has Anthropic spend but focus_spend has no Anthropic rows: those amounts are not in this report.');
    expect(html).toContain('<li><span class="swatch" style="background:#9ca3af"></span>Other (10 more sub-accounts)</li>');
    expect(html).toContain('id="chart-projects-other-note"');
    expect(html).toContain('&quot;Other&quot; (grey, on top) is 10 sub-accounts added together: more than any one shown, though each alone is smaller.');
    const href = /id="chart-projects-csv" download="spend-by-project.csv" href="data:text\/csv;charset=utf-8,([^"]*)"/.exec(html)?.[1] ?? '';
    const csv = decodeURIComponent(href.replace(/&amp;/g, '&').replace(/&#39;/g, "'"));
    expect(csv.split('\r\n')[1]).toBe(`2026-11-02,${Array(8).fill('10.000000000001').join(',')},50,130.000000000008,yes`);
    // A label a spreadsheet would run as a formula is prefixed with ' in the CSV.
    expect(csv.split('\r\n')[0]).toBe(
      `Date,'=cmd|calc,${Array.from({ length: 7 }, (_, i) => `Big ${i + 1}`).join(',')},Other (10 more sub-accounts),Total,Complete`,
    );
    // The one-day month: forecast 130.000000000008 × 30 ÷ 2 (November 2 is day 2).
    expect(html).toContain('id="forecast-total" data-exact="1950.00000000012"');
  });
});

/*
 * Issue 23, like with like: a file as sync leaves it (each connector's spend table and
 * _connector_state, focus_spend a view over them), generated on 2026-12-05. OpenAI (two organizations)
 * synced at 11:00 with today's partial rows; Anthropic synced the day before at 09:30, its spend rows
 * from cost_report before 2026-11-10 and from analytics_cost after (x_Source, x_ApiKeyId, x_ActorType,
 * x_ActorId). Ground truth is computed here from the rows.
 */
interface LedgerRow {
  provider: 'OpenAI' | 'Anthropic';
  account: string;
  day: string;
  amount: string;
  list: string;
  source: string | null;
  apiKey: string | null;
  actorType: string | null;
  actorId: string | null;
}

function ledgerRows(): LedgerRow[] {
  let seed = 20261205;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const amount = (max: number): string => `${Math.floor(rand() * max)}.${String(Math.floor(rand() * 1e12)).padStart(12, '0')}`;
  const rows: LedgerRow[] = [];
  const base = { source: null, apiKey: null, actorType: null, actorId: null };
  for (let t = Date.UTC(2026, 9, 1); t <= Date.UTC(2026, 11, 5); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    for (const account of ['org-prod', 'org-research']) {
      const a = amount(account === 'org-prod' ? 400 : 90);
      rows.push({ provider: 'OpenAI', account, day, amount: a, list: a, ...base });
    }
    if (day > '2026-12-03') continue; // Anthropic's sync on December 4 read through December 3
    if (day < '2026-11-10') {
      const a = amount(700);
      rows.push({ provider: 'Anthropic', account: 'anthropic', day, amount: a, list: a, ...base, source: 'cost_report' });
      continue;
    }
    for (let k = 0; k < 14; k++) {
      const a = amount(80);
      const kind = k % 4;
      rows.push({
        provider: 'Anthropic',
        account: 'anthropic',
        day,
        amount: a,
        list: `${units(a) === 0n ? '0' : decimalOf(units(a) + units(a) / 10n)}`,
        source: 'analytics_cost',
        apiKey: k === 13 ? null : `apikey_${String(k).padStart(2, '0')}`,
        actorType: kind === 0 ? 'user_actor' : kind === 1 ? 'api_actor' : kind === 2 ? 'service_account_actor' : null,
        actorId: kind === 3 ? null : `actor_${k % 7}`,
      });
    }
  }
  return rows;
}

function ledgerSql(rows: LedgerRow[], anthropic = { cursor: '2026-12-04', syncedAt: '2026-12-04 09:30:00+00' }): string {
  const values = (p: string): string =>
    rows
      .filter((r) => r.provider === p)
      .map(
        (r, i) =>
          `(${[
            sqlText(`${p}-${i}`),
            sqlText(`${r.day} 00:00:00+00`),
            sqlText(r.amount),
            sqlText(r.list),
            "'USD'",
            sqlText(p),
            sqlText(r.account),
            sqlText(r.account === 'org-prod' ? 'Acme prod' : r.account === 'org-research' ? 'Acme research' : 'Anthropic organization'),
            sqlText(p === 'OpenAI' ? 'proj_1' : 'wrkspc_1'),
            ...(p === 'Anthropic' ? [sqlText(r.source), sqlText(r.apiKey), sqlText(r.actorType), sqlText(r.actorId)] : []),
          ].join(', ')})`,
      )
      .join(',\n');
  const table = (schema: string): string => `CREATE SCHEMA ${schema};
    CREATE TABLE ${schema}.spend (x_RecordId VARCHAR PRIMARY KEY, "ChargePeriodStart" TIMESTAMPTZ, "BilledCost" VARCHAR, "ListCost" VARCHAR, "BillingCurrency" VARCHAR,
      "ServiceProviderName" VARCHAR, "BillingAccountId" VARCHAR, "BillingAccountName" VARCHAR, "SubAccountId" VARCHAR${schema === 'anthropic' ? ', x_Source VARCHAR, x_ApiKeyId VARCHAR, x_ActorType VARCHAR, x_ActorId VARCHAR' : ''});
    CREATE TABLE ${schema}._connector_state (stream VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, state JSON NOT NULL, updated_at TIMESTAMPTZ NOT NULL);`;
  const cursor = (d: string): number => Date.parse(`${d}T00:00:00Z`) / 1000;
  return `${table('openai')}${table('anthropic')}
    INSERT INTO openai.spend VALUES ${values('OpenAI')};
    INSERT INTO anthropic.spend VALUES ${values('Anthropic')};
    INSERT INTO openai._connector_state VALUES
      ('spend', 'source-openai-costs', '{"version":2,"covered_from":${cursor('2026-10-01')},"cursor":${cursor('2026-12-05')}}', '2026-12-05 11:00:00+00'),
      ('projects', 'source-openai-costs', '{"synced_at":"2026-12-05T11:00:00Z"}', '2026-12-05 11:00:00+00');
    INSERT INTO anthropic._connector_state VALUES
      ('spend', 'source-anthropic-costs', '{"version":2,"covered_from":${cursor('2026-10-01')},"cursor":${cursor(anthropic.cursor)}}', '${anthropic.syncedAt}');
    CREATE VIEW focus_spend AS SELECT * FROM openai.spend UNION ALL BY NAME SELECT * FROM anthropic.spend;
    CREATE TABLE anthropic.api_keys (id VARCHAR PRIMARY KEY, name VARCHAR);
    INSERT INTO anthropic.api_keys VALUES ('apikey_00', 'Prod key');`;
}

describe('report compares like with like (issue 23)', () => {
  it('given OpenAI synced today with a partial today and Anthropic synced yesterday when reporting then month to date, the comparison and the forecast use each provider’s complete days only, say which, mark the provider behind, and mark pending days in the daily table and every chart CSV', async () => {
    const rows = ledgerRows();
    const html = await reportOf(BINS.anthropic, 'like-with-like', ledgerSql(rows));
    const sum = (f: (r: LedgerRow) => boolean): bigint => sumOf(rows.filter(f).map((r) => scaled(r.amount)));
    // The settle rule (24 h after a day ends) over each sync: OpenAI's cursor is December 5 (today) and it
    // synced at 11:00, so December 4 is not final; Anthropic's cursor is December 4 and it synced at 09:30
    // on December 4, so December 3 is not final.
    const through = { OpenAI: '2026-12-03', Anthropic: '2026-12-02' } as const;
    expect([...html.matchAll(/<span data-provider="([^"]+)" data-through="([^"]+)"/g)].map((m) => [m[1], m[2]])).toEqual([
      ['Anthropic', '2026-12-02'],
      ['OpenAI', '2026-12-03'],
    ]);
    const mtdOf = (p: 'OpenAI' | 'Anthropic'): bigint => sum((r) => r.provider === p && r.day >= '2026-12-01' && r.day <= through[p]);
    const prevOf = (p: 'OpenAI' | 'Anthropic'): bigint => sum((r) => r.provider === p && r.day >= '2026-11-01' && r.day <= `2026-11-0${through[p].slice(9)}`);
    const forecastOf = (p: 'OpenAI' | 'Anthropic'): bigint => ratio(mtdOf(p), 31n, BigInt(Number(through[p].slice(8))));
    for (const p of ['OpenAI', 'Anthropic'] as const) {
      const row = new RegExp(`<tr data-provider="${p}"><td data-through="${through[p]}">([\\s\\S]*?)</tr>`).exec(html)?.[1] ?? '';
      expect(
        [...row.matchAll(/data-exact="([^"]*)"/g)].map((m) => m[1]),
        p,
      ).toEqual([plain(sum((r) => r.provider === p)), plain(mtdOf(p)), plain(prevOf(p)), plain(forecastOf(p))]);
      const before = prevOf(p);
      const tenths = ratio(mtdOf(p) - before, 1000n, before);
      const a = tenths < 0n ? -tenths : tenths;
      expect(cellText(/<td class="num change">([\s\S]*?)<\/td>/.exec(row)?.[1] ?? ''), p).toBe(`${tenths < 0n ? '-' : '+'}${a / 10n}.${a % 10n}%`);
    }
    // Anthropic's latest day is missing: marked, and compared over its own days (never a drop against three days).
    expect(html).toContain(
      'Dec 1–2 vs Nov 1–2 <span class="incomplete" data-behind>latest day missing: Anthropic is complete through 2026-12-02 (Dec 2)</span>',
    );
    expect(html).toContain(
      '<td class="days" title="openai.spend read up to 2026-12-05 (exclusive), synced 2026-12-05 11:00 UTC; a day is final 24 h after it ends',
    );
    expect(html).toMatch(/<td class="days"[^>]*>Dec 1–3 vs Nov 1–3<\/td>/);
    const mtd = mtdOf('OpenAI') + mtdOf('Anthropic');
    expect(html).toContain(`id="total-mtd" data-exact="${plain(mtd)}"`);
    expect(html).toContain(`id="total-prev-same" data-exact="${plain(prevOf('OpenAI') + prevOf('Anthropic'))}"`);
    // Each provider's run rate over its own complete days, added (not one rate over 3 days).
    expect(html).toContain(`id="forecast-total" data-exact="${plain(forecastOf('OpenAI') + forecastOf('Anthropic'))}"`);
    // Providers in the order of the "By provider" table (largest over the period first).
    const order = (['OpenAI', 'Anthropic'] as const).slice().sort((x, y) => (sum((r) => r.provider === y) > sum((r) => r.provider === x) ? 1 : -1));
    const compared = { OpenAI: 'Dec 1–3 vs Nov 1–3', Anthropic: 'Dec 1–2 vs Nov 1–2' };
    expect(html).toContain(`data-compared="${order.map((p) => `${p} ${compared[p]}`).join('; ')}"`);
    expect(html).toContain(
      `each provider&#39;s December 2026 to date ÷ its complete days (${order.map((p) => `${p} ${Number(through[p].slice(8))}`).join(', ')}) × 31 days, added`,
    );

    // The daily table: every day through December 5 (OpenAI's partial today), the days not final marked.
    const daily = tableRows(html, 'daily');
    expect(daily.slice(0, 4).map((r) => [r[0], r[3]])).toEqual([
      ['2026-12-05', 'not yet: Anthropic, OpenAI'],
      ['2026-12-04', 'not yet: Anthropic, OpenAI'],
      ['2026-12-03', 'not yet: Anthropic'],
      ['2026-12-02', 'yes'],
    ]);
    expect(exactAmounts(html, 'daily')[0]).toEqual([plain(sum((r) => r.day === '2026-12-05'))]);
    // Every chart's CSV carries the same mark, and its chart shades those days.
    for (const id of ['chart-providers', 'chart-projects', 'chart-line-items']) {
      const csv = chartCsvOf(html, id);
      expect(csv[0]?.at(-1), id).toBe('Complete');
      expect(
        csv.slice(-4).map((r) => [r[0], r.at(-1)]),
        id,
      ).toEqual([
        ['2026-12-02', 'yes'],
        ['2026-12-03', 'no: Anthropic'],
        ['2026-12-04', 'no: Anthropic, OpenAI'],
        ['2026-12-05', 'no: Anthropic, OpenAI'],
      ]);
    }
    expect([...html.matchAll(/<rect class="pending" data-day="([^"]+)"/g)].map((m) => m[1])).toEqual(
      Array(3).fill(['2026-12-03', '2026-12-04', '2026-12-05']).flat(),
    );
    const month = chartCsvOf(html, 'chart-month');
    expect(month[0]?.at(-1)).toBe('December 2026 left out (not complete yet)');
    // This month's line at day 3: OpenAI's December 1–3 and Anthropic's 1–2, what month to date sums.
    expect(month[3]).toEqual([
      '3',
      plain(sum((r) => r.day >= '2026-11-01' && r.day <= '2026-11-03')),
      plain(mtd),
      plain(mtdOf('OpenAI') + ratio(mtdOf('Anthropic'), 3n, 2n)),
      'Anthropic',
    ]);
    expect(month[2]?.at(-1)).toBe('');

    // Two OpenAI organizations: spend per account, exact.
    const accounts = [
      ['OpenAI', 'org-prod', 'Acme prod'],
      ['OpenAI', 'org-research', 'Acme research'],
      ['Anthropic', 'anthropic', 'Anthropic organization'],
    ].sort((x, y) => {
      const d = sum((r) => r.provider === y[0] && r.account === y[1]) - sum((r) => r.provider === x[0] && r.account === x[1]);
      return d > 0n ? 1 : -1;
    });
    expect(tableRows(html, 'accounts').map((r) => r.slice(0, 2))).toEqual(accounts.map(([p, id, name]) => [p, `${name} (${id})`]));
    const acct = (p: string, a: string): string[] => {
      const mine = (r: LedgerRow): boolean => r.provider === p && r.account === a;
      const t = through[p as 'OpenAI' | 'Anthropic'];
      return [
        plain(sum(mine)),
        plain(sum((r) => mine(r) && r.day >= '2026-12-01' && r.day <= t)),
        plain(sum((r) => mine(r) && r.day >= '2026-11-01' && r.day <= `2026-11-0${t.slice(9)}`)),
      ];
    };
    expect(exactAmounts(html, 'accounts')).toEqual(accounts.map(([p, id]) => acct(p as string, id as string)));

    // Anthropic's cost by API key and by person: the headline's own rows, adding up to it exactly.
    const { checks, breakdowns } = anthropicFigureChecks(html);
    expect(breakdowns).toEqual(['by-api-key', 'by-actor']);
    for (const c of checks) expect(c.page, c.what).toBe(c.derived);
    // The ten largest keys by name (the rest as one row, "No API key" for the Console), then the cost_report days.
    const analyticsRows = rows.filter((r) => r.source === 'analytics_cost');
    const perKey = new Map<string | null, { paid: bigint; list: bigint }>();
    for (const r of analyticsRows) {
      const v = perKey.get(r.apiKey) ?? { paid: 0n, list: 0n };
      perKey.set(r.apiKey, { paid: v.paid + scaled(r.amount), list: v.list + scaled(r.list) });
    }
    const ranked = [...perKey].sort((x, y) => (x[1].paid === y[1].paid ? 0 : x[1].paid > y[1].paid ? -1 : 1));
    const label = (k: string | null): string => (k === null ? 'No API key (Console)' : k === 'apikey_00' ? 'Prod key' : k);
    const rest = ranked.slice(10);
    expect(tableRows(html, 'by-api-key').map((r) => r[0])).toEqual([
      ...ranked.slice(0, 10).map(([k]) => label(k)),
      'Other (4 more API keys)',
      'No per-key breakdown: cost_report days (2026-10-01 to 2026-11-09)',
    ]);
    expect(exactAmounts(html, 'by-api-key')).toEqual([
      ...ranked.slice(0, 10).map(([, v]) => [plain(v.paid), plain(v.list)]),
      [plain(sumOf(rest.map(([, v]) => v.paid))), plain(sumOf(rest.map(([, v]) => v.list)))],
      [plain(sum((r) => r.source === 'cost_report'))],
    ]);
    expect(html).toContain('the days read from cost_report (2026-10-01 to 2026-11-09) have no per-key or per-person breakdown and are one row');
  });

  it('given a provider last synced before the month began when reporting then it has no complete day of the month: no change, no forecast, marked behind, and the month to date is the other provider alone', async () => {
    const rows = ledgerRows().filter((r) => r.provider === 'OpenAI' || r.day <= '2026-11-28');
    const html = await reportOf(BINS.anthropic, 'like-with-like-behind', ledgerSql(rows, { cursor: '2026-11-29', syncedAt: '2026-11-30 12:00:00+00' }));
    const sum = (f: (r: LedgerRow) => boolean): bigint => sumOf(rows.filter(f).map((r) => scaled(r.amount)));
    const openaiMtd = sum((r) => r.provider === 'OpenAI' && r.day >= '2026-12-01' && r.day <= '2026-12-03');
    const row = /<tr data-provider="Anthropic"><td data-through="2026-11-28">([\s\S]*?)<\/tr>/.exec(html)?.[1] ?? '';
    expect([...row.matchAll(/data-exact="([^"]*)"/g)].map((m) => m[1])).toEqual([plain(sum((r) => r.provider === 'Anthropic')), '0', '0', '0']);
    expect(cellText(/<td class="num change">([\s\S]*?)<\/td>/.exec(row)?.[1] ?? '')).toBe('no complete day of December 2026 yet');
    expect(row).toContain('latest day missing: Anthropic is complete through 2026-11-28 (Nov 28)');
    expect(html).toContain(`id="total-mtd" data-exact="${plain(openaiMtd)}"`);
    expect(html).toContain(`id="forecast-total" data-exact="${plain(ratio(openaiMtd, 31n, 3n))}"`);
    expect(tableRows(html, 'daily').find((r) => r[0] === '2026-11-29')?.[3]).toBe('not yet: Anthropic');
    expect(tableRows(html, 'daily').find((r) => r[0] === '2026-11-28')?.[3]).toBe('yes');
    // The figures of Anthropic still agree with each other over their days.
    for (const c of anthropicFigureChecks(html).checks) expect(c.page, c.what).toBe(c.derived);
  });

  it('given a page whose Anthropic breakdown does not add up to its headline when checking the figures then the check fails (the demo assertion can fail)', async () => {
    const rows = ledgerRows();
    const html = await reportOf(BINS.anthropic, 'like-with-like-2', ledgerSql(rows));
    const broken = html.replace(
      /(<table id="by-api-key"[\s\S]*?<tbody>\s*<tr><td>[^<]*<\/td><td class="num"><span class="money" data-exact=")([^"]+)"/,
      (_, a: string, v: string) => `${a}${plain(scaled(v) + 1n)}"`,
    );
    expect(broken).not.toBe(html);
    const failed = anthropicFigureChecks(broken).checks.filter((c) => c.page !== c.derived);
    expect(failed.map((c) => c.what)).toEqual(['by-api-key: its rows add up to its total', 'by-api-key: its rows add up to the headline, last N days']);
  });
});

describe('report shows names (issue 24)', () => {
  /** Label of each id: its name, with the id where another id of the same rows has that name; the id where none. */
  const labelsOf = (pairs: ReadonlyArray<{ id: string; name: string | null }>): Map<string, string> => {
    const count = new Map<string, number>();
    for (const p of pairs) if (p.name) count.set(p.name, (count.get(p.name) ?? 0) + 1);
    return new Map(pairs.map((p) => [p.id, p.name ? ((count.get(p.name) ?? 0) > 1 ? `${p.name} (${p.id})` : p.name) : p.id]));
  };

  it('given projects that share a name and names that are not ASCII when spend is synced and reported then projects are shown by name, the shared name with each id', async () => {
    const config = join(dir, 'names-openai.json');
    writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(END - DAY), base_url: fake.baseUrl }));
    const db = join(dir, 'names-openai.duckdb');
    const s = await runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'spend']);
    expect(s.code, s.stderr).toBe(0);
    const out = join(dir, 'names-openai.html');
    const r = await runCli(BINS.openai, ['report', '--db', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const shown = tableRows(readFileSync(out, 'utf8'), 'top-projects').map((row) => row[0]);
    // The fake's 5 projects with cost (two named Production) and the unattributed spend.
    const projects = fake.org.projectsList().slice(0, 5);
    const expected = labelsOf(projects.map((p) => ({ id: p.id, name: p.name })));
    expect(new Set(shown)).toEqual(new Set([...expected.values(), 'No sub-account']));
    expect(shown).toContain('Production (proj_002)');
    expect(shown).toContain('Production (proj_003)');
    expect(shown).toContain('Recherche & Développement — Zürich');
    expect(shown).toContain('研究チーム 🚀');
  });

  it('given focus_spend rows without SubAccountName (synced before names) beside the projects and workspaces tables when reporting then those rows are named from the tables, a named row keeps its own name, and an unknown id shows the id', async () => {
    const html = await reportOf(
      BINS.openai,
      'focus-older-names',
      `CREATE SCHEMA openai; CREATE SCHEMA anthropic;
      CREATE TABLE focus_spend ("ChargePeriodStart" VARCHAR, "BilledCost" VARCHAR, "ServiceProviderName" VARCHAR, "SubAccountId" VARCHAR, "SubAccountName" VARCHAR);
      INSERT INTO focus_spend VALUES ('2026-11-02T00:00:00Z', '3', 'OpenAI', 'proj_a', NULL), ('2026-11-02T00:00:00Z', '2', 'OpenAI', 'proj_b', 'Named in spend'),
        ('2026-11-02T00:00:00Z', '1', 'Anthropic', 'wrkspc_a', NULL), ('2026-11-02T00:00:00Z', '0.5', 'OpenAI', 'proj_gone', NULL);
      CREATE TABLE openai.projects (id VARCHAR, name VARCHAR, _account_id VARCHAR);
      INSERT INTO openai.projects VALUES ('proj_a', 'Équipe A', 'org-1'), ('proj_a', 'Équipe A', 'org-2'), ('proj_b', 'Old name', 'org-1');
      CREATE TABLE anthropic.workspaces (id VARCHAR, name VARCHAR);
      INSERT INTO anthropic.workspaces VALUES ('wrkspc_a', 'Data 東京');`,
    );
    expect(tableRows(html, 'top-projects').map((row) => row.slice(0, 2))).toEqual([
      ['OpenAI', 'Équipe A'],
      ['OpenAI', 'Named in spend'],
      ['Anthropic', 'Data 東京'],
      ['OpenAI', 'proj_gone'],
    ]);
    // The project listed twice (two accounts) is counted once.
    expect(exactAmounts(html, 'top-projects').map((r) => r[0])).toEqual(['3', '2', '1', '0.5']);
  });

  it('given Anthropic keys and people that share a name, and a deleted key and user, when spend is synced and reported then cost by API key and by actor shows names, the id only beside a shared name or for what no list names', async () => {
    const { FakeAnthropic } = await import('../fake/anthropic.js');
    const KEY_A = 'sk-ant-admin01-REPORT-NAMES-9f8e7d';
    const first = Date.UTC(2026, 0, 5) / 1000;
    // As of TEST_NOW (support/clock.ts): these January days stay inside the analytics API's 365 days on any day.
    const anthropic = new FakeAnthropic({ firstDay: first, days: 21, adminKey: KEY_A, emptyEvery: 0, now: testClock() });
    await anthropic.start();
    try {
      const config = join(dir, 'names-anthropic.json');
      writeFileSync(
        config,
        JSON.stringify({
          admin_api_key: KEY_A,
          start_date: iso(first),
          end_date: iso(first + 20 * DAY),
          base_url: anthropic.baseUrl,
          focus: { anthropic_source: 'analytics' },
        }),
      );
      const db = join(dir, 'names-anthropic.duckdb');
      const s = await runCli(BINS.anthropic, ['sync', '--config', config, '--db', db, '--streams', 'spend'], { env: AS_OF_ENV });
      expect(s.code, s.stderr).toBe(0);
      const out = join(dir, 'names-anthropic.html');
      const r = await runCli(BINS.anthropic, ['report', '--db', db, '--out', out], { env: AS_OF_ENV });
      expect(r.code, r.stderr).toBe(0);
      const html = readFileSync(out, 'utf8');
      // Ground truth from the fake's lists, over the ids the spend rows carry.
      const keyIds = (await query(db, `SELECT DISTINCT "x_ApiKeyId" AS id FROM anthropic.spend WHERE "x_ApiKeyId" IS NOT NULL`)).map((x) => String(x.id));
      const keyName = (id: string) => anthropic.org.listedApiKeys().find((k) => k.id === id)?.name ?? null;
      const keys = labelsOf(keyIds.map((id) => ({ id, name: keyName(id) })));
      const keyShown = tableRows(html, 'by-api-key').map((row) => row[0] as string);
      expect(keyShown.length).toBeGreaterThan(3);
      for (const label of keyShown) if (!/^Other \(|^No API key/.test(label)) expect([...keys.values()]).toContain(label);
      expect(keyShown.some((l) => [...keys.values()].includes(l) && !l.includes('apikey_'))).toBe(true);
      expect([...keys.values()].some((l) => /^Production key \d \(apikey_/.test(l))).toBe(true);
      const [deletedKey] = [...anthropic.org.deletedApiKeys];
      expect(keys.get(deletedKey as string)).toBe(deletedKey);

      const actors = await query(db, `SELECT DISTINCT "x_ActorId" AS id, "x_ActorType" AS t FROM anthropic.spend WHERE "x_ActorId" IS NOT NULL`);
      const userName = (id: string) => anthropic.org.listedUsers().find((u) => u.id === id)?.name ?? null;
      const actorLabels = labelsOf(
        actors.map((a) => ({ id: String(a.id), name: a.t === 'user_actor' ? userName(String(a.id)) : a.t === 'api_actor' ? keyName(String(a.id)) : null })),
      );
      const actorShown = tableRows(html, 'by-actor').map((row) => row[0] as string);
      for (const label of actorShown) if (!/^Other \(|^Federated|^Unattributed/.test(label)) expect([...actorLabels.values()]).toContain(label);
      expect(actorShown.some((l) => /José Müller-Ñúñez|王小明|Alex Kim/.test(l))).toBe(true);
    } finally {
      await anthropic.stop();
    }
  });
});
