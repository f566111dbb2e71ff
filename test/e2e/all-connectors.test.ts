import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS } from '../support/cli.js';
import { decimalEquals, exact } from '../support/focus-rules.js';
import { kitsOf } from '../support/kit.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * Every registered connector in one warehouse (issue 27, "Done when"): each connector's fake and
 * config from its test kit (`e2e.spend`), synced (every stream) into ONE DuckDB file, one after the
 * other. Then `focus_spend` holds, per provider (its about.ts display name), exactly the rows and the
 * BilledCost total (exact decimals) of that provider's own `spend` table in its schema, and `report`
 * names every provider with that total. Nothing here names a provider: a new registry line is in it.
 */

const KEY_TAG = 'ALL-CONNECTORS';
const CASES = await Promise.all(
  (await kitsOf(CONNECTORS)).map(async ({ connector, kit }) => {
    const key = kit.e2e.key(KEY_TAG);
    return { connector, key, displayName: (await connector.about()).displayName, ...kit.e2e.spend(key) };
  }),
);
const EACH = CASES.map((c) => [c.connector.name, c] as const);

/** The exact sum of decimal strings (no float): scaled to the largest number of decimals. */
function sumExact(texts: readonly unknown[]): string {
  const parts = texts.map((t) => {
    const e = exact(String(t));
    if (!e) throw new Error(`not an exact decimal: ${String(t)}`);
    return e;
  });
  const scale = Math.max(0, ...parts.map((p) => p.scale));
  const total = parts.reduce((acc, p) => acc + p.v * 10n ** BigInt(scale - p.scale), 0n);
  const digits = (total < 0n ? -total : total).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  return `${total < 0n ? '-' : ''}${text}`;
}

let dir: string;
let db: string;
let html = '';
const outputs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'all-connectors-'));
  db = join(dir, 'all.duckdb');
  await Promise.all(CASES.map((c) => c.fake.start()));
  // One writer per file: the connectors sync one after the other.
  for (const c of CASES) {
    const path = join(dir, `${c.connector.provider}.json`);
    writeFileSync(path, JSON.stringify(c.config()));
    const r = await runCli(BINS[c.connector.provider], ['sync', '--config', path, '--db', db], { timeoutMs: 240_000 });
    outputs.push(r.stdout + r.stderr);
    expect(r.code, `${c.connector.name}\n${r.stderr}`).toBe(0);
  }
  const out = join(dir, 'report.html');
  const [first] = CASES;
  if (!first) throw new Error('no connector registered');
  // Every day the fakes serve is inside the report's period: the longest it takes.
  const r = await runCli(BINS[first.connector.provider], ['report', '--db', db, '--out', out, '--days', '3660']);
  outputs.push(r.stdout + r.stderr);
  expect(r.code, r.stderr).toBe(0);
  html = readFileSync(out, 'utf8');
}, 600_000);

afterAll(async () => {
  await Promise.all(CASES.map((c) => c.fake.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const text of outputs) for (const c of CASES) expect(text).not.toContain(c.key);
});

/** The provider's spend rows in its own table (BilledCost as the exact text the stream emitted). */
const ownRows = (provider: string) => query(db, `SELECT CAST("BilledCost" AS VARCHAR) AS b FROM "${provider}".spend`);
/** The provider's rows in focus_spend, picked by its display name. */
const viewRows = (displayName: string) =>
  query(db, `SELECT CAST("BilledCost" AS VARCHAR) AS b FROM focus_spend WHERE "ServiceProviderName" = '${displayName.replaceAll("'", "''")}'`);

describe.each(EACH)('%s in one warehouse with every registered connector', (_name, c) => {
  it('given every connector synced into one file when focus_spend is read then this provider’s row count and total BilledCost (exact decimals) equal its own spend table’s', async () => {
    const own = await ownRows(c.connector.provider);
    const view = await viewRows(c.displayName);
    expect(own.length, 'spend rows were synced').toBeGreaterThan(0);
    expect(view.length).toBe(own.length);
    const total = sumExact(own.map((r) => r.b));
    expect(decimalEquals(sumExact(view.map((r) => r.b)), total), `${sumExact(view.map((r) => r.b))} vs ${total}`).toBe(true);
    // DuckDB's own sum over the DECIMAL view column: the same, to the last digit.
    const [summed] = await query(
      db,
      `SELECT CAST(sum("BilledCost") AS VARCHAR) AS s FROM focus_spend WHERE "ServiceProviderName" = '${c.displayName.replaceAll("'", "''")}'`,
    );
    expect(decimalEquals(summed?.s, total), `${String(summed?.s)} vs ${total}`).toBe(true);
  });

  it('given the same file when the report is made then its By provider table names this provider (its about.ts display name) with that total', async () => {
    const total = sumExact((await ownRows(c.connector.provider)).map((r) => r.b));
    const body = /<table id="providers">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
    const row = [...body.matchAll(/<tr data-provider="([^"]*)">([\s\S]*?)<\/tr>/g)].find((m) => m[1] === c.displayName);
    expect(row, `no "${c.displayName}" row in the report's By provider table`).toBeDefined();
    const period = /data-exact="([^"]*)"/.exec(row?.[2] ?? '')?.[1];
    expect(decimalEquals(period, total), `${String(period)} vs ${total}`).toBe(true);
  });
});

describe('focus_spend holds every registered provider and nothing else', () => {
  it('given every connector synced into one file when focus_spend is grouped by provider then the providers are exactly the registered display names and the rows add up to the spend tables’', async () => {
    const groups = await query(db, 'SELECT "ServiceProviderName" AS p, count(*) AS n FROM focus_spend GROUP BY 1');
    expect(groups.map((g) => String(g.p)).sort()).toEqual(CASES.map((c) => c.displayName).sort());
    let own = 0;
    for (const c of CASES) own += (await ownRows(c.connector.provider)).length;
    expect(groups.reduce((a, g) => a + Number(g.n), 0)).toBe(own);
    const body = /<table id="providers">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
    expect([...body.matchAll(/<tr data-provider="([^"]*)">/g)].map((m) => m[1]).sort()).toEqual(CASES.map((c) => c.displayName).sort());
  });
});
