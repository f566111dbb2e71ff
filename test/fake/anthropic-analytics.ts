import type { JsonReply } from './server.js';
import type { Actor, Ledger, LedgerEvent, TokenType } from './anthropic-ledger.js';
import { centsToUnits, DIMENSIONS, TOKEN_TYPES, unitsToCents, unitsToUsd } from './anthropic-ledger.js';
import { shortHash } from './random.js';

/**
 * The fake of Anthropic's Usage and Cost Analytics API (beta), served by FakeAnthropic on the
 * same server and organisation (workspaces, API keys, users, service accounts):
 * GET /v1/organizations/analytics/cost and /usage, as shared/reference/anthropic-analytics-api.md
 * describes them, taking the stricter reading wherever the reference is unsure:
 * - `anthropic-beta: analytics-usage-cost-2026-08-24` is required: without it the answer is a
 *   404 not_found_error, as for a path that does not exist (the stricter of the two plausible
 *   answers: a client cannot tell it from a wrong URL, so it must send the header, not react to
 *   a helpful 400);
 * - starting_at within the last 365 days and not before 2026-01-01, at most 31 days per request
 *   (24 hours with 1m), aligned to time_bucket_width, ending_at not in the future; at most 100
 *   items per array, at most 5 group_by[] dimensions (the legacy live cap; none is documented),
 *   claude_tag_user_id never with rbac_group_id, unknown parameters refused: 400
 *   invalid_request_error with the API's kind of message;
 * - rows only for combinations with data, every group field present and null unless grouped,
 *   RANKED by the metric (amount / total_tokens, desc) over the whole range, not by time, ties
 *   broken by a hash of the query (so the order is unpredictable, but stable for one query);
 * - the data is the organisation's one ledger (anthropic-ledger.ts), so the rows of a day add
 *   up to that day's cost_report and their tokens to usage_report/messages;
 * - cost fan-out: grouping by cost_type or token_type splits rows into components, whose
 *   `requests` is null (a dimension not grouped is null); amounts are fractional cents with up
 *   to 9 decimals, list_amount above amount (discounts);
 * - actors of every type, including a service account and an API key with the same id string,
 *   a federated actor without a tagged id, and unattributed (null) usage;
 * - page tokens tied to the exact query (a token with another query: 400), expiring when the data
 *   refreshes (410); switches make tokens expire or misbind on demand and refresh the data
 *   between pages.
 * Ground truth: analyticsRows() / expectedCost() / expectedUsage(), computed from the events with
 * BigInt arithmetic, independently of the connector.
 */
export const ANALYTICS_BETA = 'analytics-usage-cost-2026-08-24';
export const ANALYTICS_FIRST_DAY = Date.UTC(2026, 0, 1) / 1000;
const DAY = 86_400;
export type AnalyticsWidth = '1d' | '1h' | '1m';
const WIDTH: Record<AnalyticsWidth, number> = { '1d': DAY, '1h': 3_600, '1m': 60 };

/** The analytics dimensions both endpoints group by: the ledger's (the fake keeps its own list, apart from the connector's). */
export const SHARED_DIMS = DIMENSIONS;
export const COST_DIMS = [...SHARED_DIMS, 'cost_type', 'token_type'] as const;
export { TOKEN_TYPES } from './anthropic-ledger.js';

/** Filter parameter -> group dimension (actor_ids is matched on the actor's tagged id). */
const FILTERS: Record<string, string> = {
  'actor_ids[]': 'actor',
  'actor_types[]': 'actor_type',
  'agent_ids[]': 'agent_id',
  'api_key_ids[]': 'api_key_id',
  'claude_tag_categories[]': 'claude_tag_category',
  'claude_tag_user_ids[]': 'claude_tag_user_id',
  'context_windows[]': 'context_window',
  'deployment_ids[]': 'deployment_id',
  'environment_ids[]': 'environment_id',
  'inference_geos[]': 'inference_geo',
  'models[]': 'model',
  'products[]': 'product',
  'rbac_group_ids[]': 'rbac_group_id',
  'service_tiers[]': 'service_tier',
  'session_ids[]': 'session_id',
  'slack_channel_ids[]': 'slack_channel_id',
  'speeds[]': 'speed',
  'user_profile_ids[]': 'user_profile_id',
  'workspace_ids[]': 'workspace_id',
};

export type { Actor } from './anthropic-ledger.js';
export { unitsToCents, unitsToUsd } from './anthropic-ledger.js';
/** The finest grain of the fake: one event of the organisation's ledger (anthropic-ledger.ts). */
export type AnalyticsEvent = LedgerEvent;

export interface AnalyticsOptions {
  /** Most group_by[] values per request (default 5). */
  maxGroupBy?: number;
  /** Serve at most this many rows per page whatever `limit` says. */
  pageCap?: number;
  /** A followed token of page `afterPages` or later (1: the second page) answers 410, `times` times (default 1; Infinity: always), for queries starting at or after `from`. */
  expiry?: { afterPages: number; times?: number; from?: number };
  /** A followed token answers 400 as if the query had changed, `times` times (default 1; Infinity: always). */
  misbind?: { afterPages?: number; times?: number };
  /** The data refreshes once after this many pages have been served in all: new rows, earlier tokens expire (410). */
  refreshAfterPages?: number;
}

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** The analytics view of the organisation's one ledger (anthropic-ledger.ts): its events, grouped as the API groups them. */
export class AnalyticsData {
  constructor(readonly ledger: Ledger) {}

  /** Bumped by a data refresh: every generation adds late rows; tokens of an earlier one expire. */
  get generation(): number {
    return this.ledger.generation;
  }
  set generation(g: number) {
    this.ledger.generation = g;
  }

  /** A service account and an API key that share one id string: their actors must not collide. */
  get sharedActorId(): string {
    return this.ledger.sharedActorId;
  }

  /** Every event of one UTC day, for the current generation. */
  eventsOn(day: number): AnalyticsEvent[] {
    return this.ledger.eventsOn(day);
  }

  /** Events in [start, end), through the filters. */
  events(start: number, end: number, filters: ReadonlyMap<string, readonly string[]> = new Map(), excludeDeleted = false): AnalyticsEvent[] {
    const out: AnalyticsEvent[] = [];
    for (let d = Math.floor(start / DAY) * DAY; d < end; d += DAY)
      for (const e of this.eventsOn(d)) {
        if (e.t < start || e.t >= end) continue;
        if (excludeDeleted && e.deletedUser) continue;
        let keep = true;
        for (const [param, values] of filters) {
          const dim = FILTERS[param] as string;
          const v = e.dims[dim];
          if (dim === 'actor') {
            const a = v as Actor | null;
            const id = a ? (a.user_id ?? a.service_account_id ?? a.api_key_id ?? null) : null;
            keep = id !== null && values.includes(String(id));
          } else if (dim === 'inference_geo') keep = values.includes(v === null ? 'not_available' : String(v));
          else keep = v !== null && values.includes(String(v));
          if (!keep) break;
        }
        if (keep) out.push(e);
      }
    return out;
  }

  /**
   * The rows the API answers for one query, in no particular order: one per bucket and
   * combination of the grouped dimensions with data; cost rows fan out by component when
   * cost_type or token_type is grouped.
   */
  rows(
    kind: 'cost' | 'usage',
    o: {
      start: number;
      end: number;
      width: AnalyticsWidth;
      groupBy: readonly string[];
      filters?: ReadonlyMap<string, readonly string[]>;
      excludeDeleted?: boolean;
    },
  ): Array<Record<string, unknown>> {
    const step = WIDTH[o.width];
    const dims = kind === 'cost' ? COST_DIMS : SHARED_DIMS;
    const fanOut = kind === 'cost' && (o.groupBy.includes('cost_type') || o.groupBy.includes('token_type'));
    const acc = new Map<
      string,
      { bucket: number; group: Record<string, unknown>; amount: bigint; list: bigint; tokens: Record<TokenType, number>; web: number; requests: number | null }
    >();
    for (const e of this.events(o.start, o.end, o.filters, o.excludeDeleted)) {
      const bucket = Math.floor(e.t / step) * step;
      const parts: Array<{ costType: string | null; tokenType: string | null; list: bigint; amount: bigint }> = fanOut
        ? e.costs.map(([ct, tt, list, amount]) => ({
            costType: o.groupBy.includes('cost_type') ? ct : null,
            tokenType: o.groupBy.includes('token_type') ? tt : null,
            list,
            amount,
          }))
        : [{ costType: null, tokenType: null, list: e.costs.reduce((s, c) => s + c[2], 0n), amount: e.costs.reduce((s, c) => s + c[3], 0n) }];
      for (const part of parts) {
        const group: Record<string, unknown> = {};
        for (const d of dims) group[d] = null;
        for (const d of o.groupBy) if (d !== 'cost_type' && d !== 'token_type') group[d] = e.dims[d] ?? null;
        if (fanOut) {
          group.cost_type = part.costType;
          group.token_type = part.tokenType;
        }
        const key = `${bucket}|${JSON.stringify(dims.map((d) => group[d]))}`;
        let a = acc.get(key);
        if (!a) {
          a = {
            bucket,
            group,
            amount: 0n,
            list: 0n,
            tokens: Object.fromEntries(TOKEN_TYPES.map((t) => [t, 0])) as Record<TokenType, number>,
            web: 0,
            requests: 0,
          };
          acc.set(key, a);
        }
        a.amount += part.amount;
        a.list += part.list;
        for (const t of TOKEN_TYPES) a.tokens[t] += e.tokens[t];
        a.web += e.webSearches;
        a.requests = a.requests === null || e.requests === null ? null : a.requests + e.requests;
      }
    }
    return [...acc.values()].map((a) => {
      const head = { starting_at: iso(a.bucket), ending_at: iso(a.bucket + step), group: a.group };
      if (kind === 'cost') {
        return {
          ...head,
          cost: { amount: unitsToCents(a.amount), currency: 'USD', list_amount: unitsToCents(a.list), requests: fanOut ? null : a.requests },
          _rank: a.amount,
        };
      }
      const total = TOKEN_TYPES.reduce((s, t) => s + a.tokens[t], 0);
      return {
        ...head,
        usage: {
          uncached_input_tokens: a.tokens.uncached_input_tokens,
          cache_creation: {
            ephemeral_1h_input_tokens: a.tokens['cache_creation.ephemeral_1h_input_tokens'],
            ephemeral_5m_input_tokens: a.tokens['cache_creation.ephemeral_5m_input_tokens'],
          },
          cache_read_input_tokens: a.tokens.cache_read_input_tokens,
          output_tokens: a.tokens.output_tokens,
          server_tool_use: { web_search_requests: a.web },
          requests: a.requests,
          total_tokens: total,
        },
        _rank: BigInt(total),
      };
    });
  }

  /** Ground truth of analytics_cost: the records a connector must emit (all but `id`). */
  expectedCost(start: number, end: number, width: AnalyticsWidth = '1d', groupBy: readonly string[] = DEFAULT_GROUP_BY): Array<Record<string, unknown>> {
    return this.rows('cost', { start, end, width, groupBy }).map((r) => {
      const cost = r.cost as Record<string, unknown>;
      const units = r._rank as bigint;
      return {
        ...flat(r),
        currency: 'USD',
        amount_cents: cost.amount,
        amount_usd: unitsToUsd(units),
        list_amount_cents: cost.list_amount,
        list_amount_usd: unitsToUsd(centsToUnits(String(cost.list_amount))),
        requests: cost.requests,
      };
    });
  }

  /** Ground truth of analytics_usage (all but `id`). */
  expectedUsage(start: number, end: number, width: AnalyticsWidth = '1d', groupBy: readonly string[] = DEFAULT_GROUP_BY): Array<Record<string, unknown>> {
    return this.rows('usage', { start, end, width, groupBy }).map((r) => {
      const u = r.usage as Record<string, Record<string, unknown> & Record<string, number>>;
      return {
        ...flat(r),
        uncached_input_tokens: u.uncached_input_tokens,
        cache_creation_ephemeral_1h_input_tokens: u.cache_creation?.ephemeral_1h_input_tokens,
        cache_creation_ephemeral_5m_input_tokens: u.cache_creation?.ephemeral_5m_input_tokens,
        cache_read_input_tokens: u.cache_read_input_tokens,
        output_tokens: u.output_tokens,
        total_tokens: u.total_tokens,
        web_search_requests: u.server_tool_use?.web_search_requests,
        requests: u.requests,
      };
    });
  }

  /** Total cost in [start, end) in exact USD (amount, list_amount), from the events. */
  totalUsd(start: number, end: number): { amount: string; list: string } {
    let amount = 0n;
    let list = 0n;
    for (const e of this.events(start, end)) {
      for (const c of e.costs) {
        list += c[2];
        amount += c[3];
      }
    }
    return { amount: unitsToUsd(amount), list: unitsToUsd(list) };
  }
}

export const DEFAULT_GROUP_BY = ['workspace_id', 'api_key_id', 'actor', 'model'] as const;

/** The columns every analytics record has from its row: times, date, each group field, actor id and type. */
function flat(r: Record<string, unknown>): Record<string, unknown> {
  const group = r.group as Record<string, unknown>;
  const actor = group.actor as Actor | null;
  const out: Record<string, unknown> = {
    starting_at: r.starting_at,
    ending_at: r.ending_at,
    date: String(r.starting_at).slice(0, 10),
  };
  for (const [k, v] of Object.entries(group)) out[k] = v;
  out.actor_type = group.actor_type ?? actor?.type ?? null;
  out.actor_id = actor ? ((actor.user_id ?? actor.service_account_id ?? actor.api_key_id ?? null) as string | null) : null;
  out.group_extra = null;
  return out;
}

// ---- HTTP ----------------------------------------------------------------------------------------

type Reply = (status: number, type: string, message: string, headers?: Record<string, string>) => JsonReply;

const COST_ORDER = ['amount', 'list_amount', 'requests'];
const USAGE_ORDER = ['total_tokens', 'output_tokens', 'uncached_input_tokens', 'requests'];
const MAX_ITEMS = 100;

function parseTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** Every parameter but the cursor, in order: a token is tied to exactly this query. */
const fingerprint = (q: URLSearchParams): string =>
  shortHash(
    [...q.entries()]
      .filter(([k]) => k !== 'page')
      .map(([k, v]) => `${k}=${v}`)
      .join('&'),
    16,
  );

interface Token {
  /** Offset of the next row. */
  o: number;
  /** Query fingerprint. */
  f: string;
  /** Data generation. */
  g: number;
  /** Pages served before this one. */
  n: number;
}
const encodeToken = (t: Token): string => `cursor_${Buffer.from(JSON.stringify(t)).toString('base64url')}`;
function decodeToken(text: string): Token | null {
  try {
    const t = JSON.parse(Buffer.from(text.replace(/^cursor_/, ''), 'base64url').toString('utf8')) as Token;
    return typeof t.o === 'number' && typeof t.f === 'string' && typeof t.g === 'number' && typeof t.n === 'number' ? t : null;
  } catch {
    return null;
  }
}

export const EXPIRED_MESSAGE =
  'The page cursor has expired because the underlying data was refreshed; restart pagination from the first page without the page parameter.';
export const MISBOUND_MESSAGE =
  'page: The page cursor does not match the query parameters. Do not change query parameters while paginating; start again without a page parameter.';

/** The two analytics endpoints, on FakeAnthropic's server. */
export class AnalyticsEndpoints {
  /** Pages served in all (for refreshAfterPages). */
  pagesServed = 0;
  private expiriesLeft: number;
  private misbindsLeft: number;

  constructor(
    readonly data: AnalyticsData,
    private readonly options: AnalyticsOptions,
    private readonly reply: Reply,
  ) {
    this.expiriesLeft = options.expiry ? (options.expiry.times ?? 1) : 0;
    this.misbindsLeft = options.misbind ? (options.misbind.times ?? 1) : 0;
  }

  private invalid(message: string): JsonReply {
    return this.reply(400, 'invalid_request_error', message);
  }

  handle(kind: 'cost' | 'usage', q: URLSearchParams, beta: string, nowS: number): JsonReply {
    const betas = beta
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (!betas.includes(ANALYTICS_BETA)) return this.reply(404, 'not_found_error', 'Not Found');
    const allowed = [
      'starting_at',
      'ending_at',
      'time_bucket_width',
      'group_by[]',
      'order_by',
      'order',
      'limit',
      'page',
      'exclude_deleted_users',
      ...Object.keys(FILTERS),
    ];
    const extra = [...new Set(q.keys())].find((k) => !allowed.includes(k));
    if (extra) return this.invalid(`${extra}: Extra inputs are not permitted`);
    const startText = q.get('starting_at');
    if (startText === null) return this.invalid('starting_at: Field required');
    const start = parseTime(startText);
    if (start === null) return this.invalid(`starting_at: Input should be a valid datetime, got '${startText}'`);
    const floor = Math.max(ANALYTICS_FIRST_DAY, nowS - 365 * DAY);
    if (start < floor) return this.invalid('starting_at: must be within the last 365 days and no earlier than 2026-01-01T00:00:00Z');
    const widthText = q.get('time_bucket_width');
    if (widthText !== null && !(widthText in WIDTH)) return this.invalid(`time_bucket_width: Input should be '1d', '1h' or '1m', got '${widthText}'`);
    // Without a width the fake would serve one row per range; the connector always sets one, so the fake insists (stricter).
    if (widthText === null) return this.invalid('time_bucket_width: this fake serves bucketed queries only');
    const width = widthText as AnalyticsWidth;
    const step = WIDTH[width];
    if (start % step !== 0) return this.invalid(`starting_at: must be aligned to the ${width} time bucket`);
    const endText = q.get('ending_at');
    const end = endText === null ? Math.min(nowS, start + 31 * DAY) : parseTime(endText);
    if (end === null) return this.invalid(`ending_at: Input should be a valid datetime, got '${endText}'`);
    if (end <= start) return this.invalid('ending_at: must be after starting_at');
    if (end > nowS) return this.invalid('ending_at: must not be in the future');
    if (end % step !== 0) return this.invalid(`ending_at: must be aligned to the ${width} time bucket`);
    if (end - start > 31 * DAY) return this.invalid('The range between starting_at and ending_at may span at most 31 days');
    if (width === '1m' && end - start > DAY) return this.invalid("The range may span at most 24 hours with time_bucket_width '1m'");
    const limitText = q.get('limit');
    const limit = limitText === null ? 20 : /^\d+$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= 1000)) return this.invalid(`limit: Input should be between 1 and 1000, got '${limitText}'`);
    const groupBy = q.getAll('group_by[]');
    const dims: readonly string[] = kind === 'cost' ? COST_DIMS : SHARED_DIMS;
    const wrong = groupBy.find((g) => !dims.includes(g));
    if (wrong !== undefined) return this.invalid(`group_by[]: Input should be one of ${dims.map((d) => `'${d}'`).join(', ')}, got '${wrong}'`);
    if (new Set(groupBy).size !== groupBy.length) return this.invalid('group_by[]: values must be unique');
    const maxGroupBy = this.options.maxGroupBy ?? 5;
    if (groupBy.length > maxGroupBy) return this.invalid(`Cannot specify more than ${maxGroupBy} group_by[] dimensions.`);
    const filters = new Map<string, string[]>();
    for (const param of ['group_by[]', ...Object.keys(FILTERS)]) {
      const values = q.getAll(param);
      if (values.length > MAX_ITEMS) return this.invalid(`${param}: List should have at most ${MAX_ITEMS} items after validation, not ${values.length}`);
      if (param !== 'group_by[]' && values.length) filters.set(param, values);
    }
    if (
      (groupBy.includes('claude_tag_user_id') || filters.has('claude_tag_user_ids[]')) &&
      (groupBy.includes('rbac_group_id') || filters.has('rbac_group_ids[]'))
    )
      return this.invalid('claude_tag_user_id cannot be combined with group_by[]=rbac_group_id or the rbac_group_ids[] filter');
    const orderBy = q.get('order_by');
    const orders = kind === 'cost' ? COST_ORDER : USAGE_ORDER;
    if (orderBy !== null && !orders.includes(orderBy)) return this.invalid(`order_by: Input should be one of ${orders.join(', ')}, got '${orderBy}'`);
    const order = q.get('order') ?? 'desc';
    if (order !== 'asc' && order !== 'desc') return this.invalid(`order: Input should be 'asc' or 'desc', got '${order}'`);
    const excl = q.get('exclude_deleted_users');
    if (excl !== null && excl !== 'true' && excl !== 'false') return this.invalid('exclude_deleted_users: Input should be a valid boolean');

    const fp = fingerprint(q);
    let offset = 0;
    let served = 0;
    const pageText = q.get('page');
    if (pageText !== null) {
      const t = decodeToken(pageText);
      if (t === null) return this.invalid('page: Invalid page cursor');
      if (t.f !== fp) return this.invalid(MISBOUND_MESSAGE);
      if (t.g !== this.data.generation) return this.reply(410, 'invalid_request_error', EXPIRED_MESSAGE);
      if (this.options.expiry && t.n >= this.options.expiry.afterPages && start >= (this.options.expiry.from ?? -Infinity) && this.expiriesLeft > 0) {
        this.expiriesLeft -= 1;
        return this.reply(410, 'invalid_request_error', EXPIRED_MESSAGE);
      }
      if (this.options.misbind && t.n >= (this.options.misbind.afterPages ?? 1) && this.misbindsLeft > 0) {
        this.misbindsLeft -= 1;
        return this.invalid(MISBOUND_MESSAGE);
      }
      offset = t.o;
      served = t.n;
    }
    const rows = this.data.rows(kind, { start, end, width, groupBy, filters, excludeDeleted: excl === 'true' });
    // Ranked by the metric over the whole range, not by time; ties in an order only this query knows.
    const metric = (r: Record<string, unknown>): bigint => {
      if (orderBy === null || orderBy === 'amount' || orderBy === 'total_tokens') return r._rank as bigint;
      const m = (kind === 'cost' ? r.cost : r.usage) as Record<string, unknown>;
      if (orderBy === 'list_amount') return BigInt((m.list_amount as string).replace('.', '').padEnd(30, '0').slice(0, 30));
      return BigInt((m[orderBy] as number | null) ?? -1);
    };
    const tie = (r: Record<string, unknown>): string => shortHash(`${fp}:${r.starting_at}:${JSON.stringify(r.group)}`, 12);
    rows.sort((a, b) => {
      const ma = metric(a);
      const mb = metric(b);
      if (ma !== mb) return (ma < mb ? 1 : -1) * (order === 'desc' ? 1 : -1);
      return tie(a) < tie(b) ? -1 : 1;
    });
    const size = Math.min(limit, this.options.pageCap ?? Number.POSITIVE_INFINITY);
    const data = rows.slice(offset, offset + size).map(({ _rank, ...r }) => r);
    const next = offset + data.length;
    const hasMore = next < rows.length;
    this.pagesServed += 1;
    const token = hasMore ? encodeToken({ o: next, f: fp, g: this.data.generation, n: served + 1 }) : null;
    if (this.options.refreshAfterPages !== undefined && this.pagesServed === this.options.refreshAfterPages) this.data.generation += 1;
    return {
      status: 200,
      body: {
        data,
        has_more: hasMore,
        next_page: token,
        data_refreshed_at: iso(nowS - 3 * 3_600),
        organization_id: `org_${shortHash(String(this.data.generation), 8)}`,
      },
    };
  }
}
