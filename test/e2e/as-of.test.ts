import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AS_OF_VARIABLE } from '../../connector/cli/runtime.js';
import { DAY, FakeOpenRouter } from '../fake/openrouter.js';
import { BINS, catalog, errors, files, lastStates, ofType, records, run } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * AI_SPEND_NOW runs a connector as of an earlier instant (cli/runtime.ts runClock): what "today" is
 * for every plan, window and floor is that instant's day, and the clock runs at real speed from it.
 * OpenRouter is the connector whose reading depends most on today (the last 30 completed days from
 * /activity, older ones from analytics, nothing before 365 days), so it shows the whole effect. A
 * value that is not an earlier instant is refused before any request, in every command.
 */
const KEY = 'sk-or-v1-as-of-5a4b3c2d1e0f';
const AS_OF = '2026-03-10T12:00:00Z';
const AS_OF_DAY = Date.parse('2026-03-10T00:00:00Z') / 1000;
const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

let fake: FakeOpenRouter;
beforeAll(async () => {
  // The fake's clock as of AS_OF too; its data run on to the real today, so a read past AS_OF's day would find rows.
  const offset = Date.parse(AS_OF) - Date.now();
  fake = new FakeOpenRouter({
    keys: [KEY],
    firstDay: AS_OF_DAY - 60 * DAY,
    endDay: Math.floor(Date.now() / 1000 / DAY) * DAY,
    now: () => Date.now() + offset,
    throttleAnalytics: false,
  });
  await fake.start();
});
afterAll(() => fake.stop());

const config = (): Record<string, unknown> => ({ management_key: KEY, start_date: iso(AS_OF_DAY - 40 * DAY), base_url: fake.baseUrl });

describe('running as of an earlier instant (AI_SPEND_NOW)', () => {
  it('given AI_SPEND_NOW in the past when activity is read without end_date then its day is today: the 40 days before it are read, the last 30 from /activity and the 10 older from analytics, none on or after it, the state stops at it, and a LOG line says so', async () => {
    const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'activity', mode: 'incremental' }]) });
    const before = fake.requests.length;
    const r = await run(BINS.openrouter, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], {
      env: { [AS_OF_VARIABLE]: AS_OF },
    });
    expect(r.code, r.stderr).toBe(0);
    assertProtocol(r, { streams: ['activity'], expectComplete: true });
    const rows = records(r.messages, 'activity');
    // Exactly the ledger of those 40 days (the fake's ground truth, on the same as-of clock).
    const plain = (xs: ReadonlyArray<Record<string, unknown>>) => withoutIds(xs.map(({ start_time: _s, end_time: _e, ...x }) => x));
    expect(plain(rows)).toEqual(withoutIds(fake.expectedActivity(AS_OF_DAY - 40 * DAY, AS_OF_DAY)));
    const sources = new Map<string, Set<unknown>>();
    for (const row of rows) sources.set(String(row.date), new Set([...(sources.get(String(row.date)) ?? []), row.source]));
    const expected = Array.from({ length: 40 }, (_, i) => iso(AS_OF_DAY - (40 - i) * DAY));
    expect([...sources.keys()].sort()).toEqual(expected);
    for (const [day, s] of sources) expect([...s], day).toEqual([Date.parse(day) / 1000 >= AS_OF_DAY - 30 * DAY ? 'activity' : 'analytics']);
    // /activity was asked for exactly the last 30 days before it (a day the fake answered with a 524 is asked again).
    const activityDays = fake.requests
      .slice(before)
      .filter((q) => q.path.endsWith('/activity'))
      .map((q) => q.query.get('date'));
    expect([...new Set(activityDays)].sort()).toEqual(Array.from({ length: 30 }, (_, i) => iso(AS_OF_DAY - (30 - i) * DAY)));
    const state = lastStates(r.messages)[0] as { stream: { stream_state: { cursor: number } } };
    expect(state.stream.stream_state.cursor).toBe(AS_OF_DAY);
    expect(ofType(r.messages, 'LOG').map((m) => m.log.message)).toContain(
      `${AS_OF_VARIABLE}: running as of ${AS_OF}, not the real time: "today" is 2026-03-10 UTC.`,
    );
  }, 60_000);

  it('given AI_SPEND_NOW in the past when activity is synced then the stored state is stamped with that instant (what the report reads as the sync time), not the real time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'as-of-sync-'));
    const db = join(dir, 'spend.duckdb');
    const f = files({ 'c.json': config() });
    const r = await runCli(BINS.openrouter, ['sync', '--config', f['c.json'] as string, '--db', db, '--streams', 'activity'], {
      env: { [AS_OF_VARIABLE]: AS_OF },
    });
    expect(r.code, r.stderr).toBe(0);
    const [row] = await query(
      db,
      "SELECT CAST(epoch(updated_at) AS DOUBLE) AS at, CAST(state AS VARCHAR) AS s FROM openrouter._connector_state WHERE stream = 'activity'",
    );
    const at = Number(row?.at) * 1000;
    expect(at).toBeGreaterThanOrEqual(Date.parse(AS_OF));
    expect(at).toBeLessThan(Date.parse(AS_OF) + 60_000);
    expect(JSON.parse(String(row?.s)).cursor).toBe(AS_OF_DAY);
  }, 60_000);

  it('given AI_SPEND_NOW in the past and a 429 whose Retry-After is an HTTP date 2 s ahead of the real time when read then the read waits about that long, not the months between the two clocks', async () => {
    const retryAt = new Date(Date.now() + 2_000).toUTCString();
    fake.fault({
      path: '/activity',
      fault: {
        kind: 'status',
        status: 429,
        body: JSON.stringify({ error: { code: 429, message: 'Rate limit exceeded' } }),
        headers: { 'retry-after': retryAt },
      },
    });
    const f = files({ 'c.json': { ...config(), start_date: iso(AS_OF_DAY - 2 * DAY) }, 'cat.json': catalog([{ name: 'activity', mode: 'incremental' }]) });
    const started = Date.now();
    const r = await run(BINS.openrouter, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], {
      env: { [AS_OF_VARIABLE]: AS_OF },
    });
    expect(r.code, r.stderr).toBe(0);
    assertProtocol(r, { streams: ['activity'], expectComplete: true });
    // The 429 was served and waited out, and the two days are exactly the ledger.
    expect(r.stdout).toContain('HTTP 429');
    expect(records(r.messages, 'activity')).toHaveLength(fake.expectedActivity(AS_OF_DAY - 2 * DAY, AS_OF_DAY).length);
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 30_000);

  const refusals: Array<[string, string, RegExp]> = [
    [
      'not an instant',
      'last tuesday',
      new RegExp(`^${AS_OF_VARIABLE}='last tuesday' is not a UTC date or an RFC 3339 instant \\(e\\.g\\. 2026-01-10T12:00:00Z\\); set one, or unset it`),
    ],
    [
      'after the real time',
      '2999-01-01T00:00:00Z',
      new RegExp(`^${AS_OF_VARIABLE}=2999-01-01T00:00:00Z is after the real time \\(.+\\); a run can be as of an earlier instant only`),
    ],
  ];

  it.each(refusals)(
    'given AI_SPEND_NOW %s when read then it exits 1 with one TRACE ERROR config_error saying what to set, before any request',
    async (_what, value, said) => {
      const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'activity', mode: 'incremental' }]) });
      const before = fake.requests.length;
      const r = await run(BINS.openrouter, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], {
        env: { [AS_OF_VARIABLE]: value },
      });
      expect(r.code).toBe(1);
      assertProtocol(r);
      const [e, ...more] = errors(r.messages);
      expect(more).toEqual([]);
      expect(e?.trace.error.failure_type).toBe('config_error');
      expect(e?.trace.error.message).toMatch(said);
      expect(records(r.messages)).toEqual([]);
      expect(fake.requests.length).toBe(before);
    },
  );

  it.each(refusals)('given AI_SPEND_NOW %s when checked then the connection fails with the same message', async (_what, value, said) => {
    const f = files({ 'c.json': config() });
    const r = await run(BINS.openrouter, ['check', '--config', f['c.json'] as string], { env: { [AS_OF_VARIABLE]: value } });
    const status = ofType(r.messages, 'CONNECTION_STATUS')[0]?.connectionStatus;
    expect(status?.status).toBe('FAILED');
    expect(status?.message).toMatch(said);
  });

  it.each(refusals)(
    'given AI_SPEND_NOW %s when synced or reported then each exits 2 with that one line on stderr and writes no database',
    async (_what, value, said) => {
      const dir = mkdtempSync(join(tmpdir(), 'as-of-'));
      const f = files({ 'c.json': config() });
      const env = { [AS_OF_VARIABLE]: value };
      const sync = await runCli(BINS.openrouter, ['sync', '--config', f['c.json'] as string, '--db', join(dir, 'spend.duckdb')], { env });
      expect(sync.code).toBe(2);
      expect(sync.stderr.trim().split('\n')).toHaveLength(1);
      expect(sync.stderr.replace(/^source-openrouter-costs sync: /, '')).toMatch(said);
      const report = await runCli(BINS.openrouter, ['report', '--db', join(dir, 'spend.duckdb'), '--out', join(dir, 'r.html')], { env });
      expect(report.code).toBe(2);
      expect(report.stderr.trim().split('\n')).toHaveLength(1);
      expect(report.stderr.replace(/^source-openrouter-costs report: /, '')).toMatch(said);
      expect(existsSync(join(dir, 'spend.duckdb'))).toBe(false);
      expect(existsSync(join(dir, 'r.html'))).toBe(false);
    },
  );
});
