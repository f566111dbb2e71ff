import { day, farFuture, type TestKit } from '../support/kit.js';
import { DAY, FakeXai } from './xai.js';

const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

/** The team every fake serves unless told otherwise (examples/xai/config.json names it). */
export const FAKE_TEAM = 'team-4f1c2a9e';

/** source-xai-costs in the tests (test/support/kit.ts): its acceptance inputs, least config and small fake. */
export const kit: TestKit = {
  acceptance: {
    apiHost: 'management-api.x.ai',
    keyField: 'management_key',
    emptyStreams: [],
    smokeStreams: [{ name: 'usage', mode: 'incremental' }],
    futureState: farFuture,
    async start(port = 0) {
      const key = 'mgmt-acceptance-7c1d9e2f';
      const first = day('2026-06-01');
      // 120 days: several windows of usage, so several checkpoints for test_read_sequential_slices.
      const fake = new FakeXai({ firstDay: first, days: 120, key, team: FAKE_TEAM });
      await fake.start(port);
      const config = { management_key: key, team_id: FAKE_TEAM, start_date: '2026-06-01', end_date: '2026-09-28', base_url: fake.baseUrl };
      return { config, badKeyConfig: { ...config, management_key: 'mgmt-refused-000000' }, secrets: [key], stop: () => fake.stop() };
    },
  },
  minimalConfig: { management_key: 'mgmt-golden', team_id: 'team-golden', start_date: '2026-01-01' },
  // The cross-provider tests count requests, queue their own faults and compare whole outputs: no opening 502s and 429 and no
  // cardinality cap here (test/e2e/xai.test.ts has them), so a read is one request per window whatever the timing; the invoices
  // as before invoiceDetails (test/fixtures/output/source-xai-costs.json hashes them).
  fake: (o) =>
    new FakeXai({
      firstDay: o.firstDay,
      days: o.days,
      key: o.key,
      team: FAKE_TEAM,
      gatewayOnce: false,
      throttleOnce: false,
      cap: 10_000,
      invoiceDetails: false,
      ...(o.now ? { now: o.now } : {}),
    }),
  fakeApi: {
    port: 8792,
    key: 'mgmt-fake-0123456789abcdef',
    make: (o) =>
      new FakeXai({
        firstDay: o.firstDay,
        days: Math.round((o.today + DAY - o.firstDay) / DAY),
        key: o.key,
        team: FAKE_TEAM,
        ...(o.seed === undefined ? {} : { seed: o.seed }),
      }),
    banner: (o) => `fake xAI Management API on ${o.url} (Bearer ${o.keys}, team_id ${FAKE_TEAM}); Ctrl-C to stop`,
  },
  e2e: {
    key: (tag) => `mgmt-${tag}-4e5f6a7b8c9d`,
    dailyStream: 'usage',
    // Usage and invoices are under /v1 (the API keys under /auth, not read by the daily stream); base_url is the host.
    apiPath: '/v1',
    // team_id is required: every path names the team.
    settings: { team_id: FAKE_TEAM },
    // grpc-gateway's body for a path it does not serve (TO-CHECK-LIVE).
    notFoundBody: JSON.stringify({ code: 5, message: 'Not Found', details: [] }),
    exampleConfig: 'examples/xai/config.json',
    // The daily analytics give no count (no token value name is known): every Usage row has none (docs/xai.md).
    noCount: (row) => row.ChargeCategory === 'Usage',
    // 20 days of five keys (one no longer listed) and five lines, with the opening 502 and 429 and the cardinality cap;
    // the Promotional credit lines give Credit rows.
    spend(key) {
      const first = day('2026-06-01');
      const days = 20;
      const fake = new FakeXai({ firstDay: first, days, key, team: FAKE_TEAM });
      return {
        fake,
        config: () => ({ management_key: key, team_id: FAKE_TEAM, start_date: iso(first), end_date: iso(first + (days - 1) * DAY), base_url: fake.baseUrl }),
        credits: true,
      };
    },
  },
};
