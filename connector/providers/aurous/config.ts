import { z } from 'zod';
import { sourceConfigSchema } from '../../engine/config.js';
import { focusConfigShape } from '../../engine/focus/focus.js';
import { AUROUS_BASE_URL, DIMENSIONS, MAX_GROUP_BY, MAX_LIMIT, WIDTHS } from './api.js';

const ids = (name: string, title: string, description: string, order: number) =>
  z
    .array(z.string().trim().min(1, `${name} values must not be empty`))
    .optional()
    .meta({ title, description, order });

const DIMENSION_LIST = DIMENSIONS.join(', ');

/** The spend rows' billing account when neither focus.billing_account_id/name nor team_id say otherwise. */
export const AUROUS_ACCOUNT = { accountId: 'aurous', accountName: 'Aurous Labs team', accountFrom: 'team_id, else ' } as const;

export const AurousConfigSchema = sourceConfigSchema({
  key: {
    api_key: z
      .string({ error: "'api_key' is required: an Aurous Labs API key (al_live_...)" })
      .trim()
      .min(1, 'api_key is empty: paste an Aurous Labs API key (al_live_...)')
      .meta({
        title: 'API key',
        description: 'An Aurous Labs API key (al_live_..., or a legacy og_... key), sent as the X-Api-Key header.',
        airbyte_secret: true,
        order: 0,
      }),
  },
  baseUrl: AUROUS_BASE_URL,
  fields: {
    bucket_width: z
      .enum(WIDTHS, { error: () => `bucket_width must be one of ${WIDTHS.join(', ')}` })
      .default('1d')
      .meta({
        title: 'Bucket width',
        description: 'Width of usage buckets. 7d buckets start on Thursdays 00:00 UTC (multiples of 7 days since the unix epoch).',
        order: 5,
      }),
    group_by: z
      .array(z.enum(DIMENSIONS, { error: () => `group_by accepts only ${DIMENSION_LIST}` }))
      .max(MAX_GROUP_BY, `group_by accepts at most ${MAX_GROUP_BY} dimensions (an Aurous limit); pick two of ${DIMENSION_LIST}`)
      .refine((a) => new Set(a).size === a.length, 'group_by lists a dimension twice')
      .default(['type', 'model'])
      .meta({
        title: 'Group by',
        description: `At most ${MAX_GROUP_BY} of ${DIMENSION_LIST}. One record per bucket and group; [] gives one total per bucket. A bucket with more than ${MAX_LIMIT} groups cannot be read whole and fails the stream.`,
        uniqueItems: true,
        order: 6,
      }),
    status: ids('status', 'Statuses', 'Only requests with these statuses (all when empty).', 7),
    type: ids('type', 'Types', 'Only these request types (all when empty).', 8),
    api_key_id: ids('api_key_id', 'API key IDs', 'Only these API keys (key_...; all when empty).', 9),
    user_id: ids('user_id', 'User IDs', 'Only these users (usr_...; all when empty).', 10),
    lora_id: ids('lora_id', 'LoRA IDs', 'Only these LoRAs (all when empty).', 11),
    character_id: z
      .string()
      .trim()
      .min(1, 'character_id must not be empty')
      .optional()
      .meta({ title: 'Character ID', description: 'Only this character (a single ID; all when empty).', order: 12 }),
    page_size: z
      .number()
      .int('page_size must be a whole number')
      .min(1, `page_size must be between 1 and ${MAX_LIMIT}`)
      .max(MAX_LIMIT, `page_size must be between 1 and ${MAX_LIMIT}`)
      .default(MAX_LIMIT)
      .meta({
        title: 'Page size',
        description: `Group rows per page (Aurous \`limit\`, 1-${MAX_LIMIT}). A bucket cut at a page end is re-read alone with the maximum, so smaller pages cost requests, never rows.`,
        order: 13,
      }),
    team_id: z
      .string({ error: 'team_id must be a string such as "team_abc123"' })
      .trim()
      .min(1, 'team_id is empty: set it to the id of the team of api_key, or leave it out')
      .optional()
      .meta({
        title: 'Team ID',
        description:
          "The Aurous Labs team of api_key (the API does not reveal it). Names the account of this config's rows and state in a sync warehouse, and is the default FOCUS BillingAccountId. Required to sync a second team into the same DuckDB file. Default: 'aurous'.",
        examples: ['team_abc123'],
        order: 14,
      }),
  },
  focus: focusConfigShape(AUROUS_ACCOUNT, {
    credit_usd_rate: z
      .string({ error: 'focus.credit_usd_rate must be a decimal string such as "0.01" (USD per credit)' })
      .regex(/^\d+(\.\d+)?$/, 'focus.credit_usd_rate must be a decimal string such as "0.01" (USD per credit)')
      .optional()
      .meta({
        title: 'USD per credit',
        description:
          'Price of one Aurous credit in USD, as a decimal string (e.g. "0.01"). Required when the spend stream is read: Aurous reports credits, not dollars.',
      }),
  }),
});

export type AurousConfig = z.infer<typeof AurousConfigSchema>;
