import { describe, expect, it } from 'vitest';
import { centsToUnits, type TOKEN_TYPES, tokenPrice, unitsToUsd } from '../fake/anthropic-ledger.js';
import { FakeAnthropic } from '../fake/anthropic.js';

/**
 * The Anthropic fake's one ledger (test/fake/anthropic-ledger.ts), checked on its own: the ground
 * truth the e2e tests compare the connector with must itself agree across endpoints, or a test
 * comparing two money tables could pass on two wrong numbers.
 */
const DAY = 86_400;
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 40;
const fake = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: 'k' });
const { org } = fake;
const data = fake.analytics.data;
const days = Array.from({ length: DAYS }, (_, i) => FIRST + i * DAY);
const cents = (rows: Array<Record<string, unknown>>, pick: (r: Record<string, unknown>) => unknown): bigint =>
  rows.reduce((s, r) => s + centsToUnits(String(pick(r))), 0n);

describe('the fake Anthropic ledger', () => {
  it('given every day when the money endpoints are summed then cost_report, analytics_cost (any grouping, any width) and the ledger agree exactly, credits included', () => {
    let credits = 0;
    for (const day of days) {
      const truth = org.ledger.dayTotal(day);
      expect(cents(org.costResults(day, ['workspace_id', 'description']), (r) => r.amount)).toBe(truth.amount);
      expect(cents(org.costResults(day, []), (r) => r.amount)).toBe(truth.amount);
      for (const groupBy of [
        ['workspace_id', 'api_key_id', 'actor', 'model'],
        ['workspace_id', 'api_key_id', 'actor', 'model', 'token_type'],
        ['cost_type'],
        [],
      ]) {
        const rows = data.rows('cost', { start: day, end: day + DAY, width: '1d', groupBy });
        expect(cents(rows, (r) => (r.cost as Record<string, unknown>).amount)).toBe(truth.amount);
        expect(cents(rows, (r) => (r.cost as Record<string, unknown>).list_amount)).toBe(truth.list);
      }
      const hourly = data.rows('cost', { start: day, end: day + DAY, width: '1h', groupBy: ['model'] });
      expect(cents(hourly, (r) => (r.cost as Record<string, unknown>).amount)).toBe(truth.amount);
      if (org.ledger.eventsOn(day).some((e) => e.costs.some((c) => c[3] < 0n))) credits += 1;
    }
    expect(credits).toBeGreaterThan(3);
    // Credits show as negative rows (analytics: the unattributed row of the day; cost report: where they outweigh the line's charges).
    const negative = (rows: Array<Record<string, unknown>>, pick: (r: Record<string, unknown>) => unknown) =>
      rows.filter((r) => String(pick(r)).startsWith('-')).length;
    expect(
      days.reduce(
        (n, d) =>
          n +
          negative(
            data.rows('cost', { start: d, end: d + DAY, width: '1d', groupBy: ['workspace_id', 'api_key_id', 'actor', 'model'] }),
            (r) => (r.cost as Record<string, unknown>).amount,
          ),
        0,
      ),
    ).toBeGreaterThan(0);
    expect(days.reduce((n, d) => n + negative(org.costResults(d, ['workspace_id', 'description']), (r) => r.amount), 0)).toBeGreaterThan(0);
    // dailyTotals: each day with charges, its amount in dollars.
    expect(org.ledger.dailyTotals(FIRST, FIRST + DAYS * DAY).map((d) => d.amountUsd)).toEqual(
      days.filter((d) => org.ledger.eventsOn(d).length > 0).map((d) => unitsToUsd(org.ledger.dayTotal(d).amount)),
    );
  });

  it('given every day when the usage endpoints are summed then usage_report/messages and analytics_usage hold the same tokens, and every token charge is tokens x list price less its discount', () => {
    for (const day of days) {
      const messages = org.usageResults(day, '1d', []);
      const analytics = data.rows('usage', { start: day, end: day + DAY, width: '1d', groupBy: [] });
      const m = (k: string): number => messages.reduce((s, r) => s + Number(r[k] ?? 0), 0);
      const a = (k: string): number => analytics.reduce((s, r) => s + Number((r.usage as Record<string, unknown>)[k] ?? 0), 0);
      expect(m('uncached_input_tokens')).toBe(a('uncached_input_tokens'));
      expect(m('cache_read_input_tokens')).toBe(a('cache_read_input_tokens'));
      expect(m('output_tokens')).toBe(a('output_tokens'));
      for (const e of org.ledger.eventsOn(day)) {
        for (const [costType, tokenType, list, amount] of e.costs) {
          if (costType !== 'tokens') continue;
          const t = tokenType as (typeof TOKEN_TYPES)[number];
          expect(list).toBe(BigInt(e.tokens[t]) * tokenPrice(String(e.dims.model), String(e.dims.service_tier), String(e.dims.context_window), e.geo, t));
          expect(amount).toBe(list - (list * e.discount) / 100n);
        }
      }
    }
  });

  it('given the cost report when read then amounts have up to 9 decimals of a cent, and the planted spec amounts are lines of their own', () => {
    const all = days.flatMap((d) => org.costResults(d, ['workspace_id', 'description']));
    expect(all.some((r) => /\.\d{6,9}$/.test(String(r.amount)))).toBe(true);
    expect(all.every((r) => /^-?\d+(\.\d{1,9})?$/.test(String(r.amount)))).toBe(true);
    for (const [i, planted] of ['123.78912', '0.1', '1500'].entries()) {
      expect(org.costResults(FIRST + i * DAY, ['workspace_id', 'description']).filter((r) => r.amount === planted)).toHaveLength(1);
    }
  });
});
