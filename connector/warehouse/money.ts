/**
 * Money as exact decimal strings, the way DuckDB returns DECIMAL sums ("1234.567891000000").
 * Rounding and formatting use BigInt, never floating point.
 */
const DECIMAL = /^(-?)(\d*)(?:\.(\d*))?$/;

/** Parse "12.3400" into a scaled integer at `scale` decimals, rounding half away from zero. */
export function toScaled(text: string, scale: number): bigint {
  const m = DECIMAL.exec(text.trim());
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const neg = m[1] === '-';
  const int = m[2] || '0';
  const frac = m[3] ?? '';
  const kept = (frac + '0'.repeat(scale)).slice(0, scale);
  let v = BigInt(int + kept);
  const next = frac.length > scale ? frac.charCodeAt(scale) - 48 : 0;
  if (next >= 5) v += 1n;
  return neg ? -v : v;
}

/** A scaled integer back to a plain decimal string with exactly `scale` decimals. */
export function fromScaled(v: bigint, scale: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${neg ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}

/** "1234.567800000" -> "1234.5678"; "5.000" -> "5". */
export function trimDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const t = text.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}

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

/** Exact difference a - b of two decimal strings. */
export function subtract(a: string, b: string, scale = 12): string {
  return fromScaled(toScaled(a, scale) - toScaled(b, scale), scale);
}

/** a × num ÷ den for a decimal string, at `scale` decimals, rounded half away from zero (BigInt, no float). */
export function mulDiv(a: string, num: number, den: number, scale = 12): string {
  if (!Number.isInteger(num) || !Number.isInteger(den) || den <= 0) throw new Error(`mulDiv: bad ratio ${num}/${den}`);
  const n = toScaled(a, scale) * BigInt(num);
  const d = BigInt(den);
  const neg = n < 0n;
  const abs = neg ? -n : n;
  let q = abs / d;
  if ((abs % d) * 2n >= d) q += 1n;
  return fromScaled(neg ? -q : q, scale);
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
