import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * Issue 25 point 11: a corrupt row in `_connector_state` fails its own stream only, with a
 * one-line error that says to run `sync --reset STREAM`; the other streams sync; exit 1.
 */
const KEY = 'sk-admin-e2e-state-row-9f8e7d6c5b';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 12;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
let dir: string;
let config: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'state-row-'));
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl }));
});
afterAll(() => fake.stop());

const STREAMS = 'costs,usage_completions';
const sync = (db: string, more: string[] = []) => runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', STREAMS, ...more]);
const summary = (stderr: string, stream: string): string =>
  stderr.split('\n').find((l) => l.startsWith(`${stream}: `) && !l.startsWith(`${stream}: reset:`)) ?? '';
const stateOf = async (db: string, stream: string): Promise<string> =>
  String((await query(db, `SELECT CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = '${stream}'`))[0]?.s);

describe('a corrupt state row', () => {
  it.each([
    ['a cursor that is not a number', `'{"version": 2, "covered_from": 0, "cursor": "yesterday"}'`],
    ['a state that is not an object', `'"garbage"'`],
  ])(
    'given %s in _connector_state when syncing then that stream fails naming sync --reset, the other syncs, exit 1; the reset repairs it',
    async (_what, corrupt) => {
      const db = join(mkdtempSync(join(dir, 'db-')), 'costs.duckdb');
      const first = await sync(db);
      expect(first.code, first.stderr).toBe(0);
      const costsBefore = await stateOf(db, 'costs');
      await query(db, `UPDATE openai._connector_state SET state = CAST(${corrupt} AS JSON) WHERE stream = 'costs'`, { write: true });
      const corrupted = await stateOf(db, 'costs');
      const usageBefore = await stateOf(db, 'usage_completions');
      const costsRows = Number((await query(db, 'SELECT count(*) AS n FROM openai.costs'))[0]?.n);

      const r = await sync(db);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const line = summary(r.stderr, 'costs');
      expect(line).toMatch(
        /^costs: FAILED, 0 rows \(0 inserted, 0 updated, 0 unchanged\), no days, 0 requests, 0\.0 s -- its stored state in openai\._connector_state is unusable \([^\n]+\); run sync --reset costs to drop its rows and state and re-read it from start_date$/,
      );
      expect(r.stderr.split('\n').filter((l) => l.includes('unusable'))).toEqual([line]);
      expect(summary(r.stderr, 'usage_completions')).toMatch(/^usage_completions: ok, /);
      expect(r.stderr).toMatch(/source-openai-costs sync: 1\/2 streams loaded into /);
      // Nothing of the failed stream was touched; the other advanced (or kept) its own state.
      expect(await stateOf(db, 'costs')).toBe(corrupted);
      expect(Number((await query(db, 'SELECT count(*) AS n FROM openai.costs'))[0]?.n)).toBe(costsRows);
      expect(JSON.parse(await stateOf(db, 'usage_completions')).cursor).toBe(JSON.parse(usageBefore).cursor);

      const repaired = await sync(db, ['--reset', 'costs']);
      expect(repaired.code, repaired.stderr).toBe(0);
      expect(summary(repaired.stderr, 'costs')).toMatch(/^costs: ok, /);
      expect(repaired.stderr).toContain('costs: reset: ');
      expect(JSON.parse(await stateOf(db, 'costs'))).toEqual(JSON.parse(costsBefore));
      expect(JSON.parse(costsBefore)).toEqual({ version: 2, covered_from: FIRST, cursor: FIRST + DAYS * DAY });
    },
  );
});
