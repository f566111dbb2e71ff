import { describe, expect, it } from 'vitest';
import { addDecimal, multiplyDecimal, normalizeDecimal, numberToDecimal } from '../../connector/decimal.js';
import { billingPeriod } from '../../connector/engine/focus/focus.js';
import { splitLineItem } from '../../connector/providers/openai/spend.js';

const utc = (iso: string): number => Date.parse(iso) / 1000;
const iso = (t: number): string => new Date(t * 1000).toISOString();

describe('FOCUS exact decimals', () => {
  it('given JSON numbers in every form when written as decimals then the digits are the number’s own, exponents expanded, no float arithmetic', () => {
    expect(numberToDecimal(0.06)).toBe('0.06');
    expect(numberToDecimal(1.2e-7)).toBe('0.00000012');
    expect(numberToDecimal(1e-6)).toBe('0.000001');
    expect(numberToDecimal(-3.5e-9)).toBe('-0.0000000035');
    expect(numberToDecimal(1.5e21)).toBe('1500000000000000000000');
    expect(numberToDecimal(123.456789)).toBe('123.456789');
    expect(numberToDecimal(0.1 + 0.2)).toBe('0.30000000000000004');
    expect(numberToDecimal(0)).toBe('0');
    expect(numberToDecimal(-0)).toBe('0');
    expect(numberToDecimal(12.34567890123456)).toBe('12.34567890123456');
    expect(() => numberToDecimal(Number.NaN)).toThrow();
    expect(() => numberToDecimal(Number.POSITIVE_INFINITY)).toThrow();
  });

  it('given decimal strings when normalised, multiplied and summed then the results are exact', () => {
    expect(normalizeDecimal('001.2300')).toBe('1.23');
    expect(normalizeDecimal('-0.000')).toBe('0');
    expect(() => normalizeDecimal('1e5')).toThrow();
    expect(() => normalizeDecimal('1.')).toThrow();
    expect(multiplyDecimal('4.25', '0.01')).toBe('0.0425');
    expect(multiplyDecimal('0.1', '0.2')).toBe('0.02');
    expect(multiplyDecimal('123456789012345678901234567890', '0.0125')).toBe('1543209862654320986265432098.625');
    expect(multiplyDecimal('-2', '0.5')).toBe('-1');
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(['1.2378912', '0.00000012', '-1'].reduce(addDecimal, '0')).toBe('0.23789132');
  });
});

describe('FOCUS billing period', () => {
  it('given charge days when the period starts on the 1st then it is the calendar month, end exclusive, across year ends', () => {
    const p = billingPeriod(utc('2025-09-30T00:00:00Z'), 1);
    expect([iso(p.start), iso(p.end)]).toEqual(['2025-09-01T00:00:00.000Z', '2025-10-01T00:00:00.000Z']);
    const dec = billingPeriod(utc('2025-12-31T23:00:00Z'), 1);
    expect([iso(dec.start), iso(dec.end)]).toEqual(['2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  });

  it('given a period starting on the 15th when a charge falls before or on it then it belongs to the previous or the new period', () => {
    const before = billingPeriod(utc('2026-01-14T00:00:00Z'), 15);
    expect([iso(before.start), iso(before.end)]).toEqual(['2025-12-15T00:00:00.000Z', '2026-01-15T00:00:00.000Z']);
    const on = billingPeriod(utc('2026-01-15T00:00:00Z'), 15);
    expect([iso(on.start), iso(on.end)]).toEqual(['2026-01-15T00:00:00.000Z', '2026-02-15T00:00:00.000Z']);
    const feb = billingPeriod(utc('2024-02-28T00:00:00Z'), 28);
    expect([iso(feb.start), iso(feb.end)]).toEqual(['2024-02-28T00:00:00.000Z', '2024-03-28T00:00:00.000Z']);
  });
});

describe('OpenAI line items', () => {
  it('given line items when split then the model is the part before the last ", " and the meter the rest', () => {
    expect(splitLineItem('gpt-4o-2024-08-06, input')).toEqual({ model: 'gpt-4o-2024-08-06', meter: 'input' });
    expect(splitLineItem('gpt-4o-mini, cached input')).toEqual({ model: 'gpt-4o-mini', meter: 'cached input' });
    expect(splitLineItem('web search tool calls')).toEqual({ model: null, meter: 'web search tool calls' });
    expect(splitLineItem(null)).toEqual({ model: null, meter: null });
  });
});
