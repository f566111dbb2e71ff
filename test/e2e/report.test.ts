import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { bundledChromium } from '../support/chromium.js';
import { BINS, ROOT } from '../support/cli.js';
import { nanosToDecimal, runCli, usdFromNanos } from '../support/warehouse.js';

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
afterAll(() => fake.stop());

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

describe('report', () => {
  it('given a synced database when the report is opened in headless Chromium then it renders the charts and shows totals equal to the ground truth', async () => {
    const db = await syncedDb();
    const out = join(dir, 'report.html');
    const r = await runCli(BINS.openai, ['report', '--db', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^source-openai-costs report: wrote .*report\.html: costs, 2025-09-20\.\.2025-11-14, \$[\d,]+\.\d\d in 56 days/);
    const html = readFileSync(out, 'utf8');
    // Self-contained: nothing to fetch, nothing to run.
    expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)|@import|url\(/);

    const period = truth(FIRST, END);
    const mtd = truth(day('2025-11-01'), END);
    const prevSame = truth(day('2025-10-01'), day('2025-10-15'));
    const prevFull = truth(day('2025-10-01'), day('2025-11-01'));

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
      expect(await page.locator('.card .k').allTextContents()).toEqual(['Last 56 days', 'November 2025 to date', 'October 2025 1–14', 'October 2025 total']);

      // Charts: one bar segment per project with spend per day (5 projects + unattributed, 56 days).
      const segments = await page.locator('#chart-projects rect').count();
      expect(segments).toBeGreaterThan(56 * 3);
      expect(await page.locator('#chart-line-items rect').count()).toBeGreaterThan(56 * 3);
      expect(await page.locator('#chart-month polyline').count()).toBe(2);
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
  });

  /** The inner HTML of each row of a table of the page, by its id. */
  const bodyRows = (html: string, id: string): string[] => {
    const body = new RegExp(`<table id="${id}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html)?.[1] ?? '';
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

  it('given analytics_cost beside the legacy cost_report when reporting then each day is taken from one of them, never both, and cost by API key and by actor shows paid beside list price exactly', async () => {
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
    expect(tableRows(html, 'by-api-key').map((row) => row[0])).toEqual(['Prod key (apikey_1)', 'apikey_2', 'No API key (Console)']);
    expect(exactAmounts(html, 'by-api-key')).toEqual([
      ['18935.630625', '21051.0335'],
      ['420.17', '420.17'],
      ['0.000001', '0.000002'],
    ]);
    expect(tableRows(html, 'by-actor').map((row) => row.slice(0, 2))).toEqual([
      ['ada@example.com (user_1)', 'User'],
      ['apikey_2', 'API key'],
      ['svac_1', 'Service account'],
      ['grace@example.com (user_2)', 'User'],
      ['Federated identity', 'Federated identity'],
    ]);
    expect(exactAmounts(html, 'by-actor')).toEqual([
      ['18934.125625', '21049.0285'],
      ['420.17', '420.17'],
      ['1.5', '2'],
      ['0.005', '0.005'],
      ['0.000001', '0.000002'],
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
