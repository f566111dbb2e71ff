import { describe, expect, it } from 'vitest';
import { WindowReader } from '../../connector/engine/fetch/buckets.js';
import { ConnectorError } from '../../connector/engine/errors.js';
import type { Bucket, FetchedWindow, WindowIo } from '../../connector/engine/stream.js';
import { responseFailure } from '../../connector/engine/fetch/responses.js';
import { HttpError } from '../../connector/http/errors.js';
import type { HttpClient, Query } from '../../connector/http/client.js';
import { aurousBucketApi } from '../../connector/providers/aurous/api.js';
import { AurousConfigSchema } from '../../connector/providers/aurous/config.js';
import { aurousWindowFetcher, type FetcherOptions } from '../../connector/providers/aurous/fetch.js';
import { usageResponses, usageStream } from '../../connector/providers/aurous/usage.js';
import { AUROUS_VERSION, DAY, FakeAurous, FINGERPRINT_MISMATCH, type Dim, type FakeAurousOptions } from '../fake/aurous.js';
import { responseError } from '../support/responses.js';

/** What Aurous's fetcher never uses: it only GETs /v1/usage, so a POST or another path fails the test. */
const GET_ONLY = {
  post: () => Promise.reject(new Error('Aurous usage sends no POST')),
  json: () => Promise.reject(new Error('Aurous usage reads no other path')),
};

/**
 * The Aurous window fetcher driven in-process against the fake's handler: the
 * same replies the HTTP fake serves, without sockets, and with injected clocks.
 */
const START = Date.UTC(2026, 5, 1) / 1000;
const WINDOW = { start: START, end: START + 20 * DAY };

function setup(
  fakeOptions: Partial<FakeAurousOptions> = {},
  rewrite: (q: URLSearchParams) => URLSearchParams = (q) => q,
  key: (q: URLSearchParams, fake: FakeAurous) => string = (_q, fake) => fake.apiKey,
) {
  const fake = new FakeAurous({ firstTime: START, endTime: START + 60 * DAY, users: 12, models: 3, ...fakeOptions });
  const sent: URLSearchParams[] = [];
  const io: WindowIo = {
    ...GET_ONLY,
    async get(query: Query) {
      const q = rewrite(new URLSearchParams(query.map(([k, v]): [string, string] => [k, v])));
      sent.push(q);
      const r = fake.reply(q, { 'x-api-key': key(q, fake), 'aurous-version': AUROUS_VERSION });
      if (r.status !== 200) throw responseError(r.status, JSON.stringify(r.body), '/v1/usage');
      return aurousBucketApi.page.parse(r.body);
    },
    debug: () => {},
  };
  return { fake, io, sent };
}

function fetcher(groupBy: Dim[], extra: Partial<FetcherOptions> = {}) {
  return aurousWindowFetcher({
    path: '/v1/usage',
    bucketSeconds: DAY,
    params: [['bucket_width', '1d'], ...(groupBy.length ? [['group_by', groupBy.join(',')] as const] : [])],
    groupBy,
    pageSize: 10,
    responses: usageResponses(groupBy),
    ...extra,
  });
}

/** Every bucket of the window as the fake holds it whole. */
function truth(fake: FakeAurous, groupBy: Dim[]): Array<{ start: number; groups: unknown[] }> {
  const out = [];
  for (let t = WINDOW.start; t < WINDOW.end; t += DAY) out.push({ start: t, groups: fake.data.groups('1d', t, groupBy) });
  return out;
}
/** The window as the engine takes a complete fetch (WindowReader.readCovered): each bucket the pages held, every other one empty. */
const got = (fetched: FetchedWindow) => {
  expect(fetched.complete).toBe(true);
  const byStart = new Map(fetched.buckets.map((b) => [b.start, b.results]));
  const out = [];
  for (let t = WINDOW.start; t < WINDOW.end; t += DAY) out.push({ start: t, groups: byStart.get(t) ?? [] });
  return out;
};
const isSingleBucket = (q: URLSearchParams) => Date.parse(q.get('end_time') ?? '') - Date.parse(q.get('start_time') ?? '') === DAY * 1000;

describe('aurous window fetcher', () => {
  it('given buckets with more groups than the page size when fetching a window then every bucket is whole and each cut one was re-read alone at the maximum limit', async () => {
    const { fake, io, sent } = setup();
    const buckets = await fetcher(['user_id', 'model'])(io, WINDOW);
    const expected = truth(fake, ['user_id', 'model']);
    expect(Math.max(...expected.map((b) => b.groups.length))).toBeGreaterThan(10);
    expect(got(buckets)).toEqual(expected);
    const singles = sent.filter(isSingleBucket);
    expect(singles.length).toBeGreaterThan(0);
    expect(singles.every((q) => q.get('limit') === '100')).toBe(true);
    for (const q of sent.filter((q) => q.has('page_token'))) expect([...q.keys()]).toEqual(['page_token']);
  });

  it('given empty buckets served as groups [] or omitted when fetching then the result is the same whole window', async () => {
    const omitted = setup();
    const included = setup({ includeEmptyBuckets: true });
    const a = await fetcher(['type'])(omitted.io, WINDOW);
    const b = await fetcher(['type'])(included.io, WINDOW);
    expect(got(a)).toEqual(truth(omitted.fake, ['type']));
    expect(got(b)).toEqual(got(a));
    expect(got(a).filter((x) => x.groups.length === 0).length).toBeGreaterThan(0);
  });

  it('given an ungrouped query when fetching then no bucket is re-read (one row per bucket cannot be cut)', async () => {
    const { fake, io, sent } = setup();
    const buckets = await fetcher([], { pageSize: 3 })(io, WINDOW);
    expect(got(buckets)).toEqual(truth(fake, []));
    expect(sent.filter(isSingleBucket)).toHaveLength(0);
    expect(sent.length).toBeGreaterThan(3);
  });

  it('given a token close to its 24-hour expiry when continuing then the query restarts for the unread part instead of sending it', async () => {
    const { fake, io, sent } = setup();
    let now = 0;
    const clocked: WindowIo = { ...GET_ONLY, get: async (q) => ((now += 23.5 * 3_600_000), io.get(q)), debug: () => {} };
    const buckets = await fetcher(['type', 'model'], { clock: { now: () => now } })(clocked, WINDOW);
    expect(got(buckets)).toEqual(truth(fake, ['type', 'model']));
    expect(sent.some((q) => q.has('page_token'))).toBe(false);
    expect(sent.length).toBeGreaterThan(2);
    // Each restart ends where the read so far stopped: end_time only moves back.
    const ends = sent.filter((q) => !isSingleBucket(q)).map((q) => Date.parse(q.get('end_time') ?? ''));
    expect([...ends].sort((x, y) => y - x)).toEqual(ends);
    expect(fake.codes().every((c) => c === null)).toBe(true);
  });

  it('given an API that refuses every continuation (fingerprint mismatch) when fetching then each refusal restarts the unread part and nothing is lost', async () => {
    const drift = (q: URLSearchParams) => (q.has('page_token') ? new URLSearchParams([...q, ['limit', '10']]) : q);
    const { fake, io } = setup({}, drift);
    const buckets = await fetcher(['user_id', 'model'])(io, WINDOW);
    expect(got(buckets)).toEqual(truth(fake, ['user_id', 'model']));
    const refused = fake.served.filter((s) => s.code === 'invalid_page_token');
    expect(refused.length).toBeGreaterThan(0);
    expect(fake.reply(new URLSearchParams([...refused[0]!.query])).body).toMatchObject({
      error: { code: 'invalid_page_token', message: FINGERPRINT_MISMATCH },
    });
  });

  it('given continuations answered for another team (400 invalid_page_token) when fetching then each refusal restarts the unread part and nothing is lost', async () => {
    const other = 'al_live_other_team';
    const { fake, io } = setup({ teamKeys: { [other]: 'team_other' } }, undefined, (q, f) => (q.has('page_token') ? other : f.apiKey));
    const buckets = await fetcher(['user_id', 'model'])(io, WINDOW);
    expect(got(buckets)).toEqual(truth(fake, ['user_id', 'model']));
    const refused = fake.served.filter((s) => s.code === 'invalid_page_token');
    expect(refused.length).toBeGreaterThan(0);
    expect(fake.reply(new URLSearchParams([...refused[0]!.query]), { 'x-api-key': other, 'aurous-version': AUROUS_VERSION }).body).toEqual({
      error: { type: 'invalid_request', code: 'invalid_page_token', message: 'page_token belongs to another team.' },
    });
  });

  it('given an API that refuses a group_by dimension when fetching then one request ends in a refusal the plan turns into a config_error quoting the API, not a halved window', async () => {
    const { io, sent } = setup({ groupByDimensions: ['status', 'api_key_id', 'user_id', 'type'] });
    const raw = await fetcher(['type', 'model'])(io, WINDOW).catch((e: unknown) => e);
    expect(raw).toBeInstanceOf(HttpError);
    const err = responseFailure(usageResponses(['type', 'model']), raw, WINDOW);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failureType).toBe('config_error');
    expect((err as Error).message).toContain("Aurous refused group_by type,model: Invalid 'group_by' value 'model': one of status, api_key_id, user_id, type.");
    expect(sent).toHaveLength(1);
    // Any other 400 (a range the server will not serve) is no refusal: the engine halves the window for it.
    const capped = setup({ maxRangeBuckets: 8 });
    const other = await fetcher(['type'])(capped.io, WINDOW).catch((e: unknown) => e);
    expect(other).toBeInstanceOf(HttpError);
    expect(responseFailure(usageResponses(['type']), other, WINDOW)).toBeUndefined();
  });

  it('given a bucket with more groups than the API maximum when fetching then a config_error names the bucket and suggests a narrower group_by', async () => {
    const dense = START + 4 * DAY + 3600;
    const { fake, io } = setup({ users: 40, models: 4, dense: [dense], denseRows: 600 });
    expect(fake.data.groups('1d', START + 4 * DAY, ['user_id', 'model']).length).toBeGreaterThan(100);
    const err = await fetcher(['user_id', 'model'])(io, WINDOW).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectorError);
    expect((err as ConnectorError).failureType).toBe('config_error');
    expect((err as Error).message).toContain('2026-06-05T00:00:00Z');
    expect((err as Error).message).toContain('narrower group_by');
  });

  it('given pages whose buckets are oldest first when fetching then it fails rather than guess where the cursor resumes', async () => {
    const { io } = setup();
    const reversed: WindowIo = { ...GET_ONLY, get: async (q) => ((p) => ({ ...p, buckets: [...p.buckets].reverse() }))(await io.get(q)), debug: () => {} };
    await expect(fetcher(['type'])(reversed, WINDOW)).rejects.toThrow(/newest first/);
  });

  it('given a continuation that resumes inside the bucket it cut (a fixed API) when fetching then the repeated bucket is ignored', async () => {
    const { fake, io } = setup();
    let boundary: Bucket | undefined;
    const resuming: WindowIo = {
      ...GET_ONLY,
      async get(q) {
        const page = await io.get(q);
        const isToken = q.some(([k]) => k === 'page_token');
        const out = isToken && boundary ? { ...page, buckets: [{ ...boundary, results: boundary.results.slice(0, 1) }, ...page.buckets] } : page;
        if (page.hasMore) boundary = page.buckets.at(-1);
        return out;
      },
      debug: () => {},
    };
    const buckets = await fetcher(['user_id', 'model'])(resuming, WINDOW);
    expect(got(buckets)).toEqual(truth(fake, ['user_id', 'model']));
  });
});

describe('a custom fetcher through the engine coverage check (WindowReader)', () => {
  const plan = (fetched: FetchedWindow) => ({
    ...usageStream.plan(AurousConfigSchema.parse({ api_key: 'al_live_x', start_date: '2026-06-01' })),
    paging: { kind: 'custom' as const, fetchWindow: async () => fetched },
  });
  const read = (fetched: FetchedWindow, window = { start: START, end: START + DAY }) =>
    new WindowReader(plan(fetched), {
      http: {} as HttpClient,
      stream: 'usage',
      format: { kind: 'rows' },
      debug: () => undefined,
      warn: () => undefined,
      hooks: {},
      onResponse: () => undefined,
      clock: { now: () => 0 },
    }).read(window);

  it('given a fetch that says its pages were incomplete when a bucket is missing then the window is not covered: a system_error, never a silent gap', async () => {
    await expect(read({ buckets: [], complete: false })).rejects.toThrow(
      '/v1/usage: the response for window [2026-06-01T00:00:00Z, 2026-06-02T00:00:00Z) does not cover it (1 of 1 buckets missing, first 2026-06-01T00:00:00Z); refusing to leave a gap.',
    );
  });

  it('given a complete fetch that mentions no bucket when read then every bucket of the window is empty, and a misaligned bucket fails as for any provider', async () => {
    await expect(read({ buckets: [], complete: true }, { start: START, end: START + 3 * DAY }).then((u) => u.count)).resolves.toBe(0);
    await expect(read({ buckets: [{ start: START + 3600, end: START + DAY + 3600, results: [] }], complete: true })).rejects.toThrow(
      /is not aligned to 86400 s buckets/,
    );
  });

  it('given a fetcher that returns parts of a split query when its plan does not declare paging.parts then the window fails (no ids were computed to check the parts), never summed unchecked', async () => {
    await expect(read({ buckets: [], complete: true, parts: true })).rejects.toThrow(
      '/v1/usage: the fetcher returned parts of a split query, but its plan does not declare paging.parts; their ids were not computed.',
    );
  });
});
