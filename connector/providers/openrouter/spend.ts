import { col } from '../../engine/columns/columns.js';
import { spendStream, stringOrNull as str, type FocusCharge, type FocusProvider } from '../../engine/focus/focus.js';
import type { Row } from '../../engine/stream.js';
import { addDecimal } from '../../decimal.js';
import { activityDays, analyticsDays } from './activity.js';
import { activityFrom } from './api.js';
import { OPENROUTER_ACCOUNT, type OpenRouterConfig } from './config.js';

/**
 * The FOCUS 1.3 `spend` stream of OpenRouter (docs/focus.md, docs/openrouter.md): the activity
 * stream's rows (the same requests, one source per day), each mapped to one row. OpenRouter resells
 * the upstream providers' models and shows which one served a request, so it is read as an MSP
 * (FOCUS entity identification 2.1): ServiceProviderName and InvoiceIssuerName OpenRouter,
 * HostProviderName the upstream provider (activity provider_name). Analytics days (older than 30
 * days) do not say which provider served them: HostProviderName is then OpenRouter, as FOCUS allows
 * when the service provider gives no visibility into the host (HostProviderName MAY equal ServiceProviderName).
 *
 * BilledCost = usage (USD billed to credits, BYOK platform fees included); byok_usage_inference (an
 * estimate of what a provider key was charged by the upstream, billed there) only in
 * x_ByokInferenceCostEstimateUsd. OpenRouter credits are USD: a row's price point is its model
 * (and endpoint) priced in credits at 1 USD each, so PricingQuantity is the credits used, PricingUnit
 * `Credits`, ListUnitPrice 1 and ListCost = BilledCost; ConsumedQuantity the tokens (prompt +
 * completion, reasoning inside completion), `Tokens`.
 */
const OPENROUTER_FOCUS: FocusProvider = {
  providerName: 'OpenRouter',
  serviceName: 'OpenRouter API',
  defaultAccountId: OPENROUTER_ACCOUNT.accountId,
  defaultAccountName: OPENROUTER_ACCOUNT.accountName,
  extraColumns: [
    col('x_Source', 'string', 'Where the day came from: activity (GET /activity) or analytics (POST /analytics/query).', { notNull: true }),
    col(
      'x_ByokInferenceCostEstimateUsd',
      'string',
      'byok_usage_inference: estimated USD a BYOK provider key was charged by the upstream (billed there, never part of BilledCost), exact.',
      { notNull: true },
    ),
    col('x_Model', 'string', 'OpenRouter model slug (analytics days: the analytics model, a permaslug).', { notNull: true }),
    col('x_ModelPermaslug', 'string', 'Versioned model slug.'),
    col('x_EndpointId', 'string', 'Serving endpoint (activity endpoint_id); null for analytics days.'),
    col('x_ProviderName', 'string', 'Upstream provider as OpenRouter names it (activity provider_name); null for analytics days.'),
    col('x_Requests', 'integer', 'Requests.'),
    col('x_PromptTokens', 'integer', 'Prompt tokens.'),
    col('x_CompletionTokens', 'integer', 'Completion tokens (reasoning included).'),
    col('x_ReasoningTokens', 'integer', 'Reasoning tokens.'),
  ],
};

const int = (v: unknown): number | null => (typeof v === 'number' ? v : null);

function openrouterCharge(r: Row): FocusCharge {
  const usage = String(r.usage);
  const model = String(r.model);
  const permaslug = str(r.model_permaslug);
  const endpoint = str(r.endpoint_id);
  const provider = str(r.provider_name);
  const prompt = int(r.prompt_tokens);
  const completion = int(r.completion_tokens);
  const sku = permaslug ?? model;
  return {
    billedCost: usage,
    billingCurrency: 'USD',
    chargeDescription: `OpenRouter ${model}${provider ? ` via ${provider}` : ''}`,
    skuId: sku,
    skuPriceId: endpoint === null ? sku : `${sku}/${endpoint}`,
    skuMeter: 'Credits',
    skuPriceDetails: {
      x_ModelId: sku,
      ...(model.includes('/') ? { x_ModelDeveloper: model.slice(0, model.indexOf('/')) } : {}),
      ...(endpoint === null ? {} : { x_EndpointId: endpoint }),
    },
    pricingQuantity: usage,
    pricingUnit: 'Credits',
    listUnitPrice: '1',
    consumedQuantity: addDecimal(String(prompt ?? 0), String(completion ?? 0)),
    consumedUnit: 'Tokens',
    hostProviderName: provider,
    extra: {
      x_Source: r.source,
      x_ByokInferenceCostEstimateUsd: r.byok_usage_inference,
      x_Model: model,
      x_ModelPermaslug: permaslug,
      x_EndpointId: endpoint,
      x_ProviderName: provider,
      x_Requests: int(r.requests),
      x_PromptTokens: prompt,
      x_CompletionTokens: completion,
      x_ReasoningTokens: int(r.reasoning_tokens),
    },
  };
}

export const openrouterSpendStream = spendStream<OpenRouterConfig>({
  provider: OPENROUTER_FOCUS,
  sources: () => [
    { costs: analyticsDays, charge: () => openrouterCharge },
    { from: activityFrom, costs: activityDays, charge: () => openrouterCharge },
  ],
  settings: (c) => c.focus,
  description:
    'FinOps FOCUS 1.3 cost and usage rows, one per activity row (the same requests: GET /activity for the last 30 completed days, POST /analytics/query before): BilledCost the USD billed to credits, exact; HostProviderName the upstream provider where OpenRouter names it; the BYOK estimate only in x_ByokInferenceCostEstimateUsd.',
});
