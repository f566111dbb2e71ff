import { describe, expect, it } from 'vitest';
import { toCsv } from '../../connector/warehouse/charts.js';
import { mulDiv, percentChange, runRateForecast } from '../../connector/warehouse/money.js';
import { type Catalog, resolveTable } from '../../connector/warehouse/report.js';

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
