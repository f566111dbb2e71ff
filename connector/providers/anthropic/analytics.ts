import { z } from 'zod';
import { col, columns, type Column, type Columns } from '../../engine/columns/columns.js';
import { pageCursorFields, rfc3339Seconds, WHOLE_PAGE } from '../../engine/fetch/pages.js';
import type { Window } from '../../engine/plan/planner.js';
import { BucketRecords, bucketColumns } from '../../engine/columns/buckets.js';
import type { FailRule, RestartRule } from '../../engine/fetch/responses.js';
import type { Bucket, BucketApi, BucketPlan, BucketStream, Page, Row } from '../../engine/stream.js';
import { BUCKET_SECONDS, DAY, isoTime, type BucketWidth } from '../../engine/time.js';
import type { Query } from '../../http/client.js';
import { arrayParam, BUCKET_FIELDS } from './api.js';
import type { AnthropicConfig } from './config.js';
import { centsToUsd } from './money.js';
import type { GroupedReport } from './reports.js';

/**
 * Anthropic's Usage and Cost Analytics API (beta): GET /v1/organizations/analytics/cost and
 * /usage, read as the streams analytics_cost and analytics_usage. Source:
 * shared/reference/anthropic-analytics-api.md (tags DOC / DOC-LEGACY / INFERRED / UNKNOWN; the
 * choices made where it says UNKNOWN are named below and in docs/streams-anthropic.md).
 *
 * - Every request carries `anthropic-beta: analytics-usage-cost-2026-08-24` (and, like every
 *   Anthropic request, the pinned `anthropic-version`); the legacy reports never do.
 * - A page is a flat list of rows `{starting_at, ending_at, group{}, cost{}|usage{}}` RANKED by
 *   a metric, not ordered by time: a window's rows are collected over all its pages (engine
 *   paging `records`) and handed on, then checkpointed, only after its last page.
 * - The cursor is tied to the exact query and expires when the data refreshes (410): the window
 *   starts again from its first page, at most ANALYTICS_RESTARTS times, then the stream fails.
 * - Windows: at most 31 days (1m buckets: 24 hours), never before max(2026-01-01, now - 365 days)
 *   (a read that would reach earlier starts at the floor and says so: engine/read.ts FloorNotice), only finished buckets.
 */
export const ANALYTICS_BETA = 'analytics-usage-cost-2026-08-24';
/** The earliest `starting_at` the API accepts: 2026-01-01T00:00:00Z [DOC]. */
export const ANALYTICS_FIRST_DAY = Date.UTC(2026, 0, 1) / 1000;
/** ... and within the last 365 days [DOC]. */
const ANALYTICS_MAX_AGE_DAYS = 365;
/** Range per request: 31 days [DOC-LEGACY]; 1m buckets: 24 hours [DOC-LEGACY, UNKNOWN here: the stricter reading]. */
const ANALYTICS_MAX_BUCKETS: Record<BucketWidth, number> = { '1d': 31, '1h': 31 * 24, '1m': 24 * 60 };
/** group_by[] dimensions one request may combine: none documented [UNKNOWN]; the legacy live cap (5) is the stricter reading. */
const ANALYTICS_MAX_GROUP_BY = 5;
/** Items per array parameter (filters): maxItems 100 [DOC for actor_ids, DOC-LEGACY for the rest]. */
export const ANALYTICS_MAX_FILTER_ITEMS = 100;
/** Page size in rows: the maximum is UNKNOWN; the legacy row reports take 1-1000 [DOC-LEGACY]. */
export const ANALYTICS_MAX_PAGE_SIZE = 1000;
/** Restarts of one window from its first page after a refused cursor, before the stream fails. */
const ANALYTICS_RESTARTS = 3;

/** The earliest time a read may start at, given now: whole UTC days, so at or after both limits. */
export const analyticsFloor = (nowS: number): number => Math.max(ANALYTICS_FIRST_DAY, Math.ceil((nowS - ANALYTICS_MAX_AGE_DAYS * DAY) / DAY) * DAY);

/** group_by[] values of both endpoints, in the API's (alphabetical) order [DOC up to service_tier, INFERRED after]. */
const SHARED_DIMENSIONS = [
  'actor',
  'actor_type',
  'agent_id',
  'api_key_id',
  'claude_tag_category',
  'claude_tag_user_id',
  'context_window',
  'deployment_id',
  'environment_id',
  'inference_geo',
  'model',
  'product',
  'rbac_group_id',
  'service_tier',
  'session_id',
  'slack_channel_id',
  'speed',
  'user_profile_id',
  'workspace_id',
] as const;
/** Cost adds cost_type and token_type [DOC]. */
const COST_DIMENSIONS = [...SHARED_DIMENSIONS.slice(0, 7), 'cost_type', ...SHARED_DIMENSIONS.slice(7, 17), 'token_type', ...SHARED_DIMENSIONS.slice(17)];

/**
 * The default grouping answers "who spent what on which model" within the 5-dimension cap:
 * workspace_id and api_key_id (where), actor (who: user, service account, federated identity or
 * the key itself), model (on what). Not cost_type/token_type by default: with them `requests` is
 * null and rows are components of a total.
 */
const DEFAULT_GROUP_BY = ['workspace_id', 'api_key_id', 'actor', 'model'] as const;

const ANALYTICS_COST: GroupedReport = {
  name: 'analytics_cost',
  dimensions: COST_DIMENSIONS,
  defaultGroupBy: DEFAULT_GROUP_BY,
  maxGroupBy: ANALYTICS_MAX_GROUP_BY,
};
const ANALYTICS_USAGE: GroupedReport = {
  name: 'analytics_usage',
  dimensions: SHARED_DIMENSIONS,
  defaultGroupBy: DEFAULT_GROUP_BY,
  maxGroupBy: ANALYTICS_MAX_GROUP_BY,
};
export const ANALYTICS_REPORTS: readonly GroupedReport[] = [ANALYTICS_COST, ANALYTICS_USAGE];

/** Array filters of both endpoints (config `filters.<stream>.<name>`, sent as `<name>[]`) [DOC/DOC-LEGACY/INFERRED: section 3.2]. */
export const ANALYTICS_FILTERS = [
  'actor_ids',
  'actor_types',
  'agent_ids',
  'api_key_ids',
  'claude_tag_categories',
  'claude_tag_user_ids',
  'context_windows',
  'deployment_ids',
  'environment_ids',
  'inference_geos',
  'models',
  'products',
  'rbac_group_ids',
  'service_tiers',
  'session_ids',
  'slack_channel_ids',
  'speeds',
  'user_profile_ids',
  'workspace_ids',
] as const;
export type AnalyticsFilterName = (typeof ANALYTICS_FILTERS)[number];
type AnalyticsFilters = { [K in AnalyticsFilterName]?: string[] | undefined } & { exclude_deleted_users?: boolean | undefined };

// ---- the page --------------------------------------------------------------------------------

const RowTimes = z.looseObject({ starting_at: rfc3339Seconds, ending_at: rfc3339Seconds });

/**
 * {data:[row], has_more, next_page}: the rows of a page become one bucket per `starting_at`, in
 * the order the page first names it; the engine adds each row to its bucket and refuses a row
 * outside the window. `data_refreshed_at` and `organization_id` [DOC-LEGACY] are not needed.
 */
const AnalyticsPage: z.ZodType<Page> = z.looseObject({ data: z.array(z.unknown()), ...pageCursorFields }).transform((p, ctx) => {
  const buckets = new Map<number, Bucket>();
  for (const [i, item] of p.data.entries()) {
    const r = RowTimes.safeParse(item);
    if (!r.success) {
      const issue = r.error.issues[0];
      ctx.addIssue({ code: 'custom', path: ['data', i, ...(issue?.path ?? [])], message: issue?.message ?? 'expected starting_at and ending_at' });
      return z.NEVER;
    }
    const b = buckets.get(r.data.starting_at);
    if (b) b.results.push(item);
    else buckets.set(r.data.starting_at, { start: r.data.starting_at, end: r.data.ending_at, results: [item] });
  }
  return { buckets: [...buckets.values()], hasMore: p.has_more, nextPage: p.next_page };
});

/** Anthropic re-sends every original parameter, byte for byte, plus `page`. */
const nextPageQuery = (first: Query, token: string): Query => [...first.filter(([k]) => k !== 'page'), ['page', token]];

const analyticsApi = (width: BucketWidth, pageSize: number): BucketApi => ({
  // `limit` is rows per page here, not buckets.
  windowQuery: (w) => [
    ['starting_at', isoTime(w.start)],
    ['ending_at', isoTime(w.end)],
    ['time_bucket_width', width],
    ['limit', String(pageSize)],
  ],
  nextPageQuery,
  page: AnalyticsPage,
  // Rows regrouped by their starting_at: parsed whole (a page holds at most `limit` rows).
  shape: WHOLE_PAGE,
});

// ---- the record --------------------------------------------------------------------------------

const DIMENSION_DESCRIPTIONS: Record<string, string> = {
  actor_type: 'api_actor, federated_actor, service_account_actor or user_actor (group.actor_type, else the type of group.actor); null when neither is grouped.',
  api_key_id: 'API key that authenticated the request (apikey_...); null for Console usage or when not grouped by api_key_id.',
  workspace_id: 'Workspace (wrkspc_...); null for the default workspace or when not grouped by workspace_id.',
  model: 'Model; null for rows not tied to a model (code execution) or when not grouped by model.',
  cost_type: 'tokens, web_search or code_execution; null when not grouped by cost_type (the amount is then the total).',
  token_type:
    'Token category of a tokens cost (uncached_input_tokens, output_tokens, cache_read_input_tokens, cache_creation.ephemeral_1h_input_tokens, cache_creation.ephemeral_5m_input_tokens); null otherwise.',
  rbac_group_id: 'RBAC group; rows overlap (a user counts in full in each of their groups), so never sum them for a total.',
  claude_tag_user_id: 'Slack user of Claude Tag usage; per-user rows can add up to less than the Claude Tag total.',
};
const dimensionColumn = (d: string): Column =>
  d === 'actor'
    ? col(
        'actor',
        'object',
        'The identity the usage is attributed to, as the API sent it (group.actor: {type, user_id|service_account_id|api_key_id, ...}); null when not grouped by actor or unattributed.',
        {
          from: ['group', 'actor'],
          extra: { additionalProperties: true },
          check: z.looseObject({ type: z.string() }).nullish(),
        },
      )
    : d === 'actor_type'
      ? col('actor_type', 'string', DIMENSION_DESCRIPTIONS.actor_type as string, { from: null })
      : col(d, 'string', DIMENSION_DESCRIPTIONS[d] ?? `group.${d}; null when not grouped by ${d} (or null as data: no ${d}).`, { from: ['group', d] });

const HEAD: readonly Column[] = bucketColumns({
  ...BUCKET_FIELDS,
  id: 'Deterministic primary key: null-safe hash of the bucket (start and end), every group dimension (the actor by its type and id), and any unknown group key.',
});
const records = new BucketRecords(BUCKET_FIELDS);
const ACTOR_ID = col(
  'actor_id',
  'string',
  'The actor\'s id for flat use: user_id, service_account_id or api_key_id (or its "id"); null for a federated actor (no tagged id) or no actor.',
  {
    from: null,
  },
);
const GROUP_EXTRA = col('group_extra', 'object', 'Group keys this connector does not know yet (the beta may add some), as sent; null when there are none.', {
  from: null,
  extra: { additionalProperties: true },
});

const decimalCents = (field: string) =>
  z.string({ error: `${field} must be a decimal string of cents` }).regex(/^-?\d+(\.\d+)?$/, `${field} must be a decimal string of cents`);

const COST_METRICS: readonly Column[] = [
  col('currency', 'string', 'Currency of the amounts; currently always USD.', { from: ['cost', 'currency'] }),
  col('amount_cents', 'string', 'cost.amount as sent: post-discount, pre-credit cost in cents (fractional cents) as an exact decimal string.', {
    notNull: true,
    from: ['cost', 'amount'],
    required: true,
    check: decimalCents('cost.amount'),
  }),
  col('amount_usd', 'string', 'amount_cents in dollars as an exact decimal string (the point moved two places, no float).', {
    notNull: true,
    from: ['cost', 'amount'],
    convert: centsToUsd,
  }),
  col('list_amount_cents', 'string', 'cost.list_amount as sent: list-price (pre-discount) cost in fractional cents as an exact decimal string.', {
    notNull: true,
    from: ['cost', 'list_amount'],
    required: true,
    check: decimalCents('cost.list_amount'),
  }),
  col('list_amount_usd', 'string', 'list_amount_cents in dollars as an exact decimal string.', {
    notNull: true,
    from: ['cost', 'list_amount'],
    convert: centsToUsd,
  }),
  col(
    'requests',
    'integer',
    'API requests in the row (execution spans for code execution); null when grouped by cost_type or token_type (the API cannot split it), never 0 for unknown.',
    {
      from: ['cost', 'requests'],
    },
  ),
];
const USAGE_METRICS: readonly Column[] = [
  col('uncached_input_tokens', 'integer', 'usage.uncached_input_tokens.', { from: ['usage', 'uncached_input_tokens'] }),
  col('cache_creation_ephemeral_1h_input_tokens', 'integer', 'usage.cache_creation.ephemeral_1h_input_tokens.', {
    from: ['usage', 'cache_creation', 'ephemeral_1h_input_tokens'],
  }),
  col('cache_creation_ephemeral_5m_input_tokens', 'integer', 'usage.cache_creation.ephemeral_5m_input_tokens.', {
    from: ['usage', 'cache_creation', 'ephemeral_5m_input_tokens'],
  }),
  col('cache_read_input_tokens', 'integer', 'usage.cache_read_input_tokens.', { from: ['usage', 'cache_read_input_tokens'] }),
  col('output_tokens', 'integer', 'usage.output_tokens.', { from: ['usage', 'output_tokens'], required: true }),
  col('total_tokens', 'integer', 'usage.total_tokens: all token types together.', { from: ['usage', 'total_tokens'], required: true }),
  col('web_search_requests', 'integer', 'usage.server_tool_use.web_search_requests.', { from: ['usage', 'server_tool_use', 'web_search_requests'] }),
  col('requests', 'integer', 'API requests in the row (execution spans for code execution); null when the API says so.', { from: ['usage', 'requests'] }),
];

const TIMES = { starting_at: z.string(), ending_at: z.string() };
const costColumns = columns([...HEAD, ...COST_DIMENSIONS.map(dimensionColumn), ACTOR_ID, GROUP_EXTRA, ...COST_METRICS], TIMES);
const usageColumns = columns([...HEAD, ...SHARED_DIMENSIONS.map(dimensionColumn), ACTOR_ID, GROUP_EXTRA, ...USAGE_METRICS], TIMES);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The id of an actor, whatever its type: the tagged ids the reference names, then a plain `id`. */
export function actorId(actor: unknown): string | null {
  if (!isObject(actor)) return null;
  for (const k of ['user_id', 'service_account_id', 'api_key_id', 'id']) {
    const v = actor[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/** JSON with sorted keys at every level: the same object always gives the same text. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObject(v))
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  return JSON.stringify(v ?? null);
}

/**
 * The actor's part of the id: its type and id, so a user and an API key with the same id string
 * never collide, and a renamed user keeps its rows' ids; a federated actor (no tagged id) by the
 * whole object, canonically.
 */
export const actorKey = (actor: unknown): string | null => {
  if (!isObject(actor)) return null;
  const id = actorId(actor);
  return id === null ? `object:${canonicalJson(actor)}` : `${String(actor.type)}:${id}`;
};

function analyticsRecord(report: GroupedReport, cols: Columns, width: number, bucket: Bucket, result: unknown): Row {
  const item = cols.parse(result) as Record<string, unknown>;
  const row = cols.row(item);
  const end = rfc3339Seconds.parse(item.ending_at);
  if (end - bucket.start !== width) {
    throw new Error(`row ${isoTime(bucket.start)}..${isoTime(end)} is not one ${width} s bucket (time_bucket_width); refusing to guess its period`);
  }
  const group = isObject(item.group) ? item.group : {};
  const actor = group.actor ?? null;
  records.fill(row, bucket.start, end);
  row.actor_type = typeof group.actor_type === 'string' ? group.actor_type : isObject(actor) && typeof actor.type === 'string' ? actor.type : null;
  row.actor_id = actorId(actor);
  const known = new Set<string>(report.dimensions);
  const extraKeys = Object.keys(group)
    .filter((k) => !known.has(k))
    .sort();
  row.group_extra = extraKeys.length ? Object.fromEntries(extraKeys.map((k) => [k, group[k]])) : null;
  const id = records.id(bucket.start).add(end);
  for (const d of report.dimensions) id.add(d === 'actor' ? actorKey(actor) : (group[d] ?? null));
  row.id = id.add(extraKeys.length ? canonicalJson(row.group_extra) : null).digest();
  return row;
}
export const analyticsCostRecord = (width: number, bucket: Bucket, result: unknown): Row => analyticsRecord(ANALYTICS_COST, costColumns, width, bucket, result);
export const analyticsUsageRecord = (width: number, bucket: Bucket, result: unknown): Row =>
  analyticsRecord(ANALYTICS_USAGE, usageColumns, width, bucket, result);

// ---- responses --------------------------------------------------------------------------------

const requestIdOf = (e: { requestId?: string | undefined }): string => (e.requestId ? ` (request_id ${e.requestId})` : '');

/**
 * - 410 on a followed cursor: it expired with a data refresh [DOC-LEGACY]; 400 that names the
 *   page/cursor: the cursor is no longer tied to the query: restart the window (bounded);
 * - 404: the beta endpoint is not served to this organisation (or the beta was retired): a
 *   config_error that says so, not a base_url hint;
 * - any other 400: Anthropic refused the query itself (grouping, filters, range): config_error
 *   quoting it, never halved into a partial read.
 */
const analyticsResponses = (report: GroupedReport, groupBy: readonly string[], fix?: string): Array<FailRule<Window> | RestartRule> => [
  { when: { status: 410 }, action: 'restart' },
  { when: { status: 400, messageMatches: /\b(page|cursor)\b/i }, action: 'restart' },
  {
    when: { status: 404 },
    action: 'fail',
    failureType: 'config_error',
    message: (e) =>
      `Anthropic does not serve ${report.name} to this key: "${e.message ?? 'not found'}"${requestIdOf(e)}. The Usage and Cost Analytics API is a beta (anthropic-beta: ${ANALYTICS_BETA}); check that the organisation has it, or ${fix ? `set ${fix.split(' ')[0]} to cost_report` : `leave ${report.name} out of the catalog`}.`,
  },
  {
    when: { status: 400 },
    action: 'fail',
    failureType: 'config_error',
    message: (e, w) =>
      `Anthropic refused ${report.name} for ${isoTime(w.start)}..${isoTime(w.end)} (group_by ${groupBy.join(', ') || 'none'}): "${e.message ?? 'bad request'}"${requestIdOf(e)}; check ${fix ?? `group_by.${report.name}, filters.${report.name}, time_bucket_width, analytics_page_size and start_date`} in the config.`,
  },
];

// ---- the streams ------------------------------------------------------------------------------

/** The query of a stream's filters: `<name>[]` per value, then exclude_deleted_users. */
function filterParams(filters: AnalyticsFilters | undefined): Query {
  const out: Array<readonly [string, string]> = [];
  for (const name of ANALYTICS_FILTERS) out.push(...arrayParam(name, filters?.[name]));
  if (filters?.exclude_deleted_users !== undefined) out.push(['exclude_deleted_users', String(filters.exclude_deleted_users)]);
  return out;
}

/** What an analytics plan reads: the config's choices for the stream, or fixed ones (the spend stream's). */
interface AnalyticsQuery {
  width: BucketWidth;
  groupBy: readonly string[];
  filters: AnalyticsFilters | undefined;
  /** What a refusal tells the user to check (the config fields that shape this query). */
  fix?: string;
}

function analyticsPlan(
  report: GroupedReport,
  path: string,
  toRecord: (width: number, bucket: Bucket, result: unknown) => Row,
  config: AnthropicConfig,
  q: AnalyticsQuery,
): BucketPlan {
  const step = BUCKET_SECONDS[q.width];
  return {
    path,
    api: analyticsApi(q.width, config.analytics_page_size),
    params: [...arrayParam('group_by', q.groupBy), ...filterParams(q.filters)],
    headers: { 'anthropic-beta': ANALYTICS_BETA },
    bucketSeconds: step,
    maxBuckets: ANALYTICS_MAX_BUCKETS[q.width],
    paging: { kind: 'records', restarts: ANALYTICS_RESTARTS },
    earliest: { at: analyticsFloor, why: 'Anthropic analytics serve at most the last 365 days and nothing before 2026-01-01' },
    // Only finished buckets: an unfinished one would be emitted with partial amounts and never corrected within the run.
    includeCurrentBucket: false,
    responses: analyticsResponses(report, q.groupBy, q.fix),
    toRecord: (bucket, result) => toRecord(step, bucket, result),
  };
}

function analyticsStream(
  report: GroupedReport,
  path: string,
  description: string,
  cols: Columns,
  toRecord: (width: number, bucket: Bucket, result: unknown) => Row,
): BucketStream<AnthropicConfig> {
  return {
    kind: 'buckets',
    name: report.name,
    description,
    schema: cols.schema(report.name, description),
    primaryKey: [['id']],
    cursorField: 'starting_at',
    plan: (config) =>
      analyticsPlan(report, path, toRecord, config, {
        width: config.time_bucket_width,
        groupBy: config.group_by?.[report.name] ?? report.defaultGroupBy,
        filters: config.filters?.[report.name as 'analytics_cost' | 'analytics_usage'],
      }),
  };
}

export const analyticsCostStream = analyticsStream(
  ANALYTICS_COST,
  '/v1/organizations/analytics/cost',
  'Cost per time bucket and group (GET /v1/organizations/analytics/cost, beta): amount (post-discount, pre-credit) and list_amount (list price) as the exact cent strings sent and as exact USD strings; grouped by workspace_id, api_key_id, actor and model by default. The stream to take money from.',
  costColumns,
  analyticsCostRecord,
);
export const analyticsUsageStream = analyticsStream(
  ANALYTICS_USAGE,
  '/v1/organizations/analytics/usage',
  'Token usage per time bucket and group (GET /v1/organizations/analytics/usage, beta): every token type, total_tokens, web searches and requests; grouped by workspace_id, api_key_id, actor and model by default.',
  usageColumns,
  analyticsUsageRecord,
);

/**
 * The grouping of the spend stream's analytics_cost requests (docs/streams-anthropic.md): additive
 * dimensions only, so a day's rows add up to the day's total (never rbac_group_id, whose rows
 * overlap, nor claude_tag_user_id, whose rows can fall short of the total), within the cap of 5:
 * who (workspace_id, api_key_id, actor), on what (model) and which token type (token_type, the
 * cost line; rows then carry no request count).
 */
export const SPEND_ANALYTICS_GROUP_BY = ['workspace_id', 'api_key_id', 'actor', 'model', 'token_type'] as const;

/**
 * analytics_cost as the spend stream reads it: daily buckets, SPEND_ANALYTICS_GROUP_BY, no
 * filters, whatever the config says for the analytics_cost stream itself (spend is the whole
 * organization's money per day). Not a stream of the catalog: the spend stream's source.
 */
export const spendAnalyticsCostStream: BucketStream<AnthropicConfig> = {
  ...analyticsCostStream,
  plan: (config) =>
    analyticsPlan(ANALYTICS_COST, '/v1/organizations/analytics/cost', analyticsCostRecord, config, {
      width: '1d',
      groupBy: SPEND_ANALYTICS_GROUP_BY,
      filters: undefined,
      fix: 'focus.anthropic_source (cost_report reads the legacy cost report instead) and start_date',
    }),
};

/**
 * The token counts the spend stream joins to its analytics_cost rows (docs/focus.md): analytics
 * usage of the same days, 1d buckets, grouped by the cost grouping without token_type (token types
 * are its metrics), no filters. Read for each window before the cost rows are mapped (BucketPlan.join).
 */
const SPEND_ANALYTICS_USAGE_GROUP_BY = ['workspace_id', 'api_key_id', 'actor', 'model'] as const;

export const spendAnalyticsUsagePlan = (config: AnthropicConfig): BucketPlan =>
  analyticsPlan(ANALYTICS_USAGE, '/v1/organizations/analytics/usage', analyticsUsageRecord, config, {
    width: '1d',
    groupBy: SPEND_ANALYTICS_USAGE_GROUP_BY,
    filters: undefined,
    fix: 'focus.anthropic_source (cost_report reads the legacy reports instead) and start_date',
  });
