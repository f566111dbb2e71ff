import { farFuture, type TestKit } from '../support/kit.js';
import { FakeToy } from './toy.js';

/** The scratch provider's test kit (test/toy/about.ts): what a real provider's kit says, as small as it gets. */
export const kit: TestKit = {
  acceptance: {
    apiHost: 'api.toy.example',
    keyField: 'api_key',
    emptyStreams: [],
    smokeStreams: [{ name: 'items', mode: 'full_refresh' }],
    futureState: farFuture,
    async start(port = 0) {
      const key = 'toy-key-acceptance';
      const fake = new FakeToy(key);
      await fake.start(port);
      const config = { api_key: key, start_date: '2026-01-01', base_url: fake.baseUrl };
      return { config, badKeyConfig: { ...config, api_key: 'toy-key-refused' }, secrets: [key], stop: () => fake.stop() };
    },
  },
  minimalConfig: { api_key: 'toy-key-golden', start_date: '2026-01-01' },
  fake: (o) => new FakeToy(o.key),
  fakeApi: {
    port: 8799,
    key: 'toy-key-fake',
    make: (o) => new FakeToy(o.key),
    banner: (o) => `fake toy API on ${o.url} (X-Api-Key ${o.keys}); Ctrl-C to stop`,
  },
  e2e: {
    key: (tag) => `toy-key-${tag}`,
    dailyStream: 'items',
    apiPath: '/v1',
    settings: {},
    notFoundBody: JSON.stringify({ error: 'not found' }),
    // The toy is never in the real registry, so the cross-provider tests never read these: it has no examples/ config and no spend stream.
    exampleConfig: 'examples/toy/config.json',
    spend(key) {
      const fake = new FakeToy(key);
      return { fake, config: () => ({ api_key: key, start_date: '2026-01-01', base_url: fake.baseUrl }), credits: false };
    },
  },
};
