import { z } from 'zod';
import { sourceConfigSchema } from '../../engine/config.js';
import { focusConfigShape } from '../../engine/focus/focus.js';
import { XAI_BASE_URL } from './api.js';

/** The spend rows' billing account when focus.billing_account_id/name do not say otherwise: the team (xAI invoices teams). */
export const XAI_ACCOUNT = { accountId: 'xai', accountName: 'xAI team', accountFrom: 'team_id, else ' } as const;

export const XaiConfigSchema = sourceConfigSchema({
  key: {
    management_key: z
      .string({ error: "'management_key' is required: an xAI Management API key (Console, Settings, Management Keys)" })
      .trim()
      .min(1, 'management_key is empty: paste an xAI Management API key (Console, Settings, Management Keys); inference API keys are refused')
      .meta({
        title: 'Management key',
        description:
          'An xAI Management API key with billing read access (console.x.ai, Settings, Management Keys), sent as a Bearer token to management-api.x.ai. Inference API keys are refused by this API.',
        airbyte_secret: true,
        order: 0,
      }),
  },
  baseUrl: XAI_BASE_URL,
  fields: {
    team_id: z
      .string({ error: "'team_id' is required: the id of the xAI team whose spend to read (console.x.ai, Settings, Team)" })
      .trim()
      .min(1, 'team_id is empty: set it to the id of the xAI team whose spend to read')
      .meta({
        title: 'Team ID',
        description:
          "The xAI team whose usage, invoices and API keys to read (in every request's path). xAI bills and invoices teams. Organization-scoped management keys need it too. The default FOCUS BillingAccountId.",
        examples: ['7d3f0c1e-2b4a-4c8e-9f10-5a6b7c8d9e0f'],
        order: 5,
      }),
  },
  focus: focusConfigShape(XAI_ACCOUNT, {}),
});

export type XaiConfig = z.infer<typeof XaiConfigSchema>;
