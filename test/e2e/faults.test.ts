import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, errors, files, lastStates, ofType, records, run, states, statuses, type RunResult } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { DAY, FakeOpenAi, rateLimitFault, shouldRetryFault } from '../fake/openai.js';
import type { Fault, LoggedRequest } from '../fake/server.js';

/**
 * Faults, bad input, crashes and secrets (issue 4). Every run uses a sentinel
 * admin key; every output of every scenario is searched for it.
 */
const SENTINEL = 'sk-admin-SENTINEL-7c1e9f3a2b4d5e6f';
const FIRST = Date.UTC(2025, 8, 1) / 1000;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const schema = JSON.parse(readFileSync(join(CONTRACTS.openai, 'schemas/costs.json'), 'utf8')) as Record<string, unknown>;
const outputs: RunResult[] = [];

let fake: FakeOpenAi;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: 60, projects: 3, lineItems: 4, adminKey: SENTINEL });
  await fake.start();
});
afterEach(() => {
  fake.clearFaults();
  fake.latencyMs = 0;
});
afterAll(async () => {
  await fake.stop();
});

const baseConfig = () => ({
  admin_api_key: SENTINEL,
  start_date: '2025-09-01',
  end_date: '2025-10-30',
  base_url: fake.baseUrl,
  max_window_days: 20,
  max_retries: 3,
  request_timeout_seconds: 1,
});
const truth = (groupBy: Array<'project_id' | 'line_item'> = ['project_id', 'line_item']) =>
  withoutIds(fake.org.expectedCosts(day('2025-09-01'), day('2025-10-31'), groupBy));

async function cli(args: string[], env: Record<string, string> = {}, opts: Parameters<typeof run>[2] = {}): Promise<RunResult> {
  const r = await run(BINS.openai, args, { env, ...opts });
  outputs.push(r);
  return r;
}

async function read(
  cfg: Record<string, unknown> = baseConfig(),
  extra: { state?: unknown; mode?: 'incremental' | 'full_refresh'; env?: Record<string, string>; opts?: Parameters<typeof run>[2] } = {},
) {
  const f = files({
    'c.json': cfg,
    'cat.json': catalog([{ name: 'costs', mode: extra.mode ?? 'incremental' }]),
    ...(extra.state ? { 's.json': extra.state } : {}),
  });
  const args = ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, ...(f['s.json'] ? ['--state', f['s.json']] : [])];
  const before = fake.requests.length;
  const result = await cli(args, extra.env ?? {}, extra.opts ?? {});
  return { result, requests: fake.requests.slice(before) };
}

function expectExact(result: RunResult, expected = truth()): void {
  expect(
    result.code,
    result.stdout
      .split('\n')
      .filter((l) => l.includes('"ERROR"'))
      .join('\n'),
  ).toBe(0);
  assertProtocol(result, { streams: ['costs'], schemas: { costs: schema } });
  expect(withoutIds(records(result.messages))).toEqual(expected);
}

function expectLoudFailure(result: RunResult, failureType: string): string {
  expect(result.code).not.toBe(0);
  assertProtocol(result, { streams: ['costs'], expectComplete: false });
  expect(statuses(result.messages, 'costs').at(-1)).toBe('INCOMPLETE');
  const [error] = errors(result.messages);
  expect(error?.trace.error.failure_type).toBe(failureType);
  expect(error?.trace.error.stream_descriptor).toEqual({ name: 'costs' });
  return error?.trace.error.message as string;
}

describe('transient faults are retried and the output stays exact', () => {
  const cases: Array<[string, Fault, number?]> = [
    ['a 429 with Retry-After', rateLimitFault(1)],
    ['a 429 without Retry-After (the spec makes it optional)', rateLimitFault()],
    ['a 500', { kind: 'status', status: 500 }],
    ['a 502 with an HTML error page', { kind: 'status', status: 502, body: '<html><body>Bad Gateway</body></html>', contentType: 'text/html' }],
    ['a 503', { kind: 'status', status: 503 }, 2],
    ['a connection reset mid-body', { kind: 'reset' }],
    ['a response that stalls past the timeout', { kind: 'stall', ms: 3_000 }],
    ['a truncated JSON body', { kind: 'truncate' }],
    ['a 200 HTML page', { kind: 'html' }],
  ];
  it.each(cases)('given %s when reading then it is retried and the records equal the ground truth', async (_name, fault, times = 1) => {
    fake.fault({ fault, times, after: 1 });
    const { result, requests } = await read();
    expectExact(result);
    expect(requests.length).toBe(3 + times);
  });

  it.each(cases.filter(([, f]) => f.kind === 'truncate' || f.kind === 'html'))(
    'given %s and decoding on the main thread when reading then it is retried the same way',
    async (_name, fault) => {
      fake.fault({ fault, after: 1 });
      const { result, requests } = await read({ ...baseConfig(), decode_threads: 0 });
      expectExact(result);
      expect(requests.length).toBe(4);
    },
  );

  it('given 500s on every try when reading then the stream fails loudly as transient_error with no partial window', async () => {
    fake.fault({ fault: { kind: 'status', status: 500 }, times: 100, after: 1 });
    const { result } = await read();
    expect(expectLoudFailure(result, 'transient_error')).toMatch(/HTTP 500/);
    // The first window (20 days) is complete and checkpointed; nothing of the failed one is emitted.
    expect(withoutIds(records(result.messages))).toEqual(withoutIds(fake.org.expectedCosts(day('2025-09-01'), day('2025-09-21'), ['project_id', 'line_item'])));
    expect(states(result.messages).map((m) => m.state.stream.stream_state.cursor)).toEqual([day('2025-09-21')]);
  });
});

describe('x-should-retry overrides the status', () => {
  // One request at a time: the requests of the failing window can be counted exactly.
  const serial = () => ({ ...baseConfig(), max_concurrent_requests: 1 });
  const windowRequests = (requests: LoggedRequest[], start: string) => requests.filter((r) => r.query.get('start_time') === String(day(start)));

  it('given a 503 with x-should-retry false when reading then it is not retried: the stream fails at once as transient_error after one request for that window', async () => {
    fake.fault({ fault: shouldRetryFault(503, false), after: 1 });
    const { result, requests } = await read(serial());
    const message = expectLoudFailure(result, 'transient_error');
    expect(message).toMatch(
      /^HTTP 503 from \/organization\/costs\?start_time=1758412800&.*: \{"error":\{"message":"The server could not complete the request \(HTTP 503\)\.",/,
    );
    expect(message).not.toContain('after retries');
    expect(windowRequests(requests, '2025-09-21')).toHaveLength(1);
    expect(states(result.messages).map((m) => m.state.stream.stream_state.cursor)).toEqual([day('2025-09-21')]);
  });

  it('given a 409 with x-should-retry true when reading then it is retried and the records equal the ground truth', async () => {
    fake.fault({ fault: shouldRetryFault(409, true), after: 1 });
    const { result, requests } = await read(serial());
    expectExact(result);
    expect(windowRequests(requests, '2025-09-21')).toHaveLength(2);
    expect(requests).toHaveLength(4);
  });

  it('given a 409 without x-should-retry when reading then the table decides: not retried, a system_error after one request', async () => {
    fake.fault({ fault: { kind: 'status', status: 409 }, after: 1 });
    const { result, requests } = await read(serial());
    expect(expectLoudFailure(result, 'system_error')).toMatch(/^HTTP 409 from \/organization\/costs\?start_time=1758412800&/);
    expect(windowRequests(requests, '2025-09-21')).toHaveLength(1);
  });
});

describe('odd but valid responses are read exactly', () => {
  it('given unknown extra fields everywhere when reading then they are ignored', async () => {
    fake.fault({
      times: 100,
      fault: {
        kind: 'transform',
        fn: (b) => {
          const body = b as { data: Array<{ results: Array<Record<string, unknown>> } & Record<string, unknown>> } & Record<string, unknown>;
          body.surprise = { nested: true };
          for (const bucket of body.data) {
            bucket.extra = 1;
            for (const r of bucket.results) r.new_field = 'x';
          }
          return body;
        },
      },
    });
    expectExact((await read()).result);
  });

  it('given missing optional fields and nulls where values are usual when reading then those fields are null, never 0', async () => {
    fake.fault({
      times: 100,
      fault: {
        kind: 'transform',
        fn: (b) => {
          const body = b as { data: Array<{ results: Array<Record<string, unknown>> }> };
          for (const bucket of body.data)
            for (const r of bucket.results) {
              delete r.quantity;
              delete r.quantity_unit;
              r.amount = null;
            }
          return body;
        },
      },
    });
    const { result } = await read();
    const expected = truth().map((r) => ({ ...r, quantity: null, quantity_unit: null, amount_value: null, amount_currency: null }));
    expectExact(result, withoutIds(expected));
  });

  it('given buckets out of order when reading then records are still emitted in bucket order', async () => {
    fake.fault({ times: 100, fault: { kind: 'transform', fn: (b) => ({ ...(b as object), data: [...(b as { data: unknown[] }).data].reverse() }) } });
    const { result } = await read();
    expectExact(result);
    const starts = records(result.messages).map((r) => r.start_time as number);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
  });

  it('given a bucket repeated within and across pages of an ungrouped read when reading then it is emitted once', async () => {
    const truncating = new FakeOpenAi({ firstDay: FIRST, days: 60, projects: 3, lineItems: 4, adminKey: SENTINEL, truncateAt: 5 });
    await truncating.start();
    let lastOfPrevious: unknown = null;
    truncating.fault({
      times: 100,
      fault: {
        kind: 'transform',
        fn: (b) => {
          const body = b as { data: unknown[] };
          const data = lastOfPrevious ? [lastOfPrevious, ...body.data, body.data[0]] : body.data;
          lastOfPrevious = body.data[body.data.length - 1];
          return { ...body, data };
        },
      },
    });
    try {
      const { result } = await read({ ...baseConfig(), base_url: truncating.baseUrl, group_by: { costs: [] } }, { mode: 'full_refresh' });
      expectExact(result, withoutIds(truncating.org.expectedCosts(day('2025-09-01'), day('2025-10-31'), [])));
    } finally {
      await truncating.stop();
    }
  });
});

// Pages are decoded on worker threads by default and on the main thread with decode_threads 0: same errors.
const DECODING: Array<[string, Record<string, unknown>]> = [
  ['on decode workers', {}],
  ['on the main thread', { decode_threads: 0 }],
];

describe.each(DECODING)('responses that do not match are a system_error naming endpoint, window and JSON path (decoding %s)', (_where, decoding) => {
  it('given a body without data when reading then the error names the path and quotes a redacted excerpt', async () => {
    fake.fault({ after: 1, fault: { kind: 'transform', fn: () => ({ object: 'page', echoed_key: SENTINEL }) } });
    // One request at a time, so the second request the server sees is the second window's (decode workers send concurrent requests in no fixed order).
    const message = expectLoudFailure((await read({ ...baseConfig(), max_concurrent_requests: 1, ...decoding })).result, 'system_error');
    expect(message).toContain('/organization/costs');
    expect(message).toContain('2025-09-21T00:00:00Z');
    expect(message).toMatch(/at data:/);
    expect(message).toContain('**********');
  });

  it('given an amount that is not a number when reading then the error names results[i].amount.value', async () => {
    fake.fault({
      fault: {
        kind: 'transform',
        fn: (b) => {
          const body = b as { data: Array<{ results: Array<{ amount: { value: unknown } }> }> };
          const first = body.data.find((x) => x.results.length > 0);
          if (first?.results[0]) first.results[0].amount.value = '12.5';
          return body;
        },
      },
    });
    const { result } = await read({ ...baseConfig(), ...decoding });
    const message = expectLoudFailure(result, 'system_error');
    expect(message).toMatch(/results\[0\]: at amount\.value: /);
    expect(records(result.messages)).toHaveLength(0);
  });
});

describe('crash and resume', () => {
  it.each([1, 2, 3])(
    'given a SIGKILL after STATE %i when resumed from the last printed STATE then the union equals a clean run and nothing before cursor - lookback is fetched again',
    async (k) => {
      const clean = (await read()).result;
      expect(clean.code).toBe(0);
      const crashed = await read(baseConfig(), { opts: { killWhen: (_m, all) => ofType(all, 'STATE').length >= k, killWith: 'SIGKILL' } });
      expect(crashed.result.signal).toBe('SIGKILL');
      const state = lastStates(crashed.result.messages);
      const cursor = (state[0] as { stream: { stream_state: { cursor: number } } }).stream.stream_state.cursor;
      const resumed = await read(baseConfig(), { state });
      expect(resumed.result.code).toBe(0);
      assertProtocol(resumed.result, { streams: ['costs'], schemas: { costs: schema } });
      const union = new Map<unknown, unknown>();
      for (const r of [...records(crashed.result.messages), ...records(resumed.result.messages)]) union.set(r.id, r);
      expect(withoutIds([...union.values()] as Array<Record<string, unknown>>)).toEqual(withoutIds(records(clean.messages)));
      const starts = resumed.requests.map((r) => Number(r.query.get('start_time')));
      expect(Math.min(...starts)).toBe(cursor - 3 * DAY);
    },
  );

  it.each(['SIGTERM', 'SIGINT'] as const)(
    'given %s during a read when it arrives then output is flushed, the stream is INCOMPLETE and the exit is non-zero',
    async (sig) => {
      fake.latencyMs = 300;
      const { result } = await read(
        { ...baseConfig(), max_window_days: 5, max_concurrent_requests: 1 },
        { opts: { killWhen: (m) => m.type === 'STATE', killWith: sig } },
      );
      expect(result.code).toBe(1);
      assertProtocol(result, { streams: ['costs'], expectComplete: false });
      expect(statuses(result.messages, 'costs').at(-1)).toBe('INCOMPLETE');
      expect(errors(result.messages).at(-1)?.trace.error.failure_type).toBe('transient_error');
      expect(result.lines.at(-1)).toContain('"ERROR"');
    },
  );
});

describe('bad input gives one actionable config_error line and a non-zero exit', () => {
  const cfgCases: Array<[string, unknown, RegExp]> = [
    ['a config that is not JSON', '{"admin_api_key": ', /not valid JSON/],
    ['a config that is not an object', '[1,2]', /must be a JSON object/],
    ['a missing key', { start_date: '2025-01-01' }, /admin_api_key/],
    ['an empty key', { admin_api_key: ' ', start_date: '2025-01-01' }, /admin_api_key is empty/],
    ['an unparseable start_date', { admin_api_key: SENTINEL, start_date: 'last tuesday' }, /start_date must be YYYY-MM-DD/],
    ['an impossible start_date', { admin_api_key: SENTINEL, start_date: '2025-02-30' }, /start_date is not a real date/],
    ['a start_date after end_date', { admin_api_key: SENTINEL, start_date: '2025-03-01', end_date: '2025-02-01' }, /start_date .* is after end_date/],
    ['lookback_days out of range', { admin_api_key: SENTINEL, start_date: '2025-01-01', lookback_days: 90 }, /lookback_days must be between 0 and 31/],
    [
      'an unknown group_by dimension',
      { admin_api_key: SENTINEL, start_date: '2025-01-01', group_by: { costs: ['model'] } },
      /group_by.costs accepts only project_id, line_item, api_key_id/,
    ],
    [
      'http:// on a non-loopback host',
      { admin_api_key: SENTINEL, start_date: '2025-01-01', base_url: 'http://api.openai.com/v1' },
      /base_url must be an https:\/\/ URL/,
    ],
  ];

  function expectConfigError(result: RunResult, pattern: RegExp): void {
    expect(result.code).not.toBe(0);
    assertProtocol(result, { streams: [] });
    const [error] = errors(result.messages);
    expect(error?.trace.error.failure_type).toBe('config_error');
    expect(error?.trace.error.message).toMatch(pattern);
    expect(error?.trace.error.message).not.toContain('\n');
    expect(result.stdout).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toContain('stack_trace');
  }

  it.each(cfgCases)('given %s when reading then config_error says what to fix; check says FAILED and exits 0', async (_n, cfg, pattern) => {
    const f = files({ 'c.json': cfg, 'cat.json': catalog([{ name: 'costs' }]) });
    expectConfigError(await cli(['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]), pattern);
    const check = await cli(['check', '--config', f['c.json'] as string]);
    expect(check.code).toBe(0);
    const [status] = ofType(check.messages, 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toMatch(pattern);
  });

  it('given a config file that does not exist when reading then config_error names the path', async () => {
    const f = files({ 'cat.json': catalog([{ name: 'costs' }]) });
    expectConfigError(
      await cli(['read', '--config', '/nonexistent/config.json', '--catalog', f['cat.json'] as string]),
      /Cannot read --config file '\/nonexistent\/config.json'/,
    );
  });

  const catalogCases: Array<[string, unknown, RegExp]> = [
    ['a catalog that is not JSON', '{streams', /--catalog file .* is not valid JSON/],
    ['an invalid sync_mode', { streams: [{ stream: { name: 'costs' }, sync_mode: 'INVALID', destination_sync_mode: 'INVALID' }] }, /sync_mode 'INVALID'/],
    ['a catalog without streams', { nope: 1 }, /ConfiguredAirbyteCatalog/],
  ];
  it.each(catalogCases)('given %s when reading then config_error', async (_n, cat, pattern) => {
    const f = files({ 'c.json': baseConfig(), 'cat.json': cat });
    expectConfigError(await cli(['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]), pattern);
  });

  it('given a missing catalog file when reading then config_error names it', async () => {
    const f = files({ 'c.json': baseConfig() });
    expectConfigError(await cli(['read', '--config', f['c.json'] as string, '--catalog', '/nonexistent/catalog.json']), /Cannot read --catalog file/);
  });

  it('given an unknown stream with sync_mode INVALID (the CAT failure probe) when reading then a TRACE ERROR and non-zero exit', async () => {
    const f = files({
      'c.json': baseConfig(),
      'cat.json': { streams: [{ stream: { name: '__AIRBYTE__stream_that_does_not_exist' }, sync_mode: 'INVALID', destination_sync_mode: 'INVALID' }] },
    });
    expectConfigError(await cli(['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]), /sync_mode/);
  });

  const stateCases: Array<[string, unknown, RegExp]> = [
    ['a state that is not JSON', '[{"type":', /State file is not valid JSON/],
    [
      'a state of the wrong shape',
      [{ type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: { version: 1, cursor: 'soon' } } }],
      /State for stream 'costs' is invalid at 'cursor'/,
    ],
    ['a LEGACY state', { data: { costs: { cursor: 1 } } }, /not a per-stream state/],
    [
      "a state for another connector's stream",
      [{ type: 'STREAM', stream: { stream_descriptor: { name: 'cost_report' }, stream_state: { version: 1, cursor: 1 } } }],
      /stream 'cost_report', which this connector does not have/,
    ],
    [
      'a state from a newer version',
      [{ type: 'STREAM', stream: { stream_descriptor: { name: 'costs' }, stream_state: { version: 9, cursor: 1 } } }],
      /newer than this connector understands/,
    ],
  ];
  it.each(stateCases)('given %s when reading then config_error', async (_n, state, pattern) => {
    const f = files({ 'c.json': baseConfig(), 'cat.json': catalog([{ name: 'costs' }]), 's.json': state });
    expectConfigError(await cli(['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string, '--state', f['s.json'] as string]), pattern);
  });

  it('given an unknown command or flag when run then a config_error with the usage line and exit 2 (a usage error, docs/cli.md)', async () => {
    const a = await cli(['frobnicate']);
    expect(a.code).toBe(2);
    expect(errors(a.messages)[0]?.trace.error.message).toMatch(/usage: source-openai-costs spec \| source-openai-costs check --config FILE/);
    const b = await cli(['read', '--nope']);
    expect(b.code).toBe(2);
    expect(errors(b.messages)[0]?.trace.error.failure_type).toBe('config_error');
    expect(errors(b.messages)[0]?.trace.error.message).toMatch(
      /^Unknown option '--nope' for read\. usage: source-openai-costs read --config FILE --catalog FILE/,
    );
  });
});

describe('secrets', () => {
  it('given a 401 whose body echoes the key, at debug level, when reading and checking then the key appears nowhere', async () => {
    const echo = {
      kind: 'status' as const,
      status: 401,
      body: JSON.stringify({ error: { message: `Incorrect API key provided: ${SENTINEL}`, type: 'invalid_request_error' } }),
    };
    fake.fault({ fault: echo, times: 100 });
    const { result } = await read(baseConfig(), { env: { LOG_LEVEL: 'debug' } });
    expectLoudFailure(result, 'config_error');
    fake.clearFaults();
    fake.fault({ fault: echo });
    const f = files({ 'c.json': baseConfig() });
    const check = await cli(['check', '--config', f['c.json'] as string, '--debug']);
    expect(ofType(check.messages, 'CONNECTION_STATUS')[0]?.connectionStatus.status).toBe('FAILED');
  });

  it('given a 401 whose body echoes the key, at debug level, when syncing in Singer mode and into DuckDB then the key appears nowhere', async () => {
    const echo = {
      kind: 'status' as const,
      status: 401,
      body: JSON.stringify({ error: { message: `Incorrect API key provided: ${SENTINEL}`, type: 'invalid_request_error' } }),
    };
    fake.fault({ fault: echo, times: 100 });
    const f = files({ 'c.json': baseConfig() });
    const singer = await cli(['--config', f['c.json'] as string, '--debug']);
    expect(singer.code).toBe(1);
    // Every stream is selected, spend too: its names are read first, and the refused key fails that (docs/focus.md, Names).
    expect(singer.stderr).toMatch(/^CRITICAL cannot read the names of the spend rows .*\(config_error\)$/m);
    expect(singer.stderr).toMatch(/^DEBUG /m);
    const sync = await cli([
      'sync',
      '--config',
      f['c.json'] as string,
      '--db',
      join(dirname(f['c.json'] as string), 'costs.duckdb'),
      '--streams',
      'costs',
      '--debug',
    ]);
    // A refused key ends the sync in one line, exit 2 (docs/cli.md, Failures that end the whole run).
    expect(sync.code).toBe(2);
    expect(sync.stderr).toMatch(/^source-openai-costs sync: .*\(HTTP 401\)$/m);
    expect(sync.stderr).toMatch(/^debug: /m);
    for (const o of [singer, sync]) expect(`${o.stdout}${o.stderr}`).not.toContain(SENTINEL);
  });

  it('given a full debug read when it succeeds then logs carry URLs but never the key', async () => {
    const { result } = await read(baseConfig(), { env: { LOG_LEVEL: 'debug' } });
    expectExact(result);
    expect(ofType(result.messages, 'LOG').some((m) => String(m.log.message).includes('GET /organization/costs'))).toBe(true);
  });

  it('given every scenario of this file when its stdout and stderr are searched then the sentinel key never appears', () => {
    expect(outputs.length).toBeGreaterThan(40);
    for (const o of outputs) {
      expect(o.stdout).not.toContain(SENTINEL);
      expect(o.stderr).not.toContain(SENTINEL);
      expect(o.stdout).not.toContain(SENTINEL.slice(9));
    }
  });
});
