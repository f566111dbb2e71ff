import { apiBaseUrl } from '../../engine/config.js';
import { systemError } from '../../engine/errors.js';
import { responseFailure } from '../../engine/fetch/responses.js';
import { configAccount, defineSource } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { yesterday } from '../../engine/time.js';
import { parseJsonBody } from '../../http/client.js';
import { teamNotFound, usageBody, usagePath, xaiUsageApi } from './api.js';
import { XAI_ACCOUNT, XaiConfigSchema, type XaiConfig } from './config.js';
import { apiKeysStream, invoicesStream, prepaidBalanceChangesStream } from './entities.js';
import { xaiSpendStream } from './spend.js';
import { usageStream } from './usage.js';

const streams: StreamDef<XaiConfig>[] = [usageStream, invoicesStream, apiKeysStream, prepaidBalanceChangesStream, xaiSpendStream];

export const xaiSource = defineSource<XaiConfig>({
  name: 'source-xai-costs',
  configSchema: XaiConfigSchema,
  secrets: (c) => [c.management_key],
  http: (c) => ({
    baseUrl: apiBaseUrl(c.base_url, 'paths'),
    headers: { authorization: `Bearer ${c.management_key}` },
  }),
  authHint: (_c, status) =>
    status === 403
      ? 'xAI refused the management key for this team: it lacks the billing read permission, or is an inference API key (those are refused); use a management key of this team with billing read access (console.x.ai, Settings, Management Keys)'
      : 'xAI refused the management key: it is wrong, revoked, or an inference API key (the Management API takes only management keys); check management_key (console.x.ai, Settings, Management Keys)',
  // Every path starts with /v1 or /auth: base_url is the host.
  versionIn: 'paths',
  streams,
  module: import.meta.url,
  // The team is what xAI invoices: config team_id (required).
  account: configAccount<XaiConfig>('team_id', XAI_ACCOUNT.accountId, (c) => c.team_id),
  /** Yesterday's usage: the key, its billing permission, the team and the request body all answer here. */
  async check(http, config, _common, clock) {
    const path = usagePath(config.team_id);
    const rules = [teamNotFound((p: string) => p)];
    const res = await http.get(path, [], { body: usageBody(yesterday(clock.now()), []) }, http.inThread(parseJsonBody)).catch((err: unknown) => {
      throw responseFailure(rules, err, path) ?? err;
    });
    const page = xaiUsageApi.page.safeParse(res.body);
    if (!page.success) throw systemError(`${path} answered something other than usage series: ${page.error.issues[0]?.message ?? ''}`);
  },
});
