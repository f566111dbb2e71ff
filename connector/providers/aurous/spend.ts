import { col } from '../../engine/columns/columns.js';
import { configError, systemError } from '../../engine/errors.js';
import { multiplyDecimal, numberToDecimal } from '../../decimal.js';
import { spendStream, stringOrNull as str, type FocusCharge, type FocusProvider } from '../../engine/focus/focus.js';
import type { Row } from '../../engine/stream.js';
import { AUROUS_ACCOUNT, type AurousConfig } from './config.js';
import { usageStream } from './usage.js';

/**
 * The FOCUS 1.3 `spend` stream of Aurous Labs (docs/focus.md): the `usage` stream's requests and
 * records (GET /v1/usage), each group mapped to one FOCUS row. Aurous bills in credits: PricingCurrency
 * is credits, PricingCurrencyEffectiveCost the credits used, and BilledCost credits x
 * focus.credit_usd_rate in USD, multiplied exactly. Without a rate there is no BilledCost: selecting
 * spend then fails as a config_error, never a silent 0.
 *
 * Price points (FOCUS 1.3 SkuPriceId): Aurous prices a request by its type and model (the credits a
 * request costs), and publishes no USD list; what a row is priced in is credits, each at the
 * configured rate. So a Usage row's SkuPriceId is the request type x model of its group
 * (`image/aurora-xl`), its SkuId the request type alone (the model changes only the price), its
 * PricingQuantity the credits (`Credits`), its ListUnitPrice the rate (USD per credit, so
 * ListUnitPrice x PricingQuantity = ListCost = BilledCost exactly) and its ConsumedQuantity the
 * group's request count (`Requests`; null where the API gives none, never invented). A negative
 * group (a refund) is a Credit row: no price point, so none of those columns (FOCUS 1.3).
 */
const AUROUS_FOCUS: FocusProvider = {
  providerName: 'Aurous Labs',
  serviceName: 'Aurous Labs API',
  defaultAccountId: AUROUS_ACCOUNT.accountId,
  defaultAccountName: AUROUS_ACCOUNT.accountName,
  extraColumns: [
    col('x_CreditsUsed', 'string', 'Credits charged (usage credits_used), as an exact decimal string.', { notNull: true }),
    col('x_CreditUsdRate', 'string', 'USD per credit applied (config focus.credit_usd_rate).', { notNull: true }),
    col('x_RequestType', 'string', 'Aurous request type; null when not grouped by type.'),
    col('x_Model', 'string', 'Aurous model; null when not grouped by model.'),
    col('x_Status', 'string', 'Request status; null when not grouped by status.'),
    col('x_ApiKeyId', 'string', 'API key; null when not grouped by api_key_id.'),
    col('x_UserId', 'string', 'User; null when not grouped by user_id.'),
    col('x_RequestCount', 'integer', 'Requests in the bucket and group.'),
  ],
};

const MISSING_RATE =
  'the spend stream needs focus.credit_usd_rate, the USD price of one Aurous credit as a decimal string (e.g. "0.01"): Aurous bills in credits and reports no dollar amount; set it in the config, or leave spend out (of the catalog, or of sync --streams).';

/** The SKU: the request type (what is metered); `credits` when not grouped by type (any request type). */
const aurousSkuId = (type: string | null): string => type ?? 'credits';

/**
 * The price point: the SKU and the model (`image/aurora-xl`), the model left out where the group has
 * none (not grouped by model, or null upstream): one parent SkuId per SkuPriceId (CAU-SkuPriceId-C-008-M).
 */
const aurousSkuPriceId = (type: string | null, model: string | null): string => (model === null ? aurousSkuId(type) : `${aurousSkuId(type)}/${model}`);

function aurousCharge(config: AurousConfig): (record: Row) => FocusCharge {
  const rate = config.focus.credit_usd_rate;
  if (rate === undefined) throw configError(MISSING_RATE);
  return (r) => {
    if (typeof r.credits_used !== 'number')
      throw systemError('GET /v1/usage: a usage group without metrics.credits_used cannot be a FOCUS row (BilledCost must not be null)');
    const credits = numberToDecimal(r.credits_used);
    const type = str(r.type);
    const model = str(r.model);
    const requests = typeof r.request_count === 'number' ? r.request_count : null;
    const skuId = aurousSkuId(type);
    // A refund (negative credits) is a Credit row: no price point (engine/focus/focus.ts nulls the rest).
    const skuPriceId = credits.startsWith('-') ? null : aurousSkuPriceId(type, model);
    return {
      billedCost: multiplyDecimal(credits, rate),
      billingCurrency: 'USD',
      chargeDescription: `Aurous Labs ${type ?? 'usage'}${model ? ` (${model})` : ''}`,
      skuPriceId,
      pricingQuantity: credits,
      pricingUnit: 'Credits',
      listUnitPrice: rate,
      consumedQuantity: requests === null ? null : String(requests),
      consumedUnit: 'Requests',
      pricingCurrency: 'credits',
      pricingCurrencyEffectiveCost: credits,
      skuId,
      skuMeter: type,
      skuPriceDetails: model === null ? null : { x_ModelId: model },
      extra: {
        x_CreditsUsed: credits,
        x_CreditUsdRate: rate,
        x_RequestType: type,
        x_Model: model,
        x_Status: str(r.status),
        x_ApiKeyId: str(r.api_key_id),
        x_UserId: str(r.user_id),
        x_RequestCount: requests,
      },
    };
  };
}

export const aurousSpendStream = spendStream<AurousConfig>({
  provider: AUROUS_FOCUS,
  costs: usageStream,
  settings: (c) => c.focus,
  charge: aurousCharge,
  description:
    'FinOps FOCUS 1.3 cost and usage rows, one per usage group (the same GET /v1/usage requests): credits priced in USD at focus.credit_usd_rate, exactly.',
});
