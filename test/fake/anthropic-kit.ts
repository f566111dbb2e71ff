import { day, farFuture, type TestKit } from '../support/kit.js';
import { FakeAnthropic } from './anthropic.js';

const DAY = 86_400;
const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** source-anthropic-costs in the tests (test/support/kit.ts): its acceptance inputs, least config and small fake. */
export const kit: TestKit = {
  acceptance: {
    apiHost: 'api.anthropic.com',
    keyField: 'admin_api_key',
    emptyStreams: [],
    smokeStreams: [
      { name: 'cost_report', mode: 'incremental' },
      { name: 'workspaces', mode: 'full_refresh' },
    ],
    futureState: farFuture,
    async start(port = 0) {
      const key = 'sk-ant-admin01-acceptance-8e7d6c5b4a';
      // Relative to today: the analytics streams are served only for the last 365 days and from
      // 2026-01-01 on. 40 finished days, the last one yesterday (the same for every read of a run).
      const today = Math.floor(Date.now() / 86_400_000) * 86_400;
      const first = today - 40 * 86_400;
      const fake = new FakeAnthropic({ firstDay: first, days: 40, adminKey: key });
      await fake.start(port);
      const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
      const config = { admin_api_key: key, start_date: iso(first), end_date: iso(today - 86_400), base_url: fake.baseUrl };
      return { config, badKeyConfig: { ...config, admin_api_key: 'sk-ant-admin01-not-the-fake-key' }, secrets: [key], stop: () => fake.stop() };
    },
  },
  minimalConfig: { admin_api_key: 'sk-ant-admin01-golden', start_date: '2026-01-01' },
  fake: (o) => new FakeAnthropic({ firstDay: o.firstDay, days: o.days, adminKey: o.key, ...(o.now ? { now: o.now } : {}) }),
  fakeApi: {
    port: 8788,
    key: 'sk-ant-admin01-fake-0123456789abcdef',
    make: (o) => new FakeAnthropic({ firstDay: o.firstDay, days: o.days, adminKey: o.key, ...(o.seed === undefined ? {} : { seed: o.seed }) }),
    banner: (o) => `fake Anthropic admin API on ${o.url} (admin key${o.orgs > 1 ? 's, one per organization:' : ''} ${o.keys}); Ctrl-C to stop`,
  },
  e2e: {
    key: (tag) => `sk-ant-admin01-${tag}-8d7c6b5a4f3e`,
    dailyStream: 'cost_report',
    apiPath: '/v1',
    settings: {},
    notFoundBody: JSON.stringify({ type: 'error', error: { type: 'not_found_error', message: 'Not found' } }),
    exampleConfig: 'examples/anthropic/config.json',
    // Days on both sides of the analytics API's floor (max(2026-01-01, today - 365 days)), so both
    // sources of spend (cost_report before it, analytics_cost from it) are read; the ledger's
    // web-search credits give Credit rows.
    spend(key) {
      const floor = Math.max(day('2026-01-01'), Math.ceil((Date.now() / 1000 - 365 * DAY) / DAY) * DAY);
      const first = floor - 10 * DAY;
      const days = 20;
      const fake = new FakeAnthropic({ firstDay: first, days, adminKey: key, emptyEvery: 0 });
      return {
        fake,
        config: () => ({ admin_api_key: key, start_date: iso(first), end_date: iso(first + (days - 1) * DAY), base_url: fake.baseUrl }),
        credits: true,
      };
    },
  },
};
