import { COSTS_MAX_BUCKETS, USAGE_LIMITS } from './api.js';
import type { ReportDecl } from './reports.js';

/** GET /organization/costs: spend per day; reconciles with the invoice. */
export const COSTS: ReportDecl = {
  name: 'costs',
  path: '/organization/costs',
  description: 'Daily spend in USD per project and line item (GET /organization/costs). Reconciles with the invoice.',
  resultObject: 'organization.costs.result',
  dimensions: ['project_id', 'line_item', 'api_key_id'],
  defaultGroupBy: ['project_id', 'line_item'],
  metrics: [
    { name: 'amount_value', type: 'number', path: ['amount', 'value'], description: 'Cost in amount_currency, exactly as the API sent it.' },
    { name: 'amount_currency', type: 'string', path: ['amount', 'currency'], description: 'Lowercase ISO-4217 currency, e.g. usd.' },
    { name: 'quantity', type: 'number', description: 'Billed quantity (when grouped by line_item).' },
    { name: 'quantity_unit', type: 'string', description: 'Unit of quantity, e.g. tokens.' },
  ],
  filters: ['project_ids', 'api_key_ids'],
  maxBuckets: { '1d': COSTS_MAX_BUCKETS },
};

export const REPORTS: readonly ReportDecl[] = [COSTS];
export { USAGE_LIMITS };
