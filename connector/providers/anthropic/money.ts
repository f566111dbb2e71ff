import { shiftDecimalLeft } from '../../decimal.js';

/**
 * Exact money conversion for Anthropic's minor-unit amounts, with no floating
 * point anywhere: the decimal point of the string is moved (../../decimal.ts).
 *
 * cost_report `amount` is "Cost amount in lowest currency units (e.g. cents) as a
 * decimal string. For example, "123.45" in "USD" represents $1.23."
 * (shared/specs/anthropic-admin-usage-cost.openapi.json, BetaCostReportItem.amount).
 * usage_report/claude_code `estimated_cost.amount` is integer cents.
 *
 * Cents (a decimal string, or an integer) to an exact USD decimal string: "123.78912" -> "1.2378912".
 */
export function centsToUsd(cents: string | number): string {
  if (typeof cents === 'number') {
    if (!Number.isSafeInteger(cents)) throw new Error(`cents must be a safe integer, got ${cents}`);
    return shiftDecimalLeft(String(cents), 2);
  }
  return shiftDecimalLeft(cents, 2);
}
