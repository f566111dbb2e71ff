import { z } from 'zod';
import { col, columns, type Column } from '../../engine/columns/columns.js';
import { BucketRecords, bucketColumns } from '../../engine/columns/buckets.js';
import type { Bucket, BucketStream, Row } from '../../engine/stream.js';
import { DAY } from '../../engine/time.js';
import { BUCKET_FIELDS, claudeCodeApi } from './api.js';
import type { AnthropicConfig } from './config.js';
import { centsToUsd } from './money.js';

/**
 * GET /v1/organizations/usage_report/claude_code: one record per actor, terminal and
 * local/remote per UTC day. One request per day (`starting_at=YYYY-MM-DD`), its records
 * paginated by the cursor (`limit` up to 1000, `page`); the engine reads each day as one
 * bucket (BucketPlan.paging `records`).
 *
 * Primary key `id`: a null-safe hash (engine/columns/buckets.ts BucketRecords) of [day start, actor type, actor email,
 * actor API key name, terminal_type, is_remote, customer_type, subscription_type,
 * organization_id]: every field that tells two rows of one day apart.
 */

const int = z.number().int().nullish();

/** A map keyed by tool name, emitted as zod copies it (each tool's accepted and rejected first). */
const ToolActions = z.record(z.string(), z.looseObject({ accepted: int, rejected: int })).nullish();

/** Per model: tokens and estimated cost, flattened; the cost also as exact USD. */
const BREAKDOWN: readonly Column[] = [
  { name: 'model', type: 'string' },
  { name: 'input_tokens', type: 'integer', from: ['tokens', 'input'] },
  { name: 'output_tokens', type: 'integer', from: ['tokens', 'output'] },
  { name: 'cache_read_tokens', type: 'integer', from: ['tokens', 'cache_read'] },
  { name: 'cache_creation_tokens', type: 'integer', from: ['tokens', 'cache_creation'] },
  { name: 'estimated_cost_cents', type: 'integer', from: ['estimated_cost', 'amount'], check: z.number().int('estimated_cost.amount must be integer cents') },
  { name: 'estimated_cost_usd', type: 'string', from: ['estimated_cost', 'amount'], convert: centsToUsd },
  { name: 'estimated_cost_currency', type: 'string', from: ['estimated_cost', 'currency'] },
];

const TOKEN_TOTALS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens'] as const;

/** Summed over model_breakdown by claudeCodeRecord, not read from the item. */
const total = (name: string, description: string): Column => col(name, 'integer', description, { from: null });

const COLUMNS: readonly Column[] = [
  ...bucketColumns(BUCKET_FIELDS),
  col('organization_id', 'string', 'Organization that owns the usage.'),
  col('actor_type', 'string', 'user_actor (a Console user) or api_actor (an API key).', { from: ['actor', 'type'], required: true }),
  col('actor_email_address', 'string', 'Email of the user, for user_actor; null otherwise.', { from: ['actor', 'email_address'] }),
  col('actor_api_key_name', 'string', 'Name of the API key, for api_actor; null otherwise.', { from: ['actor', 'api_key_name'] }),
  col('customer_type', 'string', 'api or subscription.'),
  col('subscription_type', 'string', 'enterprise or team for subscription customers; null for API customers.'),
  col('terminal_type', 'string', 'Terminal or environment, e.g. vscode, iTerm.app, tmux.'),
  col('is_remote', 'boolean', 'Remote (e.g. Claude Code on the web) or local usage; reported as separate rows.'),
  col('num_sessions', 'integer', 'core_metrics.num_sessions.', { from: ['core_metrics', 'num_sessions'] }),
  col('lines_of_code_added', 'integer', 'core_metrics.lines_of_code.added.', { from: ['core_metrics', 'lines_of_code', 'added'] }),
  col('lines_of_code_removed', 'integer', 'core_metrics.lines_of_code.removed.', { from: ['core_metrics', 'lines_of_code', 'removed'] }),
  col('commits_by_claude_code', 'integer', 'core_metrics.commits_by_claude_code.', { from: ['core_metrics', 'commits_by_claude_code'] }),
  col('pull_requests_by_claude_code', 'integer', 'core_metrics.pull_requests_by_claude_code.', { from: ['core_metrics', 'pull_requests_by_claude_code'] }),
  // A map keyed by tool name: Airbyte wants additionalProperties true, so its values are described, not typed.
  col('tool_actions', 'object', 'Per tool, as the API sent it: {"<tool>": {"accepted": <int>, "rejected": <int>}, ...}.', {
    extra: { additionalProperties: true },
    check: ToolActions,
    convert: (v: unknown) => ToolActions.parse(v),
  }),
  total('input_tokens', 'Input tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  total('output_tokens', 'Output tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  total('cache_read_tokens', 'Cache-read tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  total('cache_creation_tokens', 'Cache-creation tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  total('estimated_cost_cents', 'Estimated cost in cents summed over model_breakdown; null when there is none or currencies differ.'),
  col('estimated_cost_usd', 'string', 'estimated_cost_cents in dollars as an exact decimal string, e.g. "1.86".', { from: null }),
  col('estimated_cost_currency', 'string', 'Currency of the estimated cost, e.g. USD.', { from: null }),
  col('model_breakdown', 'array', 'Per model: tokens and estimated cost (cents and exact USD), flattened.', { items: BREAKDOWN }),
];

// The record's date is the bucket's; the item's own is checked (and read by the page, claudeCodeApi).
const Items = columns(COLUMNS, { date: z.string() });

/** Sum of one field over every model, or null when there is no model or one lacks it. */
function sum(rows: readonly Row[], field: string): number | null {
  if (rows.length === 0) return null;
  let sum = 0;
  for (const r of rows) {
    const v = r[field];
    if (typeof v !== 'number') return null;
    sum += v;
  }
  return sum;
}

const records = new BucketRecords(BUCKET_FIELDS);

function claudeCodeRecord(bucket: Bucket, result: unknown): Row {
  const row = Items.row(Items.parse(result));
  const breakdown = (row.model_breakdown ?? []) as Row[];
  const currencies = new Set(breakdown.map((b) => b.estimated_cost_currency));
  const sameCurrency = currencies.size === 1 && !currencies.has(null);
  const cents = sameCurrency ? sum(breakdown, 'estimated_cost_cents') : null;
  records.fill(row, bucket.start, bucket.start + DAY);
  for (const t of TOKEN_TOTALS) row[t] = sum(breakdown, t);
  row.estimated_cost_cents = cents;
  row.estimated_cost_usd = cents === null ? null : centsToUsd(cents);
  row.estimated_cost_currency = sameCurrency ? ([...currencies][0] ?? null) : null;
  row.id = records
    .id(bucket.start)
    .add(row.actor_type)
    .add(row.actor_email_address)
    .add(row.actor_api_key_name)
    .add(row.terminal_type)
    .add(row.is_remote)
    .add(row.customer_type)
    .add(row.subscription_type)
    .add(row.organization_id)
    .digest();
  return row;
}

export const claudeCodeStream: BucketStream<AnthropicConfig> = {
  kind: 'buckets',
  name: 'usage_claude_code',
  description:
    'Claude Code usage per UTC day, actor, terminal and local/remote (GET /v1/organizations/usage_report/claude_code): sessions, lines, commits, PRs, tool actions, and tokens and estimated cost per model (cents and exact USD). One request per day, records paginated.',
  schema: Items.schema(
    'usage_claude_code',
    'Claude Code usage per UTC day, actor, terminal and local/remote (GET /v1/organizations/usage_report/claude_code).',
  ),
  primaryKey: [['id']],
  cursorField: 'starting_at',
  plan() {
    return {
      path: '/v1/organizations/usage_report/claude_code',
      api: claudeCodeApi,
      params: [],
      bucketSeconds: DAY,
      maxBuckets: 1,
      paging: { kind: 'records' },
      includeCurrentBucket: true,
      toRecord: (bucket, result) => claudeCodeRecord(bucket, result),
    };
  },
};
