import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { toCsv } from '../../connector/warehouse/charts.js';
import { mulDiv } from '../../connector/decimal.js';
import { percentChange, runRateForecast } from '../../connector/warehouse/money.js';
import { type Catalog, completeThrough, dayRanges, resolveTable, settleRules } from '../../connector/warehouse/report.js';

describe('run-rate forecast and change, exact', () => {
  it('given a month to date when forecasting then it is MTD × days in month ÷ elapsed days, rounded once to 12 decimals half away from zero', () => {
    expect(runRateForecast('100', 14, 30)).toBe('214.285714285714'); // 214.2857142857142857...
    expect(runRateForecast('18934.425625000001', 4, 30)).toBe('142008.192187500008'); // ...0075 -> ...008
    expect(runRateForecast('0.000000000001', 2, 31)).toBe('0.000000000016'); // 15.5e-12 -> 16e-12
    expect(runRateForecast('-0.000000000001', 2, 31)).toBe('-0.000000000016');
    expect(runRateForecast('31.5', 31, 31)).toBe('31.500000000000');
    expect(runRateForecast('0', 5, 30)).toBe('0.000000000000');
    expect(() => mulDiv('1', 1, 0)).toThrow(/bad ratio/);
  });

  it('given two amounts when comparing then the change is a percentage to one decimal, half away from zero, and none against zero', () => {
    expect(percentChange('110', '100')).toBe('10.0');
    expect(percentChange('100.05', '100')).toBe('0.1'); // 0.05% -> 0.1
    expect(percentChange('99.95', '100')).toBe('-0.1');
    expect(percentChange('1', '3')).toBe('-66.7');
    expect(percentChange('5000', '0.000000000001')).toBe('499999999999999900.0');
    expect(percentChange('1', '0')).toBeNull();
  });
});

describe('chart CSV', () => {
  it('given labels with commas, quotes and a leading = when exporting then fields are quoted per RFC 4180 and formulas are defused, amounts untouched', () => {
    const csv = toCsv({ id: 'x', header: ['Date', 'Acme, "Inc"', '=HYPERLINK("x")', 'Total'], rows: [['2026-11-01', '-1.5', '0', '-1.5']] });
    expect(csv).toBe('Date,"Acme, ""Inc""","\'=HYPERLINK(""x"")",Total\r\n2026-11-01,-1.5,0,-1.5\r\n');
  });
});

describe('table names resolved in one place', () => {
  const catalog = (...names: string[]): Catalog => ({ tables: new Map(names.map((n) => [n, new Set(['id'])])) });
  it('given a table in its connector schema, in main (an earlier layout) or both when resolving then the connector schema wins, else main', () => {
    expect(resolveTable(catalog('main.analytics_cost'), 'analytics_cost', 'anthropic')?.sql).toBe('"analytics_cost"');
    expect(resolveTable(catalog('main.analytics_cost', 'anthropic.analytics_cost'), 'analytics_cost', 'anthropic')?.sql).toBe('"anthropic"."analytics_cost"');
    const s = resolveTable(catalog('anthropic.analytics_cost'), 'analytics_cost', 'anthropic');
    expect([s?.sql, s?.name]).toEqual(['"anthropic"."analytics_cost"', 'anthropic.analytics_cost']);
    expect(resolveTable(catalog('openai.users'), 'users', 'anthropic')).toBeNull();
    expect(resolveTable(catalog('main.focus_spend'), 'focus_spend')?.sql).toBe('"focus_spend"');
  });
});

describe('complete through: the settle rule over the sync state', () => {
  const t = (iso: string): number => Date.parse(iso) / 1000;
  it('given a cursor at the start of today and a sync 24 h settle rule when deriving the complete day then it is the day before yesterday, whatever the hour of the sync', () => {
    // Cursor 2026-12-05 00:00 (today, never later): read through December 4; December 4 is final only from December 6 00:00.
    expect(completeThrough(t('2026-12-05T00:00:00Z'), t('2026-12-05T00:30:00Z'), 24)).toBe('2026-12-03');
    expect(completeThrough(t('2026-12-05T00:00:00Z'), t('2026-12-05T23:59:59Z'), 24)).toBe('2026-12-03');
    expect(completeThrough(t('2026-12-05T00:00:00Z'), t('2026-12-06T00:00:00Z'), 24)).toBe('2026-12-04');
  });
  it('given a cursor behind the sync time when deriving the complete day then the cursor bounds it (a day not read is never complete)', () => {
    expect(completeThrough(t('2026-11-20T00:00:00Z'), t('2026-12-05T11:00:00Z'), 24)).toBe('2026-11-19');
    expect(completeThrough(t('2026-12-05T00:00:00Z'), t('2026-12-05T11:00:00Z'), 4)).toBe('2026-12-04'); // 4 h: December 4 settled at 04:00
    expect(completeThrough(t('2026-12-05T00:00:00Z'), t('2026-12-05T03:59:59Z'), 4)).toBe('2026-12-03');
  });
  it('given the settle rules when read from the registry then each provider the report names has one rule, one stream list led by spend, and a reason', async () => {
    const rules = await settleRules();
    expect(rules.map((r) => r.name)).toEqual(CONNECTORS.map((c) => c.name));
    const known = rules.filter((r) => ['openai', 'anthropic', 'aurous'].includes(r.connector));
    expect(known.map((r) => [r.provider, r.connector, r.name, r.streams[0], r.settleHours])).toEqual([
      ['OpenAI', 'openai', 'source-openai-costs', 'spend', 24],
      ['Anthropic', 'anthropic', 'source-anthropic-costs', 'spend', 24],
      ['Aurous Labs', 'aurous', 'source-aurous-usage', 'spend', 24],
    ]);
    for (const r of rules) expect([r.streams[0], r.why.length > 20]).toEqual(['spend', true]);
  });
  it('given days with gaps when describing them then contiguous days become ranges, and many ranges a count with bounds', () => {
    expect(dayRanges(['2025-12-02', '2025-12-01', '2025-12-05', '2025-12-01'])).toBe('2025-12-01 to 2025-12-02, 2025-12-05');
    expect(dayRanges(['2025-12-31', '2026-01-01'])).toBe('2025-12-31 to 2026-01-01');
    expect(dayRanges(['2025-12-01', '2025-12-03', '2025-12-05', '2025-12-07'])).toBe('4 days from 2025-12-01 to 2025-12-07');
    expect(dayRanges([])).toBe('');
  });
});
