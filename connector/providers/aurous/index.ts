import { httpTuning } from '../../engine/config.js';
import { sourceIdentity, standardHeaders, type SourceDefinition } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { DAY } from '../../engine/time.js';
import { AUROUS_API_VERSION, rangeQuery, USAGE_PATH } from './api.js';
import { AurousConfigSchema, type AurousConfig } from './config.js';
import { usageStream } from './usage.js';

const streams: StreamDef<AurousConfig>[] = [usageStream];

export const aurousSource: SourceDefinition<AurousConfig> = {
  ...sourceIdentity('source-aurous-usage'),
  configSchema: AurousConfigSchema as unknown as SourceDefinition<AurousConfig>['configSchema'],
  secrets: (c) => [c.api_key],
  http: (c) => ({
    baseUrl: c.base_url,
    headers: {
      'x-api-key': c.api_key,
      'aurous-version': AUROUS_API_VERSION,
      ...standardHeaders('source-aurous-usage'),
    },
    ...httpTuning(c),
  }),
  authHint: () => 'Aurous Labs refused the key: set api_key to an Aurous Labs API key (al_live_..., or a legacy og_... key); it is sent as X-Api-Key',
  // USAGE_PATH starts with /v1: base_url is the host.
  versionIn: 'paths',
  streams,
  async check(http) {
    const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
    await http.getJson(USAGE_PATH, [...rangeQuery(today - DAY, today, 1), ['bucket_width', '1d']]);
  },
};
