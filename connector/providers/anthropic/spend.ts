import { col, type Column } from '../../engine/columns.js';
import { spendStream, stringOrNull as str, type FocusCharge, type FocusProvider, type SpendSource } from '../../engine/focus.js';
import type { BucketStream, Row } from '../../engine/stream.js';
import { analyticsFloor, spendAnalyticsCostStream } from './analytics.js';
import type { AnthropicConfig } from './config.js';
import { actorNameKind } from './names.js';
import { costReportStream } from './reports.js';

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
export type AnthropicSpendSource = 'analytics_cost' | 'cost_report';

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

const costReportCharge = (r: Row): FocusCharge => {
  const model = str(r.model);
  const tokenType = str(r.token_type);
  const costType = str(r.cost_type);
  const description = str(r.description);
  return {
    billedCost: r.amount_usd as string,
    // Anthropic documents amounts in USD ("currently always USD"); a missing currency is USD.
    billingCurrency: str(r.currency) ?? 'USD',
    chargeDescription: description ?? (costType ? `Claude API ${costType}` : 'Claude API usage'),
    skuId: description,
    skuMeter: tokenType ?? costType,
    skuPriceDetails: known({
      x_ModelId: model,
      x_ModelDeveloper: model === null ? null : 'Anthropic',
      x_ServiceTier: str(r.service_tier),
      x_ContextWindow: str(r.context_window),
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

const analyticsCharge = (r: Row): FocusCharge => {
  const model = str(r.model);
  const tokenType = str(r.token_type);
  const costType = str(r.cost_type);
  const what = [model, tokenType ?? costType].filter((x) => x !== null).join(' ');
  return {
    billedCost: r.amount_usd as string,
    listCost: str(r.list_amount_usd),
    billingCurrency: str(r.currency) ?? 'USD',
    chargeDescription: what ? `Claude API usage: ${what}` : 'Claude API usage',
    skuId: null,
    skuMeter: tokenType ?? costType,
    skuPriceDetails: known({ x_ModelId: model, x_ModelDeveloper: model === null ? null : 'Anthropic', x_TokenType: tokenType }),
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

const COST_REPORT: SpendSource<AnthropicConfig> = { costs: costReportStream, charge: () => costReportCharge };
const ANALYTICS: SpendSource<AnthropicConfig> = { costs: spendAnalyticsCostStream, charge: () => analyticsCharge };

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

export const ANTHROPIC_FOCUS: FocusProvider = {
  providerName: 'Anthropic',
  serviceName: 'Claude API',
  defaultAccountId: 'anthropic',
  defaultAccountName: 'Anthropic organization',
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
