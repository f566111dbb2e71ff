import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { plainDecimal, query, runCli } from '../support/warehouse.js';

/**
 * focus_spend typed (issue 24): all three connectors' spend rows synced from the fakes into one
 * file; every cost, price and quantity column of the view is DECIMAL(38,24) and, row by row, holds
 * exactly the value of the string in the connector's own spend table (which keeps the text).
 */
const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const OPENAI_KEY = 'sk-admin-e2e-focus-view-1f2e3d4c';
const ANTHROPIC_KEY = 'sk-ant-admin01-e2e-focus-view-9a8b7c';
const AUROUS_KEY = 'al_live_e2e_focus_view_5d6e7f';

let dir: string;
let openai: FakeOpenAi;
let anthropic: FakeAnthropic;
let aurous: FakeAurous;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'focus-view-'));
  // OpenAI's first day holds amounts below a micro-dollar (1.2e-7 as sent); the range crosses a month end.
  openai = new FakeOpenAi({ firstDay: at('2025-09-28'), days: 10, projects: 3, lineItems: 5, adminKey: OPENAI_KEY });
  // Anthropic across its analytics boundary (2026-01-01): cost_report rows, then analytics_cost rows with list amounts.
  anthropic = new FakeAnthropic({ firstDay: at('2025-12-24'), days: 16, adminKey: ANTHROPIC_KEY, emptyEvery: 0 });
  aurous = new FakeAurous({ firstTime: at('2026-06-01'), endTime: at('2026-06-08'), apiKey: AUROUS_KEY, users: 4, models: 3 });
  await Promise.all([openai.start(), anthropic.start(), aurous.start()]);
});
afterAll(async () => {
  await Promise.all([openai.stop(), anthropic.stop(), aurous.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const config = (name: string, cfg: Record<string, unknown>): string => {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify(cfg));
  return path;
};

describe('focus_spend typed', () => {
  it("given the three fakes synced into one file when focus_spend is read then its cost, price and quantity columns are DECIMAL(38,24) and every value equals the connector table's exact string, digit for digit", async () => {
    const db = join(dir, 'all.duckdb');
    const syncs: Array<[string, string]> = [
      [BINS.openai, config('openai', { admin_api_key: OPENAI_KEY, start_date: '2025-09-28', end_date: '2025-10-07', base_url: openai.baseUrl })],
      [BINS.anthropic, config('anthropic', { admin_api_key: ANTHROPIC_KEY, start_date: '2025-12-24', end_date: '2026-01-08', base_url: anthropic.baseUrl })],
      [
        BINS.aurous,
        // An awkward credit rate: BilledCost is credits x rate, exactly, with the digits of both.
        config('aurous', {
          api_key: AUROUS_KEY,
          start_date: '2026-06-01',
          end_date: '2026-06-07',
          base_url: aurous.baseUrl,
          focus: { credit_usd_rate: '0.0123456789' },
        }),
      ],
    ];
    for (const [bin, cfg] of syncs) {
      const r = await runCli(bin, ['sync', '--config', cfg, '--db', db, '--streams', 'spend'], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      for (const key of [OPENAI_KEY, ANTHROPIC_KEY, AUROUS_KEY]) expect(r.stderr).not.toContain(key);
    }

    const viewTypes = new Map(
      (
        await query(db, "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'focus_spend' ORDER BY ordinal_position")
      ).map((r) => [String(r.c), String(r.t)]),
    );
    const decimals = [...viewTypes].filter(([, t]) => t === 'DECIMAL(38,24)').map(([c]) => c);
    // At least the money columns every FOCUS row has, typed; nothing money-like left as text.
    expect(decimals).toEqual(
      expect.arrayContaining(['BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost', 'PricingQuantity', 'PricingCurrencyEffectiveCost']),
    );
    for (const [c, t] of viewTypes) if (!c.startsWith('x_') && /Cost$|Price$|Quantity$/.test(c)) expect(t, c).toBe('DECIMAL(38,24)');
    // Custom columns start with x_: the loader's bookkeeping columns are renamed in the view only.
    expect([...viewTypes.keys()].filter((c) => c.startsWith('_'))).toEqual([]);
    expect(viewTypes.get('x_AccountId')).toBe('VARCHAR');
    expect(viewTypes.get('x_ExtractedAt')).toBe('TIMESTAMP WITH TIME ZONE');

    let compared = 0;
    let maxDecimals = 0;
    let smallest = Number.POSITIVE_INFINITY;
    for (const schema of ['openai', 'anthropic', 'aurous']) {
      const tableTypes = new Map(
        (
          await query(db, `SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_schema = '${schema}' AND table_name = 'spend'`)
        ).map((r) => [String(r.c), String(r.t)]),
      );
      const cols = decimals.filter((c) => tableTypes.has(c));
      // The connector's table keeps the exact strings.
      for (const c of cols) expect(tableTypes.get(c), `${schema}.spend.${c}`).toBe('VARCHAR');
      expect(tableTypes.has('_account_id') && tableTypes.has('_extracted_at')).toBe(true);
      const list = cols.map((c) => `"${c}"`).join(', ');
      const table = await query(db, `SELECT ServiceProviderName AS p, _account_id AS a, x_RecordId AS k, ${list} FROM ${schema}.spend`);
      const provider = String(table[0]?.p);
      const view = await query(
        db,
        `SELECT x_AccountId AS a, x_RecordId AS k, ${cols.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ')} FROM focus_spend WHERE ServiceProviderName = '${provider}'`,
      );
      expect(table.length, schema).toBeGreaterThan(0);
      expect(view.length, schema).toBe(table.length);
      const byKey = new Map(view.map((r) => [`${r.a}|${r.k}`, r]));
      for (const row of table) {
        const v = byKey.get(`${row.a}|${row.k}`);
        expect(v, `${schema} ${row.k}`).toBeDefined();
        for (const c of cols) {
          const exact = row[c] as string | null;
          if (exact === null) {
            expect(v?.[c], `${schema} ${row.k} ${c}`).toBeNull();
            continue;
          }
          expect(plainDecimal(String(v?.[c])), `${schema} ${row.k} ${c}: ${exact}`).toBe(plainDecimal(exact));
          compared += 1;
          maxDecimals = Math.max(maxDecimals, (plainDecimal(exact).split('.')[1] ?? '').length);
          const n = Math.abs(Number(exact));
          if (n > 0) smallest = Math.min(smallest, n);
        }
      }
    }
    // The comparison covered the fakes' awkward amounts: Anthropic's 1e-11-dollar grain, Aurous's credits
    // times a ten-digit rate, OpenAI's sub-micro-dollar amounts.
    expect(compared).toBeGreaterThan(500);
    expect(maxDecimals).toBeGreaterThanOrEqual(11);
    expect(smallest).toBeLessThan(1e-6);

    // Sums need no cast, and equal the exact sum of the strings.
    const [viewSum] = await query(db, "SELECT CAST(sum(BilledCost) AS VARCHAR) AS s FROM focus_spend WHERE ServiceProviderName = 'Aurous Labs'");
    const [tableSum] = await query(db, 'SELECT CAST(sum(CAST(BilledCost AS DECIMAL(38,24))) AS VARCHAR) AS s FROM aurous.spend');
    expect(viewSum?.s).toBe(tableSum?.s);
  });

  it('given a spend value with more digits than DECIMAL(38,24) holds in a connector table when sync and report run then neither rounds it: sync names the column and value and exits 1, report fails with the same message, and the table keeps the exact text', async () => {
    const db = join(dir, 'unfit.duckdb');
    const cfg = config('openai-unfit', {
      admin_api_key: OPENAI_KEY,
      start_date: '2025-09-28',
      end_date: '2025-09-30',
      lookback_days: 0,
      base_url: openai.baseUrl,
    });
    const first = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'spend']);
    expect(first.code, first.stderr).toBe(0);
    const unfit = '0.0000000000000000000000001'; // 25 decimals: DuckDB would round it to 0 silently
    await query(
      db,
      `INSERT INTO openai.spend (x_RecordId, _account_id, ChargePeriodStart, ChargePeriodEnd, BilledCost, ServiceProviderName)
       VALUES ('tampered', 'openai', TIMESTAMPTZ '2025-09-28 00:00:00+00', TIMESTAMPTZ '2025-09-29 00:00:00+00', '${unfit}', 'OpenAI')`,
      { write: true },
    );
    const message = `focus_spend: BilledCost of openai.spend does not fit DECIMAL(38,24) exactly (a plain decimal of at most 14 integer and 24 decimal digits): ${unfit}; the exact text is in openai.spend.`;
    const again = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'spend']);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toContain(`spend: ${message}`);
    const report = await runCli(BINS.openai, ['report', '--db', db, '--out', join(dir, 'unfit.html')]);
    expect(report.code, report.stderr).toBe(4);
    expect(report.stderr).toContain(message);
    expect(await query(db, "SELECT BilledCost AS b FROM openai.spend WHERE x_RecordId = 'tampered'")).toEqual([{ b: unfit }]);
  });
});
