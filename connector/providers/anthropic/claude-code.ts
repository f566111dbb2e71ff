import { z } from 'zod';
import { recordId } from '../../engine/records.js';
import type { Bucket, BucketStream, Row } from '../../engine/stream.js';
import { DAY, isoDate, isoTime } from '../../engine/time.js';
import { parseOrThrow } from '../../engine/validation.js';
import { claudeCodeApi } from './api.js';
import type { AnthropicConfig } from './config.js';
import { centsToUsd } from './money.js';
import { BUCKET_COLUMNS, col, streamSchema, type Column } from './reports.js';

/**
 * GET /v1/organizations/usage_report/claude_code: one record per actor, terminal and
 * local/remote per UTC day. One request per day (`starting_at=YYYY-MM-DD`), its records
 * paginated by the cursor (`limit` up to 1000, `page`); the engine reads each day as one
 * bucket (BucketPlan.paging `records`).
 *
 * Primary key `id`: recordId (a null-safe hash) of [day start, actor type, actor email,
 * actor API key name, terminal_type, is_remote, customer_type, subscription_type,
 * organization_id]: every field that tells two rows of one day apart.
 */

const str = z.string().nullish();
const int = z.number().int().nullish();

const Actor = z.looseObject({ type: z.string(), email_address: str, api_key_name: str });
const Breakdown = z.looseObject({
  model: str,
  tokens: z.looseObject({ input: int, output: int, cache_read: int, cache_creation: int }).nullish(),
  estimated_cost: z.looseObject({ amount: z.number().int('estimated_cost.amount must be integer cents'), currency: str }).nullish(),
});
const ClaudeCodeItem = z.looseObject({
  date: z.string(),
  actor: Actor,
  organization_id: str,
  customer_type: str,
  subscription_type: str,
  terminal_type: str,
  is_remote: z.boolean().nullish(),
  core_metrics: z
    .looseObject({
      num_sessions: int,
      lines_of_code: z.looseObject({ added: int, removed: int }).nullish(),
      commits_by_claude_code: int,
      pull_requests_by_claude_code: int,
    })
    .nullish(),
  tool_actions: z.record(z.string(), z.looseObject({ accepted: int, rejected: int })).nullish(),
  model_breakdown: z.array(Breakdown).nullish(),
});
type Breakdown = z.infer<typeof Breakdown>;

const TOKEN_TOTALS = ['input_tokens', 'output_tokens', 'cache_read_tokens', 'cache_creation_tokens'] as const;

const nullableInt = { type: ['integer', 'null'] };
const nullableStr = { type: ['string', 'null'] };

const COLUMNS: readonly Column[] = [
  ...BUCKET_COLUMNS,
  col('organization_id', 'string', 'Organization that owns the usage.'),
  col('actor_type', 'string', 'user_actor (a Console user) or api_actor (an API key).'),
  col('actor_email_address', 'string', 'Email of the user, for user_actor; null otherwise.'),
  col('actor_api_key_name', 'string', 'Name of the API key, for api_actor; null otherwise.'),
  col('customer_type', 'string', 'api or subscription.'),
  col('subscription_type', 'string', 'enterprise or team for subscription customers; null for API customers.'),
  col('terminal_type', 'string', 'Terminal or environment, e.g. vscode, iTerm.app, tmux.'),
  col('is_remote', 'boolean', 'Remote (e.g. Claude Code on the web) or local usage; reported as separate rows.'),
  col('num_sessions', 'integer', 'core_metrics.num_sessions.'),
  col('lines_of_code_added', 'integer', 'core_metrics.lines_of_code.added.'),
  col('lines_of_code_removed', 'integer', 'core_metrics.lines_of_code.removed.'),
  col('commits_by_claude_code', 'integer', 'core_metrics.commits_by_claude_code.'),
  col('pull_requests_by_claude_code', 'integer', 'core_metrics.pull_requests_by_claude_code.'),
  // A map keyed by tool name: Airbyte wants additionalProperties true, so its values are described, not typed.
  col('tool_actions', 'object', 'Per tool, as the API sent it: {"<tool>": {"accepted": <int>, "rejected": <int>}, ...}.', {
    extra: { additionalProperties: true },
  }),
  col('input_tokens', 'integer', 'Input tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  col('output_tokens', 'integer', 'Output tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  col('cache_read_tokens', 'integer', 'Cache-read tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  col('cache_creation_tokens', 'integer', 'Cache-creation tokens summed over model_breakdown; null when any model lacks it or there is none.'),
  col('estimated_cost_cents', 'integer', 'Estimated cost in cents summed over model_breakdown; null when there is none or currencies differ.'),
  col('estimated_cost_usd', 'string', 'estimated_cost_cents in dollars as an exact decimal string, e.g. "1.86".'),
  col('estimated_cost_currency', 'string', 'Currency of the estimated cost, e.g. USD.'),
  col('model_breakdown', 'array', 'Per model: tokens and estimated cost (cents and exact USD), flattened.', {
    extra: {
      items: {
        type: 'object',
        additionalProperties: true,
        properties: {
          model: nullableStr,
          input_tokens: nullableInt,
          output_tokens: nullableInt,
          cache_read_tokens: nullableInt,
          cache_creation_tokens: nullableInt,
          estimated_cost_cents: nullableInt,
          estimated_cost_usd: nullableStr,
          estimated_cost_currency: nullableStr,
        },
      },
    },
  }),
];

const breakdownRow = (b: Breakdown): Row => {
  const cents = b.estimated_cost?.amount ?? null;
  return {
    model: b.model ?? null,
    input_tokens: b.tokens?.input ?? null,
    output_tokens: b.tokens?.output ?? null,
    cache_read_tokens: b.tokens?.cache_read ?? null,
    cache_creation_tokens: b.tokens?.cache_creation ?? null,
    estimated_cost_cents: cents,
    estimated_cost_usd: cents === null ? null : centsToUsd(cents),
    estimated_cost_currency: b.estimated_cost?.currency ?? null,
  };
};

/** Sum of one field over every model, or null when there is no model or one lacks it. */
function total(rows: readonly Row[], field: string): number | null {
  if (rows.length === 0) return null;
  let sum = 0;
  for (const r of rows) {
    const v = r[field];
    if (typeof v !== 'number') return null;
    sum += v;
  }
  return sum;
}

export function claudeCodeRecord(bucket: Bucket, result: unknown): Row {
  const item = parseOrThrow(ClaudeCodeItem, result);
  const breakdown = (item.model_breakdown ?? []).map(breakdownRow);
  const currencies = new Set(breakdown.map((b) => b.estimated_cost_currency));
  const sameCurrency = currencies.size === 1 && !currencies.has(null);
  const cents = sameCurrency ? total(breakdown, 'estimated_cost_cents') : null;
  const row: Row = {
    id: '',
    starting_at: isoTime(bucket.start),
    ending_at: isoTime(bucket.start + DAY),
    date: isoDate(bucket.start),
    organization_id: item.organization_id ?? null,
    actor_type: item.actor.type,
    actor_email_address: item.actor.email_address ?? null,
    actor_api_key_name: item.actor.api_key_name ?? null,
    customer_type: item.customer_type ?? null,
    subscription_type: item.subscription_type ?? null,
    terminal_type: item.terminal_type ?? null,
    is_remote: item.is_remote ?? null,
    num_sessions: item.core_metrics?.num_sessions ?? null,
    lines_of_code_added: item.core_metrics?.lines_of_code?.added ?? null,
    lines_of_code_removed: item.core_metrics?.lines_of_code?.removed ?? null,
    commits_by_claude_code: item.core_metrics?.commits_by_claude_code ?? null,
    pull_requests_by_claude_code: item.core_metrics?.pull_requests_by_claude_code ?? null,
    tool_actions: item.tool_actions ?? null,
  };
  for (const t of TOKEN_TOTALS) row[t] = total(breakdown, t);
  row.estimated_cost_cents = cents;
  row.estimated_cost_usd = cents === null ? null : centsToUsd(cents);
  row.estimated_cost_currency = sameCurrency ? ([...currencies][0] ?? null) : null;
  row.model_breakdown = item.model_breakdown === undefined || item.model_breakdown === null ? null : breakdown;
  row.id = recordId([
    bucket.start,
    row.actor_type,
    row.actor_email_address,
    row.actor_api_key_name,
    row.terminal_type,
    row.is_remote,
    row.customer_type,
    row.subscription_type,
    row.organization_id,
  ]);
  return row;
}

export const claudeCodeStream: BucketStream<AnthropicConfig> = {
  kind: 'buckets',
  name: 'usage_claude_code',
  description:
    'Claude Code usage per UTC day, actor, terminal and local/remote (GET /v1/organizations/usage_report/claude_code): sessions, lines, commits, PRs, tool actions, and tokens and estimated cost per model (cents and exact USD). One request per day, records paginated.',
  schema: streamSchema(
    'usage_claude_code',
    'Claude Code usage per UTC day, actor, terminal and local/remote (GET /v1/organizations/usage_report/claude_code).',
    COLUMNS,
    ['id', 'starting_at', 'ending_at', 'date'],
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
