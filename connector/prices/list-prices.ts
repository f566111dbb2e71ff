import type { ListPriceEntry } from '../engine/prices.js';

/**
 * The providers' published list prices (FOCUS ListUnitPrice), one entry per price point, each
 * with the page it was read from and the day. A model missing here gets no ListUnitPrice (and a
 * LOG line; docs/focus.md), never a guessed price. Keep entries sorted by provider, model, meter.
 */
export const LIST_PRICES: readonly ListPriceEntry[] = [];
