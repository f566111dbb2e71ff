import { day, farFuture, type TestKit } from '../support/kit.js';
import { DAY, FakeAurous } from './aurous.js';

const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** source-aurous-usage in the tests (test/support/kit.ts): its acceptance inputs, least config and small fake. */
export const kit: TestKit = {
  acceptance: {
    apiHost: 'api.aurous-labs.com',
    keyField: 'api_key',
    emptyStreams: [],
    smokeStreams: [{ name: 'usage', mode: 'incremental' }],
    futureState: farFuture,
    async start(port = 0) {
      const key = 'al_live_acceptance_6b5a4c3d2e1f';
      const first = day('2026-06-01');
      // 120 days: the engine plans four windows, so four checkpoints for test_read_sequential_slices.
      const fake = new FakeAurous({ firstTime: first, endTime: first + 120 * 86_400, apiKey: key, users: 4, models: 2 });
      await fake.start(port);
      // The spend stream prices credits in USD: without a rate it fails as a config_error by design.
      const config = { api_key: key, start_date: '2026-06-01', end_date: '2026-09-28', base_url: fake.baseUrl, focus: { credit_usd_rate: '0.01' } };
      return { config, badKeyConfig: { ...config, api_key: 'al_live_refused_key_000000' }, secrets: [key], stop: () => fake.stop() };
    },
  },
  minimalConfig: { api_key: 'al_live_golden', start_date: '2026-01-01' },
  fake: (o) => new FakeAurous({ firstTime: o.firstDay, endTime: o.firstDay + o.days * DAY, apiKey: o.key, ...(o.now ? { now: o.now } : {}) }),
  fakeApi: {
    port: 8789,
    key: 'al_live_fake_0123456789abcdef',
    make: (o) => new FakeAurous({ firstTime: o.firstDay, endTime: o.today + DAY, apiKey: o.key, ...(o.seed === undefined ? {} : { seed: o.seed }) }),
    banner: (o) =>
      `fake Aurous Labs usage API on ${o.url} (X-Api-Key ${o.keys}, Aurous-Version 2026-05-15: without it /v1/usage answers lifetime totals); Ctrl-C to stop`,
  },
  e2e: {
    key: (tag) => `al_live_${tag.replaceAll('-', '_')}_1b2c3d4e5f6a`,
    dailyStream: 'usage',
    apiPath: '/v1',
    // The spend stream prices credits in USD: without a rate it fails as a config_error by design.
    settings: { focus: { credit_usd_rate: '0.0125' } },
    notFoundBody: JSON.stringify({ error: { type: 'invalid_request', code: 'not_found', message: 'Unknown path /v1/usage.' } }),
    exampleConfig: 'examples/aurous/config.json',
    // 20 days of six users and three models; the refund groups give Credit rows.
    spend(key) {
      const first = day('2026-06-01');
      const days = 20;
      const fake = new FakeAurous({ firstTime: first, endTime: first + days * DAY, apiKey: key, users: 6, models: 3 });
      return {
        fake,
        config: () => ({
          api_key: key,
          start_date: iso(first),
          end_date: iso(first + (days - 1) * DAY),
          base_url: fake.baseUrl,
          focus: { credit_usd_rate: '0.0125' },
        }),
        credits: true,
      };
    },
  },
};
