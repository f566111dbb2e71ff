import { compareDecimal, multiplyDecimal } from '../../decimal.js';
import { blockQuantity, findListPrice, type ListPriceEntry } from '../../engine/focus/prices.js';
import type { Row } from '../../engine/stream.js';
import { LIST_PRICES } from '../../prices/list-prices.js';
import { actorKey } from './analytics.js';

/**
 * The exact join of the spend stream's cost rows with the token counts of Anthropic's usage APIs
 * for the same day and grouping (docs/focus.md "Anthropic: quantities"). Pure functions of the
 * records: a cost row gets the count of the one usage row with its grouping, or none (null),
 * never an estimate:
 * - cost_report rows (grouped by workspace_id and description: model, service tier, context
 *   window, inference geo, token type) with usage_report/messages grouped by workspace_id, model,
 *   service_tier, context_window and inference_geo: a token line's count is that row's count of
 *   its token type; a web search line's is the sum of web_search_requests over the workspace;
 * - analytics_cost rows (grouped by workspace_id, api_key_id, actor, model, token_type) with
 *   analytics usage grouped by workspace_id, api_key_id, actor and model: a token row's count is
 *   that row's count of its token type; a row without token_type is web search only where its
 *   list_amount is exactly the published web-search price times the usage row's web_search_requests.
 * No usage row, more than one, a null count (the API omits the field on its oldest days), or a
 * cost without a count (code execution): no quantity.
 */

/** The usage column of each token_type (usage_report/messages and analytics usage name them alike). */
const TOKEN_COLUMNS: Readonly<Record<string, string>> = {
  uncached_input_tokens: 'uncached_input_tokens',
  'cache_creation.ephemeral_1h_input_tokens': 'cache_creation_ephemeral_1h_input_tokens',
  'cache_creation.ephemeral_5m_input_tokens': 'cache_creation_ephemeral_5m_input_tokens',
  cache_read_input_tokens: 'cache_read_input_tokens',
  output_tokens: 'output_tokens',
};

/** The group_by of the usage_report/messages requests joined to cost_report rows: every price factor a cost line names. */
export const COST_REPORT_JOIN_GROUP_BY = ['workspace_id', 'model', 'service_tier', 'context_window', 'inference_geo'] as const;

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
/** A count as the API sent it: a non-negative integer, else null (absent, null, anything else). */
const count = (v: unknown): string | null => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? String(v) : null);

const AMBIGUOUS = Symbol('ambiguous');
type Index = Map<string, Row | typeof AMBIGUOUS>;
const indexes = new WeakMap<readonly Row[], Index>();

/** The usage rows of a bucket by key, built once per bucket; a key held by two rows is ambiguous (no count). */
function indexOf(usage: readonly Row[], key: (r: Row) => string): Index {
  let index = indexes.get(usage);
  if (!index) {
    index = new Map();
    for (const r of usage) {
      const k = key(r);
      index.set(k, index.has(k) ? AMBIGUOUS : r);
    }
    indexes.set(usage, index);
  }
  return index;
}

const messagesKey = (r: Row): string => JSON.stringify(COST_REPORT_JOIN_GROUP_BY.map((d) => str(r[d])));

/** The count of a cost_report row (a decimal string), from the usage_report/messages rows of its day; null when none matches exactly. */
export function costReportCount(cost: Row, usage: readonly Row[] | undefined): string | null {
  if (!usage) return null;
  const costType = str(cost.cost_type);
  if (costType === 'tokens') {
    const column = TOKEN_COLUMNS[str(cost.token_type) ?? ''];
    if (!column || str(cost.model) === null) return null;
    const row = indexOf(usage, messagesKey).get(messagesKey(cost));
    return row === undefined || row === AMBIGUOUS ? null : count(row[column]);
  }
  if (costType === 'web_search') {
    // The cost report has one web search line per workspace: every usage row of the workspace.
    const ws = str(cost.workspace_id);
    const rows = usage.filter((r) => str(r.workspace_id) === ws);
    if (rows.length === 0) return null;
    let total = 0n;
    for (const r of rows) {
      const n = count(r.server_tool_use_web_search_requests);
      if (n === null) return null;
      total += BigInt(n);
    }
    return total.toString();
  }
  return null;
}

const analyticsKey = (r: Row): string => JSON.stringify([str(r.workspace_id), str(r.api_key_id), actorKey(r.actor), str(r.model)]);

/** The published web-search price (per 1000 requests). */
export const WEB_SEARCH_PRICE: ListPriceEntry | undefined = findListPrice(LIST_PRICES, { provider: 'Anthropic', model: '*', meter: 'web_search' });

/**
 * The count of an analytics_cost row from the analytics usage rows of its day: `meter` is its
 * token_type, or `web_search` for a row without one whose list amount is exactly the published
 * web-search price times the usage row's web_search_requests; count null when none matches exactly.
 */
export function analyticsCount(cost: Row, usage: readonly Row[] | undefined): { meter: 'web_search' | string | null; count: string | null } {
  const tokenType = str(cost.token_type);
  if (!usage) return { meter: tokenType, count: null };
  const row = indexOf(usage, analyticsKey).get(analyticsKey(cost));
  const found = row === undefined || row === AMBIGUOUS ? null : row;
  if (tokenType !== null) {
    const column = TOKEN_COLUMNS[tokenType];
    return { meter: tokenType, count: column && found ? count(found[column]) : null };
  }
  const searches = found ? count(found.web_search_requests) : null;
  const list = str(cost.list_amount_usd);
  if (searches === null || searches === '0' || list === null || !WEB_SEARCH_PRICE) return { meter: null, count: null };
  const atList = multiplyDecimal(WEB_SEARCH_PRICE.usdPerUnit, blockQuantity(searches, WEB_SEARCH_PRICE.unit));
  return compareDecimal(list, atList) === 0 ? { meter: 'web_search', count: searches } : { meter: null, count: null };
}
