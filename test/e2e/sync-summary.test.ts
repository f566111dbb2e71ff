import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { runCli } from '../support/warehouse.js';

/**
 * Issue 25 point 12: the sync summary gives each bucketed stream's range read (from..to, the days
 * asked for, with or without rows) and counts as "unchanged" the rows re-read (the lookback) whose
 * content equals what the table had.
 */
const KEY = 'sk-admin-e2e-sync-summary-2b3c4d5e';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 10; // the fake has costs on 2025-09-01..2025-09-10
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
const END = FIRST + 12 * DAY; // the config reads through 2025-09-12: its last two days have no rows

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 3, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'sync-summary-'));
});
afterAll(() => fake.stop());

const summary = (stderr: string, stream: string): string => stderr.split('\n').find((l) => l.startsWith(`${stream}: `)) ?? '';
const counts = (n: number): string => n.toLocaleString('en-US');

describe('the sync summary', () => {
  it('given two syncs against the same API when the second re-reads the lookback then it names the days read and says all its rows are unchanged', async () => {
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(END - DAY), base_url: fake.baseUrl, lookback_days: 3 }));
    const db = join(dir, 'costs.duckdb');
    const sync = () => runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs']);

    const first = await sync();
    expect(first.code, first.stderr).toBe(0);
    const all = fake.org.expectedCosts(FIRST, END, ['project_id', 'line_item']).length;
    expect(summary(first.stderr, 'costs')).toMatch(
      new RegExp(
        `^costs: ok, ${counts(all)} rows \\(${counts(all)} inserted, 0 updated, 0 unchanged\\), 2025-09-01\\.\\.2025-09-12 \\(12 days\\), 1 request, [\\d.]+ s$`,
      ),
    );

    const second = await sync();
    expect(second.code, second.stderr).toBe(0);
    // The lookback: the three days before the stored cursor (2025-09-13), of which only 2025-09-10 has rows.
    const reread = fake.org.expectedCosts(END - 3 * DAY, END, ['project_id', 'line_item']).length;
    expect(reread).toBeGreaterThan(0);
    expect(reread).toBe(fake.org.expectedCosts(FIRST + 9 * DAY, FIRST + 10 * DAY, ['project_id', 'line_item']).length);
    expect(summary(second.stderr, 'costs')).toMatch(
      new RegExp(
        `^costs: ok, ${counts(reread)} rows \\(0 inserted, 0 updated, ${counts(reread)} unchanged\\), 2025-09-10\\.\\.2025-09-12 \\(3 days\\), 1 request, [\\d.]+ s$`,
      ),
    );
    expect(second.stderr).toMatch(new RegExp(`1/1 streams loaded into .* ${counts(reread)} rows \\(0 inserted, 0 updated\\)`));
  });
});
