import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeXai, ticksToUsd } from '../fake/xai.js';
import { BINS } from '../support/cli.js';
import { AS_OF_ENV, TEST_NOW, testClock } from '../support/clock.js';
import { plainDecimal, query, runCli } from '../support/warehouse.js';

/**
 * The report's "Invoices against daily usage" table (docs/warehouse.md), from a real sync of
 * source-xai-costs against its fake, as of TEST_NOW (2026-12-05T12:00Z): every figure equals the fake's
 * invoice ledger (cents) and the sum of its daily ledger (ticks of 1e-10 USD) exactly, computed here
 * with BigInt, not by the report's code.
 */
const KEY = 'mgmt-SENTINEL-invoices-3c9d';
const TEAM = 'team-report-invoices';
const FIRST = Date.UTC(2026, 7, 20) / 1000; // 2026-08-20: the ledger starts before start_date
const DAYS = 108; // through 2026-12-05 (today as of TEST_NOW)
const START = '2026-09-10'; // a month whose first days are not synced
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

let fake: FakeXai;
let dir: string;
let db: string;
let html = '';

/** The page's invoice rows: their data- attributes. */
function invoiceRows(page: string): Array<Record<string, string>> {
  const body = /<table id="invoices">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page)?.[1] ?? '';
  return [...body.matchAll(/<tr ([^>]*)>/g)].map((m) => Object.fromEntries([...(m[1] ?? '').matchAll(/data-([a-z-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]])));
}

/** Integer cents as exact dollars, written here: -1234n -> "-12.34", 500n -> "5". */
function centsText(cents: bigint): string {
  const neg = cents < 0n;
  const a = neg ? -cents : cents;
  const frac = (a % 100n).toString().padStart(2, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 100n}${frac ? `.${frac}` : ''}`;
}

async function report(file: string, name: string): Promise<string> {
  const out = join(dir, `${name}.html`);
  const r = await runCli(BINS.xai, ['report', '--db', file, '--out', out], { env: AS_OF_ENV });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/error/i);
  return readFileSync(out, 'utf8');
}

beforeAll(async () => {
  fake = new FakeXai({ firstDay: FIRST, days: DAYS, key: KEY, team: TEAM, now: testClock() });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'report-invoices-'));
  db = join(dir, 'spend.duckdb');
  const config = join(dir, 'xai.json');
  writeFileSync(config, JSON.stringify({ management_key: KEY, team_id: TEAM, start_date: START, base_url: fake.baseUrl }));
  const r = await runCli(BINS.xai, ['sync', '--config', config, '--db', db], { env: AS_OF_ENV, timeoutMs: 240_000 });
  expect(r.code, r.stderr).toBe(0);
  html = await report(db, 'report');
}, 300_000);

afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('report: invoices against daily usage', () => {
  it('given xAI synced from mid-September as of Dec 5 when the report is made then each billing month shows the invoice subtotal and the daily ledger sum exactly, the difference only for wholly synced final months', async () => {
    // The days the sync read: start_date through today (partial: the state never passes its start, so it is never complete).
    const lastRead = (await query(db, `SELECT CAST(CAST(max(CAST("ChargePeriodStart" AS TIMESTAMPTZ)) AS DATE) AS VARCHAR) AS d FROM xai.spend`))[0]?.d;
    expect(lastRead).toBe('2026-12-05');
    expect(TEST_NOW.slice(0, 10)).toBe('2026-12-05');
    const invoices = fake.invoiceList(2026, 9, Date.parse(TEST_NOW) / 1000);
    expect(invoices.map((i) => i.invoiceStatus)).toEqual(['PAID', 'FAILED', 'PAID', 'PENDING']);
    const expected = invoices.map((inv) => {
      const { year, month } = (inv.monthly as { billingCycle: { year: number; month: number } }).billingCycle;
      const ym = `${year}-${String(month).padStart(2, '0')}`;
      const monthStart = Date.UTC(year, month - 1, 1) / 1000;
      const monthEnd = Date.UTC(year, month, 1) / 1000;
      // Σ of the daily ledger over the month's days the sync read.
      const from = Math.max(monthStart, day(START));
      const to = Math.min(monthEnd, day(lastRead as string) + 86_400);
      const ticks = fake.linesIn(from, to).reduce((s, l) => s + l.ticks, 0n);
      const cents = BigInt(String(inv.subtotal));
      // Complete: every day of the month read and final (xAI settles 72 h; the cursor stops at today, Dec 5: complete through Dec 1).
      const complete = ym === '2026-10' || ym === '2026-11';
      return {
        month: ym,
        status: String(inv.invoiceStatus),
        complete: String(complete),
        invoiced: centsText(cents),
        daily: ticksToUsd(ticks),
        ...(complete ? { difference: ticksToUsd(cents * 100_000_000n - ticks) } : {}),
      };
    });
    const rows = invoiceRows(html).map((r) => ({
      month: r.month,
      status: r.status,
      complete: r.complete,
      invoiced: r.invoiced,
      daily: r.daily,
      ...(r.difference === undefined ? {} : { difference: r.difference }),
    }));
    expect(rows).toEqual(expected);
    expect(invoiceRows(html).every((r) => r.provider === 'xAI')).toBe(true);
    // One number for one thing: each month's daily figure is also what focus_spend holds for xAI over that month.
    const fromView = await query(
      db,
      `SELECT strftime(CAST("ChargePeriodStart" AS TIMESTAMPTZ), '%Y-%m') AS month, sum("BilledCost")::VARCHAR AS billed FROM focus_spend WHERE "ServiceProviderName" = 'xAI' GROUP BY 1 ORDER BY 1`,
    );
    expect(fromView.map((r) => ({ month: r.month, daily: plainDecimal(String(r.billed)) }))).toEqual(expected.map((e) => ({ month: e.month, daily: e.daily })));
    // The rounding gap of a complete month is a few cents: under half a cent per invoice line.
    for (const inv of invoices.slice(1, 3)) {
      const row = invoiceRows(html).find((r) => r.invoiced === centsText(BigInt(String(inv.subtotal))));
      expect(Math.abs(Number(row?.difference))).toBeLessThanOrEqual(0.005 * (inv.lines as unknown[]).length);
    }
    // The incomplete months say why, and show no difference.
    const body = /<table id="invoices">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(body).toContain('incomplete: days before 2026-09-10 not synced');
    // Complete through Dec 1: the sync ran as of Dec 5 12:00 (its state's time), and a day is final 72 h after it ends.
    const through = /<span data-provider="xAI" data-through="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(through).toBe('2026-12-01');
    expect(body).toContain(`incomplete: xAI is complete through ${through}: the days after it are not synced or not final yet`);
    expect(html).toMatch(/<p class="note" id="invoices-note">[^<]*rounds each line&#39;s month to the cent[^<]*marked incomplete/);
  });

  it('given a database whose invoices table is absent (an older sync, or the stream not selected) when the report is made then there is no invoice table and no error, and the rest of the page is there', async () => {
    const older = join(dir, 'older.duckdb');
    copyFileSync(db, older);
    await query(older, 'DROP TABLE xai.invoices', { write: true });
    const page = await report(older, 'older');
    expect(page).not.toContain('id="invoices"');
    expect(page).not.toContain('Invoices against daily usage');
    expect(page).toMatch(/<tr data-provider="xAI">/);
  });
});
