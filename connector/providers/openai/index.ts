import { httpTuning } from '../../engine/config.js';
import { adminKeyHint, sourceIdentity, standardHeaders, type SourceDefinition } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { DAY } from '../../engine/time.js';
import { OpenAiConfigSchema, type OpenAiConfig } from './config.js';
import { ENTITY_STREAMS } from './entities.js';
import { reportStream } from './reports.js';
import { REPORTS } from './streams.js';

const streams: StreamDef<OpenAiConfig>[] = [...REPORTS.map(reportStream), ...ENTITY_STREAMS];

const authHint = adminKeyHint({
  provider: 'OpenAI',
  prefix: 'sk-admin-',
  key: 'Admin key (sk-admin-...)',
  createAt: 'platform.openai.com/settings/organization/admin-keys',
  needed: 'OpenAI refused the key: an OpenAI Admin key (sk-admin-...) from an organization Owner is needed, not a project key',
});

export const openAiSource: SourceDefinition<OpenAiConfig> = {
  ...sourceIdentity('source-openai-costs'),
  configSchema: OpenAiConfigSchema as unknown as SourceDefinition<OpenAiConfig>['configSchema'],
  secrets: (c) => [c.admin_api_key],
  http: (c) => ({
    baseUrl: c.base_url,
    headers: { authorization: `Bearer ${c.admin_api_key}`, ...standardHeaders('source-openai-costs') },
    ...httpTuning(c),
  }),
  authHint: (c, status) => authHint(c?.admin_api_key, status),
  // Paths are relative to /v1 (/organization/costs): base_url ends in /v1.
  versionIn: 'base_url',
  streams,
  module: import.meta.url,
  decodeThreads: (c) => c.decode_threads,
  async check(http) {
    const now = Math.floor(Date.now() / 1000);
    const start = Math.floor(now / DAY) * DAY - DAY;
    await http.getJson('/organization/costs', [
      ['start_time', String(start)],
      ['end_time', String(start + DAY)],
      ['limit', '1'],
    ]);
  },
};
