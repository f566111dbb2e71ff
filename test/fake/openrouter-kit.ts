import { farFuture, type TestKit } from '../support/kit.js';
import { DAY, FakeOpenRouter } from './openrouter.js';

const today = (): number => Math.floor(Date.now() / 1000 / DAY) * DAY;
const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/**
 * source-openrouter-costs in the tests (test/support/kit.ts). OpenRouter serves only days relative to
 * now (the last 30 completed days from /activity, 365 from analytics), so the dates are relative to
 * today: fixed within a run, not across runs.
 */
export const kit: TestKit = {
  acceptance: {
    apiHost: 'openrouter.ai',
    keyField: 'management_key',
    emptyStreams: [],
    smokeStreams: [
      { name: 'activity', mode: 'incremental' },
      { name: 'credits', mode: 'full_refresh' },
    ],
    futureState: farFuture,
    async start(port = 0) {
      const key = 'sk-or-v1-mgmt-acceptance-5e4d3c2b1a';
      const fake = new FakeOpenRouter({ keys: [key], firstDay: today() - 90 * DAY, throttleAnalytics: false });
      await fake.start(port);
      // 40 days: 10 from analytics (one window), 30 from /activity (one window per day).
      const config = { management_key: key, start_date: isoDay(today() - 40 * DAY), base_url: fake.baseUrl };
      return { config, badKeyConfig: { ...config, management_key: 'sk-or-v1-refused-000000' }, secrets: [key], stop: () => fake.stop() };
    },
  },
  minimalConfig: { management_key: 'sk-or-v1-golden', start_date: '2026-01-01' },
  fake: (o) =>
    // The kit's small fake serves what it served before the later behaviours (output fixtures): no rate limit,
    // no 502, fixed key counters (the counters move with the clock).
    new FakeOpenRouter({
      keys: [o.key],
      firstDay: o.firstDay,
      endDay: o.firstDay + o.days * DAY,
      throttleAnalytics: false,
      analyticsRateLimit: false,
      cloudflare502: false,
      keyCounters: false,
      ...(o.now ? { now: o.now } : {}),
    }),
  fakeApi: {
    port: 8793,
    key: 'sk-or-v1-fake-0123456789abcdef',
    make: (o) => new FakeOpenRouter({ keys: [o.key], firstDay: o.firstDay, endDay: o.today + DAY, ...(o.seed === undefined ? {} : { seed: o.seed }) }),
    banner: (o) =>
      `fake OpenRouter management API on ${o.url}/api/v1 (Authorization: Bearer ${o.keys}; /activity serves the last 30 completed UTC days, /analytics/query 365); Ctrl-C to stop`,
  },
  e2e: {
    key: (tag) => `sk-or-v1-${tag}-7e6d5c4b3a29`,
    dailyStream: 'activity',
    apiPath: '/api/v1',
    settings: {},
    notFoundBody: JSON.stringify({ error: { code: 404, message: 'Not Found', metadata: null }, user_id: null }),
    exampleConfig: 'examples/openrouter/config.json',
    // 40 days up to yesterday: the 10 oldest from analytics, the last 30 from /activity (both sources of spend).
    // OpenRouter sends no negative amounts: every spend row is a Usage row.
    spend(key) {
      const first = today() - 40 * DAY;
      const fake = new FakeOpenRouter({ keys: [key], firstDay: first, endDay: today() + DAY });
      return {
        fake,
        config: () => ({ management_key: key, start_date: isoDay(first), end_date: isoDay(today() - DAY), base_url: fake.baseUrl }),
        credits: false,
      };
    },
  },
};
