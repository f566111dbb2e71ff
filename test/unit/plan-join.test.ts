import { testWindowReader } from '../support/window-reader.js';
import { describe, expect, it } from 'vitest';
import { encodedRows } from '../../connector/engine/decode/decode.js';
import { AnthropicConfigSchema } from '../../connector/providers/anthropic/config.js';
import { anthropicSpendStream } from '../../connector/providers/anthropic/spend.js';

/**
 * The engine's join (BucketPlan.join): the companion report of a window is read whole first and
 * its records, by bucket, are handed to the mapping of the window's own records. Exercised with
 * the Anthropic spend plan on analytics days (companion: analytics usage).
 */
const DAY = 86_400;
const D1 = Date.UTC(2026, 10, 3) / 1000;
const W = { start: D1, end: D1 + 2 * DAY };
const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const user = { type: 'user_actor', user_id: 'user_01A' };
const group = { workspace_id: 'wrkspc_1', api_key_id: 'apikey_1', actor: user, model: 'claude-haiku-4-5' };
const cost = (day: number, tokenType: string, amount: string) => ({
  starting_at: iso(day),
  ending_at: iso(day + DAY),
  group: { ...group, token_type: tokenType },
  cost: { amount, currency: 'USD', list_amount: amount, requests: null },
});
const usage = (day: number, output: number) => ({
  starting_at: iso(day),
  ending_at: iso(day + DAY),
  group,
  usage: {
    uncached_input_tokens: 3,
    cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
    cache_read_input_tokens: 0,
    output_tokens: output,
    server_tool_use: { web_search_requests: 0 },
    requests: 1,
    total_tokens: output + 3,
  },
});
const page = (data: unknown[]) => ({ status: 200, body: { data, has_more: false, next_page: null } });

function reader(reply: (path: string) => { status: number; body: unknown }) {
  const paths: string[] = [];
  const fetch = async (url: string) => {
    const path = new URL(url).pathname;
    paths.push(path);
    const r = reply(path);
    return new Response(JSON.stringify(r.body), { status: r.status });
  };
  const config = AnthropicConfigSchema.parse({ admin_api_key: 'k', start_date: '2026-01-01', focus: { anthropic_source: 'analytics' } });
  const plan = anthropicSpendStream.plan(config);
  const r = testWindowReader(plan, { fetch, stream: 'spend', maxRetries: 0 });
  return { r, paths, plan };
}

describe('BucketPlan.join (engine/fetch/buckets.ts)', () => {
  it('given a plan with a join when a window is read then the companion is read first and each bucket’s rows are mapped with that bucket’s companion records only', async () => {
    const { r, paths, plan } = reader((path) =>
      path.endsWith('/usage')
        ? page([usage(D1 + DAY, 2_000_000), usage(D1, 1_500_000)])
        : page([cost(D1, 'output_tokens', '750'), cost(D1 + DAY, 'output_tokens', '1000'), cost(D1 + DAY, 'uncached_input_tokens', '0.0003')]),
    );
    expect(plan.join?.plan.path).toBe('/v1/organizations/analytics/usage');
    const rows = (await r.read(W)).batches.flatMap((b) => encodedRows(b).rows);
    expect(paths).toEqual(['/v1/organizations/analytics/usage', '/v1/organizations/analytics/cost']);
    // Only the window's own (cost) records come out, each with its own day's count.
    expect(rows.map((x) => [x.ChargePeriodStart, x.x_TokenType, x.ConsumedQuantity, x.PricingQuantity, x.ListUnitPrice, x.ListCost])).toEqual([
      [iso(D1), 'output_tokens', '1500000', '1.5', '5', '7.5'],
      [iso(D1 + DAY), 'output_tokens', '2000000', '2', '5', '10'],
      [iso(D1 + DAY), 'uncached_input_tokens', '3', '0.000003', '1', '0.000003'],
    ]);
  });

  it('given a day with no companion record when its rows are mapped then they have no quantity, and the other day keeps its own', async () => {
    const { r } = reader((path) =>
      path.endsWith('/usage') ? page([usage(D1 + DAY, 2_000_000)]) : page([cost(D1, 'output_tokens', '750'), cost(D1 + DAY, 'output_tokens', '1000')]),
    );
    const rows = (await r.read(W)).batches.flatMap((b) => encodedRows(b).rows);
    expect(rows.map((x) => [x.ConsumedQuantity, x.ListCost])).toEqual([
      [null, '7.5'],
      ['2000000', '10'],
    ]);
  });

  it('given the companion read fails when a window is read then the window fails and its own report is not requested', async () => {
    const { r, paths } = reader((path) =>
      path.endsWith('/usage') ? { status: 400, body: { type: 'error', error: { type: 'invalid_request_error', message: 'refused' } } } : page([]),
    );
    await expect(r.read(W)).rejects.toThrow(/refused/);
    expect(paths).toEqual(['/v1/organizations/analytics/usage']);
  });
});
