import { col } from '../../engine/columns/columns.js';
import { multiplyDecimal, numberToDecimal } from '../../decimal.js';
import { spendStream, type FocusCharge, type FocusProvider } from '../../engine/focus/focus.js';
import type { NoticeSink } from '../../engine/notices.js';
import { blockBase, blockQuantity, ListPrices, missingPriceNotice, type PriceKey } from '../../engine/focus/prices.js';
import type { BucketStream, Row } from '../../engine/stream.js';
import { LIST_PRICES } from '../../prices/list-prices.js';
import { OPENAI_ACCOUNT, type OpenAiConfig } from './config.js';

/**
 * The FOCUS 1.3 `spend` stream of OpenAI (docs/focus.md): the `costs` stream's requests and
 * records (GET /organization/costs, grouped by group_by.costs), each bucket result mapped to one
 * FOCUS row. BilledCost is amount.value exactly as sent, written out as a plain decimal.
 */
const OPENAI_FOCUS: FocusProvider = {
  providerName: 'OpenAI',
  serviceName: 'OpenAI API',
  defaultAccountId: OPENAI_ACCOUNT.accountId,
  defaultAccountName: OPENAI_ACCOUNT.accountName,
  extraColumns: [
    col('x_LineItem', 'string', 'OpenAI line_item as sent; null when costs are not grouped by line_item.'),
    col('x_ApiKeyId', 'string', 'OpenAI api_key_id; null when costs are not grouped by api_key_id or null upstream.'),
    col('x_ApiKeyName', 'string', 'Name of x_ApiKeyId from its project’s API key list (docs/focus.md, Names); null when no list names it (deleted, unknown).'),
  ],
  names: { subAccount: 'subAccounts', columns: [{ column: 'x_ApiKeyName', idColumn: 'x_ApiKeyId', kind: 'apiKeys' }] },
};

/**
 * An OpenAI line item, as the costs API writes them (seen live: `gpt-4o-mini-2024-07-18, input`,
 * `gpt-5.4-mini-2026-03-17, cached input`, `gpt-audio-mini-2025-12-15 audio, input`,
 * `batch api | gpt-image-2.5-sunburst image, output`, `evals | gpt-4o-mini-2024-07-18, input`,
 * `web search tool calls`, `assistants api | file search`):
 * `[<surface> | ]<model>[ <modality>], <meter>`, or a name with no model.
 */
interface LineItem {
  /** The part before ` | ` when the rest names a model (`batch api`, `evals`); null otherwise. */
  surface: string | null;
  /** The model id (no spaces in OpenAI's ids); null for a line item naming none. */
  model: string | null;
  /** What is metered: the token type with its modality (`input`, `cached input`, `image output`), or the whole name when no model. */
  meter: string | null;
  /** The line item without its surface: the same for batch and standard (FOCUS SkuId). */
  sku: string | null;
  /**
   * The price factor the surface stands for: `batch` for the Batch API, the surface as written for
   * another one (`evals`: priced only if the data file has that tier), `standard` without one.
   */
  tier: string;
}

const NO_LINE_ITEM: LineItem = { surface: null, model: null, meter: null, sku: null, tier: 'standard' };

export function parseLineItem(lineItem: string | null): LineItem {
  if (lineItem === null) return NO_LINE_ITEM;
  const bar = lineItem.indexOf(' | ');
  const rest = bar > 0 ? lineItem.slice(bar + 3) : lineItem;
  const comma = rest.lastIndexOf(', ');
  // No model named (`web search tool calls`, `assistants api | file search`): the whole name is the SKU.
  if (comma <= 0) return { surface: null, model: null, meter: lineItem, sku: lineItem, tier: 'standard' };
  const head = rest.slice(0, comma);
  const space = head.indexOf(' ');
  const model = space > 0 ? head.slice(0, space) : head;
  const modality = space > 0 ? head.slice(space + 1) : null;
  const token = rest.slice(comma + 2);
  const surface = bar > 0 ? lineItem.slice(0, bar) : null;
  return {
    surface,
    model,
    meter: modality ? `${modality} ${token}` : token,
    sku: rest,
    tier: surface === null ? 'standard' : surface === 'batch api' ? 'batch' : surface,
  };
}

/** "gpt-4o-2024-08-06, input" -> model and meter (parseLineItem); a line item with no ", " names no model. */
export function splitLineItem(lineItem: string | null): { model: string | null; meter: string | null } {
  const { model, meter } = parseLineItem(lineItem);
  return { model, meter };
}

/**
 * quantity_unit (the costs API's enum) in FOCUS UnitFormat: the base unit and how many places the
 * decimal point moves to count it (`1000_tokens`: thousands of tokens). Not listed: the unit is
 * kept as sent, unpriced.
 */
const UNITS: Record<string, { unit: string; zeros: number }> = {
  tokens: { unit: 'Tokens', zeros: 0 },
  '1000_tokens': { unit: 'Tokens', zeros: 3 },
  characters: { unit: 'Characters', zeros: 0 },
  images: { unit: 'Images', zeros: 0 },
  duration_seconds: { unit: 'Seconds', zeros: 0 },
  duration_minutes: { unit: 'Minutes', zeros: 0 },
  duration_hours: { unit: 'Hours', zeros: 0 },
  gibibyte_hours: { unit: 'GiB-Hours', zeros: 0 },
};

/** The block a count is priced in when the data file has no price for it: OpenAI publishes per 1M tokens (and characters). */
const DEFAULT_BLOCK: Record<string, string> = { Tokens: '1000000 Tokens', Characters: '1000000 Characters' };

const PRICES = new ListPrices(LIST_PRICES);

/** The price-point columns of a line item's row (FOCUS 1.3: a SkuPriceId, then the quantities and the list price). */
interface OpenAiPricePoint {
  skuPriceId: string;
  consumedQuantity: string;
  consumedUnit: string;
  pricingQuantity: string;
  pricingUnit: string;
  listUnitPrice: string | null;
}

/**
 * The price point of a costs result with a line item and a quantity: SkuPriceId is the SKU (the line
 * item without its surface) and the tier; ConsumedQuantity is `quantity` counted in its FOCUS unit;
 * PricingQuantity the same count in the block the list price is published for (`1000000 Tokens`:
 * the decimal point moved six places, exact), so ListUnitPrice x PricingQuantity is the list cost
 * exactly. A price point the data file does not price in that unit gets ListUnitPrice null and a
 * notice (one WARN line per run), never a guess.
 */
export function openAiPricePoint(item: LineItem, quantity: string, quantityUnit: string, notice: NoticeSink, prices: ListPrices = PRICES): OpenAiPricePoint {
  const known = UNITS[quantityUnit];
  const consumedUnit = known?.unit ?? quantityUnit;
  const consumedQuantity = known && known.zeros > 0 ? multiplyDecimal(quantity, `1${'0'.repeat(known.zeros)}`) : quantity;
  const key: PriceKey = { provider: 'OpenAI', model: item.model ?? '', meter: item.meter ?? '', tier: item.tier };
  const entry = prices.find(key);
  const price = entry !== undefined && known !== undefined && blockBase(entry.unit) === consumedUnit ? entry : undefined;
  if (!price) notice(missingPriceNotice(key, entry ? `priced per ${entry.unit}, the costs API counted ${quantityUnit}` : undefined));
  const pricingUnit = price?.unit ?? DEFAULT_BLOCK[consumedUnit] ?? consumedUnit;
  return {
    skuPriceId: `${item.sku}, ${item.tier}`,
    consumedQuantity,
    consumedUnit,
    pricingQuantity: pricingUnit === consumedUnit ? consumedQuantity : blockQuantity(consumedQuantity, pricingUnit),
    pricingUnit,
    listUnitPrice: price?.usdPerUnit ?? null,
  };
}

/** A model's token type (`input`, `cached input`, `output`, with or without a modality): what OpenAI prices per token. */
const TOKEN_METER = /(^| )(cached input|input|output)$/;

/**
 * The unit of a quantity sent without `quantity_unit` (the field is in the spec since 2026-08-21; a
 * live body of 2026-06-14 has `quantity` and no unit): a model's token type counts tokens (that body's
 * amounts are its quantities times the per-token list prices exactly); anything else has no unit, so
 * no price point.
 */
function impliedUnit(item: LineItem): string | null {
  return item.model !== null && item.meter !== null && TOKEN_METER.test(item.meter) ? 'tokens' : null;
}

function openAiCharge(record: Row, notice: NoticeSink): FocusCharge {
  const amount = record.amount_value;
  const currency = record.amount_currency;
  if (typeof amount !== 'number') throw new Error('a costs result without amount.value cannot be a FOCUS row (BilledCost must not be null)');
  if (typeof currency !== 'string') throw new Error('a costs result without amount.currency cannot be a FOCUS row (BillingCurrency must not be null)');
  const lineItem = (record.line_item as string | null) ?? null;
  const item = parseLineItem(lineItem);
  const quantity = typeof record.quantity === 'number' ? numberToDecimal(record.quantity) : null;
  const unit = typeof record.quantity_unit === 'string' ? record.quantity_unit : impliedUnit(item);
  // A price point needs a line item, a quantity with its unit, and a charge (a credit, negative, has no unit price).
  // Costs not grouped by line_item have none of these: no SkuPriceId, so no quantities (docs/focus.md).
  const point = lineItem !== null && quantity !== null && unit !== null && amount >= 0 ? openAiPricePoint(item, quantity, unit, notice) : null;
  const details: Record<string, unknown> | null =
    item.model === null ? null : { x_ModelId: item.model, x_ModelDeveloper: 'OpenAI', ...(point ? { x_PriceTier: item.tier } : {}) };
  return {
    billedCost: numberToDecimal(amount),
    billingCurrency: currency,
    chargeDescription: lineItem ?? 'OpenAI API usage',
    ...(point ?? {}),
    skuId: item.sku,
    skuMeter: item.meter,
    skuPriceDetails: details,
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
    charge: () => (record, _bucket, notice) => openAiCharge(record, notice),
    description:
      'FinOps FOCUS 1.3 cost and usage rows, one per costs record (the same GET /organization/costs requests): BilledCost exactly as sent, per day, project and line item; a price point (SkuPriceId, tokens, list price) per line item.',
  });
