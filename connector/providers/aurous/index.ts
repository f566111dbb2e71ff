import { apiBaseUrl } from '../../engine/config.js';
import { systemError } from '../../engine/errors.js';
import { responseFailure } from '../../engine/fetch/responses.js';
import { configAccount, defineSource } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { yesterday } from '../../engine/time.js';
import { describeZodError } from '../../engine/columns/validation.js';
import { AUROUS_API_VERSION, aurousBucketApi, rangeQuery, USAGE_PATH } from './api.js';
import { AUROUS_ACCOUNT, AurousConfigSchema, type AurousConfig } from './config.js';
import { aurousSpendStream } from './spend.js';
import { usageStream } from './usage.js';

const streams: StreamDef<AurousConfig>[] = [usageStream, aurousSpendStream];

export const aurousSource = defineSource<AurousConfig>({
  name: 'source-aurous-usage',
  configSchema: AurousConfigSchema,
  secrets: (c) => [c.api_key],
  http: (c) => ({
    baseUrl: apiBaseUrl(c.base_url, 'paths'),
    headers: {
      'x-api-key': c.api_key,
      'aurous-version': AUROUS_API_VERSION,
    },
  }),
  authHint: () => 'Aurous Labs refused the key: set api_key to an Aurous Labs API key (al_live_..., or a legacy og_... key); it is sent as X-Api-Key',
  // USAGE_PATH starts with /v1: base_url is the host.
  versionIn: 'paths',
  streams,
  module: import.meta.url,
  // The API reveals no team id (docs/warehouse.md): config team_id.
  account: configAccount<AurousConfig>('team_id', AUROUS_ACCOUNT.accountId, (c) => c.team_id),
  /**
   * Yesterday with the configured width, group_by and filters: a dimension the API refuses fails here,
   * and so does an answer that is not usage buckets (the lifetime totals one reference page shows for
   * /v1/usage, e.g. when a proxy drops Aurous-Version), which every read would fail on.
   */
  async check(http, config, _common, clock) {
    const plan = usageStream.plan(config);
    const day = yesterday(clock.now());
    const res = await http.getJson(USAGE_PATH, [...rangeQuery(day.start, day.end, 1), ...plan.params]).catch((err: unknown) => {
      throw responseFailure(plan.responses, err, day) ?? err;
    });
    const page = aurousBucketApi.page.safeParse(res.body);
    if (!page.success) {
      throw systemError(
        `${USAGE_PATH} answered something other than usage buckets (${describeZodError(page.error, res.body)}), as it may without the ` +
          `Aurous-Version header (sent as ${AUROUS_API_VERSION}): check that no proxy between here and ${config.base_url} drops it.`,
      );
    }
  },
});
