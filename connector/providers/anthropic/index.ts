import { apiBaseUrl } from '../../engine/config.js';
import { adminKeyHint, defineSource } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { anthropicAccount } from './account.js';
import { anthropicNames } from './names.js';
import { ANTHROPIC_VERSION } from './api.js';
import { analyticsCostStream, analyticsUsageStream } from './analytics.js';
import { claudeCodeStream } from './claude-code.js';
import { AnthropicConfigSchema, type AnthropicConfig } from './config.js';
import { ENTITY_STREAMS } from './entities.js';
import { costReportStream, usageMessagesStream } from './reports.js';
import { anthropicSpendStream } from './spend.js';

const streams: StreamDef<AnthropicConfig>[] = [
  analyticsCostStream,
  analyticsUsageStream,
  costReportStream,
  anthropicSpendStream,
  usageMessagesStream,
  claudeCodeStream,
  ...ENTITY_STREAMS,
];

const authHint = adminKeyHint({
  provider: 'Anthropic',
  prefix: 'sk-ant-admin',
  key: 'Admin API key (sk-ant-admin...)',
  createAt: 'console.anthropic.com/settings/admin-keys',
  needed: 'Anthropic refused the key: an Anthropic Admin API key (sk-ant-admin...) from an organization admin is needed, not a regular API key (sk-ant-api...)',
});

export const anthropicSource = defineSource<AnthropicConfig>({
  name: 'source-anthropic-costs',
  configSchema: AnthropicConfigSchema,
  secrets: (c) => [c.admin_api_key],
  http: (c) => ({
    baseUrl: apiBaseUrl(c.base_url, 'paths'),
    headers: {
      'x-api-key': c.admin_api_key,
      'anthropic-version': ANTHROPIC_VERSION,
    },
  }),
  authHint: (c, status) => authHint(c?.admin_api_key, status),
  // Paths start with /v1 (api.ts): base_url is the host.
  versionIn: 'paths',
  streams,
  module: import.meta.url,
  // GET /v1/organizations/me: the organization of the Admin key (account.ts).
  account: anthropicAccount,
  // SubAccountName, x_ApiKeyName and x_ActorName of the spend rows (docs/focus.md, Names).
  names: anthropicNames,
  async check(http) {
    // The cheapest Admin-only request: one user of the organization.
    await http.getJson('/v1/organizations/users', [['limit', '1']]);
  },
});
