import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { runCli, snapshot } from '../support/warehouse.js';

/**
 * Issue 26 point 2: `sync` reads through the same decode workers as `read` (it used to count its
 * requests by wrapping globalThis.fetch, which worker fetches bypass, and so never used them). The
 * HTTP client counts each stream's requests, whichever thread receives them.
 */
const KEY = 'sk-admin-e2e-sync-workers-7f8e9d0c';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 20;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
const STREAMS = ['costs', 'usage_completions', 'projects', 'users'];
/** The path each stream reads (the fake logs every request it answers). */
const PATHS: Record<string, string> = {
  costs: '/v1/organization/costs',
  usage_completions: '/v1/organization/usage/completions',
  projects: '/v1/organization/projects',
  users: '/v1/organization/users',
};

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 3, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'sync-workers-'));
});
afterAll(() => fake.stop());

/** A sync of STREAMS into `db` with `threads` decode threads, windows of 4 days (several requests per stream). */
async function sync(db: string, threads: number) {
  const config = join(dir, `config-${threads}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      admin_api_key: KEY,
      start_date: iso(FIRST),
      end_date: iso(FIRST + (DAYS - 1) * DAY),
      base_url: fake.baseUrl,
      max_window_days: 4,
      max_concurrent_requests: 2,
      decode_threads: threads,
    }),
  );
  const before = fake.requests.length;
  const result = await runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', STREAMS.join(','), '--verbose']);
  const sent = fake.requests.slice(before);
  const requestsOf = (stream: string): number => sent.filter((r) => r.path === PATHS[stream]).length;
  return { ...result, requestsOf };
}

/** The request count of a stream's summary line ("costs: ok, 45 rows (...), ..., 5 requests, 0.3 s"). */
const summaryRequests = (stderr: string, stream: string): number | undefined => {
  const line = stderr.split('\n').find((l) => l.startsWith(`${stream}: ok`));
  const m = line?.match(/, (\d+) requests?, [\d.]+ s$/);
  return m ? Number(m[1]) : undefined;
};

describe('sync on decode workers', () => {
  it('given decode_threads 2 when syncing then it says it decodes on worker threads, each stream counts exactly the requests the API saw for it, and the rows equal a sync decoded on the main thread', async () => {
    // A 500 on the second costs request: its retry is a request of costs too.
    fake.fault({ path: '/organization/costs', after: 1, fault: { kind: 'status', status: 500 } });
    const onWorkers = await sync(join(dir, 'workers.duckdb'), 2);
    expect(onWorkers.code, onWorkers.stderr).toBe(0);
    expect(onWorkers.stderr.split('\n').filter((l) => /worker thread/.test(l))).toEqual(['info: receiving and decoding responses on up to 2 worker thread(s)']);
    const counted = Object.fromEntries(STREAMS.map((s) => [s, summaryRequests(onWorkers.stderr, s)]));
    const seen = Object.fromEntries(STREAMS.map((s) => [s, onWorkers.requestsOf(s)]));
    expect(counted).toEqual(seen);
    // 20 days in windows of 4: 5 costs requests and the retry; 5 of usage.
    expect([seen.costs, seen.usage_completions]).toEqual([6, 5]);

    const onMain = await sync(join(dir, 'main.duckdb'), 0);
    expect(onMain.code, onMain.stderr).toBe(0);
    expect(onMain.stderr).not.toMatch(/worker thread/);
    expect(Object.fromEntries(STREAMS.map((s) => [s, summaryRequests(onMain.stderr, s)]))).toEqual(
      Object.fromEntries(STREAMS.map((s) => [s, onMain.requestsOf(s)])),
    );
    expect(await snapshot(join(dir, 'workers.duckdb'))).toEqual(await snapshot(join(dir, 'main.duckdb')));
  });
});
