import { testWindowReader } from '../support/window-reader.js';
import { describe, expect, it } from 'vitest';
import type { UnitRecords } from '../../connector/engine/fetch/buckets.js';
import { encodedRows } from '../../connector/engine/decode/decode.js';
import { ConnectorError } from '../../connector/engine/errors.js';
import { responseFailure } from '../../connector/engine/fetch/responses.js';
import type { HttpError } from '../../connector/http/errors.js';
import { MESSAGES_MAX_GROUP_BY } from '../../connector/providers/anthropic/api.js';
import { claudeCodeStream } from '../../connector/providers/anthropic/claude-code.js';
import { AnthropicConfigSchema } from '../../connector/providers/anthropic/config.js';
import { shiftDecimalLeft } from '../../connector/decimal.js';
import { centsToUsd } from '../../connector/providers/anthropic/money.js';
import { costRecord, messagesRecord, USAGE_MESSAGES, usageMessagesStream } from '../../connector/providers/anthropic/reports.js';
import { rng } from '../fake/random.js';
import { responseError } from '../support/responses.js';

const DAY = 86_400;
const bucket = { start: Date.UTC(2025, 8, 1) / 1000, end: Date.UTC(2025, 8, 2) / 1000, results: [] };

/** An independent exact check: a decimal string as a (BigInt numerator, power-of-ten scale) pair. */
function rational(text: string): { n: bigint; scale: number } {
  const [whole = '', frac = ''] = text.replace(/^[+-]/, '').split('.');
  const n = BigInt(`${whole || '0'}${frac}`) * (text.startsWith('-') ? -1n : 1n);
  return { n, scale: frac.length };
}
const same = (a: { n: bigint; scale: number }, b: { n: bigint; scale: number }): boolean => a.n * 10n ** BigInt(b.scale) === b.n * 10n ** BigInt(a.scale);

describe('cents to USD, exactly', () => {
  it.each([
    ['123.78912', '1.2378912'],
    ['0.1', '0.001'],
    ['1500', '15'],
    ['-5', '-0.05'],
    ['0', '0'],
    ['100', '1'],
    ['12345', '123.45'],
    ['123.45', '1.2345'],
    ['1500.50', '15.005'],
    ['007', '0.07'],
    ['-0.00', '0'],
    ['.5', '0.005'],
    ['+42', '0.42'],
    ['99999999999999999999.99999', '999999999999999999.9999999'],
  ])('given the cents string %s when converted then the USD string is exactly %s', (cents, usd) => {
    expect(centsToUsd(cents)).toBe(usd);
  });

  it('given integer cents when converted then the USD string is exact (claude_code estimated_cost)', () => {
    expect(centsToUsd(186)).toBe('1.86');
    expect(centsToUsd(42)).toBe('0.42');
    expect(centsToUsd(0)).toBe('0');
    expect(centsToUsd(-7)).toBe('-0.07');
    expect(() => centsToUsd(1.5)).toThrow();
  });

  it.each(['', '-', '.', '1e3', 'abc', '1,5', ' 1', '1 ', '0x10', 'NaN', '1.2.3'])('given the malformed amount %j when converted then it throws', (bad) => {
    expect(() => centsToUsd(bad)).toThrow(/not a decimal amount/);
  });

  it('given 2,000 random decimal strings when converted then each result equals the input divided by 100, in canonical form', () => {
    const rand = rng(7);
    for (let i = 0; i < 2_000; i++) {
      const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');
      const text = `${rand() < 0.2 ? '-' : ''}${digits(1 + Math.floor(rand() * 12))}${rand() < 0.6 ? `.${digits(1 + Math.floor(rand() * 8))}` : ''}`;
      const usd = centsToUsd(text);
      const input = rational(text);
      expect(same(rational(usd), { n: input.n, scale: input.scale + 2 }), `${text} -> ${usd}`).toBe(true);
      expect(usd).toMatch(/^-?(0|[1-9]\d*)(\.\d*[1-9])?$/);
      expect(usd === '-0').toBe(false);
    }
  });

  it('given a shift of zero places when applied then the number is only normalised', () => {
    expect(shiftDecimalLeft('0012.3400', 0)).toBe('12.34');
    expect(() => shiftDecimalLeft('1', -1)).toThrow(RangeError);
  });
});

describe('Anthropic records', () => {
  const cost = (extra: Record<string, unknown>) => ({
    currency: 'USD',
    amount: '0.1',
    workspace_id: null,
    description: null,
    cost_type: null,
    context_window: null,
    model: null,
    service_tier: null,
    token_type: null,
    inference_geo: null,
    ...extra,
  });

  it('given a null workspace (the default one) and a workspace named "null" when keyed then the ids differ and both keep their value', () => {
    const a = costRecord(bucket, cost({ workspace_id: null }));
    const b = costRecord(bucket, cost({ workspace_id: 'null' }));
    expect(a.workspace_id).toBeNull();
    expect(b.workspace_id).toBe('null');
    expect(a.id).not.toBe(b.id);
    expect(a).toMatchObject({
      amount_cents: '0.1',
      amount_usd: '0.001',
      starting_at: '2025-09-01T00:00:00Z',
      ending_at: '2025-09-02T00:00:00Z',
      date: '2025-09-01',
    });
  });

  it('given a cost amount sent as a number when mapped then it is refused (a float would lose cents)', () => {
    expect(() => costRecord(bucket, cost({ amount: 0.1 }))).toThrow(/amount/);
  });

  it('given usage without cache_creation and server_tool_use when mapped then those columns are null, and zeros stay zeros', () => {
    const base = {
      uncached_input_tokens: 5,
      cache_read_input_tokens: 0,
      output_tokens: 7,
      api_key_id: null,
      workspace_id: null,
      account_id: null,
      service_account_id: null,
      model: 'm',
      service_tier: null,
      context_window: null,
      inference_geo: null,
    };
    const absent = messagesRecord(bucket, base);
    expect(absent).toMatchObject({
      cache_creation_ephemeral_1h_input_tokens: null,
      cache_creation_ephemeral_5m_input_tokens: null,
      server_tool_use_web_search_requests: null,
      cache_read_input_tokens: 0,
    });
    const present = messagesRecord(bucket, {
      ...base,
      cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 3 },
      server_tool_use: { web_search_requests: 0 },
    });
    expect(present).toMatchObject({
      cache_creation_ephemeral_1h_input_tokens: 0,
      cache_creation_ephemeral_5m_input_tokens: 3,
      server_tool_use_web_search_requests: 0,
    });
    expect(present.id).toBe(absent.id);
  });

  it('given a config with group_by speed (beta-gated) when parsed then it is refused', () => {
    const r = AnthropicConfigSchema.safeParse({ admin_api_key: 'k', start_date: '2025-01-01', group_by: { usage_messages: ['speed'] } });
    expect(r.success).toBe(false);
  });
});

describe('usage_messages grouping within the API cap of 5 group_by[] values', () => {
  const parse = (usage_messages: string[]) => AnthropicConfigSchema.safeParse({ admin_api_key: 'k', start_date: '2025-01-01', group_by: { usage_messages } });
  const planOf = (usage_messages?: string[]) =>
    usageMessagesStream.plan(
      AnthropicConfigSchema.parse({ admin_api_key: 'k', start_date: '2025-01-01', ...(usage_messages ? { group_by: { usage_messages } } : {}) }),
    );
  const http400 = (body: string) => responseError(400, body, '/v1/organizations/usage_report/messages?...');

  it('given no group_by when planned then the five cost-allocation dimensions are sent, within the cap', () => {
    expect(USAGE_MESSAGES.defaultGroupBy).toEqual(['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window']);
    expect(MESSAGES_MAX_GROUP_BY).toBe(5);
    expect(
      planOf()
        .params.filter(([k]) => k === 'group_by[]')
        .map(([, v]) => v),
    ).toEqual([...USAGE_MESSAGES.defaultGroupBy]);
  });

  it('given 5 dimensions when parsed then accepted; given 6 then refused naming the limit and the field', () => {
    expect(parse(['api_key_id', 'workspace_id', 'account_id', 'service_account_id', 'inference_geo']).success).toBe(true);
    const six = parse(['api_key_id', 'workspace_id', 'account_id', 'service_account_id', 'inference_geo', 'model']);
    expect(six.success).toBe(false);
    expect(six.error?.issues[0]?.path).toEqual(['group_by', 'usage_messages']);
    expect(six.error?.issues[0]?.message).toMatch(/^lists 6 dimensions but Anthropic takes at most 5 group_by\[\] values; keep at most 5 of /);
  });

  it('given a 400 about group_by[] when classified then it is a config_error quoting Anthropic; any other 400 or body is left to the engine', () => {
    const plan = planOf(['model']);
    const window = { start: 0, end: 86_400 };
    const refusal = (e: HttpError) => responseFailure(plan.responses, e, window);
    const capped = refusal(
      http400('{"type":"error","error":{"type":"invalid_request_error","message":"Cannot specify more than 3 group_by[] dimensions."},"request_id":"req_1"}'),
    );
    expect(capped).toBeInstanceOf(ConnectorError);
    expect((capped as ConnectorError).failureType).toBe('config_error');
    expect(capped?.message).toBe(
      'Anthropic refused the grouping of usage_messages (model): "Cannot specify more than 3 group_by[] dimensions." (request_id req_1); set group_by.usage_messages in the config to at most 3 of api_key_id, workspace_id, account_id, service_account_id, model, service_tier, context_window, inference_geo.',
    );
    const value = refusal(http400('{"type":"error","error":{"type":"invalid_request_error","message":"group_by[]: Input should be ... got \'model\'"}}'));
    expect(value?.message).toMatch(/; set group_by\.usage_messages in the config to fewer of api_key_id, /);
    expect(
      refusal(http400('{"type":"error","error":{"type":"invalid_request_error","message":"limit: Input should be between 1 and 31, got 32"}}')),
    ).toBeUndefined();
    expect(refusal(http400('<html>Bad Request</html>'))).toBeUndefined();
    expect(refusal(responseError(500, '{"type":"error","error":{"type":"api_error","message":"group_by failed"}}'))).toBeUndefined();
  });
});

describe('claude_code days through the engine (records paginated in one bucket)', () => {
  const plan = claudeCodeStream.plan(AnthropicConfigSchema.parse({ admin_api_key: 'k', start_date: '2025-01-01' }));
  const record = (email: string) => ({
    date: '2025-09-01T00:00:00Z',
    actor: { type: 'user_actor', email_address: email },
    organization_id: 'org',
    customer_type: 'api',
    subscription_type: null,
    terminal_type: 'vscode',
    is_remote: false,
    core_metrics: { num_sessions: 1, lines_of_code: { added: 1, removed: 0 }, commits_by_claude_code: 0, pull_requests_by_claude_code: 0 },
    tool_actions: {},
    model_breakdown: [],
  });
  const reader = (pages: unknown[]) => {
    const queries: string[][] = [];
    const fetch = async (url: string) => {
      queries.push([...new URL(url).searchParams].map(([k, v]) => `${k}=${v}`));
      return new Response(JSON.stringify(pages[queries.length - 1]), { status: 200 });
    };
    const r = testWindowReader(plan, { fetch, stream: 'usage_claude_code' });
    return { r, queries };
  };
  const rowsOf = (u: UnitRecords) => u.batches.flatMap((b) => encodedRows(b).rows);

  it('given a day without any record when read then the bucket is empty, not missing', async () => {
    const { r, queries } = reader([{ data: [], has_more: false, next_page: null }]);
    await expect(r.read({ start: bucket.start, end: bucket.start + DAY }).then(rowsOf)).resolves.toEqual([]);
    expect(queries).toEqual([['starting_at=2025-09-01', 'limit=1000']]);
  });

  it('given a day whose records span two pages when read then every record is kept and the cursor is followed with the same query', async () => {
    const { r, queries } = reader([
      { data: [record('a@x'), record('b@x')], has_more: true, next_page: 'page_1' },
      { data: [record('c@x')], has_more: false, next_page: null },
    ]);
    const rows = rowsOf(await r.read({ start: bucket.start, end: bucket.start + DAY }));
    expect(rows.map((x) => x.actor_email_address)).toEqual(['a@x', 'b@x', 'c@x']);
    expect(queries[1]).toEqual(['starting_at=2025-09-01', 'limit=1000', 'page=page_1']);
  });

  it('given a records cursor that comes back when read then the shared loop guard fails the window as a pagination loop after two requests', async () => {
    const { r, queries } = reader([
      { data: [record('a@x')], has_more: true, next_page: 'page_1' },
      { data: [record('b@x')], has_more: true, next_page: 'page_1' },
    ]);
    await expect(r.read({ start: bucket.start, end: bucket.start + DAY })).rejects.toThrow(
      '/v1/organizations/usage_report/claude_code: pagination loop in window [2025-09-01T00:00:00Z, 2025-09-02T00:00:00Z) (cursor repeated).',
    );
    expect(queries).toHaveLength(2);
  });

  it('given the same record on two pages of one day when read then the duplicate key is refused across pages, as within one', async () => {
    const { r } = reader([
      { data: [record('a@x')], has_more: true, next_page: 'page_1' },
      { data: [record('a@x')], has_more: false, next_page: null },
    ]);
    await expect(r.read({ start: bucket.start, end: bucket.start + DAY })).rejects.toThrow(
      /two results with the same dimensions in bucket 2025-09-01T00:00:00Z .*refusing to emit a duplicate key/,
    );
  });

  it('given records of another day in the page when read then the read fails loudly', async () => {
    const { r } = reader([{ data: [record('a@x'), { ...record('b@x'), date: '2025-09-02T00:00:00Z' }], has_more: false, next_page: null }]);
    await expect(r.read({ start: bucket.start, end: bucket.start + DAY })).rejects.toThrow(/span 2 days/);
  });
});
