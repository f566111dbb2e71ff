import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeOpenAi } from '../fake/openai.js';
import { BINS, catalog, errors, files, records, run } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * The spend row's key is its cost record's id (issue 23, point 9): a FOCUS row and the cost row
 * it was mapped from must be joinable by id. Each spend row is matched to its cost record by day
 * and content (independently of any id) and the two ids compared. And two cost rows that differ
 * only in inference_geo are two rows: different ids, both kept in the warehouse.
 *
 * Anthropic is read for December 2025 only: days before 2026-01-01 are cost_report-sourced in
 * every spend mode (the analytics API serves nothing before then).
 */
type Row = Record<string, unknown>;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const dayOf = (s: Row): string => String(s.ChargePeriodStart).slice(0, 10);

async function read(bin: string, cfg: Record<string, unknown>, streams: string[]) {
  const f = files({ 'c.json': cfg, 'cat.json': catalog(streams.map((name) => ({ name, mode: 'incremental' as const }))) });
  const r = await run(bin, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
  assertProtocol(r, { streams });
  return r;
}

/**
 * Pairs each spend row with the one cost record of the same content key; both keys must be unique
 * and the two sides must hold the same keys. Returns [spend x_RecordId, cost id] per pair.
 */
function joinByContent(spend: Row[], costs: Row[], spendKey: (s: Row) => unknown[], costKey: (c: Row) => unknown[]): Array<[unknown, unknown]> {
  const index = <R>(rows: R[], key: (r: R) => unknown[]): Map<string, R> => {
    const m = new Map<string, R>();
    for (const r of rows) {
      const k = JSON.stringify(key(r));
      expect(m.has(k), `content key ${k} is unique`).toBe(false);
      m.set(k, r);
    }
    return m;
  };
  const bySpend = index(spend, spendKey);
  const byCost = index(costs, costKey);
  expect([...bySpend.keys()].sort()).toEqual([...byCost.keys()].sort());
  return [...bySpend].map(([k, s]) => [s.x_RecordId, byCost.get(k)?.id]);
}

describe('source-openai-costs spend ids', () => {
  const KEY = 'sk-admin-e2e-spend-ids-6b7c8d';
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = new FakeOpenAi({ firstDay: day('2025-11-25'), days: 12, projects: 3, lineItems: 4, adminKey: KEY, apiKeyIdGrouping: 'allowed' });
    await fake.start();
  });
  afterAll(() => fake.stop());

  it.each([
    ['the default grouping', undefined],
    ['a grouping by every dimension', ['project_id', 'line_item', 'api_key_id']],
  ])(
    'given costs and spend read with %s when each spend row is joined to its cost record by day and content then x_RecordId is that record’s id',
    async (_label, groupBy) => {
      const cfg = {
        admin_api_key: KEY,
        start_date: '2025-11-25',
        end_date: '2025-12-06',
        base_url: fake.baseUrl,
        ...(groupBy ? { group_by: { costs: groupBy } } : {}),
      };
      const r = await read(BINS.openai, cfg, ['costs', 'spend']);
      const costs = records(r.messages, 'costs');
      const spend = records(r.messages, 'spend');
      expect(costs.length).toBeGreaterThan(20);
      if (groupBy) expect(spend.some((s) => typeof s.x_ApiKeyId === 'string')).toBe(true);
      const pairs = joinByContent(
        spend,
        costs,
        (s) => [dayOf(s), s.SubAccountId, s.x_LineItem, s.x_ApiKeyId, Number(s.BilledCost), s.BillingCurrency],
        (c) => [c.date, c.project_id, c.line_item, c.api_key_id, c.amount_value, String(c.amount_currency).toUpperCase()],
      );
      expect(pairs).toHaveLength(costs.length);
      for (const [spendId, costId] of pairs) expect(spendId).toBe(costId);
    },
  );
});

describe('source-anthropic-costs spend ids', () => {
  const KEY = 'sk-ant-admin01-e2e-spend-ids-2f3e4d';
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = new FakeAnthropic({ firstDay: day('2025-11-20'), days: 50, adminKey: KEY });
    await fake.start();
  });
  afterAll(() => fake.stop());
  const config = { start_date: '2025-12-01', end_date: '2025-12-31' };

  it('given cost_report and spend read for December 2025 when each spend row is joined to its cost_report row by day and content then x_RecordId is that row’s id', async () => {
    const r = await read(BINS.anthropic, { admin_api_key: KEY, ...config, base_url: fake.baseUrl }, ['cost_report', 'spend']);
    const costs = records(r.messages, 'cost_report');
    const spend = records(r.messages, 'spend');
    expect(new Set(costs.map((c) => c.date)).size).toBeGreaterThan(20);
    expect(spend.every((s) => dayOf(s) >= '2025-12-01' && dayOf(s) <= '2025-12-31')).toBe(true);
    const pairs = joinByContent(
      spend,
      costs,
      (s) => [
        dayOf(s),
        s.SubAccountId,
        s.ChargeDescription,
        s.x_CostType,
        s.x_TokenType,
        s.x_ServiceTier,
        s.x_ContextWindow,
        s.x_InferenceGeo,
        s.x_AmountCents,
      ],
      (c) => [c.date, c.workspace_id, c.description, c.cost_type, c.token_type, c.service_tier, c.context_window, c.inference_geo, c.amount_cents],
    );
    expect(pairs).toHaveLength(costs.length);
    for (const [spendId, costId] of pairs) expect(spendId).toBe(costId);
  });

  it('given two cost_report rows that differ only in inference_geo when synced into DuckDB then they get different ids and both are kept, in cost_report and in spend', async () => {
    // Every page: each result with a geo comes twice, the copy with the other geo (same workspace, description, amount).
    const other = (geo: unknown): string => (geo === 'us' ? 'global' : 'us');
    fake.fault({
      path: '/cost_report',
      times: 1_000,
      fault: {
        kind: 'transform',
        fn: (body) => {
          const b = body as { data: Array<{ results: Row[] }> };
          for (const bucket of b.data) {
            const twin = bucket.results.find((x) => x.inference_geo === 'us' || x.inference_geo === 'global');
            if (twin) bucket.results.push({ ...twin, inference_geo: other(twin.inference_geo) });
          }
          return b;
        },
      },
    });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'spend-ids-'));
      const cfg = join(dir, 'config.json');
      writeFileSync(cfg, JSON.stringify({ admin_api_key: KEY, ...config, base_url: fake.baseUrl }));
      const db = join(dir, 'geo.duckdb');
      const r = await runCli(BINS.anthropic, ['sync', '--config', cfg, '--db', db, '--streams', 'cost_report,spend']);
      expect(r.code, r.stderr).toBe(0);

      const costTwins = await query(
        db,
        `SELECT CAST("date" AS VARCHAR) AS d, workspace_id, description, list(inference_geo ORDER BY inference_geo) AS geos, count(DISTINCT id) AS ids, count(DISTINCT amount_cents) AS amounts
         FROM anthropic.cost_report GROUP BY ALL HAVING count(*) > 1 ORDER BY 1`,
      );
      // One pair per day of December with cost, each with both geos, two ids and one amount.
      const days = await query(db, 'SELECT count(DISTINCT "date") AS n FROM anthropic.cost_report');
      expect(costTwins.length).toBe(Number(days[0]?.n));
      expect(costTwins.length).toBeGreaterThan(20);
      for (const t of costTwins) expect([t.geos, Number(t.ids), Number(t.amounts)], JSON.stringify(t)).toEqual([['global', 'us'], 2, 1]);

      const spendTwins = await query(
        db,
        `SELECT CAST(ChargePeriodStart AS VARCHAR) AS d, SubAccountId, ChargeDescription, list(x_InferenceGeo ORDER BY x_InferenceGeo) AS geos, count(DISTINCT x_RecordId) AS ids
         FROM anthropic.spend GROUP BY ALL HAVING count(*) > 1 ORDER BY 1`,
      );
      expect(spendTwins.length).toBe(costTwins.length);
      for (const t of spendTwins) expect([t.geos, Number(t.ids)], JSON.stringify(t)).toEqual([['global', 'us'], 2]);
      // And every spend row is keyed by its cost_report row's id.
      const [orphans] = await query(db, 'SELECT count(*) AS n FROM anthropic.spend s ANTI JOIN anthropic.cost_report c ON s.x_RecordId = c.id');
      expect(Number(orphans?.n)).toBe(0);
      const [counts] = await query(db, 'SELECT (SELECT count(*) FROM anthropic.spend) AS s, (SELECT count(*) FROM anthropic.cost_report) AS c');
      expect(Number(counts?.s)).toBe(Number(counts?.c));
    } finally {
      fake.clearFaults();
    }
  });
});
