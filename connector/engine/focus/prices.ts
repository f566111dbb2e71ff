import { normalizeDecimal, shiftDecimalLeft } from '../../decimal.js';

/**
 * Published list prices (FOCUS ListUnitPrice): one entry per price point, kept as data in
 * connector/prices/list-prices.ts with the page each price was read from and when. A price
 * is USD per `unit`, a FOCUS UnitFormat block (`1000000 Tokens`, `1000 Requests`) chosen so
 * the price is the provider's own published figure and ListUnitPrice x PricingQuantity is
 * exact (PricingQuantity = the count with the decimal point moved: blockQuantity).
 */
export interface ListPriceEntry {
  provider: string;
  /** The model id exactly as the API names it. */
  model: string;
  /** What is metered, in the API's words (OpenAI: `input`, `cached input`, `output`; Anthropic: a token_type or cost_type). */
  meter: string;
  /** Price factors that change only the price (the SkuPriceId's, not the SkuId's); absent: standard / any. */
  tier?: string;
  context?: string;
  /** Where inference ran, when the provider prices it (Anthropic: `us`); absent: any / global. */
  geo?: string;
  /** USD per unit, an exact decimal string. */
  usdPerUnit: string;
  /** FOCUS UnitFormat: `1000000 Tokens`, `1000 Requests`, `Requests`. */
  unit: string;
  /** The page the price was read from, and the day it was read (YYYY-MM-DD). */
  source: string;
  asOf: string;
}

export interface PriceKey {
  provider: string;
  model: string;
  meter: string;
  tier?: string | null | undefined;
  context?: string | null | undefined;
  geo?: string | null | undefined;
}

/** The entry of a price point; undefined when the data file does not know it (never a guess). */
export function findListPrice(list: readonly ListPriceEntry[], k: PriceKey): ListPriceEntry | undefined {
  return list.find(
    (e) =>
      e.provider === k.provider &&
      e.model === k.model &&
      e.meter === k.meter &&
      (e.tier ?? 'standard') === (k.tier ?? 'standard') &&
      (e.context ?? null) === (k.context ?? null) &&
      (e.geo ?? null) === (k.geo ?? null),
  );
}

const BLOCK = /^(?:(1(?:0+)?) )?([A-Z][A-Za-z]*)$/;

/**
 * A count in a UnitFormat block: 1234567 tokens in `1000000 Tokens` is 1.234567, the decimal point
 * moved (never a division in floating point); `Tokens` alone is the count itself.
 */
export function blockQuantity(count: string, unit: string): string {
  const m = BLOCK.exec(unit);
  if (!m) throw new Error(`not a UnitFormat block unit: ${JSON.stringify(unit)}`);
  const zeros = (m[1] ?? '1').length - 1;
  return shiftDecimalLeft(normalizeDecimal(count), zeros);
}

/** The base unit of a block unit: `1000000 Tokens` -> `Tokens`. */
export const blockBase = (unit: string): string => unit.replace(/^\d+ /, '');

const keyOf = (k: PriceKey): string => JSON.stringify([k.provider, k.model, k.meter, k.tier ?? 'standard', k.context ?? null, k.geo ?? null]);

/** The data file indexed by price point: one lookup per record instead of a scan. Two entries for one point are refused. */
export class ListPrices {
  private readonly byKey = new Map<string, ListPriceEntry>();

  constructor(list: readonly ListPriceEntry[]) {
    for (const e of list) {
      const k = keyOf(e);
      if (this.byKey.has(k)) throw new Error(`two list prices for one price point: ${k}`);
      this.byKey.set(k, e);
    }
  }

  /** The entry of a price point; undefined when the data file does not know it (never a guess). */
  find(k: PriceKey): ListPriceEntry | undefined {
    return this.byKey.get(keyOf(k));
  }
}

/**
 * The notice (engine/notices.ts: one WARN line per run) for a price point the data file does not
 * price in the row's unit. It names the price point only, so every row of it gives the same text.
 */
export function missingPriceNotice(k: PriceKey, why?: string): string {
  const factors = [k.tier ?? 'standard', ...(k.context ? [`context ${k.context}`] : []), ...(k.geo ? [`geo ${k.geo}`] : [])].join(', ');
  const model = k.model ? `${k.model} ` : '';
  return (
    `spend: no list price for ${k.provider} ${model}"${k.meter}" (${factors}) in connector/prices/list-prices.ts${why ? ` (${why})` : ''}; ` +
    'its rows have ListUnitPrice null and ListCost = BilledCost. Add the published price to the data file (docs/focus.md, List prices).'
  );
}
