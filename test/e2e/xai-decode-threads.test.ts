import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeXai } from '../fake/xai.js';
import { BINS, catalog, files, records, run } from '../support/cli.js';

/**
 * test/e2e/decode-threads.test.ts counts the 2xx bodies decoded on the main thread over every stream
 * of every connector, with the kits' small fakes; the xAI one has no cardinality cap, so it never
 * takes the path where a capped day is split by API key, which reads the key list (WindowIo.json)
 * in the middle of a window. Here the cap is small: that list is received on the workers too.
 */
const KEY = 'mgmt-decode-threads-3c2b1a09';
const TEAM = 'team-decode-threads';
const FIRST = Date.UTC(2026, 5, 1) / 1000;

let fake: FakeXai;
beforeAll(async () => {
  fake = new FakeXai({ firstDay: FIRST, days: 10, key: KEY, team: TEAM, cap: 6, gatewayOnce: false, throttleOnce: false });
  await fake.start();
});
afterAll(() => fake.stop());

async function usageRead(decode_threads: number): Promise<{ decodes: number; keyLists: number; rows: number }> {
  const f = files({
    'c.json': { management_key: KEY, team_id: TEAM, start_date: '2026-06-01', end_date: '2026-06-10', base_url: fake.baseUrl, decode_threads },
    'cat.json': catalog([{ name: 'usage', mode: 'incremental' }]),
  });
  const counted = join(f['c.json'] as string, '..', 'main-thread-decodes');
  const before = fake.requests.length;
  const r = await run(BINS.xai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], {
    env: { AI_SPEND_TEST_MAIN_THREAD_DECODES: counted },
  });
  expect(r.code, r.stderr).toBe(0);
  const keyLists = fake.requests.slice(before).filter((q) => q.path.endsWith('/api-keys')).length;
  return { decodes: Number(readFileSync(counted, 'utf8')), keyLists, rows: records(r.messages, 'usage').length };
}

describe('xAI usage split by API key, on decode workers', () => {
  it('given a cap smaller than a day when usage is read with decode workers then the key lists of the split days are read too and the main thread decodes no body; without workers it decodes them all', async () => {
    const on = await usageRead(2);
    expect(on.keyLists).toBeGreaterThan(0);
    expect(on.decodes).toBe(0);
    const off = await usageRead(0);
    expect(off.rows).toBe(on.rows);
    // Without workers: every usage answer and every key list is decoded here.
    expect(off.decodes).toBeGreaterThanOrEqual(off.keyLists + 10);
  }, 60_000);
});
