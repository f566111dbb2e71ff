/**
 * Exact decimals as strings, for money and quantities: no floating point anywhere (the digits are
 * moved as text, the arithmetic is BigInt). The one place of them for the engine (the FOCUS
 * mapping), the providers (cents to dollars, rates) and the warehouse (DuckDB's DECIMAL sums).
 *
 * Two grammars: a plain decimal (`-?\d+(\.\d+)?`, what the connector writes and the FOCUS mapping
 * takes) and an amount as an API or DuckDB may send it (a sign `+` or `-`, digits maybe on one
 * side of the point only: "+42", ".5", "5."). Neither takes an exponent ("0E-6176", "1e3"),
 * spaces inside, or anything else; JSON numbers come in through numberToDecimal.
 */

/** A decimal as its sign and its digits before and after the point (each maybe empty, not both). */
interface Parts {
  negative: boolean;
  int: string;
  frac: string;
}

const PLAIN = /^-?\d+(\.\d+)?$/;
const AMOUNT = /^([+-]?)(\d*)(?:\.(\d*))?$/;
const EXPONENT = /^(-?)(\d+)(?:\.(\d+))?e([+-]?\d+)$/i;

/** The parts of an amount (AMOUNT); null for anything else. */
function parts(text: string): Parts | null {
  const m = AMOUNT.exec(text);
  const int = m?.[2] ?? '';
  const frac = m?.[3] ?? '';
  if (!m || int.length + frac.length === 0) return null;
  return { negative: m[1] === '-', int, frac };
}

function amountParts(text: string): Parts {
  const p = parts(text);
  if (!p) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  return p;
}

function plainParts(text: string): Parts {
  if (!PLAIN.test(text)) throw new Error(`not a plain decimal: ${JSON.stringify(text)}`);
  return amountParts(text);
}

/**
 * The canonical text of a decimal: no leading zeros before the point (but one), no trailing zeros
 * after it, no point without a fraction, no sign on zero.
 */
function canonical(negative: boolean, int: string, frac: string): string {
  const whole = int.replace(/^0+(?=\d)/, '') || '0';
  const fraction = frac.replace(/0+$/, '');
  const body = fraction ? `${whole}.${fraction}` : whole;
  return negative && !/^0(\.0*)?$/.test(body) ? `-${body}` : body;
}

/** A plain decimal string with no redundant zeros ("001.2300" -> "1.23", "-0.0" -> "0"); throws on anything else. */
export function normalizeDecimal(text: string): string {
  const p = plainParts(text);
  return canonical(p.negative, p.int, p.frac);
}

/**
 * The decimal a JSON number was sent as: JavaScript's shortest round-trip form, with an exponent
 * (1.2e-7) written out by moving the point in the digit string. No float arithmetic: the digits
 * are the number's own.
 */
export function numberToDecimal(n: number): string {
  if (!Number.isFinite(n)) throw new Error(`not a finite amount: ${n}`);
  const text = String(n);
  const m = EXPONENT.exec(text);
  if (!m) return normalizeDecimal(text);
  const [, sign = '', int = '', frac = '', exp = '0'] = m;
  return shiftDigits(sign === '-', int + frac, int.length + Number(exp));
}

/** The canonical decimal of `digits` with the point `point` digits from their left (before them when negative, after them past the end). */
function shiftDigits(negative: boolean, digits: string, point: number): string {
  if (point <= 0) return canonical(negative, '0', '0'.repeat(-point) + digits);
  if (point >= digits.length) return canonical(negative, digits + '0'.repeat(point - digits.length), '');
  return canonical(negative, digits.slice(0, point), digits.slice(point));
}

/**
 * Move the decimal point of an amount `places` to the left, exactly ("123.45" cents, 2 -> "1.2345"),
 * the result canonical. Throws on anything that is not an amount (exponents, spaces, empty).
 */
export function shiftDecimalLeft(text: string, places: number): string {
  if (!Number.isInteger(places) || places < 0) throw new RangeError(`places must be a non-negative integer, got ${places}`);
  const p = amountParts(text);
  return shiftDigits(p.negative, p.int + p.frac, p.int.length - places);
}

/** A plain decimal as a scaled integer: its digits and the count of them after the point. */
function scaled(text: string): { v: bigint; scale: number } {
  const p = plainParts(text);
  const v = BigInt(p.int + p.frac);
  return { v: p.negative ? -v : v, scale: p.frac.length };
}

/** A scaled integer back to its canonical decimal. */
function unscaled(v: bigint, scale: number): string {
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  return canonical(negative, digits.slice(0, digits.length - scale), digits.slice(digits.length - scale));
}

/** The two at one scale, the larger of theirs. */
function aligned(a: string, b: string): { x: bigint; y: bigint; scale: number } {
  const x = scaled(a);
  const y = scaled(b);
  const scale = Math.max(x.scale, y.scale);
  return { x: x.v * 10n ** BigInt(scale - x.scale), y: y.v * 10n ** BigInt(scale - y.scale), scale };
}

/** a + b of plain decimals, exactly. */
export function addDecimal(a: string, b: string): string {
  const { x, y, scale } = aligned(a, b);
  return unscaled(x + y, scale);
}

/** a × b of plain decimals, exactly (the scales add up). */
export function multiplyDecimal(a: string, b: string): string {
  const x = scaled(a);
  const y = scaled(b);
  return unscaled(x.v * y.v, x.scale + y.scale);
}

/** -1, 0 or 1 as a is less than, equal to or greater than b (plain decimals; "1.50" equals "1.5"). */
export function compareDecimal(a: string, b: string): -1 | 0 | 1 {
  const { x, y } = aligned(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * An amount (spaces around it allowed: DuckDB's text) as a scaled integer at `scale` decimals,
 * rounded half away from zero: "12.345", 2 -> 1235n.
 */
export function toScaled(text: string, scale: number): bigint {
  const p = parts(text.trim());
  if (!p || text.trim().startsWith('+')) throw new Error(`not a decimal: ${JSON.stringify(text)}`);
  const kept = (p.frac + '0'.repeat(scale)).slice(0, scale);
  let v = BigInt((p.int || '0') + kept);
  const next = p.frac.length > scale ? p.frac.charCodeAt(scale) - 48 : 0;
  if (next >= 5) v += 1n;
  return p.negative ? -v : v;
}

/** A scaled integer back to a decimal string with exactly `scale` decimals (not canonical: "5.000"). */
export function fromScaled(v: bigint, scale: number): string {
  const negative = v < 0n;
  const digits = (negative ? -v : v).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = digits.slice(digits.length - scale);
  return `${negative ? '-' : ''}${int}${scale > 0 ? `.${frac}` : ''}`;
}

/** a × num ÷ den for a decimal string, at `scale` decimals, rounded half away from zero (fromScaled's form). */
export function mulDiv(a: string, num: number, den: number, scale = 12): string {
  if (!Number.isInteger(num) || !Number.isInteger(den) || den <= 0) throw new Error(`mulDiv: bad ratio ${num}/${den}`);
  const n = toScaled(a, scale) * BigInt(num);
  const d = BigInt(den);
  const negative = n < 0n;
  const abs = negative ? -n : n;
  let q = abs / d;
  if ((abs % d) * 2n >= d) q += 1n;
  return fromScaled(negative ? -q : q, scale);
}

/**
 * Trailing zeros of a decimal's fraction off, as the warehouse shows DuckDB's DECIMAL text:
 * "1234.567800000" -> "1234.5678", "5.000" -> "5", "-0.000" -> "0". Text without a point (an
 * integer, an empty cell) is left as it is; nothing is checked (normalizeDecimal checks).
 */
export function trimDecimal(text: string): string {
  if (!text.includes('.')) return text;
  const t = text.replace(/0+$/, '').replace(/\.$/, '');
  return t === '-0' ? '0' : t;
}
