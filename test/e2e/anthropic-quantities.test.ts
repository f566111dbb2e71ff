import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic, SERVER_TOOL_USE_DAY } from '../fake/anthropic.js';
import type { Actor, LedgerEvent, TokenType } from '../fake/anthropic-ledger.js';
import type { LoggedRequest } from '../fake/server.js';
import { BINS, catalog, errors, files, ofType, records, run, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';

/**
 * Issue 24 points 1-3 for Anthropic: every spend row's quantities are the token (or web search)
 * counts of the usage APIs for the same day and grouping, joined exactly, on each of the three
 * focus.anthropic_source values; the ground truth is the fake's one ledger
 * (test/fake/anthropic-ledger.ts), summed here independently of the connector.
 */
const KEY = 'sk-ant-admin01-E2E-QUANTITIES-5e6f7a8b';
const DAY = 86_400;
const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const isoDate = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const BOUNDARY = Math.max(at('2026-01-01'), Math.ceil((Date.now() / 1000 - 365 * DAY) / DAY) * DAY);
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const FIRST = at('2025-09-20');

type Row = Record<string, unknown>;
let fake: FakeAnthropic;
const outputs: string[] = [];

beforeAll(async () => {
  fake = new FakeAnthropic({ firstDay: FIRST, days: (TODAY - FIRST) / DAY + 1, adminKey: KEY, emptyEvery: 0 });
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
  for (const o of outputs) expect(o).not.toContain(KEY);
});

async function spend(cfg: Record<string, unknown>): Promise<{ rows: Row[]; requests: LoggedRequest[]; result: RunResult }> {
  const fl = files({
    'c.json': { admin_api_key: KEY, base_url: fake.baseUrl, ...cfg },
    'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]),
  });
  const before = fake.requests.length;
  const result = await run(BINS.anthropic, ['read', '--config', fl['c.json'] as string, '--catalog', fl['cat.json'] as string]);
  outputs.push(result.stdout + result.stderr);
  expect(result.code, JSON.stringify(errors(result.messages).map((e) => e.trace.error.message))).toBe(0);
  assertProtocol(result, { streams: ['spend'] });
  return { rows: records(result.messages, 'spend'), requests: fake.requests.slice(before), result };
}

/** A decimal string as a scaled BigInt, for exact products. */
function scaled(text: string): { v: bigint; s: number } {
  const neg = text.startsWith('-');
  const [i = '0', f = ''] = (neg ? text.slice(1) : text).split('.');
  const v = BigInt(i + f);
  return { v: neg ? -v : v, s: f.length };
}
const product = (a: string, b: string): { v: bigint; s: number } => {
  const x = scaled(a);
  const y = scaled(b);
  return { v: x.v * y.v, s: x.s + y.s };
};
const equalScaled = (p: { v: bigint; s: number }, text: string): boolean => {
  const y = scaled(text);
  const s = Math.max(p.s, y.s);
  return p.v * 10n ** BigInt(s - p.s) === y.v * 10n ** BigInt(s - y.s);
};

const dayOf = (r: Row): number => at(String(r.ChargePeriodStart).slice(0, 10));
const details = (r: Row): Record<string, string> => (r.SkuPriceDetails ?? {}) as Record<string, string>;
const actorOf = (e: LedgerEvent): { type: string | null; id: string | null } => {
  const a = e.dims.actor as Actor | null;
  return { type: a?.type ?? null, id: a ? (((a.user_id ?? a.service_account_id ?? a.api_key_id) as string | undefined) ?? null) : null };
};

/** What every spend row must satisfy, whatever its source (FOCUS 1.3 price point, units, the product rule). */
function checkPricePoints(rows: readonly Row[]): void {
  expect(rows.length).toBeGreaterThan(20);
  for (const r of rows) {
    const why = JSON.stringify(r);
    if (r.ChargeCategory === 'Credit') {
      expect(r.SkuPriceId, why).toBeNull();
      expect([r.PricingQuantity, r.ConsumedQuantity, r.ListUnitPrice, r.PricingUnit], why).toEqual([null, null, null, null]);
      continue;
    }
    expect(r.ChargeCategory, why).toBe('Usage');
    expect(typeof r.SkuPriceId, why).toBe('string');
    expect(r.PricingCategory, why).toBe('Standard');
    if (r.x_TokenType !== null) {
      // Every model of the fake is in the price list.
      expect(r.ListUnitPrice, why).not.toBeNull();
      expect(r.SkuId, why).toBe(`${details(r).x_ModelId}:${r.x_TokenType}`);
    }
    if (r.PricingQuantity !== null) {
      const token = r.PricingUnit === '1000000 Tokens';
      expect(r.PricingUnit, why).toBe(token ? '1000000 Tokens' : '1000 Requests');
      expect(r.ConsumedUnit, why).toBe(token ? 'Tokens' : 'Requests');
      // PricingQuantity is the count with the point moved: the count is PricingQuantity x the block.
      expect(equalScaled(product(String(r.PricingQuantity), token ? '1000000' : '1000'), String(r.ConsumedQuantity)), why).toBe(true);
      // ListCost-C-009-C: ListUnitPrice x PricingQuantity, exactly.
      expect(equalScaled(product(String(r.ListUnitPrice), String(r.PricingQuantity)), String(r.ListCost)), why).toBe(true);
    } else {
      expect([r.ConsumedQuantity, r.ConsumedUnit, r.PricingUnit], why).toEqual([null, null, null]);
    }
  }
}

/** The ledger's tokens (or web searches, tokenType null) of one day over the events `match` selects. */
function ledgerCount(day: number, match: (e: LedgerEvent) => boolean, tokenType: string | null): string {
  let n = 0;
  for (const e of fake.org.ledger.eventsOn(day)) if (match(e)) n += tokenType === null ? e.webSearches : e.tokens[tokenType as TokenType];
  return String(n);
}

/** cost_report rows: each token line's tokens, each web search line's searches, none for what no API counts. */
function checkCostReportQuantities(rows: readonly Row[]): void {
  const mine = rows.filter((r) => r.x_Source === 'cost_report' && r.ChargeCategory === 'Usage');
  expect(mine.length).toBeGreaterThan(0);
  for (const r of mine) {
    const why = JSON.stringify(r);
    const day = dayOf(r);
    const ws = (e: LedgerEvent): boolean => e.dims.workspace_id === r.SubAccountId;
    if (r.x_CostType === 'tokens') {
      const d = details(r);
      const match = (e: LedgerEvent): boolean =>
        ws(e) &&
        e.dims.model === d.x_ModelId &&
        e.dims.service_tier === d.x_ServiceTier &&
        e.dims.context_window === d.x_ContextWindow &&
        e.geo === d.x_InferenceGeo;
      expect(r.ConsumedQuantity, why).toBe(ledgerCount(day, match, String(r.x_TokenType)));
      expect(r.SkuPriceId, why).toBe(`${d.x_ModelId}:${r.x_TokenType}:${d.x_ServiceTier}:${d.x_ContextWindow}:${d.x_InferenceGeo === 'us' ? 'us' : 'global'}`);
    } else if (r.x_CostType === 'web_search') {
      expect(r.SkuPriceId, why).toBe('web_search');
      // Before the messages report had server_tool_use it has no count: none is invented.
      expect(r.ConsumedQuantity, why).toBe(day < SERVER_TOOL_USE_DAY ? null : ledgerCount(day, ws, null));
      if (day < SERVER_TOOL_USE_DAY) expect(r.ListCost, why).toBe(r.BilledCost);
    } else {
      // Code execution: neither API counts it.
      expect(r.x_CostType, why).toBe('code_execution');
      expect([r.SkuPriceId, r.ConsumedQuantity, r.PricingQuantity, r.ListUnitPrice], why).toEqual(['code_execution', null, null, null]);
      expect(r.ListCost, why).toBe(r.BilledCost);
    }
  }
}

/** analytics_cost rows: per group (workspace, key, actor, model) and token type, the tokens; web search rows the searches. */
function checkAnalyticsQuantities(rows: readonly Row[]): void {
  const mine = rows.filter((r) => r.x_Source === 'analytics_cost' && r.ChargeCategory === 'Usage');
  expect(mine.length).toBeGreaterThan(0);
  // Federated actors have no id in spend: rows of one (type, null id) are compared as a sum.
  const got = new Map<string, bigint>();
  const groups = new Map<string, { day: number; r: Row; meter: string | null }>();
  for (const r of mine) {
    const why = JSON.stringify(r);
    if (r.SkuPriceId === 'non_token') {
      // The non-token rows that are not exactly web search (code execution here): no count.
      expect([r.ConsumedQuantity, r.PricingQuantity, r.ListUnitPrice], why).toEqual([null, null, null]);
      expect(details(r).x_ModelId, why).toBeUndefined();
      continue;
    }
    const meter = r.SkuPriceId === 'web_search' ? null : String(r.x_TokenType);
    if (meter !== null) expect(r.SkuPriceId, why).toBe(`${details(r).x_ModelId}:${meter}:standard:0-200k:global`);
    expect(r.ConsumedQuantity, why).not.toBeNull();
    const k = JSON.stringify([r.ChargePeriodStart, r.SubAccountId, r.x_ApiKeyId, r.x_ActorType, r.x_ActorId, details(r).x_ModelId ?? null, meter]);
    got.set(k, (got.get(k) ?? 0n) + BigInt(String(r.ConsumedQuantity)));
    groups.set(k, { day: dayOf(r), r, meter });
  }
  const want = new Map<string, bigint>();
  for (const [k, g] of groups) {
    const match = (e: LedgerEvent): boolean => {
      const a = actorOf(e);
      return (
        e.dims.workspace_id === g.r.SubAccountId &&
        e.dims.api_key_id === g.r.x_ApiKeyId &&
        a.type === g.r.x_ActorType &&
        a.id === g.r.x_ActorId &&
        e.dims.model === (details(g.r).x_ModelId ?? null)
      );
    };
    want.set(k, BigInt(ledgerCount(g.day, match, g.meter)));
  }
  expect(got).toEqual(want);
  expect([...groups.values()].some((g) => g.meter === null)).toBe(true);
}

describe('Anthropic spend quantities: the usage APIs joined exactly (issue 24)', () => {
  it('given cost_report as the source over days before and after the messages report counted web searches when spend is read then every token line has the ledger’s tokens of its price point, web search lines the searches of their workspace from 2025-10-01 and none before, and code execution none', async () => {
    const from = SERVER_TOOL_USE_DAY - 3 * DAY;
    const { rows, requests } = await spend({ start_date: isoDate(from), end_date: isoDate(from + 5 * DAY), focus: { anthropic_source: 'cost_report' } });
    checkPricePoints(rows);
    checkCostReportQuantities(rows);
    expect(rows.some((r) => r.x_CostType === 'web_search' && r.ConsumedQuantity === null)).toBe(true);
    expect(rows.some((r) => r.x_CostType === 'web_search' && r.ConsumedQuantity !== null)).toBe(true);
    // One window of 6 days: one cost report request, one messages request for its token counts
    // (and the workspace list that names the rows, once per run: docs/focus.md, Names).
    expect(requests.map((r) => r.path).filter((p) => p !== '/v1/organizations/me' && p !== '/v1/organizations/workspaces')).toEqual([
      '/v1/organizations/usage_report/messages',
      '/v1/organizations/cost_report',
    ]);
  });

  it('given analytics as the source when spend is read then every token row has the ledger’s tokens of its workspace, key, actor and model, at the published standard price, and web search rows the searches', async () => {
    const from = Math.max(BOUNDARY, at('2026-02-01'));
    const { rows } = await spend({ start_date: isoDate(from), end_date: isoDate(from + 6 * DAY), focus: { anthropic_source: 'analytics' } });
    checkPricePoints(rows);
    checkAnalyticsQuantities(rows);
    expect(rows.some((r) => r.ChargeCategory === 'Credit')).toBe(true);
    // Anthropic's own list amount stays in x_ListAmountCents; ListCost is the published standard price times the tokens.
    const tokenRows = rows.filter((r) => r.x_TokenType !== null);
    expect(tokenRows.every((r) => typeof r.x_ListAmountCents === 'string')).toBe(true);
    expect(tokenRows.some((r) => !equalScaled(product(String(r.ListCost), '100'), String(r.x_ListAmountCents)))).toBe(true);
  });

  it('given auto across the analytics boundary when spend is read then each side’s rows have the quantities of its own usage API, and every Usage row a price point', async () => {
    const { rows, requests } = await spend({ start_date: isoDate(BOUNDARY - 3 * DAY), end_date: isoDate(BOUNDARY + 3 * DAY) });
    checkPricePoints(rows);
    checkCostReportQuantities(rows);
    checkAnalyticsQuantities(rows);
    expect(new Set(requests.map((r) => r.path))).toEqual(
      new Set([
        '/v1/organizations/me',
        '/v1/organizations/cost_report',
        '/v1/organizations/usage_report/messages',
        '/v1/organizations/analytics/cost',
        '/v1/organizations/analytics/usage',
        // the lists that name the rows, once per run (docs/focus.md, Names)
        '/v1/organizations/workspaces',
        '/v1/organizations/api_keys',
        '/v1/organizations/users',
      ]),
    );
  });

  it('given spend across the analytics boundary when dry-running then each window lists its usage request before its cost request, and nothing is sent', async () => {
    const fl = files({
      'c.json': { admin_api_key: KEY, base_url: fake.baseUrl, start_date: isoDate(BOUNDARY - 3 * DAY), end_date: isoDate(BOUNDARY + 3 * DAY) },
      'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]),
    });
    const before = fake.requests.length;
    const r = await run(BINS.anthropic, ['read', '--dry-run', '--config', fl['c.json'] as string, '--catalog', fl['cat.json'] as string]);
    outputs.push(r.stdout + r.stderr);
    expect(r.code).toBe(0);
    expect(fake.requests.length).toBe(before);
    const planned = ofType(r.messages, 'LOG')
      .map((m) => String(m.log.message))
      .filter((l) => l.startsWith('dry-run spend ') && !l.startsWith('dry-run spend: names'))
      .map((l) => new URL(l.slice(l.indexOf('GET ') + 4)).pathname);
    expect(planned).toEqual([
      '/v1/organizations/usage_report/messages',
      '/v1/organizations/cost_report',
      '/v1/organizations/analytics/usage',
      '/v1/organizations/analytics/cost',
    ]);
  });

  it('given a model the price list does not know when spend is read then its rows keep a price point with no ListUnitPrice and no quantity (no usage row of that model), ListCost is BilledCost, and one LOG WARN per price point says so', async () => {
    // The cost report names a model the price list (and the messages report) does not know.
    fake.fault({
      path: '/cost_report',
      times: 1_000,
      fault: {
        kind: 'transform',
        fn: (body) => {
          const b = body as { data: Array<{ results: Row[] }> };
          for (const bucket of b.data) for (const r of bucket.results) if (r.model === 'claude-haiku-4-5') r.model = 'claude-future-9';
          return b;
        },
      },
    });
    try {
      const from = at('2025-12-10');
      const { rows, result } = await spend({ start_date: isoDate(from), end_date: isoDate(from + 2 * DAY), focus: { anthropic_source: 'cost_report' } });
      const unknown = rows.filter((r) => details(r).x_ModelId === 'claude-future-9' && r.ChargeCategory === 'Usage');
      expect(unknown.length).toBeGreaterThan(0);
      for (const r of unknown) {
        expect(r.SkuPriceId).toMatch(/^claude-future-9:/);
        expect([r.ListUnitPrice, r.ConsumedQuantity, r.PricingQuantity]).toEqual([null, null, null]);
        expect(r.ListCost).toBe(r.BilledCost);
      }
      const warned = ofType(result.messages, 'LOG')
        .filter((m) => m.log.level === 'WARN')
        .map((m) => String(m.log.message))
        .filter((l) => l.includes('no list price for Anthropic'));
      // One line per price point: model, meter and the factors that change only the price.
      const points = [...new Set(unknown.map((r) => String(r.SkuPriceId)))];
      expect(warned).toHaveLength(points.length);
      for (const id of points) {
        const [model, meter, tier, context, geo] = id.split(':');
        const said = `no list price for Anthropic ${model} "${meter}" (${tier}, context ${context}${geo === 'us' ? ', geo us' : ''})`;
        expect(
          warned.filter((l) => l.includes(said)),
          said,
        ).toHaveLength(1);
      }
      expect(new Set(warned).size).toBe(warned.length);
      // The known models keep their prices and quantities.
      expect(rows.some((r) => r.x_TokenType !== null && r.ListUnitPrice !== null && r.ConsumedQuantity !== null)).toBe(true);
    } finally {
      fake.clearFaults();
    }
  });
});
