import { col } from '../../engine/columns/columns.js';
import { spendStream, stringOrNull as str, type FocusCharge, type FocusProvider } from '../../engine/focus/focus.js';
import type { Row } from '../../engine/stream.js';
import { XAI_ACCOUNT, type XaiConfig } from './config.js';
import { usageStream } from './usage.js';

/**
 * The FOCUS 1.3 `spend` stream of xAI (docs/focus.md, docs/xai.md): the `usage` stream's requests and
 * records, each day x API key x billing line one FOCUS row. xAI sells its own models on its own
 * clusters and invoices them itself, so ServiceProviderName, HostProviderName and InvoiceIssuerName are
 * all `xAI`; the billing account is the team (xAI invoices teams).
 *
 * BilledCost is the day's `usd` exactly as sent. The daily analytics give no count (no token or unit
 * value name is known: [UNKNOWN]), so, as docs/focus.md "Where the APIs give no count" says, a row
 * keeps its price point (SkuPriceId = its billing line) and has no PricingQuantity, ConsumedQuantity or
 * ListUnitPrice (ListCost = BilledCost): never a count invented from the money. A negative amount is a
 * Credit row, with no price point.
 */
const XAI_FOCUS: FocusProvider = {
  providerName: 'xAI',
  serviceName: 'xAI API',
  defaultAccountId: XAI_ACCOUNT.accountId,
  defaultAccountName: XAI_ACCOUNT.accountName,
  extraColumns: [
    col('x_ApiKeyId', 'string', 'The API key of the usage (usage.api_key_id); null: usage with no key.'),
    col('x_ApiKeyLabel', 'string', "xAI's label of the key: its name and redacted form (never the key)."),
    col('x_Description', 'string', 'The billing line as xAI names it (usage.description).'),
  ],
};

/** The model a billing line names (`Chat grok-4-0709` -> grok-4-0709, `grok-voice-think-fast-2.0`): its word starting with grok; none for `Search`. */
export const modelOf = (description: string | null): string | null => description?.split(/\s+/).find((w) => /^grok/i.test(w)) ?? null;

function xaiCharge(): (record: Row) => FocusCharge {
  return (r) => {
    const usd = String(r.usd);
    const description = str(r.description);
    const skuId = description ?? 'xAI usage';
    const model = modelOf(description);
    return {
      billedCost: usd,
      billingCurrency: 'USD',
      chargeDescription: `xAI API ${description ?? 'usage'}`,
      // A Credit (negative amount) has no price point; every Usage row has one (CAU-SkuPriceId-C-005-C).
      skuPriceId: usd.startsWith('-') ? null : skuId,
      skuId,
      skuMeter: description,
      skuPriceDetails: model === null ? null : { x_ModelId: model, x_ModelDeveloper: 'xAI' },
      extra: {
        x_ApiKeyId: str(r.api_key_id),
        x_ApiKeyLabel: str(r.api_key_label),
        x_Description: description,
      },
    };
  };
}

export const xaiSpendStream = spendStream<XaiConfig>({
  provider: XAI_FOCUS,
  costs: usageStream,
  settings: (c) => c.focus,
  charge: xaiCharge,
  description:
    'FinOps FOCUS 1.3 cost and usage rows, one per usage record (the same POST .../usage requests): the day’s usd per API key and billing line, exactly; no quantities (the API gives none).',
});
