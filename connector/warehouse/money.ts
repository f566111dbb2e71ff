import { fromScaled, mulDiv, toScaled } from '../decimal.js';

/**
 * The report's money: exact decimal strings the way DuckDB returns DECIMAL sums
 * ("1234.567891000000"), formatted, forecast and compared with the exact decimals of ../decimal.ts.
 */

const group = (int: string): string => int.replace(/\B(?=(\d{3})+(?!\d))/g, ',');

const SYMBOLS: Record<string, string> = { USD: '$', EUR: '€', GBP: '£' };

/** "1234.567" USD -> "$1,234.57"; other currencies -> "1,234.57 CHF". */
export function formatMoney(exact: string, currency: string): string {
  const cents = fromScaled(toScaled(exact, 2), 2);
  const neg = cents.startsWith('-');
  const [int = '0', frac = '00'] = (neg ? cents.slice(1) : cents).split('.');
  const body = `${group(int)}.${frac}`;
  const cur = currency.toUpperCase();
  const sym = SYMBOLS[cur];
  return `${neg ? '-' : ''}${sym ? `${sym}${body}` : `${body} ${cur}`}`;
}

/**
 * The month-end forecast from the month's daily run rate: month to date ÷ elapsed days × days in
 * the month, computed as MTD × days ÷ elapsed (one rounding, to 12 decimals, half away from zero).
 */
export function runRateForecast(mtd: string, elapsedDays: number, daysInMonth: number): string {
  return mulDiv(mtd, daysInMonth, elapsedDays);
}

/** n × 100 ÷ d as a percentage to one decimal, half away from zero (d not zero; both at one scale). */
function percentOf(n: bigint, d: bigint): string {
  const tenths = n * 1000n; // tenths of a percent, before division
  const neg = tenths < 0n !== d < 0n;
  const an = tenths < 0n ? -tenths : tenths;
  const ad = d < 0n ? -d : d;
  let q = an / ad;
  if ((an % ad) * 2n >= ad) q += 1n;
  return fromScaled(neg ? -q : q, 1);
}

/** (now − before) × 100 ÷ before to one decimal, half away from zero; null when before is zero. */
export function percentChange(now: string, before: string): string | null {
  const b = toScaled(before, 12);
  return b === 0n ? null : percentOf(toScaled(now, 12) - b, b);
}

/** part × 100 ÷ total to one decimal, half away from zero; "0.0" when total is zero. */
export function percentShare(part: string, total: string): string {
  const t = toScaled(total, 12);
  return t === 0n ? '0.0' : percentOf(toScaled(part, 12), t);
}
