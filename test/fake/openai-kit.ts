import { day, farFuture, type TestKit } from '../support/kit.js';
import { FakeOpenAi } from './openai.js';

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
  fake: (o) => new FakeOpenAi({ firstDay: o.firstDay, days: o.days, projects: 2, lineItems: 2, adminKey: o.key }),
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
};
