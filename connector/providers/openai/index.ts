import { httpTuning } from '../../engine/config.js';
import { sourceIdentity, standardHeaders, type SourceDefinition } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { DAY } from '../../engine/time.js';
import { OpenAiConfigSchema, type OpenAiConfig } from './config.js';
import { ENTITY_STREAMS } from './entities.js';
import { reportStream } from './reports.js';
import { REPORTS } from './streams.js';

const streams: StreamDef<OpenAiConfig>[] = [...REPORTS.map(reportStream), ...ENTITY_STREAMS];

export const openAiSource: SourceDefinition<OpenAiConfig> = {
  ...sourceIdentity('source-openai-costs'),
  configSchema: OpenAiConfigSchema as unknown as SourceDefinition<OpenAiConfig>['configSchema'],
  secrets: (c) => [c.admin_api_key],
  http: (c) => ({
    baseUrl: c.base_url,
    headers: { authorization: `Bearer ${c.admin_api_key}`, ...standardHeaders('source-openai-costs') },
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
