import { z } from 'zod';
import { sourceConfigSchema } from '../../engine/config.js';
import { focusConfigShape } from '../../engine/focus/focus.js';
import { ANTHROPIC_BASE_URL } from './api.js';
import { type AnalyticsFilterName, ANALYTICS_FILTERS, ANALYTICS_MAX_FILTER_ITEMS, ANALYTICS_MAX_PAGE_SIZE, ANALYTICS_REPORTS } from './analytics.js';
import { GROUPED_REPORTS, type GroupedReport } from './reports.js';

/** focus.anthropic_source: where the spend stream's money comes from (spend.ts). */
export const SPEND_SOURCE_CHOICES = ['auto', 'analytics', 'cost_report'] as const;

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
  [...GROUPED_REPORTS, ...ANALYTICS_REPORTS].map((r) => [
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

/** One stream's analytics filters: `<name>[]` arrays of at most 100 values, and exclude_deleted_users. */
const filterList = (stream: string, name: string) =>
  z
    .array(z.string().trim().min(1, `filters.${stream}.${name} holds an empty value`), { error: `filters.${stream}.${name} must be a list of strings` })
    .min(1, `filters.${stream}.${name} is empty: leave it out to keep every value`)
    .max(ANALYTICS_MAX_FILTER_ITEMS, `filters.${stream}.${name} lists more than ${ANALYTICS_MAX_FILTER_ITEMS} values, the most Anthropic takes in one array`)
    .optional()
    .meta({
      title: name,
      description: `Sent as ${name}[]: keep only rows matching one of these values (at most ${ANALYTICS_MAX_FILTER_ITEMS}).`,
      uniqueItems: true,
    });
const streamFilters = (stream: string) =>
  z
    .strictObject({
      ...(Object.fromEntries(ANALYTICS_FILTERS.map((f) => [f, filterList(stream, f)])) as Record<AnalyticsFilterName, ReturnType<typeof filterList>>),
      exclude_deleted_users: z
        .boolean()
        .optional()
        .meta({ title: 'exclude_deleted_users', description: 'Leave out rows of deleted users (Anthropic default: false).' }),
    })
    .optional()
    .meta({ title: stream, description: `Filters of ${stream}; each narrows what is read (rows filtered out are not read at all).` });

/** The spend rows' billing account when neither focus.billing_account_id/name nor the key's organization say otherwise. */
export const ANTHROPIC_ACCOUNT = {
  accountId: 'anthropic',
  accountName: 'Anthropic organization',
  accountFrom: "the id of the Admin key's organization (GET /v1/organizations/me), else ",
  nameFrom: 'its name, else ',
} as const;

export const AnthropicConfigSchema = sourceConfigSchema({
  key: {
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
  },
  baseUrl: ANTHROPIC_BASE_URL,
  fields: {
    group_by: z
      .strictObject(groupByShape)
      .optional()
      .meta({ title: 'Grouping per stream', description: 'group_by[] dimensions per stream; the finer the grouping, the more rows.', order: 9 }),
    bucket_width: z.enum(['1d', '1h', '1m']).default('1d').meta({
      title: 'Bucket width (usage_messages)',
      description: 'Width of usage_messages buckets. cost_report is always 1d; usage_claude_code is always one UTC day.',
      order: 10,
    }),
    time_bucket_width: z.enum(['1d', '1h', '1m']).default('1d').meta({
      title: 'Time bucket width (analytics_cost, analytics_usage)',
      description: "Width of the analytics streams' buckets: 1d (default), 1h or 1m (1m reads 24 hours per request: keep the range short).",
      order: 11,
    }),
    filters: z
      .strictObject({ analytics_cost: streamFilters('analytics_cost'), analytics_usage: streamFilters('analytics_usage') })
      .optional()
      .meta({
        title: 'Filters per analytics stream',
        description: `Optional filters of analytics_cost / analytics_usage: ${ANALYTICS_FILTERS.join(', ')} (lists of at most ${ANALYTICS_MAX_FILTER_ITEMS}), exclude_deleted_users.`,
        order: 12,
      }),
    analytics_page_size: z
      .number()
      .int('analytics_page_size must be a whole number')
      .min(1, `analytics_page_size must be between 1 and ${ANALYTICS_MAX_PAGE_SIZE}`)
      .max(ANALYTICS_MAX_PAGE_SIZE, `analytics_page_size must be between 1 and ${ANALYTICS_MAX_PAGE_SIZE}`)
      .default(ANALYTICS_MAX_PAGE_SIZE)
      .meta({ title: 'Analytics page size', description: "Rows per page of the analytics streams (the API's limit).", order: 13 }),
  },
  focus: focusConfigShape(ANTHROPIC_ACCOUNT, {
    anthropic_source: z
      .enum(SPEND_SOURCE_CHOICES, { error: () => `focus.anthropic_source must be one of ${SPEND_SOURCE_CHOICES.join(', ')}` })
      .default('auto')
      .meta({
        title: 'Source of spend money',
        description:
          "Which Anthropic API the spend stream's money comes from, one source per day. auto (default): analytics_cost (the Usage and Cost Analytics API: list price, API key and actor) for every day it serves (from max(2026-01-01, today - 365 days)), cost_report for the days before. analytics: analytics_cost only (the stream starts at its floor, with a warning). cost_report: the legacy cost report only (no list price, key or actor).",
      }),
  }),
}).superRefine((c, ctx) => {
  // Anthropic refuses claude_tag_user_id with rbac_group_id, as a grouping or a filter [DOC-LEGACY]: say so before any request.
  for (const stream of ['analytics_cost', 'analytics_usage'] as const) {
    const groupBy: readonly string[] = c.group_by?.[stream] ?? [];
    const filters = c.filters?.[stream];
    const tag = groupBy.includes('claude_tag_user_id') || filters?.claude_tag_user_ids !== undefined;
    const rbac = groupBy.includes('rbac_group_id') || filters?.rbac_group_ids !== undefined;
    if (tag && rbac) {
      ctx.addIssue({
        code: 'custom',
        path: ['group_by', stream],
        message: `${stream} combines claude_tag_user_id with rbac_group_id (in group_by or filters), which Anthropic refuses; keep one of them`,
      });
    }
  }
});

export type AnthropicConfig = z.infer<typeof AnthropicConfigSchema>;
