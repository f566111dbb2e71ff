import { configAccount, defineSource } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { isoDate, yesterday } from '../../engine/time.js';
import { activityStream } from './activity.js';
import { ACTIVITY_PATH, openrouterBaseUrl } from './api.js';
import { OPENROUTER_ACCOUNT, OpenRouterConfigSchema, type OpenRouterConfig } from './config.js';
import { ENTITY_STREAMS } from './entities.js';
import { openrouterSpendStream } from './spend.js';

const streams: StreamDef<OpenRouterConfig>[] = [activityStream, openrouterSpendStream, ...ENTITY_STREAMS];

export const openrouterSource = defineSource<OpenRouterConfig>({
  name: 'source-openrouter-costs',
  configSchema: OpenRouterConfigSchema,
  secrets: (c) => [c.management_key],
  http: (c) => ({
    baseUrl: openrouterBaseUrl(c.base_url),
    headers: { authorization: `Bearer ${c.management_key}` },
  }),
  authHint: (_c, status) =>
    status === 403
      ? 'OpenRouter refused the key for this endpoint: only management keys can read activity, analytics, credits, keys and workspaces; create one at openrouter.ai/settings/management-keys and set management_key'
      : 'OpenRouter refused the key: set management_key to an OpenRouter management key (openrouter.ai/settings/management-keys); it is sent as Authorization: Bearer',
  // Paths have no /api/v1: base_url carries it (https://openrouter.ai/api/v1; the host alone gets it added).
  versionIn: 'base_url',
  streams,
  module: import.meta.url,
  // No OpenRouter API names the account (reference 1.10): focus.billing_account_id, else 'openrouter'.
  account: configAccount<OpenRouterConfig>('focus.billing_account_id', OPENROUTER_ACCOUNT.accountId, (c) => c.focus.billing_account_id),
  async check(http, _config, _common, clock) {
    // Yesterday's activity: a management-key endpoint (an inference key gets 403), one small request.
    await http.getJson(ACTIVITY_PATH, [['date', isoDate(yesterday(clock.now()).start)]]);
  },
});
