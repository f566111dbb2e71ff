import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, DIMENSIONS_MESSAGE, FakeOpenRouter, FORBIDDEN_MESSAGE, USERS, WINDOW_MESSAGE, type LedgerRow } from '../fake/openrouter.js';
import { decimalOf } from '../support/number-text.js';

/**
 * The fake OpenRouter's own behaviours (shared/reference/openrouter-xai-fireworks.md 1.11), over real
 * HTTP: the ones the connector never asks for (group_by=workspace, the filters, the analytics
 * dimensions, /generation) as well as those it meets (the rate limit, key counters, /credits cache),
 * so that `npm run fake-api` serves them as the reference describes. Ground truth: the fake's ledger.
 */
const KEY = 'sk-or-v1-fake-test-mgmt-0a1b2c';
const INFERENCE = 'sk-or-v1-fake-test-inference-3d4e5f';
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const iso = (t: number): string => new Date(t * 1000).toISOString();

type Item = Record<string, unknown>;

async function call(fake: FakeOpenRouter, path: string, o: { key?: string | null; body?: unknown } = {}) {
  const key = o.key === undefined ? KEY : o.key;
  const res = await fetch(`${fake.baseUrl}${path}`, {
    method: o.body === undefined ? 'GET' : 'POST',
    headers: { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...(o.body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(o.body === undefined ? {} : { body: JSON.stringify(o.body) }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // an HTML page
  }
  return { status: res.status, text, body: body as { data: unknown } & Record<string, unknown>, headers: res.headers };
}

const activity = async (fake: FakeOpenRouter, query: string): Promise<Item[]> => {
  const r = await call(fake, `/activity?${query}`);
  expect(r.status, r.text).toBe(200);
  return r.body.data as Item[];
};
const analytics = (fake: FakeOpenRouter, body: unknown) => call(fake, '/analytics/query', { body });

/** Exact decimal sums of doubles (the JSON number text), for "the parts add up to the row". */
const SCALE = 10n ** 30n;
const scaled = (n: number): bigint => {
  const [i = '0', f = ''] = decimalOf(n).split('.');
  return BigInt(i) * SCALE + BigInt(`${f}${'0'.repeat(30)}`.slice(0, 30));
};
const sumExact = (xs: number[]): bigint => xs.reduce((s, x) => s + scaled(x), 0n);
const rowKey = (x: Item): string => `${x.model}|${x.endpoint_id}`;

let fake: FakeOpenRouter;
beforeAll(async () => {
  fake = new FakeOpenRouter({
    keys: [KEY],
    inferenceKeys: [INFERENCE],
    firstDay: TODAY - 100 * DAY,
    throttleAnalytics: false,
    cloudflare524: false,
    cloudflare502: false,
  });
  await fake.start();
});
afterAll(() => fake.stop());

describe('fake OpenRouter: auth and errors', () => {
  it('given no key, an inference key or a management key on a completion when calling then the bodies are exactly the documented ones', async () => {
    const none = await call(fake, '/activity', { key: null });
    expect(none.status).toBe(401);
    expect(none.text).toBe('{"error":{"code":401,"message":"Missing Authentication header"}}');
    for (const path of ['/activity', '/credits', '/keys', '/workspaces', '/analytics/meta']) {
      const r = await call(fake, path, { key: INFERENCE });
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ error: { code: 403, message: FORBIDDEN_MESSAGE, metadata: null }, user_id: null, openrouter_metadata: null });
    }
    const completion = await call(fake, '/chat/completions', { body: { model: 'openai/gpt-4.1', messages: [] } });
    expect(completion.status).toBe(403);
  });

  it('given the default fake when /activity and /workspaces are called repeatedly then Cloudflare HTML pages come back once each (a 524, a 502)', async () => {
    const cf = new FakeOpenRouter({ keys: [KEY], firstDay: TODAY - 40 * DAY });
    await cf.start();
    try {
      const a = [];
      for (let i = 0; i < 3; i++) a.push(await call(cf, `/activity?date=${isoDay(TODAY - DAY)}`));
      expect(a.map((r) => r.status)).toEqual([200, 200, 524]);
      expect(a[2]?.headers.get('content-type')).toContain('text/html');
      const w = [];
      for (let i = 0; i < 3; i++) w.push(await call(cf, '/workspaces'));
      expect(w.map((r) => r.status)).toEqual([200, 502, 200]);
      expect(w[1]?.text).toContain('cloudflare');
    } finally {
      await cf.stop();
    }
  });
});

describe('fake OpenRouter: /activity', () => {
  it('given group_by=workspace when reading a day then each row splits per workspace with workspace_id and the parts add up exactly to the default row', async () => {
    const day = isoDay(TODAY - 2 * DAY);
    const rows = await activity(fake, `date=${day}`);
    const split = await activity(fake, `date=${day}&group_by=workspace`);
    const workspaces = new Set(fake.workspaceList.map((w) => w.id));
    expect(rows.every((x) => !('workspace_id' in x))).toBe(true);
    expect(split.every((x) => workspaces.has(x.workspace_id))).toBe(true);
    expect(split.length).toBeGreaterThan(rows.length);
    for (const row of rows) {
      const parts = split.filter((x) => rowKey(x) === rowKey(row));
      expect(new Set(parts.map((p) => p.workspace_id)).size).toBe(parts.length);
      for (const f of ['usage', 'byok_usage_inference']) expect(sumExact(parts.map((p) => p[f] as number)), f).toBe(sumExact([row[f] as number]));
      for (const f of ['requests', 'prompt_tokens', 'completion_tokens', 'reasoning_tokens'])
        expect(
          parts.reduce((s, p) => s + (p[f] as number), 0),
          f,
        ).toBe(row[f]);
    }
  });

  it('given a day before workspaces existed when grouped by workspace then every row is the default workspace (legacy attribution)', async () => {
    const day = TODAY - 25 * DAY;
    expect(day).toBeLessThan(fake.workspacesSince);
    const split = await activity(fake, `date=${isoDay(day)}&group_by=workspace`);
    expect(split.length).toBe((await activity(fake, `date=${isoDay(day)}`)).length);
    expect(new Set(split.map((x) => x.workspace_id))).toEqual(new Set([fake.workspaceList[0]?.id]));
  });

  it('given the workspace_id, api_key_hash and user_id filters when reading a day then each returns the ledger parts of that workspace, key or user; an unknown hash none; a malformed one or a foreign workspace 400', async () => {
    const day = TODAY - 3 * DAY;
    const ledger = fake.rows.filter((x) => x.day === day);
    const partsWhere = (f: (p: LedgerRow['parts'][number]) => boolean) =>
      ledger.flatMap((x) => {
        const ps = x.parts.filter(f);
        if (ps.length === x.parts.length) return [{ key: `${x.model}|${x.endpoint_id}`, usage: x.usage, requests: x.requests }];
        return ps.map((p) => ({ key: `${x.model}|${x.endpoint_id}`, usage: p.usage, requests: p.requests }));
      });
    const served = (items: Item[]) => items.map((x) => ({ key: rowKey(x), usage: x.usage, requests: x.requests }));
    const other = String(fake.workspaceList[1]?.id);
    expect(served(await activity(fake, `date=${isoDay(day)}&workspace_id=${other}`))).toEqual(partsWhere((p) => p.workspace_id === other));
    const hash = ledger.flatMap((x) => x.parts).find((p) => p.workspace_id === other)?.api_key_hash as string;
    const byKey = served(await activity(fake, `date=${isoDay(day)}&api_key_hash=${hash}`));
    expect(byKey.length).toBeGreaterThan(0);
    expect(byKey).toEqual(partsWhere((p) => p.api_key_hash === hash));
    const user = USERS[1]?.id as string;
    expect(served(await activity(fake, `date=${isoDay(day)}&user_id=${user}`))).toEqual(partsWhere((p) => p.user_id === user));
    expect(await activity(fake, `date=${isoDay(day)}&api_key_hash=${'0'.repeat(64)}`)).toEqual([]);
    expect((await call(fake, `/activity?date=${isoDay(day)}&api_key_hash=nothex`)).status).toBe(400);
    expect((await call(fake, `/activity?date=${isoDay(day)}&workspace_id=00000000-0000-4000-8000-000000000000`)).status).toBe(400);
  });

  it('given the date options when reading then `date` is "YYYY-MM-DD 00:00:00" on some rows by default, on all or none as configured; extra fields and reasoning above completion appear', async () => {
    const all = await activity(fake, '');
    expect(all.some((x) => String(x.date).endsWith(' 00:00:00'))).toBe(true);
    expect(all.some((x) => /^\d{4}-\d{2}-\d{2}$/.test(String(x.date)))).toBe(true);
    expect(all.some((x) => 'variant' in x && 'byok_requests' in x)).toBe(true);
    expect(all.some((x) => !('variant' in x))).toBe(true);
    expect(all.some((x) => (x.reasoning_tokens as number) > (x.completion_tokens as number))).toBe(true);
    expect(new Set(all.map((x) => String(x.date).slice(0, 10)))).toEqual(new Set(Array.from({ length: 30 }, (_, i) => isoDay(TODAY - (30 - i) * DAY))));
    for (const dateWithTime of ['always', 'never'] as const) {
      const f = new FakeOpenRouter({ keys: [KEY], firstDay: TODAY - 5 * DAY, dateWithTime, cloudflare524: false });
      await f.start();
      try {
        const dates = (await activity(f, '')).map((x) => String(x.date));
        expect(dates.length).toBeGreaterThan(0);
        expect(dates.every((d) => d.endsWith(' 00:00:00') === (dateWithTime === 'always'))).toBe(true);
      } finally {
        await f.stop();
      }
    }
  });

  it('given the clock moves a day when reading then the window rolls: yesterday enters, the oldest day leaves (400)', async () => {
    let now = Date.now();
    const f = new FakeOpenRouter({ keys: [KEY], firstDay: TODAY - 40 * DAY, endDay: TODAY + 3 * DAY, now: () => now, cloudflare524: false });
    await f.start();
    try {
      expect((await call(f, `/activity?date=${isoDay(TODAY)}`)).body).toEqual({ error: { message: WINDOW_MESSAGE, code: 400 } });
      expect((await call(f, `/activity?date=${isoDay(TODAY - 30 * DAY)}`)).status).toBe(200);
      expect((await call(f, '/activity?date=2026/03/01')).status).toBe(400);
      now += DAY * 1000;
      expect((await call(f, `/activity?date=${isoDay(TODAY)}`)).status).toBe(200);
      expect((await call(f, `/activity?date=${isoDay(TODAY - 30 * DAY)}`)).body).toEqual({ error: { message: WINDOW_MESSAGE, code: 400 } });
    } finally {
      await f.stop();
    }
  });
});

describe('fake OpenRouter: /analytics/query', () => {
  const range = (days: number, end = TODAY) => ({ start: iso(end - days * DAY), end: iso(end) });
  const base = { metrics: ['request_count'], granularity: 'day' };

  it('given too many dimensions, or 31-day metrics and dimensions over longer ranges, when querying then 400 (the zod message for dimensions)', async () => {
    const three = await analytics(fake, { ...base, dimensions: ['model', 'workspace', 'user'], time_range: range(5) });
    expect(three.status).toBe(400);
    expect((three.body.error as { message: string }).message).toBe(DIMENSIONS_MESSAGE);
    expect((await analytics(fake, { ...base, metrics: ['openrouter_usage'], time_range: range(40) })).status).toBe(400);
    expect((await analytics(fake, { ...base, dimensions: ['provider'], time_range: range(40) })).status).toBe(400);
    expect((await analytics(fake, { ...base, metrics: ['openrouter_usage'], dimensions: ['provider'], time_range: range(20) })).status).toBe(200);
  });

  it('given no time_range when querying then the last 7 days come back; without granularity totals with no time key', async () => {
    const r = await analytics(fake, { ...base, dimensions: ['model'] });
    const rows = (r.body.data as { data: Item[] }).data;
    const days = rows.map((x) => String(x.date__day ?? x.created_at__day).slice(0, 10));
    expect(days.length).toBeGreaterThan(0);
    expect(days.every((d) => d >= isoDay(TODAY - 7 * DAY))).toBe(true);
    expect(new Set(days).size).toBeGreaterThanOrEqual(7);
    const totals = (await analytics(fake, { metrics: ['request_count'], dimensions: ['model'], time_range: range(10) })).body.data as { data: Item[] };
    expect(totals.data.every((x) => !('date__day' in x) && !('created_at__day' in x))).toBe(true);
    const perModel = new Map<string, number>();
    for (const x of fake.rows.filter((y) => y.day >= TODAY - 10 * DAY && y.day < TODAY))
      perModel.set(x.model_permaslug, (perModel.get(x.model_permaslug) ?? 0) + x.requests);
    expect(new Map(totals.data.map((x) => [String(x.model), Number(x.request_count)]))).toEqual(perModel);
  });

  it('given workspace, api_key_id and user dimensions when querying then rows carry labels (names), never ids, and each dimension adds up to the ungrouped total', async () => {
    const total = (rows: Item[]) => rows.reduce((s, x) => s + Number(x.request_count), 0);
    const all = (await analytics(fake, { metrics: ['request_count'], time_range: range(10) })).body.data as { data: Item[] };
    const names = new Set(fake.workspaceList.map((w) => w.name));
    for (const d of ['workspace', 'api_key_id', 'user']) {
      const rows = ((await analytics(fake, { metrics: ['request_count'], dimensions: [d], time_range: range(10) })).body.data as { data: Item[] }).data;
      expect(total(rows), d).toBe(total(all.data));
      expect(rows.every((x) => typeof x.request_count === 'string')).toBe(true);
      if (d === 'workspace') expect(rows.every((x) => names.has(x.workspace))).toBe(true);
      if (d === 'api_key_id') expect(rows.every((x) => x.api_key_id === null || /^key \d+-\d+$/.test(String(x.api_key_id)))).toBe(true);
      if (d === 'user') {
        expect(new Set(rows.map((x) => x.user))).toEqual(new Set(USERS.map((u) => u.name)));
        expect(new Set(rows.map((x) => x.user_email))).toEqual(new Set(USERS.map((u) => u.email)));
      }
    }
  });

  it('given an api_key_id filter when querying then a known hash or numeric id gives that key its rows, an unresolvable hash zero rows and a warning', async () => {
    const [hash, id] = [...fake.keyIds].find(([h]) => fake.rows.some((x) => x.day >= TODAY - 10 * DAY && x.parts.some((p) => p.api_key_hash === h))) as [
      string,
      number,
    ];
    const by = async (value: unknown) =>
      (await analytics(fake, { metrics: ['request_count'], filters: [{ field: 'api_key_id', operator: 'eq', value }], time_range: range(10) })).body.data as {
        data: Item[];
        warnings?: string[];
      };
    const expected = fake.rows
      .filter((x) => x.day >= TODAY - 10 * DAY && x.day < TODAY)
      .flatMap((x) => x.parts)
      .filter((p) => p.api_key_hash === hash)
      .reduce((s, p) => s + p.requests, 0);
    expect((await by(hash)).data).toEqual([{ request_count: String(expected) }]);
    expect((await by(String(id))).data).toEqual([{ request_count: String(expected) }]);
    const none = await by('f'.repeat(64));
    expect(none.data).toEqual([]);
    expect(none.warnings?.length).toBe(1);
  });

  it('given the cost metrics when querying then total_usage = credits_usage + byok_usage and credits_usage = openrouter_usage + byok_fees on every row (nulls as 0), with fees present', async () => {
    const rows = (
      (
        await analytics(fake, {
          metrics: ['total_usage', 'credits_usage', 'byok_usage', 'openrouter_usage', 'byok_fees', 'usage_web'],
          dimensions: ['model'],
          granularity: 'day',
          time_range: range(20),
        })
      ).body.data as { data: Item[] }
    ).data;
    const n = (v: unknown): number => (v === null ? 0 : (v as number));
    expect(rows.length).toBeGreaterThan(20);
    for (const x of rows) {
      expect(n(x.credits_usage) + n(x.byok_usage)).toBe(n(x.total_usage));
      expect(n(x.openrouter_usage) + n(x.byok_fees)).toBe(n(x.credits_usage));
      expect(x.usage_web).toBeNull();
    }
    expect(rows.some((x) => x.byok_fees !== null)).toBe(true);
    expect(rows.some((x) => x.credits_usage === null)).toBe(true);
  });

  it('given repeated, limited and expensive queries when querying then cachedAt marks the repeat, truncated a cut answer, a 408 the first expensive one; both time keys occur', async () => {
    const q = { ...base, dimensions: ['model'], time_range: range(3, TODAY - DAY) };
    const first = (await analytics(fake, q)).body.data as Item;
    const again = (await analytics(fake, q)).body.data as Item;
    expect(first.cachedAt).toBeUndefined();
    expect(typeof again.cachedAt).toBe('number');
    const cut = (await analytics(fake, { ...base, dimensions: ['model'], time_range: range(20), limit: 5 })).body.data as {
      data: Item[];
      metadata: { truncated: boolean; row_count: number };
    };
    expect(cut.data).toHaveLength(5);
    expect(cut.metadata).toMatchObject({ truncated: true, row_count: 5 });
    const keys = new Set<string>();
    for (const end of [TODAY, TODAY - DAY]) {
      const rows = ((await analytics(fake, { ...base, time_range: range(2, end) })).body.data as { data: Item[] }).data;
      for (const x of rows) keys.add('date__day' in x ? `date__day ${String(x.date__day).length}` : `created_at__day ${String(x.created_at__day).length}`);
    }
    expect(keys).toEqual(new Set(['date__day 24', 'created_at__day 10']));
    const expensive = { ...base, dimensions: ['model', 'workspace'], time_range: range(95) };
    const timedOut = await analytics(fake, expensive);
    expect(timedOut.status).toBe(408);
    expect((timedOut.body.error as { message: string }).message).toBe('Operation timed out. Please try again later.');
    expect((await analytics(fake, expensive)).status).toBe(200);
  });

  it('given 64 queries within a minute when a 65th and 66th come then 429s with X-RateLimit-* headers, Retry-After on one of them', async () => {
    const f = new FakeOpenRouter({ keys: [KEY], firstDay: TODAY - 10 * DAY, throttleAnalytics: false });
    await f.start();
    try {
      const q = { ...base, time_range: range(1) };
      for (let i = 0; i < 64; i++) expect((await analytics(f, q)).status).toBe(200);
      const a = await analytics(f, q);
      const b = await analytics(f, q);
      for (const r of [a, b]) {
        expect(r.status).toBe(429);
        expect(r.headers.get('x-ratelimit-limit')).toBe('64');
        expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
        expect(Number(r.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now());
        expect(r.body).toMatchObject({ error: { code: 429, metadata: { error_type: 'rate_limit_exceeded' } } });
      }
      expect([a.headers.get('retry-after') !== null, b.headers.get('retry-after') !== null]).toEqual([true, false]);
      expect(f.analyticsRateLimited).toBe(2);
    } finally {
      await f.stop();
    }
  });
});

describe('fake OpenRouter: keys, credits, generations', () => {
  it('given /keys when listed then 100 per page by offset, newest first, the default workspace unless workspace_id, disabled keys only with include_disabled "true"', async () => {
    const page = (await call(fake, '/keys')).body.data as Item[];
    expect(page).toHaveLength(100);
    const def = fake.workspaceList[0]?.id;
    expect(page.every((k) => k.workspace_id === def && k.disabled === false)).toBe(true);
    expect(page.map((k) => String(k.created_at))).toEqual(
      page
        .map((k) => String(k.created_at))
        .sort()
        .reverse(),
    );
    const rest = (await call(fake, '/keys?offset=100&include_disabled=true')).body.data as Item[];
    expect(rest).toHaveLength(50);
    expect(rest.some((k) => k.disabled === true)).toBe(true);
    const other = fake.workspaceList[1]?.id;
    expect(((await call(fake, `/keys?workspace_id=${other}&include_disabled=true`)).body.data as Item[]).every((k) => k.workspace_id === other)).toBe(true);
  });

  it('given the clock crossing a month and a Monday boundary when /keys is read then the daily, weekly and monthly counters reset to the new period, as the ledger gives them', async () => {
    const d = new Date(TODAY * 1000);
    const month = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 1000; // the next 1st
    const monday = TODAY + ((8 - new Date(TODAY * 1000).getUTCDay()) % 7 || 7) * DAY; // the next Monday
    let now = (month - 30) * 1000;
    const f = new FakeOpenRouter({
      keys: [KEY],
      firstDay: TODAY - 60 * DAY,
      endDay: Math.max(month, monday) + 2 * DAY,
      now: () => now,
      workspacesSince: TODAY - 60 * DAY,
    });
    await f.start();
    try {
      const counters = async (hash: string) => {
        const all = [
          ...((await call(f, '/keys?include_disabled=true')).body.data as Item[]),
          ...((await call(f, '/keys?include_disabled=true&offset=100')).body.data as Item[]),
        ];
        return all.find((k) => k.hash === hash) as Item;
      };
      for (const boundary of [month, monday]) {
        const hash = f.rows.find((x) => x.day === boundary && x.usage > 0 && x.parts[0]?.workspace_id === f.workspaceList[0]?.id)?.parts[0]
          ?.api_key_hash as string;
        now = (boundary - 30) * 1000;
        const before = await counters(hash);
        now = (boundary + 30) * 1000;
        const after = await counters(hash);
        const truth = f.keyUsage(hash);
        expect(Object.fromEntries(Object.keys(truth).map((c) => [c, after[c]]))).toEqual(truth);
        expect(after.usage_daily).toBeGreaterThan(0);
        if (boundary === month) expect(after.usage_monthly).toBe(after.usage_daily);
        if (boundary === monday) expect(after.usage_weekly).toBe(after.usage_daily);
        expect(after.usage_daily).not.toBe(before.usage_daily);
        expect(after.usage).toBeGreaterThan(before.usage as number);
      }
    } finally {
      await f.stop();
    }
  });

  it('given /credits read within 60 s of a cached answer then it is stale; after 60 s total_usage has grown by the usage of the day the clock entered', async () => {
    let now = (TODAY + DAY - 20) * 1000;
    const f = new FakeOpenRouter({ keys: [KEY], firstDay: TODAY - 10 * DAY, endDay: TODAY + 3 * DAY, now: () => now });
    await f.start();
    try {
      const usage = async () => ((await call(f, '/credits')).body.data as { total_usage: number }).total_usage;
      const first = await usage();
      expect(first).toBe(f.totalUsage());
      now = (TODAY + DAY + 20) * 1000;
      expect(await usage()).toBe(first);
      now = (TODAY + DAY + 39) * 1000; // 59 s after the cached answer
      expect(await usage()).toBe(first);
      now = (TODAY + DAY + 41) * 1000; // 61 s after it
      const later = await usage();
      expect(later).toBe(f.totalUsage());
      const entered = f.rows.filter((x) => x.day === TODAY + DAY).reduce((s, x) => s + x.usage, 0);
      expect(entered).toBeGreaterThan(0);
      expect(Math.abs(later - first - entered)).toBeLessThan(1e-9);
    } finally {
      await f.stop();
    }
  });

  it('given a completion by an inference key when its generation is looked up then 404 for the first 1.5 s, then the full object; upstream_inference_cost is null or 0 unless BYOK', async () => {
    let now = Date.now();
    const f = new FakeOpenRouter({ keys: [KEY], inferenceKeys: [INFERENCE], firstDay: TODAY - 2 * DAY, now: () => now });
    await f.start();
    try {
      const made = await call(f, '/chat/completions', { key: INFERENCE, body: { model: 'openai/gpt-4.1', messages: [{ role: 'user', content: 'hi' }] } });
      expect(made.status).toBe(200);
      const id = String(made.body.id);
      expect((await call(f, `/generation?id=${id}`, { key: INFERENCE })).status).toBe(404);
      now += 1000;
      expect((await call(f, `/generation?id=${id}`)).status).toBe(404);
      now += 600;
      const g = await call(f, `/generation?id=${id}`, { key: INFERENCE });
      expect(g.status).toBe(200);
      expect((g.body.data as Item).id).toBe(id);
      for (let i = 0; i < 5; i++) f.makeGeneration();
      now += 2000;
      for (const gid of f.generations.keys()) {
        const data = (await call(f, `/generation?id=${gid}`)).body.data as Item;
        if (data.is_byok !== true) expect([null, 0]).toContain(data.upstream_inference_cost);
        else expect(data.upstream_inference_cost).toBeGreaterThan(0);
      }
      expect((await call(f, '/generation?id=gen-unknown')).status).toBe(404);
    } finally {
      await f.stop();
    }
  });
});
