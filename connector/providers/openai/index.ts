import { apiBaseUrl } from '../../engine/config.js';
import { responseFailure } from '../../engine/fetch/responses.js';
import { adminKeyHint, configAccount, defineSource } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { DAY } from '../../engine/time.js';
import { OPENAI_ACCOUNT, OpenAiConfigSchema, type OpenAiConfig } from './config.js';
import { ENTITY_STREAMS } from './entities.js';
import { reportStream } from './reports.js';
import { openAiNames } from './names.js';
import { openAiSpendStream } from './spend.js';
import { COSTS, USAGE_REPORTS } from './streams.js';

const costsStream = reportStream(COSTS);
const streams: StreamDef<OpenAiConfig>[] = [costsStream, openAiSpendStream(costsStream), ...USAGE_REPORTS.map(reportStream), ...ENTITY_STREAMS];

const authHint = adminKeyHint({
  provider: 'OpenAI',
  prefix: 'sk-admin-',
  key: 'Admin key (sk-admin-...)',
  createAt: 'platform.openai.com/settings/organization/admin-keys',
  needed: 'OpenAI refused the key: an OpenAI Admin key (sk-admin-...) from an organization Owner is needed, not a project key',
});

export const openAiSource = defineSource<OpenAiConfig>({
  name: 'source-openai-costs',
  configSchema: OpenAiConfigSchema,
  secrets: (c) => [c.admin_api_key],
  http: (c) => ({
    baseUrl: apiBaseUrl(c.base_url, 'base_url'),
    headers: { authorization: `Bearer ${c.admin_api_key}` },
  }),
  authHint: (c, status) => authHint(c?.admin_api_key, status),
  // Paths are relative to /v1 (/organization/costs): base_url ends in /v1.
  versionIn: 'base_url',
  streams,
  module: import.meta.url,
  // No admin endpoint reveals the organization of a key (docs/warehouse.md): config organization_id.
  account: configAccount<OpenAiConfig>('organization_id', OPENAI_ACCOUNT.accountId, (c) => c.organization_id),
  // SubAccountName and x_ApiKeyName of the spend rows (docs/focus.md, Names).
  names: openAiNames,
  // The first day of the range, with the configured costs grouping and filters: a grouping the
  // API refuses (altogether, or before a history floor) fails at set-up, not in the first sync.
  async check(http, config, { start }) {
    const plan = costsStream.plan(config);
    const day = { start, end: start + DAY };
    try {
      await http.getJson(plan.path, [...plan.api.windowQuery(day, 1), ...plan.params]);
    } catch (err) {
      throw responseFailure(plan.responses, err, day) ?? err;
    }
  },
});
