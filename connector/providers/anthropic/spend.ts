import { col, type Column } from '../../engine/columns/columns.js';
import { spendStream, stringOrNull as str, type FocusCharge, type FocusProvider, type SpendSource } from '../../engine/focus/focus.js';
import type { NoticeSink } from '../../engine/notices.js';
import { blockQuantity, findListPrice, missingPriceNotice } from '../../engine/focus/prices.js';
import type { Bucket, BucketStream, PlanJoin, Row } from '../../engine/stream.js';
import { LIST_PRICES } from '../../prices/list-prices.js';
import { analyticsFloor, spendAnalyticsCostStream, spendAnalyticsUsagePlan } from './analytics.js';
import { ANTHROPIC_ACCOUNT, type AnthropicConfig } from './config.js';
import { actorNameKind } from './names.js';
import { costReportStream, usageMessagesStream } from './reports.js';
import { analyticsCount, COST_REPORT_JOIN_GROUP_BY, costReportCount, WEB_SEARCH_PRICE } from './spend-join.js';

/**
 * The FOCUS 1.3 `spend` stream of Anthropic (docs/focus.md). Its money has one source per day,
 * chosen by config focus.anthropic_source (docs/anthropic.md):
 * - `auto` (default): analytics_cost for every day the Usage and Cost Analytics API serves (from
 *   its floor, max(2026-01-01, today - 365 days): analyticsFloor), cost_report for the days
 *   before; the engine cuts the read at the floor (the stream's segments, engine/read.ts), so no
 *   day is read from both;
 * - `analytics`: analytics_cost only (a read starts at its floor, with a warning, as for analytics_cost);
 * - `cost_report`: the legacy cost report only.
 * analytics_cost gives the list price (ListCost), the API key and the actor; cost_report gives
 * the cost line (description, service tier, context window, inference geo). The spend schema is
 * the union of both sources' x_ columns, null where a row's source does not give one; x_Source
 * names the stream each row came from, x_RecordId is the id of that stream's record.
 */

/** Non-null properties only: SkuPriceDetails lists what is known (every key x_: FOCUS 1.3 defines none for models, CAU-SkuPriceDetails-C-017-C). */
const known = (o: Record<string, string | null>): Record<string, string> | null => {
  const entries = Object.entries(o).filter((e): e is [string, string] => e[1] !== null);
  return entries.length === 0 ? null : Object.fromEntries(entries);
};

const EXTRA_COLUMNS: readonly Column[] = [
  col('x_Source', 'string', 'The Anthropic stream this row was mapped from: analytics_cost or cost_report (config focus.anthropic_source).', {
    notNull: true,
  }),
  col('x_CostType', 'string', 'cost_type: tokens, web_search, code_execution or session_usage; null when the source does not group by it.'),
  col('x_TokenType', 'string', 'token_type, e.g. uncached_input_tokens; null for non-token costs.'),
  col('x_ServiceTier', 'string', 'cost_report service_tier: standard or batch; null for analytics_cost rows (not grouped by it).'),
  col('x_ContextWindow', 'string', 'cost_report context_window: 0-200k or 200k-1M; null for analytics_cost rows (not grouped by it).'),
  col('x_InferenceGeo', 'string', 'cost_report inference_geo: global, us or not_available; null for analytics_cost rows (not grouped by it).'),
  col('x_AmountCents', 'string', 'The amount in cents, the exact decimal string the API sent (cost_report amount, analytics_cost cost.amount).'),
  col('x_ListAmountCents', 'string', 'analytics_cost cost.list_amount in cents, exact; null for cost_report rows (no list price).'),
  col('x_ApiKeyId', 'string', 'analytics_cost api_key_id (null for Console usage); null for cost_report rows.'),
  col(
    'x_ApiKeyName',
    'string',
    'Name of x_ApiKeyId from GET /v1/organizations/api_keys (docs/focus.md, Names); null when no list names it (deleted, unknown).',
  ),
  col(
    'x_ActorType',
    'string',
    'analytics_cost actor type (user_actor, service_account_actor, api_actor, federated_actor); null when unattributed and for cost_report rows.',
  ),
  col(
    'x_ActorId',
    'string',
    'analytics_cost actor id (user_id, service_account_id or api_key_id); null for a federated or unattributed actor and for cost_report rows.',
  ),
  col(
    'x_ActorName',
    'string',
    'Name of x_ActorId: a user_actor’s from GET /v1/organizations/users, an api_actor’s key name (docs/focus.md, Names); null for service accounts, federated or unattributed actors and ids no list names.',
  ),
];

/** Per million tokens: the block Anthropic's prices are published in (FOCUS UnitFormat). */
const TOKENS_UNIT = '1000000 Tokens';

/**
 * The price point of a row (docs/focus.md "Anthropic: price points"): SkuId is what was used
 * (model x token type, `web_search`, or the cost type), stable across the factors that change only
 * the price; SkuPriceId adds those factors (service tier, context window, inference geo). The
 * quantities are the joined count (null when the usage API has no exact counterpart), the list
 * price the published one of that price point (null when the price list does not know it).
 */
interface PricePoint {
  skuId: string;
  skuPriceId: string;
  count: string | null;
  /** The published price entry's unit and price, or none. */
  unit: string | null;
  listUnitPrice: string | null;
  consumedUnit: string | null;
}

const tokenPoint = (
  notice: NoticeSink,
  model: string | null,
  tokenType: string,
  factors: { tier: string; context: string; geo: string },
  count: string | null,
): PricePoint => {
  const m = model ?? 'unknown-model';
  const entry =
    model === null
      ? undefined
      : findListPrice(LIST_PRICES, {
          provider: 'Anthropic',
          model,
          meter: tokenType,
          tier: factors.tier,
          context: factors.context,
          geo: factors.geo === 'us' ? 'us' : null,
        });
  const skuPriceId = `${m}:${tokenType}:${factors.tier}:${factors.context}:${factors.geo}`;
  // One LOG WARN line per run (engine/notices.ts), never a guessed price.
  if (!entry)
    notice(
      missingPriceNotice({
        provider: 'Anthropic',
        model: m,
        meter: tokenType,
        tier: factors.tier,
        context: factors.context,
        geo: factors.geo === 'us' ? 'us' : null,
      }),
    );
  return {
    skuId: `${m}:${tokenType}`,
    skuPriceId,
    count,
    unit: TOKENS_UNIT,
    listUnitPrice: entry?.usdPerUnit ?? null,
    consumedUnit: 'Tokens',
  };
};

const webSearchPoint = (count: string | null): PricePoint => ({
  skuId: 'web_search',
  skuPriceId: 'web_search',
  count,
  unit: WEB_SEARCH_PRICE?.unit ?? '1000 Requests',
  listUnitPrice: WEB_SEARCH_PRICE?.usdPerUnit ?? null,
  consumedUnit: 'Requests',
});

/** A charge with no count in either API (code execution, session usage, unknown): its own id, no quantity, no unit price. */
const uncountedPoint = (id: string): PricePoint => ({ skuId: id, skuPriceId: id, count: null, unit: null, listUnitPrice: null, consumedUnit: null });

/** The FocusCharge fields of a price point; a credit (negative amount) has none (FOCUS: no SkuPriceId on a Credit). */
function priced(
  billed: string,
  p: PricePoint,
): Pick<FocusCharge, 'skuId' | 'skuPriceId' | 'pricingQuantity' | 'pricingUnit' | 'consumedQuantity' | 'consumedUnit' | 'listUnitPrice'> {
  if (billed.startsWith('-')) return { skuId: p.skuId, skuPriceId: null };
  return {
    skuId: p.skuId,
    skuPriceId: p.skuPriceId,
    pricingQuantity: p.count === null || p.unit === null ? null : blockQuantity(p.count, p.unit),
    pricingUnit: p.unit,
    consumedQuantity: p.count,
    consumedUnit: p.consumedUnit,
    listUnitPrice: p.listUnitPrice,
  };
}

const costReportCharge = (r: Row, bucket: Bucket, notice: NoticeSink): FocusCharge => {
  const model = str(r.model);
  const tokenType = str(r.token_type);
  const costType = str(r.cost_type);
  const description = str(r.description);
  const billed = r.amount_usd as string;
  const count = costReportCount(r, bucket.joined);
  const point =
    costType === 'tokens' && tokenType !== null
      ? tokenPoint(
          notice,
          model,
          tokenType,
          { tier: str(r.service_tier) ?? 'standard', context: str(r.context_window) ?? '0-200k', geo: str(r.inference_geo) === 'us' ? 'us' : 'global' },
          count,
        )
      : costType === 'web_search'
        ? webSearchPoint(count)
        : uncountedPoint(costType ?? 'unknown');
  return {
    billedCost: billed,
    // Anthropic documents amounts in USD ("currently always USD"); a missing currency is USD.
    billingCurrency: str(r.currency) ?? 'USD',
    chargeDescription: description ?? (costType ? `Claude API ${costType}` : 'Claude API usage'),
    ...priced(billed, point),
    skuMeter: tokenType ?? costType,
    skuPriceDetails: known({
      x_ModelId: model,
      x_ModelDeveloper: model === null ? null : 'Anthropic',
      x_ServiceTier: str(r.service_tier),
      x_ContextWindow: str(r.context_window),
      x_InferenceGeo: str(r.inference_geo),
      x_TokenType: tokenType,
    }),
    subAccountId: str(r.workspace_id),
    subAccountType: 'Workspace',
    extra: {
      x_Source: 'cost_report',
      x_CostType: costType,
      x_TokenType: tokenType,
      x_ServiceTier: str(r.service_tier),
      x_ContextWindow: str(r.context_window),
      x_InferenceGeo: str(r.inference_geo),
      x_AmountCents: r.amount_cents,
    },
  };
};

/**
 * analytics_cost rows are not grouped by service tier, context window or inference geo (the cap of
 * 5 dimensions keeps api key and actor): their price point is the model x token type at the
 * published standard price (standard tier, 0-200k, global), so ListCost is that price times the
 * tokens (ListUnitPrice x PricingQuantity, exactly); Anthropic's own list amount stays in
 * x_ListAmountCents (docs/focus.md).
 */
const STANDARD = { tier: 'standard', context: '0-200k', geo: 'global' } as const;

const analyticsCharge = (r: Row, bucket: Bucket, notice: NoticeSink): FocusCharge => {
  const model = str(r.model);
  const tokenType = str(r.token_type);
  const costType = str(r.cost_type);
  const what = [model, tokenType ?? costType].filter((x) => x !== null).join(' ');
  const billed = r.amount_usd as string;
  const joined = analyticsCount(r, bucket.joined);
  const point =
    tokenType !== null
      ? tokenPoint(notice, model, tokenType, STANDARD, joined.count)
      : joined.meter === 'web_search'
        ? webSearchPoint(joined.count)
        : uncountedPoint('non_token');
  return {
    billedCost: billed,
    listCost: str(r.list_amount_usd),
    billingCurrency: str(r.currency) ?? 'USD',
    chargeDescription: what ? `Claude API usage: ${what}` : 'Claude API usage',
    ...priced(billed, point),
    skuMeter: tokenType ?? costType ?? (joined.meter === 'web_search' ? 'web_search' : null),
    skuPriceDetails: known({
      x_ModelId: model,
      x_ModelDeveloper: model === null ? null : 'Anthropic',
      x_TokenType: tokenType,
      x_PriceBasis: tokenType !== null ? 'published standard price (standard tier, 0-200k context, global inference)' : null,
    }),
    subAccountId: str(r.workspace_id),
    subAccountType: 'Workspace',
    extra: {
      x_Source: 'analytics_cost',
      x_CostType: costType,
      x_TokenType: tokenType,
      x_AmountCents: r.amount_cents,
      x_ListAmountCents: r.list_amount_cents,
      x_ApiKeyId: str(r.api_key_id),
      x_ActorType: str(r.actor_type),
      x_ActorId: str(r.actor_id),
    },
  };
};

/** A cost stream whose plan reads `join` for each window first (the token counts, BucketPlan.join). */
const joined = (costs: BucketStream<AnthropicConfig>, join: (c: AnthropicConfig) => PlanJoin | undefined): BucketStream<AnthropicConfig> => ({
  ...costs,
  plan: (config) => {
    const plan = costs.plan(config);
    const j = join(config);
    return j ? { ...plan, join: j } : plan;
  },
});

/**
 * cost_report rows join usage_report/messages of the same days (1d, COST_REPORT_JOIN_GROUP_BY);
 * only with the default cost_report grouping (workspace_id and description: the cost line names
 * every price factor). Another grouping gets no quantities.
 */
const costReportJoin = (config: AnthropicConfig): PlanJoin | undefined => {
  const groupBy: readonly string[] = config.group_by?.cost_report ?? ['workspace_id', 'description'];
  if (!groupBy.includes('workspace_id') || !groupBy.includes('description')) return undefined;
  const messages = usageMessagesStream.plan({
    ...config,
    bucket_width: '1d',
    group_by: { ...config.group_by, usage_messages: [...COST_REPORT_JOIN_GROUP_BY] },
  });
  return { plan: messages, bucketField: 'starting_at' };
};

const analyticsJoin = (config: AnthropicConfig): PlanJoin => ({ plan: spendAnalyticsUsagePlan(config), bucketField: 'starting_at' });

const COST_REPORT: SpendSource<AnthropicConfig> = { costs: joined(costReportStream, costReportJoin), charge: () => costReportCharge };
const ANALYTICS: SpendSource<AnthropicConfig> = { costs: joined(spendAnalyticsCostStream, analyticsJoin), charge: () => analyticsCharge };

/** The sources of spend for a config, in time order (the first serves every day before the second's start). */
export function spendSources(config: AnthropicConfig): Array<SpendSource<AnthropicConfig>> {
  switch (config.focus.anthropic_source) {
    case 'cost_report':
      return [COST_REPORT];
    case 'analytics':
      return [ANALYTICS];
    default:
      return [COST_REPORT, { ...ANALYTICS, from: analyticsFloor }];
  }
}

const ANTHROPIC_FOCUS: FocusProvider = {
  providerName: 'Anthropic',
  serviceName: 'Claude API',
  defaultAccountId: ANTHROPIC_ACCOUNT.accountId,
  defaultAccountName: ANTHROPIC_ACCOUNT.accountName,
  extraColumns: EXTRA_COLUMNS,
  names: {
    subAccount: 'subAccounts',
    columns: [
      { column: 'x_ApiKeyName', idColumn: 'x_ApiKeyId', kind: 'apiKeys' },
      { column: 'x_ActorName', idColumn: 'x_ActorId', kind: actorNameKind },
    ],
  },
};

export const anthropicSpendStream: BucketStream<AnthropicConfig> = spendStream({
  provider: ANTHROPIC_FOCUS,
  sources: spendSources,
  settings: (c) => c.focus,
  description:
    'FinOps FOCUS 1.3 cost and usage rows, one per cost record, one source per day (config focus.anthropic_source, default auto): analytics_cost (GET /v1/organizations/analytics/cost, 1d buckets grouped by workspace_id, api_key_id, actor, model and token_type) for every day that API serves, cost_report (GET /v1/organizations/cost_report) for the days before. BilledCost is the amount in USD, exact; ListCost the analytics list price where given. x_Source names the stream of each row.',
});
