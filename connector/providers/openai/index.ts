import { commonConfig, httpTuning } from '../../engine/config.js';
import type { SourceDefinition } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { DAY } from '../../engine/time.js';
import { VERSION } from '../../version.js';
import { OpenAiConfigSchema, type OpenAiConfig } from './config.js';
import { ENTITY_STREAMS } from './entities.js';
import { reportStream } from './reports.js';
import { REPORTS } from './streams.js';

const streams: StreamDef<OpenAiConfig>[] = [...REPORTS.map(reportStream), ...ENTITY_STREAMS];

export const openAiSource: SourceDefinition<OpenAiConfig> = {
  name: 'source-openai-costs',
  version: VERSION,
  documentationUrl: 'https://github.com/ai-spend/connectors/blob/main/docs/integrations/sources/source-openai-costs.md',
  configSchema: OpenAiConfigSchema as unknown as SourceDefinition<OpenAiConfig>['configSchema'],
  common: commonConfig,
  secrets: (c) => [c.admin_api_key],
  http: (c) => ({
    baseUrl: c.base_url,
    headers: { authorization: `Bearer ${c.admin_api_key}`, accept: 'application/json', 'user-agent': `source-openai-costs/${VERSION}` },
    ...httpTuning(c),
  }),
  authHint: 'OpenAI refused the key: an OpenAI Admin key (sk-admin-...) from an organization Owner is needed, not a project key',
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
