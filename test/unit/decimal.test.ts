import { describe, expect, it } from 'vitest';
import {
  addDecimal,
  compareDecimal,
  fromScaled,
  mulDiv,
  multiplyDecimal,
  normalizeDecimal,
  numberToDecimal,
  shiftDecimalLeft,
  toScaled,
  trimDecimal,
} from '../../connector/decimal.js';
import { rng } from '../fake/random.js';

/** A decimal string as n × 10^-scale, read here digit by digit (not with the module under test). */
function rational(text: string): { n: bigint; scale: number } {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) throw new Error(`test: not a decimal ${text}`);
  const frac = m[3] ?? '';
  const n = BigInt(`${m[2] || '0'}${frac}`);
  return { n: m[1] === '-' ? -n : n, scale: frac.length };
}
const atScale = (r: { n: bigint; scale: number }, scale: number): bigint => r.n * 10n ** BigInt(scale - r.scale);
const CANONICAL = /^-?(0|[1-9]\d*)(\.\d*[1-9])?$/;

describe('connector/decimal.ts with unkind inputs', () => {
  it('given many digits, negatives, leading zeros and negative zero when normalised then the text is canonical and its value unchanged', () => {
    expect(normalizeDecimal('0000123456789012345678901234567890.1234567890123456789000')).toBe('123456789012345678901234567890.1234567890123456789');
    expect(normalizeDecimal('-0')).toBe('0');
    expect(normalizeDecimal('-0.000000')).toBe('0');
    expect(normalizeDecimal('-000.0100')).toBe('-0.01');
    expect(normalizeDecimal('000')).toBe('0');
    expect(normalizeDecimal('10.0')).toBe('10');
    expect(normalizeDecimal('-10')).toBe('-10');
  });

  it.each(['0E-6176', '1e3', '1E+2', '-0e0', '', '-', '.', '.5', '5.', '+1', ' 1', '1 ', '1,5', '0x10', 'NaN', 'Infinity', '1.2.3', '--1'])(
    'given %j (not a plain decimal: exponents as some APIs send them, a sign, a bare point) when normalised then it throws, never guesses',
    (bad) => {
      expect(() => normalizeDecimal(bad)).toThrow(/not a plain decimal/);
      expect(() => addDecimal(bad, '1')).toThrow(/not a plain decimal/);
      expect(() => multiplyDecimal('1', bad)).toThrow(/not a plain decimal/);
      expect(() => compareDecimal(bad, '0')).toThrow(/not a plain decimal/);
    },
  );

  it.each(['0E-6176', '1e3', '', '-', '.', ' 1', '1 ', '1,5', 'NaN', '1.2.3'])('given the amount %j when its point is moved then it throws', (bad) => {
    expect(() => shiftDecimalLeft(bad, 2)).toThrow(/not a decimal amount/);
  });

  it('given amounts as APIs send them (a plus sign, a bare point, leading zeros, negative zero) when the point is moved then the result is canonical', () => {
    expect(shiftDecimalLeft('+42', 2)).toBe('0.42');
    expect(shiftDecimalLeft('.5', 2)).toBe('0.005');
    expect(shiftDecimalLeft('5.', 0)).toBe('5');
    expect(shiftDecimalLeft('-0.00', 2)).toBe('0');
    expect(shiftDecimalLeft('-0', 0)).toBe('0');
    expect(shiftDecimalLeft('00012300', 2)).toBe('123');
    expect(shiftDecimalLeft('-1', 30)).toBe('-0.000000000000000000000000000001');
    expect(shiftDecimalLeft('99999999999999999999.99999', 2)).toBe('999999999999999999.9999999');
  });

  it('given JSON numbers in exponent form when written as decimals then the exponent is expanded from the digits', () => {
    expect(numberToDecimal(0e-6176)).toBe('0');
    expect(numberToDecimal(-0)).toBe('0');
    expect(numberToDecimal(5e-324)).toBe(`0.${'0'.repeat(323)}5`);
    expect(numberToDecimal(-1.7976931348623157e308)).toBe(`-17976931348623157${'0'.repeat(292)}`);
    expect(numberToDecimal(1e21)).toBe(`1${'0'.repeat(21)}`);
    expect(numberToDecimal(-1.5e-7)).toBe('-0.00000015');
  });

  it('given sums, products and comparisons of unkind pairs then the results are exact and canonical', () => {
    expect(addDecimal('-0', '0.000')).toBe('0');
    expect(addDecimal('0.1', '-0.1')).toBe('0');
    expect(addDecimal('-1.5', '0.25')).toBe('-1.25');
    expect(addDecimal('99999999999999999999.999999999999', '0.000000000001')).toBe('100000000000000000000');
    expect(multiplyDecimal('-0.5', '-0.5')).toBe('0.25');
    expect(multiplyDecimal('-3', '0')).toBe('0');
    expect(multiplyDecimal('007.50', '2')).toBe('15');
    expect(compareDecimal('1.50', '1.5')).toBe(0);
    expect(compareDecimal('-0', '0')).toBe(0);
    expect(compareDecimal('-0.0000001', '0')).toBe(-1);
    expect(compareDecimal('10', '9.99999999999999999999')).toBe(1);
    expect(compareDecimal('-10', '-9')).toBe(-1);
  });

  it('given 2,000 random pairs when added, multiplied and compared then each result equals the arithmetic on the digits', () => {
    const rand = rng(26);
    const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
    const decimal = (): string =>
      `${rand() < 0.3 ? '-' : ''}${digits(1 + Math.floor(rand() * 25))}${rand() < 0.7 ? `.${digits(1 + Math.floor(rand() * 20))}` : ''}`;
    for (let i = 0; i < 2_000; i++) {
      const a = decimal();
      const b = decimal();
      const x = rational(a);
      const y = rational(b);
      const scale = Math.max(x.scale, y.scale);
      const sum = addDecimal(a, b);
      const product = multiplyDecimal(a, b);
      expect(sum, `${a} + ${b}`).toMatch(CANONICAL);
      expect(product, `${a} × ${b}`).toMatch(CANONICAL);
      expect(atScale(rational(sum), scale + 1), `${a} + ${b}`).toBe(atScale(x, scale + 1) + atScale(y, scale + 1));
      expect(atScale(rational(product), x.scale + y.scale + 1), `${a} × ${b}`).toBe(x.n * y.n * 10n);
      const [ax, by] = [atScale(x, scale), atScale(y, scale)];
      expect(compareDecimal(a, b), `${a} <=> ${b}`).toBe(ax < by ? -1 : ax > by ? 1 : 0);
      expect(normalizeDecimal(a)).toMatch(CANONICAL);
    }
  });

  it('given amounts at a fixed scale when rounded, scaled back and trimmed then half rounds away from zero and the text keeps its scale', () => {
    expect(toScaled(' -0.005 ', 2)).toBe(-1n);
    expect(toScaled('.5', 0)).toBe(1n);
    expect(toScaled('-0', 2)).toBe(0n);
    expect(toScaled('0012.344999', 2)).toBe(1234n);
    expect(() => toScaled('+1', 2)).toThrow(/not a decimal/);
    expect(() => toScaled('0E-6176', 2)).toThrow(/not a decimal/);
    expect(fromScaled(-5n, 3)).toBe('-0.005');
    expect(fromScaled(0n, 2)).toBe('0.00');
    expect(fromScaled(1234n, 0)).toBe('1234');
    expect(mulDiv('-1', 1, 3, 4)).toBe('-0.3333');
    expect(mulDiv('2', 1, 3, 4)).toBe('0.6667');
    expect(trimDecimal('-0.000')).toBe('0');
    expect(trimDecimal('-12.3400')).toBe('-12.34');
    expect(trimDecimal('')).toBe('');
    expect(trimDecimal('100')).toBe('100');
  });
});
