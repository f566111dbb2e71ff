import { z } from 'zod';
import { sourceConfigSchema } from '../../engine/config.js';
import { focusConfigShape } from '../../engine/focus/focus.js';
import { OPENROUTER_BASE_URL } from './api.js';

/** The spend rows' billing account when focus.billing_account_id/name are not set: no OpenRouter API names the account. */
export const OPENROUTER_ACCOUNT = { accountId: 'openrouter', accountName: 'OpenRouter account' } as const;

export const OpenRouterConfigSchema = sourceConfigSchema({
  key: {
    management_key: z
      .string({ error: "'management_key' is required: an OpenRouter management key (openrouter.ai/settings/management-keys)" })
      .trim()
      .min(1, 'management_key is empty: paste an OpenRouter management key (openrouter.ai/settings/management-keys)')
      .meta({
        title: 'Management key',
        description:
          'An OpenRouter management key (openrouter.ai/settings/management-keys), sent as Authorization: Bearer. An inference key is refused (403) by /activity, /analytics, /credits, /keys and /workspaces.',
        airbyte_secret: true,
        order: 0,
      }),
  },
  baseUrl: OPENROUTER_BASE_URL,
  fields: {},
  focus: focusConfigShape(OPENROUTER_ACCOUNT, {}),
});

export type OpenRouterConfig = z.infer<typeof OpenRouterConfigSchema>;
