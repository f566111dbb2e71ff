import { z } from 'zod';
import { sourceConfigSchema } from '../../engine/config.js';
import { focusConfigShape } from '../../engine/focus/focus.js';
import { OPENAI_BASE_URL } from './api.js';
import { REPORTS } from './streams.js';

const ids = (title: string, description: string, order: number) => z.array(z.string().min(1)).optional().meta({ title, description, order });

const groupByShape = Object.fromEntries(
  REPORTS.map((r) => [
    r.name,
    z
      .array(z.enum(r.dimensions as [string, ...string[]], { error: () => `group_by.${r.name} accepts only ${r.dimensions.join(', ')}` }))
      .optional()
      .meta({ title: r.name, description: `Default: ${r.defaultGroupBy.join(', ') || 'none'}. Allowed: ${r.dimensions.join(', ')}.`, uniqueItems: true }),
  ]),
);

/** The spend rows' billing account when neither focus.billing_account_id/name nor organization_id say otherwise. */
export const OPENAI_ACCOUNT = { accountId: 'openai', accountName: 'OpenAI organization', accountFrom: 'organization_id, else ' } as const;

export const OpenAiConfigSchema = sourceConfigSchema({
  key: {
    admin_api_key: z
      .string({ error: "'admin_api_key' is required: an OpenAI Admin key (sk-admin-...)" })
      .trim()
      .min(1, 'admin_api_key is empty: paste an OpenAI Admin key (sk-admin-...)')
      // Project, user and service-account keys (sk-proj-..., sk-...) are refused by every admin endpoint:
      // say so before any request. Keys of another shape (a proxy's) are left to the API.
      .refine(
        (k) => !k.startsWith('sk-') || k.startsWith('sk-admin-'),
        'this is a project or user key (sk-...), which cannot read usage and costs; create an Admin key (sk-admin-...) as an organization Owner at platform.openai.com/settings/organization/admin-keys',
      )
      .meta({
        title: 'Admin API key',
        description: 'An OpenAI Admin key (sk-admin-...), created by an organization Owner at platform.openai.com/settings/organization/admin-keys.',
        airbyte_secret: true,
        order: 0,
      }),
  },
  baseUrl: OPENAI_BASE_URL,
  fields: {
    project_ids: ids('Project IDs', 'Only these projects (all when empty).', 5),
    user_ids: ids('User IDs', 'Usage streams: only these users (all when empty).', 6),
    api_key_ids: ids('API key IDs', 'Only these API keys (all when empty).', 7),
    models: ids('Models', 'Usage streams: only these models (all when empty).', 8),
    group_by: z
      .strictObject(groupByShape)
      .optional()
      .meta({ title: 'Grouping per stream', description: 'group_by dimensions per stream; the finer the grouping, the more rows.', order: 9 }),
    bucket_width: z
      .enum(['1d', '1h', '1m'])
      .default('1d')
      .meta({ title: 'Bucket width (usage streams)', description: 'Width of usage buckets. costs is always 1d.', order: 10 }),
    max_window_days: z
      .number()
      .int()
      .min(1, 'max_window_days must be between 1 and 366')
      .max(366, 'max_window_days must be between 1 and 366')
      .optional()
      .meta({ title: 'Max window days', description: 'Cap on the days one request covers (1 = one request per day). Default: the API maximum.', order: 11 }),
    organization_id: z
      .string({ error: 'organization_id must be a string such as "org-abc123"' })
      .trim()
      .min(1, 'organization_id is empty: set it to the id of the organization of admin_api_key (org-...), or leave it out')
      .optional()
      .meta({
        title: 'Organization ID',
        description:
          "The OpenAI organization of admin_api_key (org-..., at platform.openai.com/settings/organization/general): no admin endpoint reveals it. Names the account of this config's rows and state in a sync warehouse, and is the default FOCUS BillingAccountId. Required to sync a second organization into the same DuckDB file. Default: 'openai'.",
        examples: ['org-abc123'],
        order: 14,
      }),
  },
  focus: focusConfigShape(OPENAI_ACCOUNT, {}),
});

export type OpenAiConfig = z.infer<typeof OpenAiConfigSchema>;
