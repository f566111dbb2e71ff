import { col, type Column } from '../../engine/columns.js';
import { spendStream, stringOrNull as str, type FocusCharge, type FocusProvider } from '../../engine/focus.js';
import type { Bucket, BucketStream, Row } from '../../engine/stream.js';
import type { AnthropicConfig } from './config.js';
import { costReportStream } from './reports.js';

/**
 * The FOCUS 1.3 `spend` stream of Anthropic (docs/focus.md). Its money comes from one Anthropic
 * cost stream, named by SPEND_SOURCE: the stream whose requests and records it reuses, and the
 * mapping of one of its records. Today that is cost_report (amount_usd: the cents string with the
 * point moved, exact); another cost stream (analytics_cost) becomes an option by adding an entry
 * to SPEND_SOURCES with its own mapping, nothing else.
 */
export interface AnthropicSpendSource {
  costs: BucketStream<AnthropicConfig>;
  /** x_ columns this source fills (besides FOCUS's). */
  extraColumns: readonly Column[];
  charge(record: Row, bucket: Bucket): FocusCharge;
}

/** Non-null properties only: SkuPriceDetails lists what is known. */
const known = (o: Record<string, string | null>): Record<string, string> | null => {
  const entries = Object.entries(o).filter((e): e is [string, string] => e[1] !== null);
  return entries.length === 0 ? null : Object.fromEntries(entries);
};

const COST_REPORT_SOURCE: AnthropicSpendSource = {
  costs: costReportStream,
  extraColumns: [
    col('x_CostType', 'string', 'cost_report cost_type: tokens, web_search, code_execution or session_usage.'),
    col('x_TokenType', 'string', 'cost_report token_type, e.g. uncached_input_tokens.'),
    col('x_ServiceTier', 'string', 'cost_report service_tier: standard or batch.'),
    col('x_ContextWindow', 'string', 'cost_report context_window: 0-200k or 200k-1M.'),
    col('x_InferenceGeo', 'string', 'cost_report inference_geo: global, us or not_available.'),
    col('x_AmountCents', 'string', 'cost_report amount in cents, the exact decimal string the API sent.'),
  ],
  charge(r) {
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
        ModelId: model,
        ModelDeveloper: model === null ? null : 'Anthropic',
        x_ServiceTier: str(r.service_tier),
        x_ContextWindow: str(r.context_window),
        x_TokenType: tokenType,
      }),
      subAccountId: str(r.workspace_id),
      subAccountType: 'Workspace',
      extra: {
        x_CostType: costType,
        x_TokenType: tokenType,
        x_ServiceTier: str(r.service_tier),
        x_ContextWindow: str(r.context_window),
        x_InferenceGeo: str(r.inference_geo),
        x_AmountCents: r.amount_cents,
      },
    };
  },
};

/** The cost streams spend may be built from; the first is the default. */
export const SPEND_SOURCES = { cost_report: COST_REPORT_SOURCE } as const satisfies Record<string, AnthropicSpendSource>;
export const SPEND_SOURCE: AnthropicSpendSource = SPEND_SOURCES.cost_report;

export const ANTHROPIC_FOCUS: FocusProvider = {
  providerName: 'Anthropic',
  serviceName: 'Claude API',
  defaultAccountId: 'anthropic',
  defaultAccountName: 'Anthropic organization',
  extraColumns: SPEND_SOURCE.extraColumns,
};

export const anthropicSpendStream: BucketStream<AnthropicConfig> = spendStream({
  provider: ANTHROPIC_FOCUS,
  costs: SPEND_SOURCE.costs,
  settings: (c) => c.focus,
  charge: () => SPEND_SOURCE.charge,
  description:
    'FinOps FOCUS 1.3 cost and usage rows, one per cost_report record (the same GET /v1/organizations/cost_report requests): BilledCost is amount_usd, exact, per day, workspace and cost line.',
});
