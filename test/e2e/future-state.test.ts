import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, catalog, files, ofType, records, run } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * A state cursor in the future (issue 25, point 9: hand-edited, or written by a machine whose clock
 * was wrong) never passes silently: `sync` refuses it before any request, naming the stream and the
 * cursor and the `sync --reset` that reads it again, exit 2; Airbyte `read` reads nothing, as the
 * acceptance test wants, and says why in a WARN LOG.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 10;
const KEY = 'sk-admin-e2e-future-state-1a2b3c4d';
const FUTURE = Date.UTC(2099, 0, 1) / 1000;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
let fake: FakeOpenAi;
let dir: string;

beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'future-state-'));
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
});

const config = () =>
  files({ 'c.json': { admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl } })['c.json'] as string;
const today = (): string => `${new Date(Math.floor(Date.now() / 1000 / DAY) * DAY * 1000).toISOString().slice(0, 19)}Z`;

describe('a state cursor in the future', () => {
  it('given a stored cursor in 2099 when syncing then the sync refuses it in one line naming the stream, the cursor and sync --reset, before any request, exit 2; the reset reads it again', async () => {
    const db = join(dir, 'costs.duckdb');
    const cfg = config();
    const first = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'costs']);
    expect(first.code, first.stderr).toBe(0);
    await query(db, `UPDATE openai._connector_state SET state = '{"version":2,"covered_from":${FIRST},"cursor":${FUTURE}}' WHERE stream = 'costs'`, {
      write: true,
    });
    const before = fake.requests.length;
    const refused = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'costs']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `source-openai-costs sync: costs: the stored state's cursor 2099-01-01T00:00:00Z is after the start of today (${today()}): it was edited by hand or written by a machine whose clock was wrong, and nothing from it can be read; run 'sync --reset costs' to read it again from start_date\n`,
    );
    // The organization may be asked (resolveAccount) before the state is read; no stream's request is sent.
    expect(fake.requests.slice(before).filter((r) => r.path.includes('/costs'))).toEqual([]);
    const reset = await runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'costs', '--reset', 'costs']);
    expect(reset.code, reset.stderr).toBe(0);
    const state = await query(db, "SELECT CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = 'costs'");
    expect(JSON.parse(String(state[0]?.s)).cursor).toBe(FIRST + DAYS * DAY);
  });

  it('given a state cursor in 2099 when reading then no record, exit 0 (the acceptance test), and one WARN LOG names the stream and the cursor', async () => {
    const state = [{ type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: { version: 2, covered_from: FIRST, cursor: FUTURE } } }];
    const f = files({ 'cat.json': catalog([{ name: 'costs', mode: 'incremental' }]), 's.json': state });
    const r = await run(BINS.openai, ['read', '--config', config(), '--catalog', f['cat.json'] as string, '--state', f['s.json'] as string]);
    expect(r.code, r.stderr).toBe(0);
    assertProtocol(r, { streams: ['costs'] });
    expect(records(r.messages)).toEqual([]);
    const warns = ofType(r.messages, 'LOG')
      .filter((m) => m.log.level === 'WARN')
      .map((m) => m.log.message as string);
    expect(warns).toEqual([
      `costs: the stored state's cursor 2099-01-01T00:00:00Z is after the start of today (${today()}): it was edited by hand or written by a machine whose clock was wrong, and nothing from it can be read; reading nothing (a state without this stream reads it from start_date)`,
    ]);
  });
});
