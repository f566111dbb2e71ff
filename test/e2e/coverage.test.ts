import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, CONTRACTS, ROOT, catalog, errors, files, lastStates, records, run, states, type Message, type RunResult } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { nanosToDecimal, query, runCli, trimDecimal } from '../support/warehouse.js';

/**
 * No silent gaps from config or state: what a read covers is what its state claims, a
 * start_date moved earlier is backfilled, a future start_date or an unreadable state file is a
 * config_error, and the cursor never moves back.
 */
const KEY = 'sk-admin-e2e-coverage-1a2b3c4d5e';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 120; // through 2025-12-29
const END = FIRST + DAYS * DAY;
const GROUPING = ['project_id', 'line_item'] as const;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);
const schema = JSON.parse(readFileSync(join(CONTRACTS.openai, 'schemas/costs.json'), 'utf8')) as Record<string, unknown>;
const validateState = new Ajv.default({ strict: false }).compile(JSON.parse(readFileSync(join(ROOT, 'state/state.schema.json'), 'utf8')) as object);

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 4, adminKey: KEY, emptyEvery: 11 });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'coverage-'));
});
afterAll(() => fake.stop());

const config = (extra: Record<string, unknown> = {}) => ({
  admin_api_key: KEY,
  start_date: '2025-09-01',
  end_date: iso(END - DAY),
  base_url: fake.baseUrl,
  ...extra,
});
const expected = (from: number, to: number) => withoutIds(fake.org.expectedCosts(from, to, [...GROUPING]));
const stateOf = (m: Message) => m.state.stream.stream_state as { version: number; covered_from: number; cursor: number };
const stateMessage = (s: Record<string, unknown>) => [{ type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: s } }];

async function readCosts(cfg: Record<string, unknown>, state?: unknown, extra: string[] = []) {
  const f = files({ 'config.json': cfg, 'catalog.json': catalog([{ name: 'costs' }]), ...(state ? { 'state.json': state } : {}) });
  const args = ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string, ...extra];
  if (f['state.json']) args.push('--state', f['state.json']);
  const before = fake.requests.length;
  const result = await run(BINS.openai, args);
  return { result, requests: fake.requests.slice(before) };
}

/** Every STATE validates against the committed state schema (a contract) and records version 2 coverage. */
function expectValidStates(result: RunResult): void {
  for (const m of states(result.messages)) {
    expect(validateState(m.state.stream.stream_state), JSON.stringify(validateState.errors)).toBe(true);
    expect(stateOf(m).version).toBe(2);
  }
}

function expectConfigError(result: RunResult, pattern: RegExp): void {
  expect(result.code).toBe(1);
  assertProtocol(result, { streams: [] });
  const e = errors(result.messages).at(-1);
  expect(e?.trace.error.failure_type).toBe('config_error');
  expect(e?.trace.error.message).toMatch(pattern);
  expect(e?.trace.error.message).not.toContain('\n');
  expect(result.stdout + result.stderr).not.toContain(KEY);
}

describe('a future start_date is refused, never an empty success', () => {
  const tomorrow = iso(Math.floor(Date.now() / 1000 / DAY) * DAY + DAY);
  const future = { start_date: tomorrow, end_date: undefined };

  it('given a start_date after today when checking then FAILED names start_date and today, exit 0, and no request is made', async () => {
    const f = files({ 'c.json': config(future) });
    const before = fake.requests.length;
    const result = await run(BINS.openai, ['check', '--config', f['c.json'] as string]);
    expect(result.code).toBe(0);
    const status = result.messages.find((m) => m.type === 'CONNECTION_STATUS')?.connectionStatus;
    expect(status?.status).toBe('FAILED');
    expect(status?.message).toMatch(new RegExp(`start_date \\(${tomorrow}\\) is in the future \\(today is \\d{4}-\\d{2}-\\d{2} UTC\\)`));
    expect(fake.requests.length).toBe(before);
  });

  it('given a start_date after today when reading then TRACE ERROR config_error, exit 1, no STATE and no request', async () => {
    const { result, requests } = await readCosts(config(future));
    expectConfigError(result, /start_date .* is in the future/);
    expect(states(result.messages)).toHaveLength(0);
    expect(requests).toHaveLength(0);
  });

  it('given a start_date after today when syncing then one line, the usage exit code, and no table or state written', async () => {
    const db = join(dir, 'future.duckdb');
    const path = join(dir, 'future.json');
    writeFileSync(path, JSON.stringify(config(future)));
    const r = await runCli(BINS.openai, ['sync', '--config', path, '--db', db, '--streams', 'costs']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/start_date .* is in the future/);
  });

  it('given a start_date after today in Singer mode then the error is on stderr, stdout is empty and the exit is non-zero', async () => {
    const f = files({ 'c.json': config(future) });
    const result = await run(BINS.openai, ['--config', f['c.json'] as string]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/start_date .* is in the future/);
  });
});

describe('moving start_date earlier backfills the gap in the same run', () => {
  it('given a state covering 2025-11-10.. when start_date moves to 2025-09-01 then the missing range is read first, in cursor order, and the final state covers everything', async () => {
    const first = await readCosts(config({ start_date: '2025-11-10' }));
    expect(first.result.code).toBe(0);
    expect(stateOf(states(first.result.messages).at(-1) as Message)).toEqual({ version: 2, covered_from: day('2025-11-10'), cursor: END });

    const second = await readCosts(config({ max_window_days: 20, lookback_days: 3 }), lastStates(first.result.messages));
    expect(second.result.code).toBe(0);
    assertProtocol(second.result, { streams: ['costs'], schemas: { costs: schema } });
    expectValidStates(second.result);
    // The gap 09-01..11-10, then the lookback 12-27..12-30: nothing in between is read again.
    expect(withoutIds(records(second.result.messages))).toEqual([...expected(FIRST, day('2025-11-10')), ...expected(END - 3 * DAY, END)]);
    // Requests may overlap (they reach the server in any order); records above are in cursor order.
    const starts = second.requests.map((r) => Number(r.query.get('start_time'))).sort((a, b) => a - b);
    expect(starts[0]).toBe(FIRST);
    expect(starts.filter((s) => s >= day('2025-11-10') && s < END - 3 * DAY)).toEqual([]);
    // No STATE claims the gap before it joins the stored coverage, and the cursor never moves back.
    const emitted = states(second.result.messages).map(stateOf);
    for (const s of emitted) expect(s.cursor).toBe(END);
    expect(emitted.at(-1)).toEqual({ version: 2, covered_from: FIRST, cursor: END });
    expect(emitted.filter((s) => s.covered_from !== FIRST).every((s) => s.covered_from === day('2025-11-10'))).toBe(true);
  });

  it('given a gap read killed after its first window when resumed then the stored state still claims only the old coverage and the resumed read fills the gap', async () => {
    const late = await readCosts(config({ start_date: '2025-12-01' }));
    const prior = lastStates(late.result.messages);
    const killedRun = await (async () => {
      const f = files({
        'config.json': config({ max_window_days: 10, max_concurrent_requests: 1 }),
        'catalog.json': catalog([{ name: 'costs' }]),
        'state.json': prior,
      });
      return run(
        BINS.openai,
        ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string, '--state', f['state.json'] as string],
        {
          killWhen: (m) => m.type === 'RECORD',
          killWith: 'SIGKILL',
        },
      );
    })();
    expect(killedRun.signal).toBe('SIGKILL');
    for (const m of states(killedRun.messages)) expect(stateOf(m).covered_from).toBe(day('2025-12-01'));
    const state = states(killedRun.messages).length > 0 ? lastStates(killedRun.messages) : prior;
    const resumed = await readCosts(config({ lookback_days: 0 }), state);
    expect(resumed.result.code).toBe(0);
    expect(withoutIds(records(resumed.result.messages)).slice(0, expected(FIRST, day('2025-12-01')).length)).toEqual(expected(FIRST, day('2025-12-01')));
    expect(stateOf(states(resumed.result.messages).at(-1) as Message)).toEqual({ version: 2, covered_from: FIRST, cursor: END });
  });

  it('given Singer bookmarks covering 2025-12-01.. when start_date moves earlier then the gap is synced and the bookmark covers it', async () => {
    const f1 = files({ 'c.json': config({ start_date: '2025-12-01' }) });
    const first = await run(BINS.openai, ['--config', f1['c.json'] as string]);
    expect(first.code, first.stderr).toBe(0);
    const lastState = first.messages.filter((m) => m.type === 'STATE').at(-1)?.value as { bookmarks: Record<string, unknown> };
    expect(lastState.bookmarks.costs).toEqual({ version: 2, covered_from: day('2025-12-01'), cursor: END });
    const f2 = files({ 'c.json': config({ lookback_days: 0 }), 's.json': lastState });
    const before = fake.requests.length;
    const second = await run(BINS.openai, ['--config', f2['c.json'] as string, '--state', f2['s.json'] as string]);
    expect(second.code, second.stderr).toBe(0);
    const costs = second.messages.filter((m) => m.type === 'RECORD' && m.stream === 'costs').map((m) => m.record as Record<string, unknown>);
    expect(withoutIds(costs)).toEqual(expected(FIRST, day('2025-12-01')));
    expect(
      fake.requests
        .slice(before)
        .filter((r) => r.path.endsWith('/costs'))
        .map((r) => Number(r.query.get('start_time')))[0],
    ).toBe(FIRST);
    const bookmark = second.messages.filter((m) => m.type === 'STATE').at(-1)?.value.bookmarks.costs;
    expect(bookmark).toEqual({ version: 2, covered_from: FIRST, cursor: END });
  });
});

describe('the cursor never moves back', () => {
  const prior = { version: 2, covered_from: FIRST, cursor: day('2025-12-20') };

  it('given max_window_days 1 and lookback_days 7 when re-reading then every STATE is at or after the stored cursor and non-decreasing', async () => {
    const { result, requests } = await readCosts(config({ max_window_days: 1, lookback_days: 7 }), stateMessage(prior));
    expect(result.code).toBe(0);
    expectValidStates(result);
    expect(requests.length).toBe(17); // 12-13 .. 12-29, one day each
    const cursors = states(result.messages).map((m) => stateOf(m).cursor);
    expect(Math.min(...cursors)).toBeGreaterThanOrEqual(prior.cursor);
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
    expect(cursors.at(-1)).toBe(END);
    expect(withoutIds(records(result.messages))).toEqual(expected(day('2025-12-13'), END));
  });

  it('given an end_date before the stored cursor when reading then the STATE keeps the stored coverage', async () => {
    const { result } = await readCosts(config({ end_date: '2025-12-15', lookback_days: 10 }), stateMessage(prior));
    expect(result.code).toBe(0);
    expectValidStates(result);
    expect(states(result.messages).map(stateOf)).toEqual([prior]);
    expect(withoutIds(records(result.messages))).toEqual(expected(day('2025-12-10'), day('2025-12-16')));
  });
});

describe('a state file that exists but cannot be read is a config_error', () => {
  const statePath = (name: string, write: (p: string) => void): string => {
    const p = join(mkdtempSync(join(dir, 'state-')), name);
    write(p);
    return p;
  };
  const cases: Array<[string, () => string, RegExp]> = [
    ['a --state path that does not exist', () => join(dir, 'no-such-state.json'), /Cannot read --state file '.*no-such-state\.json': it does not exist/],
    ['a --state path that is a directory', () => statePath('dir', (p) => mkdirSync(p)), /Cannot read --state file '.*': it is a directory/],
    [
      'a --state file that is not UTF-8',
      () => statePath('latin1.json', (p) => writeFileSync(p, Buffer.from([0x5b, 0xff, 0xfe, 0x5d]))),
      /--state file '.*' is not valid UTF-8/,
    ],
  ];

  it.each(cases)('given %s when reading then TRACE ERROR config_error, exit 1, and no record or STATE', async (_name, path, pattern) => {
    const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'costs' }]) });
    const before = fake.requests.length;
    const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, '--state', path()]);
    expectConfigError(result, pattern);
    expect(records(result.messages)).toHaveLength(0);
    expect(fake.requests.length).toBe(before);
  });

  it.each(cases)('given %s in Singer mode then the error is on stderr, stdout is empty and the exit is non-zero', async (_name, path, pattern) => {
    const f = files({ 'c.json': config() });
    const result = await run(BINS.openai, ['--config', f['c.json'] as string, '--state', path()]);
    expect(result.code).not.toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(pattern);
  });

  it('given a --state file without read permission when reading then config_error says permission denied', async () => {
    // root reads any file it owns, so as root the case is a write-only kernel file (mode 0200), which root may not read either.
    const p = process.getuid?.() === 0 ? '/proc/sys/vm/compact_memory' : statePath('locked.json', (q) => writeFileSync(q, '[]'));
    if (process.getuid?.() !== 0) chmodSync(p, 0o000);
    const f = files({ 'c.json': config(), 'cat.json': catalog([{ name: 'costs' }]) });
    const result = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, '--state', p]);
    expectConfigError(result, /Cannot read --state file '.*': permission denied/);
  });
});

describe('sync: a wrong start_date corrected later leaves no hole, and --reset re-reads a stream', () => {
  const configFile = (extra: Record<string, unknown>): string => {
    const p = join(mkdtempSync(join(dir, 'cfg-')), 'config.json');
    writeFileSync(p, JSON.stringify(config(extra)));
    return p;
  };
  const sync = (cfg: string, db: string, more: string[] = []) => runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', 'costs', ...more]);
  const perDay = async (db: string) =>
    new Map(
      (
        await query(
          db,
          `SELECT CAST("date" AS VARCHAR) AS d, CAST(sum(CAST(CAST(amount_value AS VARCHAR) AS DECIMAL(38,12))) AS VARCHAR) AS t FROM openai.costs GROUP BY 1 ORDER BY 1`,
        )
      ).map((r) => [String(r.d), trimDecimal(String(r.t))]),
    );
  const truth = (from: number, to: number) => {
    const out = new Map<string, string>();
    for (let d = from; d < to; d += DAY) {
      const rows = fake.org.costsOn(d);
      if (rows.length > 0) out.set(iso(d), nanosToDecimal(rows.reduce((a, r) => a + BigInt(r.nanos), 0n)));
    }
    return out;
  };
  const stored = async (db: string) =>
    JSON.parse(String((await query(db, "SELECT CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = 'costs'"))[0]?.s)) as unknown;

  it('given a first sync from a late start_date when start_date is corrected to three months earlier then the next sync reads the missing days and every day equals the truth', async () => {
    const db = join(dir, 'corrected.duckdb');
    const late = await sync(configFile({ start_date: '2025-12-25' }), db);
    expect(late.code, late.stderr).toBe(0);
    expect(await stored(db)).toEqual({ version: 2, covered_from: day('2025-12-25'), cursor: END });
    const corrected = await sync(configFile({}), db);
    expect(corrected.code, corrected.stderr).toBe(0);
    expect(await perDay(db)).toEqual(truth(FIRST, END));
    expect(await stored(db)).toEqual({ version: 2, covered_from: FIRST, cursor: END });
  });

  it('given --reset costs when syncing then its rows and state are dropped in one transaction and re-read from start_date, and a stray row is gone', async () => {
    const db = join(dir, 'reset.duckdb');
    const cfg = configFile({});
    expect((await sync(cfg, db)).code).toBe(0);
    await query(
      db,
      `INSERT INTO openai.costs (id, _account_id, start_time, end_time, "date", amount_value) VALUES ('stray', 'openai', ${FIRST}, ${FIRST + DAY}, DATE '2025-09-01', 999)`,
      {
        write: true,
      },
    );
    const incremental = await sync(cfg, db);
    expect(incremental.code).toBe(0);
    expect(Number((await query(db, "SELECT count(*) AS n FROM openai.costs WHERE id = 'stray'"))[0]?.n)).toBe(1);
    const before = fake.requests.length;
    const reset = await sync(cfg, db, ['--reset', 'costs']);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stderr).toMatch(/^costs: reset: \d+ rows and the stored state dropped; re-reading from start_date$/m);
    expect(Number((await query(db, "SELECT count(*) AS n FROM openai.costs WHERE id = 'stray'"))[0]?.n)).toBe(0);
    expect(await perDay(db)).toEqual(truth(FIRST, END));
    expect(Number(fake.requests.slice(before)[0]?.query.get('start_time'))).toBe(FIRST);
    expect(await stored(db)).toEqual({ version: 2, covered_from: FIRST, cursor: END });
  });

  it('given --reset-all when syncing then every selected stream is reset; given --reset of a stream not synced then the usage exit code and one line naming the streams', async () => {
    const db = join(dir, 'reset-all.duckdb');
    const cfg = configFile({});
    expect((await sync(cfg, db)).code).toBe(0);
    const all = await sync(cfg, db, ['--reset-all']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toMatch(/^costs: reset: /m);
    expect(await perDay(db)).toEqual(truth(FIRST, END));
    const wrong = await sync(cfg, db, ['--reset', 'usage_completions']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/Cannot reset 'usage_completions': it is not a stream this sync reads \(costs\)/);
    const both = await sync(cfg, db, ['--reset', 'costs', '--reset-all']);
    expect(both.code).toBe(2);
  });
});
