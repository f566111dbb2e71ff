import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { CREDIT_LINE_ITEM, DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, catalog, errors, files, records, run, type RunResult } from '../support/cli.js';

/**
 * FOCUS 1.3 column rules (issue 24), each a named assertion over the real `spend` output of all three
 * connectors, read by the built CLI from the fakes, which send negative amounts (OpenAI a credit line,
 * Aurous a refund group, Anthropic its ledger's web-search credits). The rule ids are those of the FOCUS
 * 1.3 requirements model (FOCUS_Spec specification/requirements_model/releases/1.3/, rules
 * CAU-<Column>-C-NNN-M|C|O); ChargeCategory's Credit-for-a-negative-amount is this project's mapping
 * (docs/focus.md) over rule C-003-M's allowed values.
 */

/** The keys FOCUS 1.3 defines for SkuPriceDetails (skupricedetails.md); every other key must start with x_. */
const FOCUS_SKU_PRICE_KEYS = new Set([
  'CoreCount',
  'DiskMaxIops',
  'DiskSpace',
  'DiskType',
  'GpuCount',
  'InstanceType',
  'InstanceSeries',
  'MemorySize',
  'NetworkMaxIops',
  'NetworkMaxThroughput',
  'OperatingSystem',
  'Redundancy',
  'StorageClass',
]);

const ALLOWED_CHARGE_CATEGORIES = ['Usage', 'Purchase', 'Tax', 'Credit', 'Adjustment'];

/** A decimal string as a scaled integer at 30 places (written here, not the connector's). */
function scaled(text: unknown): bigint {
  const m = typeof text === 'string' ? /^(-?)(\d+)(?:\.(\d{1,30}))?$/.exec(text) : null;
  if (!m) throw new Error(`not a plain decimal string of at most 30 places: ${JSON.stringify(text)}`);
  const [, sign, int = '', frac = ''] = m;
  const v = BigInt(int + frac.padEnd(30, '0'));
  return sign === '-' ? -v : v;
}

const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
type Row = Record<string, unknown>;

const OPENAI_KEY = 'sk-admin-FOCUS-RULES-0a1b2c3d';
const ANTHROPIC_KEY = 'sk-ant-admin01-FOCUS-RULES-4d5e6f';
const AUROUS_KEY = 'al_live_FOCUS_RULES_7a8b9c';
const RATE = '0.0125';
const OPENAI_FIRST = at('2025-09-28');
const OPENAI_DAYS = 12;
// Anthropic: days on both sides of the analytics API's floor (max(2026-01-01, today - 365 days)), so both
// sources of spend (cost_report before it, analytics_cost from it) are read.
const FLOOR = Math.max(at('2026-01-01'), Math.ceil((Date.now() / 1000 - 365 * DAY) / DAY) * DAY);
const ANTHROPIC_FIRST = FLOOR - 10 * DAY;
const ANTHROPIC_DAYS = 20;
const AUROUS_FIRST = at('2026-06-01');
const AUROUS_DAYS = 20;

let openai: FakeOpenAi;
let anthropic: FakeAnthropic;
let aurous: FakeAurous;
const outputs: RunResult[] = [];
const spend: Record<'openai' | 'anthropic' | 'aurous', Row[]> = { openai: [], anthropic: [], aurous: [] };

async function readSpend(bin: string, cfg: Record<string, unknown>): Promise<Row[]> {
  const f = files({ 'c.json': cfg, 'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]) });
  const r = await run(bin, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  outputs.push(r);
  expect(r.code, JSON.stringify(errors(r.messages).map((e) => e.trace.error.message))).toBe(0);
  return records(r.messages, 'spend');
}

beforeAll(async () => {
  openai = new FakeOpenAi({ firstDay: OPENAI_FIRST, days: OPENAI_DAYS, projects: 3, lineItems: 4, adminKey: OPENAI_KEY });
  anthropic = new FakeAnthropic({ firstDay: ANTHROPIC_FIRST, days: ANTHROPIC_DAYS, adminKey: ANTHROPIC_KEY, emptyEvery: 0 });
  aurous = new FakeAurous({ firstTime: AUROUS_FIRST, endTime: AUROUS_FIRST + AUROUS_DAYS * DAY, apiKey: AUROUS_KEY, users: 6, models: 3 });
  await Promise.all([openai.start(), anthropic.start(), aurous.start()]);
  const last = (first: number, days: number) => isoDay(first + (days - 1) * DAY);
  [spend.openai, spend.anthropic, spend.aurous] = await Promise.all([
    readSpend(BINS.openai, {
      admin_api_key: OPENAI_KEY,
      start_date: isoDay(OPENAI_FIRST),
      end_date: last(OPENAI_FIRST, OPENAI_DAYS),
      base_url: openai.baseUrl,
    }),
    readSpend(BINS.anthropic, {
      admin_api_key: ANTHROPIC_KEY,
      start_date: isoDay(ANTHROPIC_FIRST),
      end_date: last(ANTHROPIC_FIRST, ANTHROPIC_DAYS),
      base_url: anthropic.baseUrl,
    }),
    readSpend(BINS.aurous, {
      api_key: AUROUS_KEY,
      start_date: isoDay(AUROUS_FIRST),
      end_date: last(AUROUS_FIRST, AUROUS_DAYS),
      base_url: aurous.baseUrl,
      focus: { credit_usd_rate: RATE },
    }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([openai?.stop(), anthropic?.stop(), aurous?.stop()]);
  for (const r of outputs) expect(r.stdout + r.stderr).not.toMatch(/FOCUS-RULES|FOCUS_RULES/);
});

const CONNECTORS = [
  ['source-openai-costs', 'openai'],
  ['source-anthropic-costs', 'anthropic'],
  ['source-aurous-usage', 'aurous'],
] as const;

describe.each(CONNECTORS)('%s spend: FOCUS 1.3 column rules', (_name, provider) => {
  const rows = (): Row[] => {
    const list = spend[provider];
    expect(list.length, 'the connector read spend rows').toBeGreaterThan(0);
    return list;
  };

  it('CAU-ChargeCategory-C-003-M and the mapping of docs/focus.md: given the fake’s charges and credits when spend is read then ChargeCategory is an allowed value, Credit exactly where BilledCost is negative and Usage elsewhere, with at least one Credit and one Usage row', () => {
    const list = rows();
    for (const row of list) {
      expect(ALLOWED_CHARGE_CATEGORIES, JSON.stringify(row)).toContain(row.ChargeCategory);
      const negative = scaled(row.BilledCost) < 0n;
      expect(row.ChargeCategory, `BilledCost ${String(row.BilledCost)}: ${JSON.stringify(row)}`).toBe(negative ? 'Credit' : 'Usage');
    }
    expect(list.filter((r) => r.ChargeCategory === 'Credit').length, 'Credit rows').toBeGreaterThan(0);
    expect(list.filter((r) => r.ChargeCategory === 'Usage').length, 'Usage rows').toBeGreaterThan(0);
  });

  it('CAU-SkuPriceDetails-C-017-C: given spend rows with SkuPriceDetails when their keys are read then each is FOCUS-defined or x_-prefixed, and the model is x_ModelId', () => {
    const list = rows();
    const keys = new Set(list.flatMap((r) => (r.SkuPriceDetails === null ? [] : Object.keys(r.SkuPriceDetails as Row))));
    for (const k of keys) expect(FOCUS_SKU_PRICE_KEYS.has(k) || /^x_[A-Za-z0-9_]+$/.test(k), `SkuPriceDetails key ${k}`).toBe(true);
    expect(keys).toContain('x_ModelId');
    expect(keys).not.toContain('ModelId');
    expect(keys).not.toContain('ModelDeveloper');
  });

  it('CAU-PricingCurrency-C-004-M: given the PricingCurrency column is present when spend is read then it is never null: BillingCurrency where the provider prices in it, credits for Aurous', () => {
    for (const row of rows()) {
      expect(row, 'the column is present').toHaveProperty('PricingCurrency');
      expect(typeof row.PricingCurrency, JSON.stringify(row)).toBe('string');
      expect(row.PricingCurrency).toBe(provider === 'aurous' ? 'credits' : row.BillingCurrency);
    }
    if (provider !== 'aurous') expect(new Set(rows().map((r) => r.PricingCurrency))).toEqual(new Set(['USD']));
  });

  it('CAU-PricingCurrencyEffectiveCost-C-003-M: given the PricingCurrencyEffectiveCost column is present when spend is read then it is never null and is EffectiveCost exactly where PricingCurrency is BillingCurrency (Aurous: the credits used, BilledCost = credits x rate)', () => {
    for (const row of rows()) {
      expect(row, 'the column is present').toHaveProperty('PricingCurrencyEffectiveCost');
      const pcec = scaled(row.PricingCurrencyEffectiveCost);
      if (provider === 'aurous') {
        expect(pcec, JSON.stringify(row)).toBe(scaled(row.x_CreditsUsed));
        // credits x rate at 30 + 4 places, compared at 30: exact (the rate has 4 decimals).
        expect((pcec * scaled(RATE)) / 10n ** 30n, JSON.stringify(row)).toBe(scaled(row.BilledCost));
      } else {
        expect(pcec, JSON.stringify(row)).toBe(scaled(row.EffectiveCost));
      }
    }
  });
});

describe('the fakes’ credits reach spend as they were sent', () => {
  it('given the OpenAI fake’s credit line on some days when spend is read then its Credit rows are exactly the negative costs results of the default grouping (project_id, line_item), the credit line item', () => {
    const expected = openai.org
      .expectedCosts(OPENAI_FIRST, OPENAI_FIRST + OPENAI_DAYS * DAY, ['project_id', 'line_item'])
      .filter((c) => c.amount_value < 0)
      .map((c) => `${c.date}|${c.project_id}|${c.line_item}`);
    expect(expected.length).toBeGreaterThan(0);
    const credits = spend.openai.filter((r) => r.ChargeCategory === 'Credit');
    expect(credits.map((r) => `${String(r.ChargePeriodStart).slice(0, 10)}|${r.SubAccountId}|${r.x_LineItem}`).sort()).toEqual(expected.sort());
    expect(new Set(credits.map((r) => r.x_LineItem))).toEqual(new Set([CREDIT_LINE_ITEM]));
  });

  it('given the Aurous fake’s refunds on some days when spend is read then its Credit rows are exactly the negative usage groups of the default grouping (type, model)', () => {
    const expected = aurous.data
      .expected(AUROUS_FIRST, AUROUS_FIRST + AUROUS_DAYS * DAY, '1d', ['type', 'model'])
      .filter((g) => g.credits_used < 0)
      .map((g) => `${g.bucket_start.slice(0, 10)}|${g.type}|${g.model}`);
    expect(expected.length).toBeGreaterThan(0);
    const credits = spend.aurous.filter((r) => r.ChargeCategory === 'Credit');
    expect(credits.map((r) => `${String(r.ChargePeriodStart).slice(0, 10)}|${r.x_RequestType}|${r.x_Model}`).sort()).toEqual(expected.sort());
  });

  it('given the Anthropic ledger’s web-search credits when spend is read across the analytics floor then analytics_cost days carry Credit rows', () => {
    const credits = spend.anthropic.filter((r) => r.ChargeCategory === 'Credit');
    expect(credits.some((r) => r.x_Source === 'analytics_cost')).toBe(true);
    expect(new Set(spend.anthropic.map((r) => r.x_Source))).toEqual(new Set(['cost_report', 'analytics_cost']));
  });
});
