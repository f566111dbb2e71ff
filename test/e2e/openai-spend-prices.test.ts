import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi, LINE_ITEMS } from '../fake/openai.js';
import { BINS, catalog, errors, files, ofType, records, run, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';

/**
 * OpenAI spend rows at their price points (issue 24 points 1-3), read by the built CLI from the fake:
 * a SkuPriceId on every Usage row, the fake's quantity as ConsumedQuantity exactly, PricingQuantity
 * in `1000000 Tokens`, and ListCost = ListUnitPrice x PricingQuantity, all checked in BigInt decimal
 * arithmetic written here. A model missing from the list prices is one WARN line per run, from the
 * decode workers and from the main thread alike, and the run still exits 0.
 */
const KEY = 'sk-admin-PRICES-SENTINEL-5e6f7a8b';
const FIRST = Date.UTC(2026, 1, 24) / 1000; // 2026-02-24: the read crosses a month end
const DAYS = 12;
const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** A plain decimal string as an integer count of 1e-SCALE (throws on anything else, e.g. an exponent). */
const SCALE = 30;
function scaled(text: unknown): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(text));
  if (!m) throw new Error(`not a plain decimal string: ${JSON.stringify(text)}`);
  const [, sign, int = '', frac = ''] = m;
  if (frac.length > SCALE) throw new Error(`more than ${SCALE} decimals: ${text}`);
  const v = BigInt(int + frac.padEnd(SCALE, '0'));
  return sign === '-' ? -v : v;
}
const ONE = 10n ** BigInt(SCALE);

async function read(fake: FakeOpenAi, extra: Record<string, unknown> = {}, streams = ['costs', 'spend']): Promise<RunResult> {
  const cfg = { admin_api_key: KEY, start_date: isoDay(FIRST), end_date: isoDay(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl, ...extra };
  const f = files({ 'c.json': cfg, 'cat.json': catalog(streams.map((name) => ({ name, mode: 'incremental' as const }))) });
  const r = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  expect(r.stdout + r.stderr).not.toContain(KEY);
  return r;
}

const logs = (r: RunResult, level: string, pattern: RegExp): string[] =>
  ofType(r.messages, 'LOG')
    .filter((m) => m.log.level === level && pattern.test(m.log.message as string))
    .map((m) => m.log.message as string);
const usedWorkers = (r: RunResult): boolean => logs(r, 'INFO', /worker thread/).length > 0;

describe('source-openai-costs spend price points (FOCUS 1.3)', () => {
  let fake: FakeOpenAi;
  let unpriced: FakeOpenAi;
  const MISSING = 'gpt-9-preview-2026-11-20, input';
  beforeAll(async () => {
    // Every line item the fake knows, so every price point of the data file's OpenAI section is read.
    fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: LINE_ITEMS.length, adminKey: KEY });
    // Pages of at most 4 buckets: the missing price comes on many pages, on both decode workers.
    unpriced = new FakeOpenAi({
      firstDay: FIRST,
      days: DAYS,
      projects: 3,
      lineItems: 4,
      adminKey: KEY,
      extraLineItems: [{ name: MISSING, unit: 'tokens' }],
      truncateAt: 4,
    });
    await Promise.all([fake.start(), unpriced.start()]);
  });
  afterAll(async () => {
    await Promise.all([fake.stop(), unpriced.stop()]);
  });

  it('given every line item of the fake when spend is read then each Usage row has a price point whose quantities are the fake’s exactly and whose ListCost is ListUnitPrice x PricingQuantity', async () => {
    const r = await read(fake);
    expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
    assertProtocol(r, { streams: ['costs', 'spend'] });
    expect(logs(r, 'WARN', /list price/)).toEqual([]);
    const spend = records(r.messages, 'spend');
    // Ground truth: the fake's own results per day, project and line item.
    const truth = new Map(
      fake.org.expectedCosts(FIRST, FIRST + DAYS * DAY, ['project_id', 'line_item']).map((c) => [`${c.date}|${c.project_id}|${c.line_item}`, c]),
    );
    expect(spend).toHaveLength(truth.size);
    const usage = spend.filter((s) => s.ChargeCategory === 'Usage');
    const credits = spend.filter((s) => s.ChargeCategory === 'Credit');
    expect(credits.length).toBeGreaterThan(0);
    expect(usage.length).toBeGreaterThan(200);
    for (const s of usage) {
      const c = truth.get(`${(s.ChargePeriodStart as string).slice(0, 10)}|${s.SubAccountId}|${s.x_LineItem}`);
      expect(c, JSON.stringify(s)).toBeDefined();
      expect(typeof s.SkuPriceId, JSON.stringify(s)).toBe('string');
      expect(s.ConsumedQuantity).toBe(String(c?.quantity));
      expect(s.ConsumedUnit).toBe('Tokens');
      expect(s.PricingUnit).toBe('1000000 Tokens');
      expect(s.PricingCategory).toBe('Standard');
      expect(scaled(s.PricingQuantity) * 1_000_000n).toBe(scaled(s.ConsumedQuantity));
      expect(s.ListUnitPrice, JSON.stringify(s)).not.toBeNull();
      expect((scaled(s.ListUnitPrice) * scaled(s.PricingQuantity)) / ONE).toBe(scaled(s.ListCost));
      expect(s.SkuId).toBe((s.x_LineItem as string).replace(/^batch api \| /, ''));
    }
    for (const s of credits) {
      expect([s.SkuPriceId, s.PricingQuantity, s.PricingUnit, s.ConsumedQuantity, s.ListUnitPrice]).toEqual([null, null, null, null, null]);
      expect(s.ListCost).toBe(s.BilledCost);
    }
    // A batch and a standard line item of one model and token type: one SkuId, two price points, two prices.
    const batch = usage.find((s) => s.SkuPriceId === 'gpt-4o-2024-08-06, input, batch');
    const standard = usage.find((s) => s.SkuPriceId === 'gpt-4o-2024-08-06, input, standard');
    expect(batch?.SkuId).toBe('gpt-4o-2024-08-06, input');
    expect(standard?.SkuId).toBe(batch?.SkuId);
    expect(scaled(standard?.ListUnitPrice)).toBe(2n * scaled(batch?.ListUnitPrice));
    expect(new Set(usage.map((s) => s.SkuPriceId)).size).toBe(LINE_ITEMS.length);
  });

  it('given costs results without quantity_unit (the live API before 2026-08-21) when spend is read then every Usage row still counts the fake’s tokens at its price point', async () => {
    const older = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 8, adminKey: KEY, omitQuantityUnit: true });
    await older.start();
    try {
      const r = await read(older, { decode_threads: 0 });
      expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
      expect(records(r.messages, 'costs').every((c) => c.quantity_unit === null && typeof c.quantity === 'number')).toBe(true);
      const usage = records(r.messages, 'spend').filter((s) => s.ChargeCategory === 'Usage');
      expect(usage.length).toBeGreaterThan(50);
      for (const s of usage) {
        expect(typeof s.SkuPriceId).toBe('string');
        expect([s.ConsumedUnit, s.PricingUnit]).toEqual(['Tokens', '1000000 Tokens']);
        expect((scaled(s.ListUnitPrice) * scaled(s.PricingQuantity)) / ONE).toBe(scaled(s.ListCost));
      }
      expect(logs(r, 'WARN', /list price/)).toEqual([]);
    } finally {
      await older.stop();
    }
  });

  it('given a model missing from the list prices when spend is read on decode workers and on the main thread then each run logs exactly one WARN naming it, its rows keep their price point unpriced, and the run exits 0', async () => {
    for (const extra of [{}, { decode_threads: 0 }]) {
      const r = await read(unpriced, extra, ['spend']);
      expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
      assertProtocol(r, { streams: ['spend'] });
      expect(usedWorkers(r)).toBe(!('decode_threads' in extra));
      const warned = logs(r, 'WARN', /list price/);
      expect(warned, JSON.stringify(extra)).toHaveLength(1);
      expect(warned[0]).toContain('gpt-9-preview-2026-11-20 "input" (standard)');
      expect(warned[0]).toContain('connector/prices/list-prices.ts');
      const spend = records(r.messages, 'spend');
      const missing = spend.filter((s) => s.x_LineItem === MISSING);
      // Many pages and days carry it: the one line is the run's, not a page's.
      expect(new Set(missing.map((s) => s.ChargePeriodStart)).size).toBeGreaterThan(4);
      for (const s of missing) {
        expect(s).toMatchObject({ SkuPriceId: `${MISSING}, standard`, ConsumedUnit: 'Tokens', PricingUnit: '1000000 Tokens', ListUnitPrice: null });
        expect(s.ListCost).toBe(s.BilledCost);
      }
      expect(spend.filter((s) => s.ChargeCategory === 'Usage' && s.x_LineItem !== MISSING).every((s) => s.ListUnitPrice !== null)).toBe(true);
    }
  });
});
