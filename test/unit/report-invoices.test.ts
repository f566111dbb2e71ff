import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CONNECTORS, type Connector, connectorOf, type ProviderAbout } from '../../connector/connectors.js';
import { Warehouse } from '../../connector/warehouse/db.js';
import { buildReport, invoiceRules, renderHtml } from '../../connector/warehouse/report.js';
import { about as toyAbout } from '../toy/about.js';

/**
 * "Invoices against daily usage" (docs/warehouse.md) over hand-made databases: a provider declares its
 * invoices in its about.ts (here a scratch provider added to a copy of the registry), nothing in the
 * report names it; no invoices table (or a declared column missing) is no table and no error.
 */
const BILLED: ProviderAbout = {
  ...toyAbout,
  invoices: {
    table: 'bills',
    year: 'cycle_year',
    month: 'cycle_month',
    subtotalCents: 'net_cents',
    status: 'state',
    currency: 'usd',
    gap: 'the toy invoice rounds to the cent',
  },
};
const TOY: Connector = connectorOf({ name: 'source-toy-usage', provider: 'toy', about: async () => ({ about: BILLED }) });
const NOW = new Date('2026-11-12T08:00:00Z');

let dir: string;
let db: Warehouse;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'report-invoices-'));
  db = await Warehouse.open(join(dir, 'spend.duckdb'));
  // Toy spend: 0.1 every day from 2026-09-03 to 2026-11-10 (69 days), read through 2026-11-10 and final.
  await db.run('CREATE TABLE focus_spend ("ChargePeriodStart" TIMESTAMPTZ, "BilledCost" DOUBLE, "ServiceProviderName" VARCHAR, "BillingCurrency" VARCHAR)');
  await db.run("INSERT INTO focus_spend SELECT TIMESTAMPTZ '2026-09-03 00:00:00+00' + to_days(d), 0.1, 'Toy Cloud', 'USD' FROM range(0, 69) AS t(d)");
  await db.run('CREATE SCHEMA toy');
  await db.run('CREATE TABLE toy._connector_state (stream VARCHAR, state JSON, updated_at TIMESTAMPTZ)');
  await db.run(
    `INSERT INTO toy._connector_state VALUES ('spend', '{"cursor": ${Date.parse('2026-11-11T00:00:00Z') / 1000}}', TIMESTAMPTZ '2026-11-11 12:00:00+00')`,
  );
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('report: invoices against daily usage, from the registry', () => {
  it('given a provider whose about.ts declares invoices when its bills table is read then each month of the period is its subtotal from cents against the exact daily sum, invoices of a month added, a partly synced month or an unreadable subtotal marked', async () => {
    await db.run('CREATE TABLE toy.bills (id VARCHAR, cycle_year BIGINT, cycle_month BIGINT, net_cents VARCHAR, state VARCHAR)');
    await db.run(`INSERT INTO toy.bills VALUES ('a', 2026, 9, '300', 'PAID'), ('b', 2026, 9, '1', 'FAILED'), ('c', 2026, 10, '310', 'PAID'),
      ('h', 2026, 10, '2', 'PAID'), ('d', 2026, 11, '99', 'PENDING'), ('e', 2026, 8, '5000', 'PAID'), ('f', NULL, NULL, '7', 'PAID')`);
    const registry = [...CONNECTORS, TOY];
    const report = await buildReport(db, { days: 90, now: NOW, connectors: registry });
    // The period runs from the first row (2026-09-03) to 2026-11-10: September to November; August and the bill without a cycle are outside.
    expect(report.invoices.map((m) => [m.provider, m.month, m.status, m.invoices, m.invoiced, m.daily, m.difference, m.incomplete])).toEqual([
      ['Toy Cloud', '2026-09', 'FAILED, PAID', 2, '3.01', '2.8', null, 'days before 2026-09-03 not synced (the first daily row of Toy Cloud)'],
      ['Toy Cloud', '2026-10', 'PAID', 2, '3.12', '3.1', '0.02', null], // 31 × 0.1 (a DOUBLE through its text: exact)
      ['Toy Cloud', '2026-11', 'PENDING', 1, '0.99', '1', null, 'Toy Cloud is complete through 2026-11-10: the days after it are not synced or not final yet'],
    ]);
    expect(report.invoiceGaps).toEqual([{ provider: 'Toy Cloud', gap: 'the toy invoice rounds to the cent' }]);
    const html = renderHtml(report, { days: 90, now: NOW }, 'spend.duckdb');
    expect(html).toContain(
      '<tr data-provider="Toy Cloud" data-month="2026-10" data-status="PAID" data-complete="true" data-invoiced="3.12" data-daily="3.1" data-difference="0.02">',
    );
    expect(html).toContain('Toy Cloud: the toy invoice rounds to the cent.');

    await db.run("INSERT INTO toy.bills VALUES ('g', 2026, 10, '12.5', 'PAID')");
    const bad = await buildReport(db, { days: 90, now: NOW, connectors: registry });
    expect(bad.invoices.map((m) => [m.month, m.difference, m.incomplete])[1]).toEqual([
      '2026-10',
      null,
      '1 invoice of 2026-10 without a whole number of cents in toy.bills.net_cents',
    ]);
  });

  it('given a database without the declared invoices table, or with one of its columns missing, when the report is made then there is no invoice table and no error', async () => {
    const registry = [...CONNECTORS, TOY];
    expect((await invoiceRules(registry)).map((r) => r.provider)).toContain('Toy Cloud');
    const none = await buildReport(db, { days: 90, now: NOW, connectors: registry });
    expect(none.invoices).toEqual([]);
    expect(none.providers.map((p) => p.provider)).toEqual(['Toy Cloud']);
    expect(renderHtml(none, { days: 90, now: NOW }, 'spend.duckdb')).not.toContain('Invoices against daily usage');
    await db.run('CREATE TABLE toy.bills (id VARCHAR, cycle_year BIGINT, cycle_month BIGINT, state VARCHAR)');
    await db.run("INSERT INTO toy.bills VALUES ('a', 2026, 10, 'PAID')");
    const noCents = await buildReport(db, { days: 90, now: NOW, connectors: registry });
    expect(noCents.invoices).toEqual([]);
    expect(renderHtml(noCents, { days: 90, now: NOW }, 'spend.duckdb')).not.toContain('id="invoices"');
  });
});
