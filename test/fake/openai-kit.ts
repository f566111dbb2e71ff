import { day, farFuture, type TestKit } from '../support/kit.js';
import { DAY, FakeOpenAi } from './openai.js';

const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** source-openai-costs in the tests (test/support/kit.ts): its acceptance inputs, least config and small fake. */
export const kit: TestKit = {
  acceptance: {
    apiHost: 'api.openai.com',
    keyField: 'admin_api_key',
    emptyStreams: [],
    smokeStreams: [
      { name: 'costs', mode: 'incremental' },
      { name: 'usage_completions', mode: 'incremental' },
      { name: 'projects', mode: 'full_refresh' },
    ],
    futureState: farFuture,
    async start(port = 0) {
      const key = 'sk-admin-acceptance-4f3e2d1c0b';
      const fake = new FakeOpenAi({ firstDay: day('2025-10-01'), days: 40, projects: 2, lineItems: 2, adminKey: key, extraProjects: 2, users: 3 });
      await fake.start(port);
      // 10-day windows: four checkpoints per report stream for test_read_sequential_slices.
      const config = { admin_api_key: key, start_date: '2025-10-01', end_date: '2025-11-09', base_url: fake.baseUrl, max_window_days: 10 };
      return { config, badKeyConfig: { ...config, admin_api_key: 'sk-admin-not-the-fake-key-42' }, secrets: [key], stop: () => fake.stop() };
    },
  },
  minimalConfig: { admin_api_key: 'sk-admin-golden', start_date: '2026-01-01' },
  // Small: two projects, two line items.
  fake: (o) => new FakeOpenAi({ firstDay: o.firstDay, days: o.days, projects: 2, lineItems: 2, adminKey: o.key, ...(o.now ? { now: o.now } : {}) }),
  fakeApi: {
    port: 8787,
    key: 'sk-admin-fake-0123456789abcdef',
    // No planted amounts (test/fake/openai.ts PLANTED_NANOS): a newcomer's first report is not one $12,345.68 line item.
    make: (o) =>
      new FakeOpenAi({
        firstDay: o.firstDay,
        days: o.days,
        projects: o.projects,
        lineItems: o.lineItems,
        adminKey: o.key,
        plantedAmounts: false,
        ...(o.seed === undefined ? {} : { seed: o.seed }),
      }),
    banner: (o) => `fake OpenAI admin API on ${o.url}/v1 (admin key${o.orgs > 1 ? 's, one per organization:' : ''} ${o.keys}); Ctrl-C to stop`,
  },
  e2e: {
    key: (tag) => `sk-admin-${tag}-3c2b1a0f9e8d`,
    dailyStream: 'costs',
    apiPath: '/v1',
    settings: {},
    notFoundBody: JSON.stringify({
      error: {
        message:
          'Unknown request URL: GET /v1/organization/costs. Please check the URL for typos, or see the docs at https://platform.openai.com/docs/api-reference/.',
        type: 'invalid_request_error',
        param: null,
        code: 'unknown_url',
      },
    }),
    exampleConfig: 'examples/config.json',
    // 12 days, three projects, four line items: the fake's credit line gives Credit rows on some days.
    spend(key) {
      const first = day('2025-09-28');
      const days = 12;
      const fake = new FakeOpenAi({ firstDay: first, days, projects: 3, lineItems: 4, adminKey: key });
      return {
        fake,
        config: () => ({ admin_api_key: key, start_date: iso(first), end_date: iso(first + (days - 1) * DAY), base_url: fake.baseUrl }),
        credits: true,
      };
    },
  },
};
