import { testWindowReader } from '../support/window-reader.js';
import { describe, expect, it } from 'vitest';
import type { UnitRecords } from '../../connector/engine/fetch/buckets.js';
import { encodedRows } from '../../connector/engine/decode/decode.js';
import { ConnectorError } from '../../connector/engine/errors.js';
import {
  ANALYTICS_BETA,
  actorId,
  analyticsCostRecord,
  analyticsCostStream,
  analyticsFloor,
  analyticsUsageRecord,
  canonicalJson,
  SPEND_ANALYTICS_GROUP_BY,
} from '../../connector/providers/anthropic/analytics.js';
import { AnthropicConfigSchema } from '../../connector/providers/anthropic/config.js';
import { anthropicSpendStream, spendSources } from '../../connector/providers/anthropic/spend.js';

const DAY = 86_400;
const B = { start: Date.UTC(2026, 10, 3) / 1000, end: Date.UTC(2026, 10, 4) / 1000, results: [] };
const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const user = { type: 'user_actor', user_id: 'user_01A', email: 'a@example.com', name: 'A', deleted: false };
const costRow = (group: Record<string, unknown>, cost: Record<string, unknown> = {}, start = B.start) => ({
  starting_at: iso(start),
  ending_at: iso(start + DAY),
  group: { workspace_id: null, api_key_id: null, actor: null, model: null, ...group },
  cost: { amount: '12345.6789', currency: 'USD', list_amount: '20000.000000001', requests: 7, ...cost },
});
const cost = (group: Record<string, unknown>, c: Record<string, unknown> = {}) => analyticsCostRecord(DAY, B, costRow(group, c));

describe('analytics records', () => {
  it('given a cost row when mapped then the cent strings pass through, USD is the exact shift, and the actor is flattened beside its raw object', () => {
    const r = cost({ workspace_id: 'wrkspc_1', api_key_id: 'apikey_1', actor: user, model: 'claude-sonnet-5' });
    expect(r).toMatchObject({
      starting_at: '2026-11-03T00:00:00Z',
      ending_at: '2026-11-04T00:00:00Z',
      date: '2026-11-03',
      workspace_id: 'wrkspc_1',
      api_key_id: 'apikey_1',
      model: 'claude-sonnet-5',
      actor: user,
      actor_id: 'user_01A',
      actor_type: 'user_actor',
      currency: 'USD',
      amount_cents: '12345.6789',
      amount_usd: '123.456789',
      list_amount_cents: '20000.000000001',
      list_amount_usd: '200.00000000001',
      requests: 7,
      group_extra: null,
      cost_type: null,
      token_type: null,
    });
  });

  it('given requests null (grouped by cost_type) when mapped then requests stays null, never 0', () => {
    expect(cost({ cost_type: 'tokens', token_type: 'output_tokens' }, { requests: null }).requests).toBeNull();
  });

  it('given amounts as JSON numbers or with an exponent when mapped then the row is refused (no float ever touches money)', () => {
    expect(() => cost({}, { amount: 123.45 })).toThrow();
    expect(() => cost({}, { list_amount: '1e3' })).toThrow();
    expect(() => cost({}, { amount: undefined })).toThrow();
  });

  it('given a row that is not one bucket when mapped then it is refused', () => {
    expect(() => analyticsCostRecord(DAY, B, { ...costRow({}), ending_at: iso(B.start + 3_600) })).toThrow(/not one 86400 s bucket/);
  });

  it('given a service account and an API key actor with the same id string when mapped then their ids differ; a renamed user keeps its id', () => {
    const svc = cost({ actor: { type: 'service_account_actor', service_account_id: 'x_1' } });
    const key = cost({ actor: { type: 'api_actor', api_key_id: 'x_1' } });
    expect(svc.actor_id).toBe('x_1');
    expect(key.actor_id).toBe('x_1');
    expect(svc.id).not.toBe(key.id);
    expect(cost({ actor: { ...user, name: 'Renamed', email: 'new@example.com' } }).id).toBe(cost({ actor: user }).id);
    expect(cost({ actor: { ...user, user_id: 'user_01B' } }).id).not.toBe(cost({ actor: user }).id);
  });

  it('given federated actors (no tagged id) when mapped then actor_id is null and two of them differ by their whole object, key order aside', () => {
    const a = cost({ actor: { type: 'federated_actor', subject: 's1', issuer: 'i' } });
    const a2 = cost({ actor: { issuer: 'i', subject: 's1', type: 'federated_actor' } });
    const b = cost({ actor: { type: 'federated_actor', subject: 's2', issuer: 'i' } });
    expect(a.actor_id).toBeNull();
    expect(a.id).toBe(a2.id);
    expect(a.id).not.toBe(b.id);
  });

  it('given null, the string "null" and an absent dimension when mapped then the ids are null-safe: null and absent agree, "null" differs', () => {
    const nul = cost({ workspace_id: null });
    const text = cost({ workspace_id: 'null' });
    const row = costRow({});
    delete (row.group as Record<string, unknown>).workspace_id;
    expect(analyticsCostRecord(DAY, B, row).id).toBe(nul.id);
    expect(text.id).not.toBe(nul.id);
  });

  it('given an unknown group key when mapped then it is kept in group_extra and is part of the id', () => {
    const r = cost({ team: 'blue' });
    expect(r.group_extra).toEqual({ team: 'blue' });
    expect(r.id).not.toBe(cost({}).id);
    expect(r.id).not.toBe(cost({ team: 'red' }).id);
  });

  it('given one bucket start with a 1d and a 1h width when mapped then the ids differ (the bucket end is in the key)', () => {
    const hour = { ...costRow({}), ending_at: iso(B.start + 3_600) };
    expect(analyticsCostRecord(3_600, { ...B, end: B.start + 3_600 }, hour).id).not.toBe(cost({}).id);
  });

  it('given a usage row when mapped then nested tokens are flattened and requests null stays null', () => {
    const r = analyticsUsageRecord(DAY, B, {
      starting_at: iso(B.start),
      ending_at: iso(B.end),
      group: { model: 'm' },
      usage: {
        uncached_input_tokens: 1,
        cache_creation: { ephemeral_1h_input_tokens: 2, ephemeral_5m_input_tokens: 3 },
        cache_read_input_tokens: 4,
        output_tokens: 5,
        server_tool_use: { web_search_requests: 6 },
        requests: null,
        total_tokens: 15,
      },
    });
    expect(r).toMatchObject({
      uncached_input_tokens: 1,
      cache_creation_ephemeral_1h_input_tokens: 2,
      cache_creation_ephemeral_5m_input_tokens: 3,
      cache_read_input_tokens: 4,
      output_tokens: 5,
      web_search_requests: 6,
      requests: null,
      total_tokens: 15,
      model: 'm',
    });
  });

  it('given actors and objects when canonicalised then keys are sorted at every level and ids are read from the known fields', () => {
    expect(canonicalJson({ b: 1, a: { d: null, c: [2, { f: 1, e: 0 }] } })).toBe('{"a":{"c":[2,{"e":0,"f":1}],"d":null},"b":1}');
    expect(actorId({ type: 'api_actor', api_key_id: 'k' })).toBe('k');
    expect(actorId({ type: 'new_actor', id: 'n' })).toBe('n');
    expect(actorId(null)).toBeNull();
  });
});

describe('analytics floor', () => {
  it('given a clock when the floor is computed then it is max(2026-01-01, now - 365 days rounded up to a whole day)', () => {
    expect(analyticsFloor(Date.UTC(2026, 11, 1, 10) / 1000)).toBe(Date.UTC(2026, 0, 1) / 1000);
    expect(analyticsFloor(Date.UTC(2027, 5, 1, 10) / 1000)).toBe(Date.UTC(2026, 5, 2) / 1000);
    expect(analyticsFloor(Date.UTC(2027, 5, 1) / 1000)).toBe(Date.UTC(2026, 5, 1) / 1000);
  });
});

describe('analytics windows through the engine (records paging, restarts)', () => {
  const config = AnthropicConfigSchema.parse({ admin_api_key: 'k', start_date: '2026-01-01', analytics_page_size: 2 });
  const plan = analyticsCostStream.plan(config);
  const W = { start: B.start, end: B.start + 2 * DAY };
  type Reply = { status: number; body: unknown };
  const ok = (data: unknown[], next: string | null): Reply => ({ status: 200, body: { data, has_more: next !== null, next_page: next } });
  const err = (status: number, message: string): Reply => ({ status, body: { type: 'error', error: { type: 'invalid_request_error', message } } });
  const reader = (replies: Reply[]) => {
    const seen: Array<{ query: string[]; beta: string | undefined }> = [];
    const warnings: string[] = [];
    const fetch = async (url: string, init: { headers: Record<string, string> }) => {
      seen.push({ query: [...new URL(url).searchParams].map(([k, v]) => `${k}=${v}`), beta: init.headers['anthropic-beta'] });
      const r = replies[seen.length - 1] ?? err(500, 'no more replies');
      return new Response(JSON.stringify(r.body), { status: r.status });
    };
    const r = testWindowReader(plan, {
      fetch,
      stream: 'analytics_cost',
      headers: { 'anthropic-version': '2023-06-01' },
      maxRetries: 0,
      warn: (m) => warnings.push(m),
    });
    return { r, seen, warnings };
  };
  const rowsOf = (u: UnitRecords) => u.batches.flatMap((b) => encodedRows(b).rows);
  const day2 = B.start + DAY;
  const rowA = costRow({ model: 'a' }, { amount: '900' }, day2);
  const rowB = costRow({ model: 'b' }, { amount: '800' }, B.start);
  const rowC = costRow({ model: 'c' }, { amount: '700' }, day2);

  it('given rows ranked by amount across two pages and two days when read then the window is emitted in bucket order, every row once, with the beta header on every request', async () => {
    const { r, seen } = reader([ok([rowA, rowB], 'p1'), ok([rowC], null)]);
    const rows = rowsOf(await r.read(W));
    expect(rows.map((x) => x.model)).toEqual(['b', 'a', 'c']);
    expect(seen.map((s) => s.beta)).toEqual([ANALYTICS_BETA, ANALYTICS_BETA]);
    expect(seen[0]?.query).toEqual([
      `starting_at=${iso(W.start)}`,
      `ending_at=${iso(W.end)}`,
      'time_bucket_width=1d',
      'limit=2',
      'group_by[]=workspace_id',
      'group_by[]=api_key_id',
      'group_by[]=actor',
      'group_by[]=model',
    ]);
    expect(seen[1]?.query).toEqual([...(seen[0]?.query ?? []), 'page=p1']);
  });

  it('given a 410 on the second page when read then the rows of the first pass are dropped and the window is read again from its first page', async () => {
    const { r, seen, warnings } = reader([ok([rowA, rowB], 'p1'), err(410, 'cursor expired'), ok([rowA, rowC], 'p2'), ok([rowB], null)]);
    const rows = rowsOf(await r.read(W));
    expect(rows.map((x) => x.model).sort()).toEqual(['a', 'b', 'c']);
    expect(seen.map((s) => s.query.includes('page=p1') || s.query.includes('page=p2'))).toEqual([false, true, false, true]);
    expect(warnings).toHaveLength(1);
  });

  it('given a cursor refused four times when read then it fails with a transient_error after 3 restarts', async () => {
    const { r, seen } = reader(
      Array.from({ length: 4 }, () => [ok([rowA], 'p1'), err(400, 'page: The page cursor does not match the query parameters.')]).flat(),
    );
    const failure = await r.read(W).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect((failure as ConnectorError).failureType).toBe('transient_error');
    expect((failure as ConnectorError).message).toContain('gave up after 3 restart(s)');
    expect(seen).toHaveLength(8);
  });

  it('given a 410 on the first page (no cursor followed) when read then no restart: the stream fails at once', async () => {
    const { r, seen } = reader([err(410, 'gone')]);
    await expect(r.read(W)).rejects.toThrow();
    expect(seen).toHaveLength(1);
  });

  it('given a 400 naming the page on a first page (no cursor sent) when read then it is a refusal (config_error), not a restart and not halved', async () => {
    const { r, seen } = reader([err(400, 'limit: must not exceed the page size of 500')]);
    const failure = await r.read(W).catch((e: unknown) => e);
    expect((failure as ConnectorError).failureType).toBe('config_error');
    expect(seen).toHaveLength(1);
  });

  it('given a row outside the window when read then the read fails loudly instead of dropping it', async () => {
    const { r } = reader([ok([rowA, costRow({ model: 'z' }, {}, W.end)], null)]);
    await expect(r.read(W)).rejects.toThrow(/outside the window asked for; refusing to drop or duplicate it/);
  });

  it('given a 400 that refuses the query when read then a config_error quotes Anthropic, without halving the window', async () => {
    const { r, seen } = reader([err(400, 'Cannot specify more than 4 group_by[] dimensions.')]);
    const failure = await r.read(W).catch((e: unknown) => e);
    expect((failure as ConnectorError).failureType).toBe('config_error');
    expect((failure as ConnectorError).message).toContain('Cannot specify more than 4 group_by[] dimensions.');
    expect(seen).toHaveLength(1);
  });
});

describe('spend: one source per day (focus.anthropic_source)', () => {
  const parse = (extra: Record<string, unknown> = {}) => AnthropicConfigSchema.parse({ admin_api_key: 'k', start_date: '2025-06-01', ...extra });
  const now = Date.UTC(2026, 11, 5, 10) / 1000;
  const paths = (c: ReturnType<typeof parse>) => (anthropicSpendStream.segments?.(c) ?? []).map((s) => [s.plan.path, s.from?.(now) ?? null]);

  it('given no choice when the config is read then the source is auto: cost_report before the analytics floor, analytics_cost from it, and plan() is the first one', () => {
    const c = parse();
    expect(c.focus.anthropic_source).toBe('auto');
    expect(paths(c)).toEqual([
      ['/v1/organizations/cost_report', null],
      ['/v1/organizations/analytics/cost', analyticsFloor(now)],
    ]);
    expect(anthropicSpendStream.plan(c).path).toBe('/v1/organizations/cost_report');
    expect(spendSources(c)).toHaveLength(2);
  });

  it('given analytics or cost_report when the config is read then spend has that one source for every day', () => {
    expect(paths(parse({ focus: { anthropic_source: 'analytics' } }))).toEqual([['/v1/organizations/analytics/cost', null]]);
    expect(paths(parse({ focus: { anthropic_source: 'cost_report' } }))).toEqual([['/v1/organizations/cost_report', null]]);
    expect(anthropicSpendStream.plan(parse({ focus: { anthropic_source: 'analytics' } })).earliest?.at(now)).toBe(analyticsFloor(now));
  });

  it('given an unknown source when the config is read then it is refused naming the choices', () => {
    expect(() => parse({ focus: { anthropic_source: 'both' } })).toThrow(/focus.anthropic_source must be one of auto, analytics, cost_report/);
  });

  it("given the analytics_cost stream's own grouping, filters and width when spend's analytics plan is made then it keeps its additive daily grouping and no filter", () => {
    const c = parse({ time_bucket_width: '1h', group_by: { analytics_cost: ['rbac_group_id'] }, filters: { analytics_cost: { models: ['m'] } } });
    const plan = anthropicSpendStream.segments?.(c)[1]?.plan;
    expect(plan?.bucketSeconds).toBe(DAY);
    expect(plan?.params).toEqual(SPEND_ANALYTICS_GROUP_BY.map((g) => ['group_by[]', g]));
    expect(plan?.api.windowQuery({ start: B.start, end: B.end }, 1)).toContainEqual(['time_bucket_width', '1d']);
    expect(plan?.headers).toEqual({ 'anthropic-beta': ANALYTICS_BETA });
  });

  it('given an analytics row with no usage row joined when mapped to spend then x_RecordId is its analytics_cost id, ListCost its list amount (no quantity to price), the standard price point is set, and the key, actor and source are set; cost_report columns are null', () => {
    const c = parse({ focus: { anthropic_source: 'analytics' } });
    const row = costRow(
      { workspace_id: 'wrkspc_1', api_key_id: 'apikey_1', actor: user, model: 'claude-sonnet-5', token_type: 'output_tokens' },
      { requests: null },
    );
    const spend = anthropicSpendStream.plan(c).toRecord(B, structuredClone(row), 0);
    expect(spend.x_RecordId).toBe(analyticsCostRecord(DAY, B, row).id);
    expect(spend).toMatchObject({
      BilledCost: '123.456789',
      ListCost: '200.00000000001',
      x_Source: 'analytics_cost',
      x_ApiKeyId: 'apikey_1',
      x_ActorType: 'user_actor',
      x_ActorId: 'user_01A',
      x_TokenType: 'output_tokens',
      x_AmountCents: '12345.6789',
      x_ListAmountCents: '20000.000000001',
      SubAccountId: 'wrkspc_1',
      SkuMeter: 'output_tokens',
      x_ServiceTier: null,
      x_InferenceGeo: null,
    });
    expect(spend.SkuPriceDetails).toEqual({
      x_ModelId: 'claude-sonnet-5',
      x_ModelDeveloper: 'Anthropic',
      x_TokenType: 'output_tokens',
      x_PriceBasis: 'published standard price (standard tier, 0-200k context, global inference)',
    });
    expect(spend).toMatchObject({
      SkuId: 'claude-sonnet-5:output_tokens',
      SkuPriceId: 'claude-sonnet-5:output_tokens:standard:0-200k:global',
      ListUnitPrice: '10',
      PricingQuantity: null,
      ConsumedQuantity: null,
    });
    // With the usage row of its group joined: the tokens, priced per million at the published price.
    const usage = { workspace_id: 'wrkspc_1', api_key_id: 'apikey_1', actor: user, model: 'claude-sonnet-5', output_tokens: 1_234_567 };
    const joined = anthropicSpendStream.plan(c).toRecord({ ...B, joined: [usage] }, structuredClone(row), 0);
    expect(joined).toMatchObject({
      ConsumedQuantity: '1234567',
      ConsumedUnit: 'Tokens',
      PricingQuantity: '1.234567',
      PricingUnit: '1000000 Tokens',
      ListUnitPrice: '10',
      ListCost: '12.34567',
      x_ListAmountCents: '20000.000000001',
    });
    const unattributed = anthropicSpendStream.plan(c).toRecord(B, costRow({}), 0);
    expect(unattributed).toMatchObject({ x_ApiKeyId: null, x_ActorType: null, x_ActorId: null, x_Source: 'analytics_cost' });
  });

  it('given a cost_report record when mapped to spend then x_Source is cost_report and the analytics columns are null', () => {
    const item = { currency: 'USD', amount: '123.78912', workspace_id: null, description: 'Web Search Usage', cost_type: 'web_search' };
    const spend = anthropicSpendStream.plan(parse({ focus: { anthropic_source: 'cost_report' } })).toRecord(B, item, 0);
    expect(spend).toMatchObject({
      x_Source: 'cost_report',
      BilledCost: '1.2378912',
      ListCost: '1.2378912',
      x_ApiKeyId: null,
      x_ActorType: null,
      x_ListAmountCents: null,
    });
  });
});
