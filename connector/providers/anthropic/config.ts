import { z } from 'zod';
import { baseUrl, endDate, lookbackDays, startDate, tuning } from '../../engine/config.js';
import { focusConfigShape } from '../../engine/focus.js';
import { ANTHROPIC_BASE_URL } from './api.js';
import { GROUPED_REPORTS, type GroupedReport } from './reports.js';

/** A report's group_by list: its values, and no more of them than Anthropic takes in one request. */
const groupByList = (r: GroupedReport) => {
  const list = z.array(z.enum(r.dimensions, { error: () => `group_by.${r.name} accepts only ${r.dimensions.join(', ')}` }));
  const max = r.maxGroupBy;
  if (max === undefined) return list;
  return list.max(max, {
    error: (iss) =>
      `lists ${Array.isArray(iss.input) ? iss.input.length : 'too many'} dimensions but Anthropic takes at most ${max} group_by[] values; keep at most ${max} of ${r.dimensions.join(', ')}`,
  });
};

const groupByShape = Object.fromEntries(
  GROUPED_REPORTS.map((r) => [
    r.name,
    groupByList(r)
      .optional()
      .meta({
        title: r.name,
        description: `Default: ${r.defaultGroupBy.join(', ') || 'none'}. Allowed: ${r.maxGroupBy ? `at most ${r.maxGroupBy} of ` : ''}${r.dimensions.join(', ')}.`,
        uniqueItems: true,
      }),
  ]),
);

// Strict: a misspelt field (stat_date) is refused, never silently ignored.
export const AnthropicConfigSchema = z.strictObject({
  admin_api_key: z
    .string({ error: "'admin_api_key' is required: an Anthropic Admin API key (sk-ant-admin...)" })
    .trim()
    .min(1, 'admin_api_key is empty: paste an Anthropic Admin API key (sk-ant-admin...)')
    // A regular API key is refused by every Admin endpoint: say so before any request. Other
    // shapes (an org:admin OAuth token, a proxy's key) are left to the API.
    .refine(
      (k) => !k.startsWith('sk-ant-api'),
      'this is a regular API key (sk-ant-api...), which cannot read usage and costs; create an Admin API key (sk-ant-admin...) as an organization admin at console.anthropic.com/settings/admin-keys',
    )
    .meta({
      title: 'Admin API key',
      description:
        'An Anthropic Admin API key (sk-ant-admin...), created by an organization admin at console.anthropic.com/settings/admin-keys. Sent as x-api-key. A regular API key (sk-ant-api...) is refused.',
      airbyte_secret: true,
      order: 0,
    }),
  start_date: startDate,
  end_date: endDate,
  lookback_days: lookbackDays,
  base_url: baseUrl(ANTHROPIC_BASE_URL),
  group_by: z
    .strictObject(groupByShape)
    .optional()
    .meta({ title: 'Grouping per stream', description: 'group_by[] dimensions per stream; the finer the grouping, the more rows.', order: 9 }),
  bucket_width: z.enum(['1d', '1h', '1m']).default('1d').meta({
    title: 'Bucket width (usage_messages)',
    description: 'Width of usage_messages buckets. cost_report is always 1d; usage_claude_code is always one UTC day.',
    order: 10,
  }),
  focus: focusConfigShape({ accountId: 'anthropic', accountName: 'Anthropic organization' }, {}),
  request_timeout_seconds: tuning.request_timeout_seconds,
  max_retries: tuning.max_retries,
  max_concurrent_requests: tuning.max_concurrent_requests,
  requests_per_minute: tuning.requests_per_minute,
  decode_threads: tuning.decode_threads,
});

export type AnthropicConfig = z.infer<typeof AnthropicConfigSchema>;
