import { describe, expect, it } from 'vitest';
import { XaiConfigSchema } from '../../connector/providers/xai/config.js';
import { commonConfig } from '../../connector/engine/config.js';
import { xaiUsageApi } from '../../connector/providers/xai/api.js';
import { invoicesSince } from '../../connector/providers/xai/entities.js';
import { modelOf } from '../../connector/providers/xai/spend.js';

describe('xAI config and small mappings', () => {
  it('given a config without team_id when parsed then it is refused with a message naming team_id', () => {
    const r = XaiConfigSchema.safeParse({ management_key: 'mgmt-x', start_date: '2026-01-01' });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join()).toMatch(/'team_id' is required/);
  });

  it('given a config with the key and team when parsed then base_url defaults to the management host and the FOCUS defaults apply', () => {
    const c = XaiConfigSchema.parse({ management_key: 'mgmt-x', team_id: 't-1' });
    expect(c.base_url).toBe('https://management-api.x.ai');
    expect(c.focus.billing_period_start_day).toBe(1);
  });

  it('given a start date when invoices are asked for then since.year and since.month are its month; without one, the month of the default history start by the run clock', () => {
    const now = Date.UTC(2026, 11, 5);
    const since = (start_date: string | undefined) => invoicesSince(commonConfig({ start_date, lookback_days: 0 }, now).start);
    expect(since('2026-03-31')).toEqual([
      ['since.year', '2026'],
      ['since.month', '3'],
    ]);
    expect(since(undefined)).toEqual([
      ['since.year', '2025'],
      ['since.month', '12'],
    ]);
  });

  it('given billing lines when their model is looked for then the grok word is the model, and a line without one has none', () => {
    expect(modelOf('Chat grok-4-0709')).toBe('grok-4-0709');
    expect(modelOf('grok-voice-think-fast-2.0')).toBe('grok-voice-think-fast-2.0');
    expect(modelOf('Search')).toBeNull();
    expect(modelOf(null)).toBeNull();
  });
});

describe('what an xAI usage answer must be', () => {
  it('given an empty answer (proto3 omits an empty timeSeries) when parsed then it is a page with no buckets', () => {
    const r = xaiUsageApi.page.safeParse({});
    expect(r.success).toBe(true);
    expect(r.data?.buckets).toEqual([]);
  });

  it('given a 200 whose body is an error envelope, with no timeSeries, when parsed then it is refused, never read as a day with no usage', () => {
    const r = xaiUsageApi.page.safeParse({ code: 3, message: 'invalid argument', details: [] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.message).join()).toBe('no timeSeries, but "code", "message", "details": not a usage answer');
  });
});
