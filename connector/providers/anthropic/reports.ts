import { z } from 'zod';
import type { Window } from '../../engine/plan/planner.js';
import { BucketRecords, bucketColumns } from '../../engine/columns/buckets.js';
import { col, columns, type Column, type Columns } from '../../engine/columns/columns.js';
import { HALVE_ON_400, type FailRule } from '../../engine/fetch/responses.js';
import type { Bucket, BucketStream, Row } from '../../engine/stream.js';
import { BUCKET_SECONDS, DAY, type BucketWidth } from '../../engine/time.js';
import { anthropicReportApi, arrayParam, BUCKET_FIELDS, COST_REPORT_MAX_BUCKETS, MESSAGES_LIMITS, MESSAGES_MAX_GROUP_BY } from './api.js';
import type { AnthropicConfig } from './config.js';
import { centsToUsd } from './money.js';

/**
 * Anthropic's bucketed reports: cost_report (money, 1d) and usage_report/messages
 * (tokens, 1d/1h/1m). Every record carries the bucket as `starting_at`/`ending_at`
 * (RFC 3339, the cursor is `starting_at`) and `date`, every dimension (null when not
 * grouped by it, and null as data: workspace_id null = the default workspace,
 * api_key_id null = Console usage), and an `id` hashed null-safely from the bucket
 * start and every dimension (engine/columns/buckets.ts BucketRecords).
 */

const records = new BucketRecords(BUCKET_FIELDS);

/** A bucketed record: the item's columns, the bucket's times, and the id hashed from the bucket start and `key`. */
function bucketRecord(items: Columns, key: readonly string[], bucket: Bucket, result: unknown, end = bucket.end): Row {
  const row = items.row(items.parse(result));
  records.fill(row, bucket.start, end);
  const id = records.id(bucket.start);
  for (const k of key) id.add(row[k]);
  row.id = id.digest();
  return row;
}

export interface GroupedReport {
  name: string;
  /** Every group_by[] value this connector may send (beta-gated ones left out). */
  dimensions: readonly string[];
  defaultGroupBy: readonly string[];
  /** Most group_by[] values one request may carry (the config refuses more); all of them when absent. */
  maxGroupBy?: number;
}

/**
 * A 400 invalid_request_error about group_by[] (the cap on the number of values, or a value the API
 * no longer takes) refuses the grouping itself: halving the window cannot help, so the stream fails
 * at once with a config_error that quotes Anthropic and names the field to change.
 */
const groupByRefusal = (report: GroupedReport, groupBy: readonly string[]): Array<FailRule<Window>> => [
  {
    when: { status: 400, type: 'invalid_request_error', messageIncludes: 'group_by' },
    action: 'fail',
    failureType: 'config_error',
    message: (e) => {
      const said = e.message ?? '';
      const cap = /more than (\d+) group_by/.exec(said)?.[1];
      const fix = `${cap ? `at most ${cap}` : 'fewer'} of ${report.dimensions.join(', ')}`;
      const requestId = e.requestId ? ` (request_id ${e.requestId})` : '';
      return `Anthropic refused the grouping of ${report.name} (${groupBy.join(', ')}): "${said}"${requestId}; set group_by.${report.name} in the config to ${fix}.`;
    },
  },
];

// ---- cost_report ---------------------------------------------------------------

/** group_by[] values of GET /v1/organizations/cost_report (BetaCostReportGroupBy). */
const COST_REPORT: GroupedReport = {
  name: 'cost_report',
  dimensions: ['workspace_id', 'description'],
  defaultGroupBy: ['workspace_id', 'description'],
};

/** Fields of a cost item that distinguish rows; hashed (with the bucket start) into the id. */
const COST_KEY_FIELDS = [
  'workspace_id',
  'description',
  'cost_type',
  'model',
  'service_tier',
  'token_type',
  'context_window',
  'inference_geo',
  'currency',
] as const;

const COST_COLUMNS: readonly Column[] = [
  ...bucketColumns(BUCKET_FIELDS),
  col('workspace_id', 'string', 'Workspace of the cost; null for the default workspace (or when not grouped by workspace_id).'),
  col('description', 'string', 'Cost line, e.g. "Claude Sonnet 5 Usage - Input Tokens"; null when not grouped by description.'),
  col('cost_type', 'string', 'tokens, web_search, code_execution or session_usage; null when not grouped by description.'),
  col('model', 'string', 'Model; null when not grouped by description or for non-token costs.'),
  col('service_tier', 'string', 'standard or batch; null when not grouped by description or for non-token costs.'),
  col(
    'token_type',
    'string',
    'uncached_input_tokens, output_tokens, cache_read_input_tokens, cache_creation.ephemeral_1h_input_tokens or cache_creation.ephemeral_5m_input_tokens; null when not grouped by description or for non-token costs.',
  ),
  col('context_window', 'string', '0-200k or 200k-1M; null when not grouped by description or for non-token costs.'),
  col('inference_geo', 'string', 'global, us or not_available; null when the API does not say.'),
  col('currency', 'string', 'Currency of the amount; currently always USD.'),
  col('amount_cents', 'string', 'Cost in cents (lowest currency units) as the exact decimal string the API sent, e.g. "123.78912".', {
    notNull: true,
    from: ['amount'],
    required: true,
    check: z.string({ error: 'amount must be a decimal string of cents' }),
  }),
  col('amount_usd', 'string', 'The same cost in dollars as an exact decimal string (the decimal point moved two places, no float), e.g. "1.2378912".', {
    notNull: true,
    from: ['amount'],
    convert: centsToUsd,
  }),
];
const CostItems = columns(COST_COLUMNS);

export const costRecord = (bucket: Bucket, result: unknown): Row => bucketRecord(CostItems, COST_KEY_FIELDS, bucket, result);

export const costReportStream: BucketStream<AnthropicConfig> = {
  kind: 'buckets',
  name: COST_REPORT.name,
  description:
    'Legacy (Anthropic calls the Usage and Cost API legacy; use analytics_cost): daily cost in USD per workspace and cost line (GET /v1/organizations/cost_report). Only finished UTC days are read. amount_cents is exact; amount_usd is the same amount in dollars as an exact decimal string. Priority Tier costs are not in this report.',
  schema: CostItems.schema(
    COST_REPORT.name,
    'Legacy: daily cost per workspace and cost line (GET /v1/organizations/cost_report), amounts as exact decimal strings.',
  ),
  primaryKey: [['id']],
  cursorField: 'starting_at',
  plan(config) {
    const groupBy = config.group_by?.[COST_REPORT.name] ?? COST_REPORT.defaultGroupBy;
    return {
      path: '/v1/organizations/cost_report',
      api: anthropicReportApi,
      params: [['bucket_width', '1d'], ...arrayParam('group_by', groupBy)],
      bucketSeconds: DAY,
      maxBuckets: COST_REPORT_MAX_BUCKETS,
      // Anthropic's cursor works for grouped queries too: a short page is followed, not halved.
      paging: { kind: 'cursor' },
      // The cost report refuses ranges that end in the future ("Invalid date range", x-should-retry: false):
      // only whole, finished UTC days are requested, so today is read on the next sync.
      includeCurrentBucket: false,
      // A refused grouping fails; any other 400 (a range or limit Anthropic will not serve at once) halves the window.
      responses: [...groupByRefusal(COST_REPORT, groupBy), HALVE_ON_400],
      toRecord: (bucket, result) => costRecord(bucket, result),
    };
  },
};

// ---- usage_report/messages -------------------------------------------------------

/**
 * group_by[] values of GET /v1/organizations/usage_report/messages (BetaMessagesUsageReportGroupBy)
 * except `speed`, which needs the `anthropic-beta: fast-mode-2026-02-01` header and has no
 * field in the result schema.
 *
 * The API takes at most 5 of them per request (MESSAGES_MAX_GROUP_BY), so the default is the five
 * that allocate cost: who spent (api_key_id, workspace_id) and what sets the price of a token
 * (model, service_tier: batch and priority are priced apart, context_window: 200k-1M is long-context
 * pricing). Left out: account_id and service_account_id, set only for OAuth and OIDC-federated
 * requests, and inference_geo, which mostly follows the workspace's default geo. A config may
 * swap any of them in, keeping at most 5.
 */
export const USAGE_MESSAGES: GroupedReport = {
  name: 'usage_messages',
  dimensions: ['api_key_id', 'workspace_id', 'account_id', 'service_account_id', 'model', 'service_tier', 'context_window', 'inference_geo'],
  defaultGroupBy: ['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window'],
  maxGroupBy: MESSAGES_MAX_GROUP_BY,
};

const DIMENSION_DESCRIPTIONS: Record<string, string> = {
  api_key_id: 'API key; null for usage in the Anthropic Console (Workbench, Playground) or when not grouped by api_key_id.',
  workspace_id: 'Workspace; null for the default workspace or when not grouped by workspace_id.',
  account_id: 'User account that made the request; null for non-OAuth requests or when not grouped by account_id.',
  service_account_id: 'Service account; null for non-OIDC-federation requests or when not grouped by service_account_id.',
  model: 'Model; null when not grouped by model.',
  service_tier: 'standard, batch, priority, priority_on_demand, flex or flex_discount; null when not grouped by service_tier.',
  context_window: '0-200k or 200k-1M; null when not grouped by context_window.',
  inference_geo: 'global, us or not_available; null when not grouped by inference_geo.',
};

const MESSAGES_COLUMNS: readonly Column[] = [
  ...bucketColumns(BUCKET_FIELDS),
  ...USAGE_MESSAGES.dimensions.map((d) => col(d, 'string', DIMENSION_DESCRIPTIONS[d] ?? 'Grouping dimension.')),
  col('uncached_input_tokens', 'integer', 'Uncached input tokens.'),
  col(
    'cache_creation_ephemeral_1h_input_tokens',
    'integer',
    'cache_creation.ephemeral_1h_input_tokens: input tokens written to the 1-hour cache; null when the API omits it.',
    {
      from: ['cache_creation', 'ephemeral_1h_input_tokens'],
    },
  ),
  col(
    'cache_creation_ephemeral_5m_input_tokens',
    'integer',
    'cache_creation.ephemeral_5m_input_tokens: input tokens written to the 5-minute cache; null when the API omits it.',
    {
      from: ['cache_creation', 'ephemeral_5m_input_tokens'],
    },
  ),
  col('cache_read_input_tokens', 'integer', 'Input tokens read from the cache.'),
  col('output_tokens', 'integer', 'Output tokens.'),
  col('server_tool_use_web_search_requests', 'integer', 'server_tool_use.web_search_requests: web search requests; null when the API omits it.', {
    from: ['server_tool_use', 'web_search_requests'],
  }),
];
const MessagesItems = columns(MESSAGES_COLUMNS);

export const messagesRecord = (bucket: Bucket, result: unknown): Row => bucketRecord(MessagesItems, USAGE_MESSAGES.dimensions, bucket, result);

export const usageMessagesStream: BucketStream<AnthropicConfig> = {
  kind: 'buckets',
  name: USAGE_MESSAGES.name,
  description:
    'Legacy (Anthropic calls the Usage and Cost API legacy; use analytics_usage): Messages API token usage per time bucket (GET /v1/organizations/usage_report/messages), 1d/1h/1m, grouped by api_key_id, workspace_id, model, service_tier and context_window by default (the API takes at most 5 dimensions). Nested cache_creation and server_tool_use are flattened. Does not reconcile with cost_report; use cost_report for money.',
  schema: MessagesItems.schema(USAGE_MESSAGES.name, 'Legacy: Messages API token usage per time bucket (GET /v1/organizations/usage_report/messages).'),
  primaryKey: [['id']],
  cursorField: 'starting_at',
  plan(config) {
    const width: BucketWidth = config.bucket_width;
    const groupBy = config.group_by?.[USAGE_MESSAGES.name] ?? USAGE_MESSAGES.defaultGroupBy;
    return {
      path: '/v1/organizations/usage_report/messages',
      api: anthropicReportApi,
      params: [['bucket_width', width], ...arrayParam('group_by', groupBy)],
      bucketSeconds: BUCKET_SECONDS[width],
      maxBuckets: MESSAGES_LIMITS[width].max,
      paging: { kind: 'cursor' },
      includeCurrentBucket: true,
      responses: [...groupByRefusal(USAGE_MESSAGES, groupBy), HALVE_ON_400],
      toRecord: (bucket, result) => messagesRecord(bucket, result),
    };
  },
};

export const GROUPED_REPORTS: readonly GroupedReport[] = [COST_REPORT, USAGE_MESSAGES];
