import { describe, expect, it } from 'vitest';
import type { BucketStream, Row } from '../../connector/engine/stream.js';
import { ListPrices, type ListPriceEntry } from '../../connector/engine/focus/prices.js';
import { LIST_PRICES } from '../../connector/prices/list-prices.js';
import { openAiSource } from '../../connector/providers/openai/index.js';
import { openAiPricePoint, parseLineItem } from '../../connector/providers/openai/spend.js';
import { CREDIT_LINE_ITEM, LINE_ITEMS, OpenAiOrg } from '../fake/openai.js';

/**
 * The OpenAI spend mapping's price points (issue 24 points 1-3): SkuPriceId, token quantities and
 * list prices, checked against products worked out here with BigInt, never the connector's helpers.
 */
const config = openAiSource.configSchema.parse({ admin_api_key: 'sk-admin-unit', start_date: '2026-01-01' });
const spend = openAiSource.streams.find((s) => s.name === 'spend') as BucketStream<typeof config>;
const BUCKET = { start: 1772323200, end: 1772409600, results: [] };

/** A costs result as the API sends it. */
const result = (o: Partial<{ line_item: string | null; quantity: number | null; quantity_unit: string | null; value: number }>) => ({
  object: 'organization.costs.result',
  amount: { value: o.value ?? 0.5, currency: 'usd' },
  line_item: o.line_item === undefined ? 'gpt-4o-2024-08-06, input' : o.line_item,
  project_id: 'proj_abc',
  quantity: o.quantity === undefined ? 1234567 : o.quantity,
  quantity_unit: o.quantity_unit === undefined ? 'tokens' : o.quantity_unit,
});

/** One spend row of a result, and the notices its mapping reported. */
function row(r: unknown): { row: Row; notices: string[] } {
  const notices: string[] = [];
  return { row: spend.plan(config).toRecord(BUCKET, structuredClone(r), 0, (m) => notices.push(m)), notices };
}

/** a x b of plain decimal strings, exactly (scaled BigInts), trailing zeros dropped. */
function times(a: string, b: string): string {
  const parse = (t: string) => {
    const [i = '0', f = ''] = t.split('.');
    return { v: BigInt(i + f), s: f.length };
  };
  const x = parse(a);
  const y = parse(b);
  const s = x.s + y.s;
  const digits = (x.v * y.v).toString().padStart(s + 1, '0');
  const text = s ? `${digits.slice(0, -s)}.${digits.slice(-s)}` : digits;
  return text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text;
}

describe('OpenAI line items', () => {
  it('given the line item forms seen live when parsed then the surface is a price tier, the SKU the line item without it, and the meter carries the modality', () => {
    expect(parseLineItem('gpt-4o-2024-08-06, input')).toEqual({
      surface: null,
      model: 'gpt-4o-2024-08-06',
      meter: 'input',
      sku: 'gpt-4o-2024-08-06, input',
      tier: 'standard',
    });
    expect(parseLineItem('batch api | gpt-4o-2024-08-06, input')).toEqual({
      surface: 'batch api',
      model: 'gpt-4o-2024-08-06',
      meter: 'input',
      sku: 'gpt-4o-2024-08-06, input',
      tier: 'batch',
    });
    expect(parseLineItem('gpt-audio-mini-2025-12-15 audio, cached input')).toMatchObject({ model: 'gpt-audio-mini-2025-12-15', meter: 'audio cached input' });
    expect(parseLineItem('evals | gpt-4o-mini-2024-07-18, input')).toMatchObject({ model: 'gpt-4o-mini-2024-07-18', tier: 'evals' });
    expect(parseLineItem('assistants api | file search')).toEqual({
      surface: null,
      model: null,
      meter: 'assistants api | file search',
      sku: 'assistants api | file search',
      tier: 'standard',
    });
    expect(parseLineItem(null)).toEqual({ surface: null, model: null, meter: null, sku: null, tier: 'standard' });
  });
});

describe('OpenAI price points', () => {
  it('given every line item the fake sends when priced then each has a list price in the data file, and a missing one fails here', () => {
    const org = new OpenAiOrg({ firstDay: 0, days: 1, lineItems: LINE_ITEMS.length });
    expect(org.lineItems).toHaveLength(LINE_ITEMS.length);
    for (const item of org.lineItems) {
      const notices: string[] = [];
      const point = openAiPricePoint(parseLineItem(item.name), '1', item.unit, (m) => notices.push(m));
      expect(notices, item.name).toEqual([]);
      expect(point.listUnitPrice, item.name).not.toBeNull();
      expect(point.pricingUnit, item.name).toBe('1000000 Tokens');
    }
  });

  it('given the list-price data file when read then every entry is sourced, dated, a plain decimal per a UnitFormat block, one per price point, and sorted', () => {
    const openai = LIST_PRICES.filter((e) => e.provider === 'OpenAI');
    expect(openai.length).toBeGreaterThanOrEqual(20);
    for (const e of openai) {
      expect(e.source, JSON.stringify(e)).toMatch(/^https:\/\/\S+$/);
      expect(e.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(e.usdPerUnit).toMatch(/^\d+(\.\d+)?$/);
      expect(e.unit).toMatch(/^(1(0+)? )?[A-Z][A-Za-z]*$/);
    }
    expect(() => new ListPrices(LIST_PRICES)).not.toThrow();
    const key = (e: ListPriceEntry) => [e.model, e.meter, e.tier ?? 'standard'].join('\u0000');
    const keys = openai.map(key);
    expect(keys).toEqual([...keys].sort());
  });

  it('given a standard and a batch line item of one model and token type when mapped then the SkuId is shared, the SkuPriceId and list price differ, and ListCost is ListUnitPrice x PricingQuantity exactly', () => {
    const standard = row(result({ line_item: 'gpt-4o-2024-08-06, input', quantity: 1234567 }));
    const batch = row(result({ line_item: 'batch api | gpt-4o-2024-08-06, input', quantity: 1234567 }));
    expect(standard.notices).toEqual([]);
    expect(batch.notices).toEqual([]);
    expect(standard.row.SkuId).toBe('gpt-4o-2024-08-06, input');
    expect(batch.row.SkuId).toBe(standard.row.SkuId);
    expect(standard.row.SkuPriceId).toBe('gpt-4o-2024-08-06, input, standard');
    expect(batch.row.SkuPriceId).toBe('gpt-4o-2024-08-06, input, batch');
    for (const { row: r } of [standard, batch]) {
      expect(r).toMatchObject({
        ConsumedQuantity: '1234567',
        ConsumedUnit: 'Tokens',
        PricingQuantity: '1.234567',
        PricingUnit: '1000000 Tokens',
        PricingCategory: 'Standard',
      });
      expect(r.ListCost).toBe(times(r.ListUnitPrice as string, r.PricingQuantity as string));
    }
    expect(standard.row.ListUnitPrice).toBe('2.5');
    expect(batch.row.ListUnitPrice).toBe('1.25');
    expect(standard.row.ListCost).toBe('3.0864175');
    expect(batch.row.SkuPriceDetails).toEqual({ x_ModelId: 'gpt-4o-2024-08-06', x_ModelDeveloper: 'OpenAI', x_PriceTier: 'batch' });
    // BilledCost stays the amount as sent: the list cost is the published price, not the charge.
    expect(standard.row.BilledCost).toBe('0.5');
  });

  it('given quantities of one token, of fractions and in thousands of tokens when priced then the decimal point moves and nothing is rounded', () => {
    const one = row(result({ quantity: 1, line_item: 'gpt-4o-mini-2024-07-18, cached input' })).row;
    expect(one).toMatchObject({ ConsumedQuantity: '1', PricingQuantity: '0.000001', ListUnitPrice: '0.075', ListCost: '0.000000075' });
    const thousands = row(result({ quantity: 12.5, quantity_unit: '1000_tokens' })).row;
    expect(thousands).toMatchObject({ ConsumedQuantity: '12500', ConsumedUnit: 'Tokens', PricingQuantity: '0.0125', ListCost: '0.03125' });
    const big = row(result({ quantity: 987654321012, line_item: 'gpt-4.1-2025-04-14, output' })).row;
    expect(big).toMatchObject({ PricingQuantity: '987654.321012', ListUnitPrice: '8', ListCost: times('8.00', '987654.321012') });
  });

  it('given a model missing from the data file when mapped then ListUnitPrice is null, ListCost is BilledCost, the row keeps its price point, and one notice names the price point', () => {
    const first = row(result({ line_item: 'gpt-9-preview, input', quantity: 2000000, value: 0.75 }));
    const second = row(result({ line_item: 'gpt-9-preview, input', quantity: 5, value: 0.25 }));
    expect(first.row).toMatchObject({
      SkuPriceId: 'gpt-9-preview, input, standard',
      ConsumedQuantity: '2000000',
      PricingQuantity: '2',
      PricingUnit: '1000000 Tokens',
      ListUnitPrice: null,
      ListCost: '0.75',
    });
    expect(first.notices).toHaveLength(1);
    expect(first.notices[0]).toContain('gpt-9-preview "input" (standard)');
    expect(first.notices[0]).toContain('connector/prices/list-prices.ts');
    // The same price point gives the same text whatever the row: the run logs it once (engine/notices.ts).
    expect(second.notices).toEqual(first.notices);
    // A tier the file does not price (evals) is missing too, never the standard price.
    const evals = row(result({ line_item: 'evals | gpt-4o-2024-08-06, input' }));
    expect(evals.row.ListUnitPrice).toBeNull();
    expect(evals.notices[0]).toContain('(evals)');
  });

  it('given a live body of 2026-06-14 (quantity, no quantity_unit) when mapped then a model’s token types count tokens, and each list cost is that body’s amount exactly', () => {
    // Verbatim rows of a live costs body from before quantity_unit was added (2026-08-21).
    const rows = [
      { line_item: 'gpt-4o-mini-2024-07-18, cached input', quantity: 0, value: 0 },
      { line_item: 'gpt-4o-mini-2024-07-18, input', quantity: 30, value: 0.0000045 },
      { line_item: 'gpt-4o-mini-2024-07-18, output', quantity: 57, value: 0.0000342 },
    ].map((r) => {
      const { quantity_unit: _, ...sent } = result({ ...r });
      return row(sent);
    });
    for (const { row: r, notices } of rows) {
      expect(notices).toEqual([]);
      expect(r).toMatchObject({ ConsumedUnit: 'Tokens', PricingUnit: '1000000 Tokens' });
      expect(typeof r.SkuPriceId).toBe('string');
      expect(r.ListCost).toBe(r.BilledCost);
    }
    // A name with no model and no unit: nothing says what its quantity counts, so no price point.
    const { quantity_unit: _, ...tool } = result({ line_item: 'web search tool calls', quantity: 3 });
    expect(row(tool).row).toMatchObject({ SkuPriceId: null, ConsumedQuantity: null });
  });

  it('given a unit the price is not published in when mapped then no price is applied and the notice says why', () => {
    const r = row(result({ quantity: 30, quantity_unit: 'characters' }));
    expect(r.row).toMatchObject({
      ConsumedQuantity: '30',
      ConsumedUnit: 'Characters',
      PricingQuantity: '0.00003',
      PricingUnit: '1000000 Characters',
      ListUnitPrice: null,
    });
    expect(r.notices[0]).toContain('priced per 1000000 Tokens, the costs API counted characters');
  });

  it('given a credit, costs not grouped by line item and a line item without quantity when mapped then none has a price point or quantities, and none is priced per USD', () => {
    const credit = row(result({ line_item: CREDIT_LINE_ITEM, value: -0.0125, quantity: 1, quantity_unit: 'credits' }));
    const ungrouped = row({ ...result({ line_item: null, quantity: null, quantity_unit: null }) });
    const noQuantity = row(result({ quantity: null, quantity_unit: null }));
    for (const { row: r, notices } of [credit, ungrouped, noQuantity]) {
      expect(notices).toEqual([]);
      expect(r).toMatchObject({
        SkuPriceId: null,
        PricingQuantity: null,
        PricingUnit: null,
        PricingCategory: null,
        ConsumedQuantity: null,
        ConsumedUnit: null,
        ListUnitPrice: null,
        SkuPriceDetails: null,
      });
      expect(r.ListCost).toBe(r.BilledCost);
    }
    expect(credit.row.ChargeCategory).toBe('Credit');
    expect(ungrouped.row.SkuId).toBeNull();
  });
});
