import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, errors, files, ofType, records, run, statuses, type RunResult } from '../support/cli.js';

/**
 * Issue 25 point 12: a configured catalog that appends an incremental stream downstream gets one
 * WARN per such stream (every read re-reads the lookback, so append would store those rows twice);
 * append_dedup, overwrite and full_refresh streams get none. The read itself is unchanged.
 */
const KEY = 'sk-admin-e2e-catalog-append-1a2b3c4d';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 5;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
});
afterAll(() => fake.stop());

const entry = (name: string, syncMode: string, destination: string) => ({
  stream: { name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
  sync_mode: syncMode,
  destination_sync_mode: destination,
});
async function read(streams: ReturnType<typeof entry>[]): Promise<RunResult> {
  const fl = files({
    'c.json': { admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl },
    'cat.json': { streams },
  });
  return run(BINS.openai, ['read', '--config', fl['c.json'] as string, '--catalog', fl['cat.json'] as string]);
}
const warnings = (r: RunResult): string[] =>
  ofType(r.messages, 'LOG')
    .filter((m) => m.log.level === 'WARN')
    .map((m) => String(m.log.message));

describe('a catalog that appends an incremental stream', () => {
  it('given costs incremental with destination_sync_mode append when reading then one WARN explains the double count and names append_dedup; the read is the same', async () => {
    const r = await read([entry('costs', 'incremental', 'append'), entry('projects', 'full_refresh', 'append')]);
    expect(r.code, r.stderr).toBe(0);
    expect(errors(r.messages)).toEqual([]);
    expect(warnings(r)).toEqual([
      "Catalog stream 'costs' is incremental with destination_sync_mode 'append': each sync re-reads the last lookback_days " +
        '(the provider revises recent days), and append stores those rows again, so totals downstream count them twice; ' +
        'use append_dedup (primary key id) or overwrite.',
    ]);
    // Before any record: a reader of the log sees it first.
    const firstRecord = r.messages.findIndex((m) => m.type === 'RECORD');
    const warnAt = r.messages.findIndex((m) => m.type === 'LOG' && m.log.level === 'WARN');
    expect(warnAt).toBeGreaterThan(-1);
    expect(warnAt).toBeLessThan(firstRecord);
    expect(statuses(r.messages, 'costs').at(-1)).toBe('COMPLETE');

    const dedup = await read([entry('costs', 'incremental', 'append_dedup'), entry('projects', 'full_refresh', 'append')]);
    expect(dedup.code).toBe(0);
    expect(records(dedup.messages, 'costs')).toEqual(records(r.messages, 'costs'));
  });

  it.each([
    ['append_dedup', 'incremental', 'append_dedup'],
    ['overwrite', 'incremental', 'overwrite'],
    ['a full_refresh stream that appends', 'full_refresh', 'append'],
  ])('given %s when reading then no WARN', async (_what, syncMode, destination) => {
    const r = await read([entry('costs', syncMode, destination)]);
    expect(r.code, r.stderr).toBe(0);
    expect(warnings(r)).toEqual([]);
  });
});
