/**
 * Exact money conversion for Anthropic's minor-unit amounts, with no floating
 * point anywhere: the decimal point of the string is moved, digit by digit.
 *
 * cost_report `amount` is "Cost amount in lowest currency units (e.g. cents) as a
 * decimal string. For example, "123.45" in "USD" represents $1.23."
 * (shared/specs/anthropic-admin-usage-cost.openapi.json, BetaCostReportItem.amount).
 * usage_report/claude_code `estimated_cost.amount` is integer cents.
 */
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/;

/**
 * Move the decimal point of a decimal string `places` to the left, exactly.
 * The result is normalised: no leading zeros before the point (but one), no
 * trailing zeros after it, no point when there is no fraction, no sign on zero.
 * Throws on anything that is not a plain decimal (exponents, spaces, empty).
 */
export function shiftDecimalLeft(text: string, places: number): string {
  if (!Number.isInteger(places) || places < 0) throw new RangeError(`places must be a non-negative integer, got ${places}`);
  const m = DECIMAL.exec(text);
  const intPart = m?.[2] ?? '';
  const fracPart = m?.[3] ?? '';
  if (!m || intPart.length + fracPart.length === 0) throw new Error(`not a decimal amount: ${JSON.stringify(text)}`);
  const digits = intPart + fracPart;
  // The point sits `point` digits from the left once moved; pad with zeros when it would fall before the first digit.
  const point = intPart.length - places;
  const padded = point > 0 ? digits : '0'.repeat(1 - point) + digits;
  const at = Math.max(point, 1);
  const whole = padded.slice(0, at).replace(/^0+(?=\d)/, '');
  const fraction = padded.slice(at).replace(/0+$/, '');
  const unsigned = fraction ? `${whole}.${fraction}` : whole;
  const zero = /^0(\.0*)?$/.test(unsigned);
  return m[1] === '-' && !zero ? `-${unsigned}` : unsigned;
}

/** Cents (a decimal string, or an integer) to an exact USD decimal string: "123.78912" -> "1.2378912". */
export function centsToUsd(cents: string | number): string {
  if (typeof cents === 'number') {
    if (!Number.isSafeInteger(cents)) throw new Error(`cents must be a safe integer, got ${cents}`);
    return shiftDecimalLeft(String(cents), 2);
  }
  return shiftDecimalLeft(cents, 2);
}
