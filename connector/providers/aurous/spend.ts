import { col } from '../../engine/columns.js';
import { configError, systemError } from '../../engine/errors.js';
import { multiplyDecimal, numberToDecimal, spendStream, stringOrNull as str, type FocusCharge, type FocusProvider } from '../../engine/focus.js';
import type { Row } from '../../engine/stream.js';
import type { AurousConfig } from './config.js';
import { usageStream } from './usage.js';

/**
 * The FOCUS 1.3 `spend` stream of Aurous Labs (docs/focus.md): the `usage` stream's requests and
 * records (GET /v1/usage), each group mapped to one FOCUS row. Aurous bills in credits: PricingCurrency
 * is credits, PricingQuantity and PricingCurrencyEffectiveCost the credits used, and BilledCost
 * credits x focus.credit_usd_rate in USD, multiplied exactly. Without a rate there is no BilledCost:
 * selecting spend then fails as a config_error, never a silent 0.
 */
export const AUROUS_FOCUS: FocusProvider = {
  providerName: 'Aurous Labs',
  serviceName: 'Aurous Labs API',
  defaultAccountId: 'aurous',
  defaultAccountName: 'Aurous Labs team',
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

export const MISSING_RATE =
  'the spend stream needs focus.credit_usd_rate, the USD price of one Aurous credit as a decimal string (e.g. "0.01"): Aurous bills in credits and reports no dollar amount; set it in the config, or leave spend out (of the catalog, or of sync --streams).';

function aurousCharge(config: AurousConfig): (record: Row) => FocusCharge {
  const rate = config.focus.credit_usd_rate;
  if (rate === undefined) throw configError(MISSING_RATE);
  return (r) => {
    if (typeof r.credits_used !== 'number')
      throw systemError('GET /v1/usage: a usage group without metrics.credits_used cannot be a FOCUS row (BilledCost must not be null)');
    const credits = numberToDecimal(r.credits_used);
    const type = str(r.type);
    const model = str(r.model);
    return {
      billedCost: multiplyDecimal(credits, rate),
      billingCurrency: 'USD',
      chargeDescription: `Aurous Labs ${type ?? 'usage'}${model ? ` (${model})` : ''}`,
      pricingQuantity: credits,
      pricingUnit: 'Credits',
      pricingCurrency: 'credits',
      pricingCurrencyEffectiveCost: credits,
      skuId: type,
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
        x_RequestCount: typeof r.request_count === 'number' ? r.request_count : null,
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
