import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeOpenAi } from '../fake/openai.js';
import type { LoggedRequest } from '../fake/server.js';
import { BINS, type Message, catalog, errors, files, records, run, states, statuses } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { runCli } from '../support/warehouse.js';

/**
 * Issue 17 points 3 and 5: TRACE ESTIMATE in Airbyte `read`, `read --dry-run`, `read --state-out`.
 * Every read runs the built CLI against a fake over real HTTP; every line is checked by assertProtocol.
 */
const KEY = 'sk-admin-e2e-progress-7c1d2e3f4a';
const ANT_KEY = 'sk-ant-admin01-E2E-PROGRESS-1a2b3c4d';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAY = 86_400;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

let openai: FakeOpenAi;
let anthropic: FakeAnthropic;
beforeAll(async () => {
  openai = new FakeOpenAi({ firstDay: FIRST, days: 120, projects: 4, lineItems: 5, adminKey: KEY, emptyEvery: 9 });
  anthropic = new FakeAnthropic({ firstDay: FIRST, days: 60, adminKey: ANT_KEY });
  await Promise.all([openai.start(), anthropic.start()]);
});
afterAll(async () => {
  await Promise.all([openai.stop(), anthropic.stop()]);
});

const openaiConfig = (extra: Record<string, unknown> = {}) => ({
  admin_api_key: KEY,
  start_date: '2025-09-01',
  end_date: '2025-12-29',
  base_url: openai.baseUrl,
  ...extra,
});

async function readOpenAi(streams: string[], extra: string[] = [], cfg = openaiConfig(), state?: unknown) {
  const f = files({
    'config.json': cfg,
    'catalog.json': catalog(streams.map((name) => ({ name }))),
    ...(state === undefined ? {} : { 'state.json': state }),
  });
  const args = ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string, ...extra];
  if (f['state.json']) args.push('--state', f['state.json']);
  const before = openai.requests.length;
  const result = await run(BINS.openai, args);
  return { result, requests: openai.requests.slice(before), dir: f };
}

const estimates = (messages: Message[], stream: string): number[] =>
  messages
    .filter((m) => m.type === 'TRACE' && m.trace.type === 'ESTIMATE' && m.trace.estimate.name === stream)
    .map((m) => m.trace.estimate.row_estimate as number);

/** Indices in `messages` of the stream's STARTED, its ESTIMATEs and its COMPLETE. */
function order(messages: Message[], stream: string) {
  const at = (f: (m: Message) => boolean): number[] => messages.flatMap((m, i) => (f(m) ? [i] : []));
  const status = (s: string) =>
    at(
      (m) =>
        m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === stream && m.trace.stream_status.status === s,
    );
  return {
    started: status('STARTED')[0] ?? -1,
    complete: status('COMPLETE')[0] ?? -1,
    estimates: at((m) => m.type === 'TRACE' && m.trace.type === 'ESTIMATE' && m.trace.estimate.name === stream),
    records: at((m) => m.type === 'RECORD' && m.record.stream === stream),
  };
}

const key = (path: string, query: URLSearchParams): string =>
  `${path}?${[...query]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join('&')}`;

describe('TRACE ESTIMATE in Airbyte read', () => {
  it('given OpenAI costs and usage_completions over 120 days when read then each stream has an ESTIMATE of its planned buckets after STARTED and a refined one after its first window, before COMPLETE, every line valid', async () => {
    const { result, requests } = await readOpenAi(['costs', 'usage_completions']);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs', 'usage_completions'] });
    for (const stream of ['costs', 'usage_completions']) {
      const o = order(result.messages, stream);
      const values = estimates(result.messages, stream);
      expect(values, stream).toHaveLength(2);
      expect(o.started).toBeGreaterThanOrEqual(0);
      expect(o.estimates[0]).toBeGreaterThan(o.started);
      expect(o.estimates[1]).toBeLessThan(o.complete);
      for (const v of values) expect(Number.isInteger(v) && v >= 0).toBe(true);
      // Planned: 2025-09-01..2025-12-29 is 120 daily buckets, before any record.
      expect(values[0]).toBe(120);
      expect(o.records[0]).toBeGreaterThan(o.estimates[0] as number);
      // Refined after the first window: the rows it held plus the buckets left at its rate.
      const n1 = o.records.filter((i) => i < (o.estimates[1] as number)).length;
      const path = stream === 'costs' ? '/v1/organization/costs' : '/v1/organization/usage/completions';
      const first = requests.find((r) => r.path === path) as LoggedRequest;
      const b1 = (Number(first.query.get('end_time')) - Number(first.query.get('start_time'))) / DAY;
      expect(n1).toBeGreaterThan(0);
      expect(values[1]).toBe(n1 + Math.round(((120 - b1) * n1) / b1));
    }
    // costs is one window of 120 days: its refined estimate is exact.
    expect(estimates(result.messages, 'costs')[1]).toBe(records(result.messages, 'costs').length);
    // usage_completions is read in several windows (31 days at most each).
    expect(requests.filter((r) => r.path === '/v1/organization/usage/completions').length).toBeGreaterThan(1);
  });

  it('given an incremental state at the end date when read then the estimate is the lookback buckets only', async () => {
    const state = [
      {
        type: 'STREAM',
        stream: { stream_descriptor: { name: 'costs' }, stream_state: { version: 2, covered_from: day('2025-09-01'), cursor: day('2025-12-30') } },
      },
    ];
    const { result } = await readOpenAi(['costs'], [], openaiConfig({ lookback_days: 3 }), state);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['costs'] });
    const values = estimates(result.messages, 'costs');
    expect(values[0]).toBe(3);
    expect(values[1]).toBe(records(result.messages, 'costs').length);
  });

  it('given Anthropic cost_report and usage_messages over 60 days when read then both get a planned and a refined ESTIMATE between STARTED and COMPLETE', async () => {
    const f = files({
      'config.json': { admin_api_key: ANT_KEY, start_date: '2025-09-01', end_date: '2025-10-30', base_url: anthropic.baseUrl },
      'catalog.json': catalog([{ name: 'cost_report' }, { name: 'usage_messages' }]),
    });
    const result = await run(BINS.anthropic, ['read', '--config', f['config.json'] as string, '--catalog', f['catalog.json'] as string]);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: ['cost_report', 'usage_messages'] });
    for (const stream of ['cost_report', 'usage_messages']) {
      const o = order(result.messages, stream);
      const values = estimates(result.messages, stream);
      expect(values, stream).toHaveLength(2);
      expect(values[0]).toBe(60);
      expect(o.estimates[0]).toBeGreaterThan(o.started);
      expect(o.estimates[0]).toBeLessThan(o.records[0] as number);
      expect(o.estimates[1]).toBeLessThan(o.complete);
      expect(values[1]).toBeGreaterThanOrEqual(0);
      expect(Number.isInteger(values[1])).toBe(true);
    }
  });

  it('given Singer mode when syncing costs then no line is an ESTIMATE (Singer has none)', async () => {
    const f = files({ 'config.json': openaiConfig({ start_date: '2025-12-01' }) });
    const discovered = await run(BINS.openai, ['--config', f['config.json'] as string, '--discover']);
    expect(discovered.code).toBe(0);
    const cat = JSON.parse(discovered.stdout) as {
      streams: Array<{ tap_stream_id: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }>;
    };
    cat.streams = cat.streams.filter((s) => s.tap_stream_id === 'costs');
    for (const m of cat.streams[0]?.metadata ?? []) if (m.breadcrumb.length === 0) m.metadata.selected = true;
    const g = files({ 'cat.json': cat });
    const result = await run(BINS.openai, ['--config', f['config.json'] as string, '--catalog', g['cat.json'] as string]);
    expect(result.code).toBe(0);
    expect(result.messages.filter((m) => m.type === 'RECORD').length).toBeGreaterThan(0);
    expect(result.stdout).not.toContain('ESTIMATE');
    expect(result.messages.every((m) => ['SCHEMA', 'RECORD', 'STATE'].includes(m.type))).toBe(true);
  });
});

describe('read --dry-run', () => {
  it('given costs and usage_completions when read --dry-run then the fake sees no request and the printed requests equal those a real read then sends', async () => {
    const before = openai.requests.length;
    const { result } = await readOpenAi(['costs', 'usage_completions'], ['--dry-run']);
    expect(result.code).toBe(0);
    assertProtocol(result, { streams: [] });
    expect(openai.requests.length).toBe(before);
    expect(result.messages.every((m) => m.type === 'LOG')).toBe(true);
    const printed = result.messages.map((m) => m.log.message as string).filter((t) => /^dry-run \w+ \d/.test(t));
    expect(printed.filter((t) => t.startsWith('dry-run costs '))).toHaveLength(1);
    expect(printed.filter((t) => t.startsWith('dry-run usage_completions ')).length).toBe(4);
    const planned = printed.map((t) => {
      const u = new URL(t.slice(t.indexOf('GET ') + 4));
      return key(u.pathname, u.searchParams);
    });
    const real = await readOpenAi(['costs', 'usage_completions']);
    expect(real.result.code).toBe(0);
    expect(real.requests.map((r) => key(r.path, r.query)).sort()).toEqual([...planned].sort());
  });

  it('given a state when read --dry-run then the windows start at the cursor minus lookback_days', async () => {
    const state = [
      {
        type: 'STREAM',
        stream: { stream_descriptor: { name: 'costs' }, stream_state: { version: 2, covered_from: day('2025-09-01'), cursor: day('2025-12-20') } },
      },
    ];
    const { result, requests } = await readOpenAi(['costs'], ['--dry-run'], openaiConfig({ lookback_days: 2 }), state);
    expect(result.code).toBe(0);
    expect(requests).toHaveLength(0);
    const lines = result.messages.map((m) => m.log.message as string).filter((t) => t.startsWith('dry-run costs '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('2025-12-18T00:00:00Z..2025-12-30T00:00:00Z');
    expect(lines[0]).toContain(`start_time=${day('2025-12-18')}&end_time=${day('2025-12-30')}`);
  });
});

describe('read --state-out', () => {
  it('given read --state-out F when a second read takes --state F then it starts at the cursor minus lookback_days and F holds the last STATE of every stream', async () => {
    const first = await readOpenAi(['costs', 'usage_completions'], ['--state-out', '/nonexistent-dir/state.json']);
    // An unwritable --state-out fails before any request: a config_error naming the flag.
    expect(first.result.code).toBe(1);
    expect(first.requests).toHaveLength(0);
    assertProtocol(first.result, { streams: [] });
    expect(errors(first.result.messages)).toHaveLength(1);
    expect(errors(first.result.messages)[0]?.trace.error).toMatchObject({ failure_type: 'config_error' });
    expect(errors(first.result.messages)[0]?.trace.error.message).toBe(
      "Cannot write --state-out file '/nonexistent-dir/state.json': its directory does not exist; pass a path in a writable directory.",
    );
    const stateFile = `${first.dir['config.json']}.state.json`;
    const a = await readOpenAi(['costs', 'usage_completions'], ['--state-out', stateFile], openaiConfig({ lookback_days: 4 }));
    expect(a.result.code).toBe(0);
    assertProtocol(a.result, { streams: ['costs', 'usage_completions'] });
    const written = JSON.parse(readFileSync(stateFile, 'utf8')) as Array<{
      type: string;
      stream: { stream_descriptor: { name: string }; stream_state: { cursor: number } };
    }>;
    const last = (s: string) =>
      states(a.result.messages)
        .filter((m) => m.state.stream.stream_descriptor.name === s)
        .at(-1)?.state.stream.stream_state;
    const byName = (x: { stream: { stream_descriptor: { name: string } } }, y: { stream: { stream_descriptor: { name: string } } }) =>
      x.stream.stream_descriptor.name.localeCompare(y.stream.stream_descriptor.name);
    expect([...written].sort(byName)).toEqual([
      { type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: last('costs') } },
      { type: 'STREAM', stream: { stream_descriptor: { name: 'usage_completions' }, stream_state: last('usage_completions') } },
    ]);
    const cursor = written[0]?.stream.stream_state.cursor as number;
    expect(cursor).toBe(day('2025-12-30'));
    const b = await readOpenAi(['costs', 'usage_completions'], ['--state', stateFile], openaiConfig({ lookback_days: 4 }));
    expect(b.result.code).toBe(0);
    for (const path of ['/v1/organization/costs', '/v1/organization/usage/completions']) {
      const starts = b.requests.filter((r) => r.path === path).map((r) => Number(r.query.get('start_time')));
      expect(Math.min(...starts), path).toBe(cursor - 4 * DAY);
    }
  });

  it('given a stream that fails when read --state-out then the file holds the state of the stream that completed and keeps the given state of the failed one', async () => {
    const given = { version: 2, covered_from: day('2025-09-01'), cursor: day('2025-10-01') };
    const f = files({ 'x.json': {} });
    const stateFile = `${f['x.json']}.out.json`;
    writeFileSync(stateFile, 'stale');
    openai.fault({ path: '/usage/completions', fault: { kind: 'status', status: 400, body: JSON.stringify({ error: { message: 'no' } }) }, times: 50 });
    try {
      const state = [{ type: 'STREAM', stream: { stream_descriptor: { name: 'usage_completions' }, stream_state: given } }];
      const r = await readOpenAi(['costs', 'usage_completions'], ['--state-out', stateFile], openaiConfig(), state);
      expect(r.result.code).toBe(1);
      assertProtocol(r.result, { streams: ['costs', 'usage_completions'], expectComplete: false });
      expect(statuses(r.result.messages, 'costs').at(-1)).toBe('COMPLETE');
      expect(statuses(r.result.messages, 'usage_completions').at(-1)).toBe('INCOMPLETE');
      const written = JSON.parse(readFileSync(stateFile, 'utf8')) as unknown[];
      const costsLast = states(r.result.messages)
        .filter((m) => m.state.stream.stream_descriptor.name === 'costs')
        .at(-1)?.state.stream.stream_state;
      expect(written).toEqual([
        { type: 'STREAM', stream: { stream_descriptor: { name: 'usage_completions' }, stream_state: given } },
        { type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: costsLast } },
      ]);
    } finally {
      openai.clearFaults();
    }
  });
});

/** Run a command on a pseudo-terminal (util-linux `script`, in every Debian and Ubuntu image): stderr is a TTY. */
function onTerminal(argv: string[]): Promise<{ code: number | null; output: string }> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `stty cols 200; ${quoted}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('sync progress on a terminal', () => {
  it('given a sync on a TTY when windows are read then the progress line shows windows done of planned and the time left; piped, stderr has no progress at all', async () => {
    const f = files({ 'config.json': openaiConfig() });
    const db = `${f['config.json']}.duckdb`;
    const piped = `${f['config.json']}.piped.duckdb`;
    openai.latencyMs = 300;
    try {
      const tty = await onTerminal([
        process.execPath,
        BINS.openai,
        'sync',
        '--config',
        f['config.json'] as string,
        '--db',
        db,
        '--streams',
        'usage_completions',
      ]);
      expect(tty.code, tty.output).toBe(0);
      const frames = tty.output
        .split('\r\x1b[2K')
        .map((t) => t.trim())
        .filter((t) => t.startsWith('['));
      expect(frames.length, tty.output).toBeGreaterThan(0);
      expect(
        frames.some((t) => /usage_completions [1-3]\/4 windows, [\d,]+ rows, ~\d+ s left/.test(t)),
        tty.output,
      ).toBe(true);
      const cron = await runCli(BINS.openai, ['sync', '--config', f['config.json'] as string, '--db', piped, '--streams', 'usage_completions']);
      expect(cron.code).toBe(0);
      expect(cron.stderr).not.toContain('\r');
      expect(cron.stderr).not.toContain('windows');
      expect(cron.stderr.trim().split('\n')).toHaveLength(2); // the stream's summary line and the sync's
    } finally {
      openai.latencyMs = 0;
    }
  });
});
