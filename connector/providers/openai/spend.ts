import { col } from '../../engine/columns.js';
import { numberToDecimal, spendStream, type FocusCharge, type FocusProvider } from '../../engine/focus.js';
import type { BucketStream, Row } from '../../engine/stream.js';
import type { OpenAiConfig } from './config.js';

/**
 * The FOCUS 1.3 `spend` stream of OpenAI (docs/focus.md): the `costs` stream's requests and
 * records (GET /organization/costs, grouped by group_by.costs), each bucket result mapped to one
 * FOCUS row. BilledCost is amount.value exactly as sent, written out as a plain decimal.
 */
export const OPENAI_FOCUS: FocusProvider = {
  providerName: 'OpenAI',
  serviceName: 'OpenAI API',
  defaultAccountId: 'openai',
  defaultAccountName: 'OpenAI organization',
  extraColumns: [
    col('x_LineItem', 'string', 'OpenAI line_item as sent; null when costs are not grouped by line_item.'),
    col('x_ApiKeyId', 'string', 'OpenAI api_key_id; null when costs are not grouped by api_key_id or null upstream.'),
    col('x_ApiKeyName', 'string', 'Name of x_ApiKeyId from its project’s API key list (docs/focus.md, Names); null when no list names it (deleted, unknown).'),
  ],
  names: { subAccount: 'subAccounts', columns: [{ column: 'x_ApiKeyName', idColumn: 'x_ApiKeyId', kind: 'apiKeys' }] },
};

/** "gpt-4o-2024-08-06, input" -> model and meter; a line item with no ", " names no model. */
export function splitLineItem(lineItem: string | null): { model: string | null; meter: string | null } {
  if (lineItem === null) return { model: null, meter: null };
  const at = lineItem.lastIndexOf(', ');
  if (at <= 0) return { model: null, meter: lineItem };
  return { model: lineItem.slice(0, at), meter: lineItem.slice(at + 2) };
}

function openAiCharge(record: Row): FocusCharge {
  const amount = record.amount_value;
  const currency = record.amount_currency;
  if (typeof amount !== 'number') throw new Error('a costs result without amount.value cannot be a FOCUS row (BilledCost must not be null)');
  if (typeof currency !== 'string') throw new Error('a costs result without amount.currency cannot be a FOCUS row (BillingCurrency must not be null)');
  const lineItem = (record.line_item as string | null) ?? null;
  const { model, meter } = splitLineItem(lineItem);
  const quantity = typeof record.quantity === 'number' ? numberToDecimal(record.quantity) : null;
  const unit = (record.quantity_unit as string | null) ?? null;
  return {
    billedCost: numberToDecimal(amount),
    billingCurrency: currency,
    chargeDescription: lineItem ?? 'OpenAI API usage',
    pricingQuantity: quantity,
    pricingUnit: unit,
    consumedQuantity: quantity,
    consumedUnit: unit,
    skuId: lineItem,
    skuMeter: meter,
    skuPriceDetails: model === null ? null : { x_ModelId: model, x_ModelDeveloper: 'OpenAI' },
    subAccountId: (record.project_id as string | null) ?? null,
    subAccountType: 'Project',
    extra: { x_LineItem: lineItem, x_ApiKeyId: record.api_key_id ?? null },
  };
}

export const openAiSpendStream = (costs: BucketStream<OpenAiConfig>): BucketStream<OpenAiConfig> =>
  spendStream({
    provider: OPENAI_FOCUS,
    costs,
    settings: (c) => c.focus,
    charge: () => openAiCharge,
    description:
      'FinOps FOCUS 1.3 cost and usage rows, one per costs record (the same GET /organization/costs requests): BilledCost exactly as sent, per day, project and line item.',
  });
