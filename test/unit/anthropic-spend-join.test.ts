import { describe, expect, it } from 'vitest';
import { analyticsCount, costReportCount } from '../../connector/providers/anthropic/spend-join.js';

/**
 * The join of spend's cost rows with the usage APIs' token counts (connector/providers/anthropic/
 * spend-join.ts): exact or nothing.
 */
const messages = (o: Record<string, unknown>): Record<string, unknown> => ({
  workspace_id: 'wrkspc_a',
  model: 'claude-sonnet-5',
  service_tier: 'standard',
  context_window: '0-200k',
  inference_geo: 'global',
  uncached_input_tokens: 100,
  cache_creation_ephemeral_1h_input_tokens: 11,
  cache_creation_ephemeral_5m_input_tokens: 12,
  cache_read_input_tokens: 13,
  output_tokens: 14,
  server_tool_use_web_search_requests: 3,
  ...o,
});
const line = (o: Record<string, unknown>): Record<string, unknown> => ({
  workspace_id: 'wrkspc_a',
  cost_type: 'tokens',
  model: 'claude-sonnet-5',
  service_tier: 'standard',
  context_window: '0-200k',
  inference_geo: 'global',
  token_type: 'output_tokens',
  ...o,
});

describe('cost_report rows joined with usage_report/messages', () => {
  const usage = [
    messages({}),
    messages({ service_tier: 'batch', output_tokens: 7, server_tool_use_web_search_requests: 4 }),
    messages({ context_window: '200k-1M', output_tokens: 9_007_199_254_740_991 }),
    messages({ inference_geo: 'us', cache_creation_ephemeral_1h_input_tokens: null }),
    messages({ workspace_id: null, output_tokens: 5, server_tool_use_web_search_requests: 1 }),
  ];

  it('given a token line when its price factors name one usage row then the count is that row’s count of its token type', () => {
    expect(costReportCount(line({}), usage)).toBe('14');
    expect(costReportCount(line({ service_tier: 'batch' }), usage)).toBe('7');
    expect(costReportCount(line({ context_window: '200k-1M' }), usage)).toBe('9007199254740991');
    expect(costReportCount(line({ token_type: 'cache_creation.ephemeral_5m_input_tokens' }), usage)).toBe('12');
    expect(costReportCount(line({ workspace_id: null }), usage)).toBe('5');
  });

  it('given a token line with no usage row of its factors when joined then there is no count, not zero', () => {
    expect(costReportCount(line({ model: 'claude-haiku-4-5' }), usage)).toBeNull();
    expect(costReportCount(line({ service_tier: 'batch', context_window: '200k-1M' }), usage)).toBeNull();
    expect(costReportCount(line({}), undefined)).toBeNull();
    expect(costReportCount(line({}), [])).toBeNull();
  });

  it('given a usage row whose count is null (the API did not report it) when joined then there is no count', () => {
    expect(costReportCount(line({ inference_geo: 'us', token_type: 'cache_creation.ephemeral_1h_input_tokens' }), usage)).toBeNull();
    expect(costReportCount(line({ inference_geo: 'us' }), usage)).toBe('14');
  });

  it('given two usage rows with the same factors when joined then the count is ambiguous: none', () => {
    expect(costReportCount(line({}), [messages({}), messages({ output_tokens: 1 })])).toBeNull();
  });

  it('given a web search line when joined then its count is the web searches of its workspace, all models, tiers and contexts', () => {
    const web = line({ cost_type: 'web_search', token_type: null, model: null, service_tier: null, context_window: null, inference_geo: null });
    expect(costReportCount(web, usage)).toBe('13');
    expect(costReportCount({ ...web, workspace_id: null }, usage)).toBe('1');
    expect(costReportCount({ ...web, workspace_id: 'wrkspc_none' }, usage)).toBeNull();
    expect(costReportCount(web, [...usage, messages({ server_tool_use_web_search_requests: null, model: 'claude-opus-5' })])).toBeNull();
  });

  it('given a code execution or unknown cost line when joined then it has no count (neither API counts it)', () => {
    expect(costReportCount(line({ cost_type: 'code_execution', token_type: null, model: null }), usage)).toBeNull();
    expect(costReportCount(line({ cost_type: 'session_usage', token_type: null }), usage)).toBeNull();
    expect(costReportCount(line({ token_type: 'thinking_tokens' }), usage)).toBeNull();
  });
});

describe('analytics_cost rows joined with analytics usage', () => {
  const actor = { type: 'user_actor', user_id: 'user_1', email: 'a@example.com' };
  const group = { workspace_id: 'wrkspc_a', api_key_id: 'apikey_1', actor, model: 'claude-opus-5' };
  const usage = [
    {
      ...group,
      uncached_input_tokens: 1,
      cache_creation_ephemeral_1h_input_tokens: 2,
      cache_creation_ephemeral_5m_input_tokens: 3,
      cache_read_input_tokens: 4,
      output_tokens: 5,
      web_search_requests: 7,
    },
    // The same id string as a service account: a different actor.
    { ...group, actor: { type: 'service_account_actor', service_account_id: 'user_1' }, output_tokens: 50, web_search_requests: 0 },
  ];
  const cost = (o: Record<string, unknown>): Record<string, unknown> => ({ ...group, token_type: 'output_tokens', list_amount_usd: '0.07', ...o });

  it('given a token row when its group has a usage row then the count is that row’s count of its token type', () => {
    expect(analyticsCount(cost({}), usage)).toEqual({ meter: 'output_tokens', count: '5' });
    expect(analyticsCount(cost({ token_type: 'cache_creation.ephemeral_1h_input_tokens' }), usage)).toEqual({
      meter: 'cache_creation.ephemeral_1h_input_tokens',
      count: '2',
    });
    expect(analyticsCount(cost({ actor: { type: 'service_account_actor', service_account_id: 'user_1' } }), usage)).toEqual({
      meter: 'output_tokens',
      count: '50',
    });
  });

  it('given a token row whose group has no usage row when joined then there is no count', () => {
    expect(analyticsCount(cost({ api_key_id: null }), usage)).toEqual({ meter: 'output_tokens', count: null });
    expect(analyticsCount(cost({ actor: null }), usage)).toEqual({ meter: 'output_tokens', count: null });
    expect(analyticsCount(cost({}), undefined)).toEqual({ meter: 'output_tokens', count: null });
  });

  it('given a row without token type whose list amount is exactly the published web-search price of its group’s searches then it is web search with that count', () => {
    expect(analyticsCount(cost({ token_type: null, list_amount_usd: '0.07' }), usage)).toEqual({ meter: 'web_search', count: '7' });
    expect(analyticsCount(cost({ token_type: null, list_amount_usd: '0.0700' }), usage)).toEqual({ meter: 'web_search', count: '7' });
  });

  it('given a row without token type whose list amount is anything else (code execution in it, a discount list, no searches) then it has no count', () => {
    expect(analyticsCount(cost({ token_type: null, list_amount_usd: '0.0701' }), usage)).toEqual({ meter: null, count: null });
    expect(analyticsCount(cost({ token_type: null, list_amount_usd: '0', actor: usage[1]?.actor }), usage)).toEqual({ meter: null, count: null });
    expect(analyticsCount(cost({ token_type: null, model: null }), usage)).toEqual({ meter: null, count: null });
  });
});
