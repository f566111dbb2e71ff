import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, catalog, errors, files, records, run } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { costDim, FakeOpenAi } from '../fake/openai.js';
import { USAGE_ENDPOINTS } from '../fake/openai-usage.js';
import type { LoggedRequest } from '../fake/server.js';

/**
 * OpenAI's page cursor is broken for grouped queries (issue 23, point 8): a grouped query must
 * never send `page`, whatever the grouping's size, and a short page is covered by halving the
 * window instead. The fake answers a grouped `page` with a 400 and the reader's halving would
 * still make the records exact, so the records AND the requests are asserted: every grouping of
 * one dimension (each dimension of the costs and of every usage endpoint) and every endpoint's
 * full grouping, against a server that serves fewer buckets than asked for.
 */
const KEY = 'sk-admin-e2e-grouped-cursor-3c4d5e';
const START = '2025-09-01';
const END = '2025-09-21'; // 21 days
const TRUNCATE = 3;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const [FROM, TO] = [day(START), day(END) + 86_400];

/** Every group_by dimension of each report endpoint, as the fake API accepts them (costs: api_key_id allowed). */
const DIMS: Record<string, readonly string[]> = {
  costs: ['project_id', 'line_item', 'api_key_id'],
  ...Object.fromEntries(USAGE_ENDPOINTS.map((e) => [e.stream, e.dims])),
};
const STREAMS = Object.keys(DIMS);
const ROUNDS = Math.max(...Object.values(DIMS).map((d) => d.length));
const pathOf = (stream: string): string => (stream === 'costs' ? '/v1/organization/costs' : `/v1/organization/usage/${stream.replace(/^usage_/, '')}`);

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = new FakeOpenAi({
    firstDay: day('2025-08-25'),
    days: 40,
    projects: 3,
    lineItems: 4,
    adminKey: KEY,
    emptyEvery: 5,
    truncateAt: TRUNCATE,
    apiKeyIdGrouping: 'allowed',
  });
  await fake.start();
});
afterAll(() => fake.stop());

/** One read of `groupings` (stream -> group_by) through the built CLI; its records and the requests it sent. */
async function readGrouped(groupings: Record<string, readonly string[]>) {
  const streams = Object.keys(groupings);
  const f = files({
    'c.json': { admin_api_key: KEY, start_date: START, end_date: END, base_url: fake.baseUrl, group_by: groupings },
    'cat.json': catalog(streams.map((name) => ({ name, mode: 'full_refresh' as const }))),
  });
  const before = fake.requests.length;
  const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  return { result, streams, requests: fake.requests.slice(before) };
}

function expectExactWithoutCursor(r: Awaited<ReturnType<typeof readGrouped>>, groupings: Record<string, readonly string[]>): void {
  expect(r.result.code, JSON.stringify(errors(r.result.messages))).toBe(0);
  assertProtocol(r.result, { streams: r.streams });
  for (const [stream, groupBy] of Object.entries(groupings)) {
    const label = `${stream} grouped by ${groupBy.join(', ')}`;
    const expected = stream === 'costs' ? fake.org.expectedCosts(FROM, TO, groupBy.map(costDim)) : fake.org.expectedUsage(stream, FROM, TO, '1d', groupBy);
    expect(expected.length, `${label}: the ground truth is not empty`).toBeGreaterThan(0);
    expect(withoutIds(records(r.result.messages, stream)), label).toEqual(withoutIds(expected));
    const sent: LoggedRequest[] = r.requests.filter((q) => q.path === pathOf(stream));
    expect(
      sent.every((q) => JSON.stringify(q.query.getAll('group_by')) === JSON.stringify(groupBy)),
      `${label}: every request carries the grouping`,
    ).toBe(true);
    // The server cut pages short (it was asked for more buckets than it serves) ...
    expect(
      sent.some((q) => Number(q.query.get('limit')) > TRUNCATE),
      `${label}: a page was truncated`,
    ).toBe(true);
    // ... and the reader never followed the grouped cursor.
    expect(
      sent.filter((q) => q.query.has('page')).map((q) => q.query.toString()),
      `${label}: no request carries page`,
    ).toEqual([]);
  }
}

describe('grouped report queries against a server that truncates pages', () => {
  /** Round i groups each endpoint by its i-th dimension alone: together the rounds group by every dimension alone once. */
  const rounds = Array.from({ length: ROUNDS }, (_, i) => {
    const groupings = Object.fromEntries(STREAMS.filter((s) => (DIMS[s]?.length ?? 0) > i).map((s) => [s, [DIMS[s]?.[i] as string]]));
    return [[...new Set(Object.values(groupings).flat())].join(', '), groupings] as const;
  });
  it.each(rounds)(
    'given a one-dimension group_by (%s, one per endpoint) when reading then records are exact and no request carries page',
    async (_label, groupings) => {
      expect(Object.keys(groupings).length).toBeGreaterThan(0);
      expectExactWithoutCursor(await readGrouped(groupings), groupings);
    },
  );

  it('given every dimension of each endpoint in group_by when reading then records are exact and no request carries page', async () => {
    const groupings = Object.fromEntries(STREAMS.map((s) => [s, DIMS[s] as readonly string[]]));
    expectExactWithoutCursor(await readGrouped(groupings), groupings);
  });
});
