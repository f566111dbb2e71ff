import { describe, expect, it } from 'vitest';
import { BINS, catalog, errors, files, records, run, states, statuses, type RunResult } from '../support/cli.js';
import { assertProtocol, canonicalRows } from '../support/invariants.js';
import { FakeAnthropic, type FakeAnthropicOptions } from '../fake/anthropic.js';
import { FakeAurous, type FakeAurousOptions } from '../fake/aurous.js';
import { FakeOpenAi, type Malformation } from '../fake/openai.js';
import { usageEndpoint } from '../fake/openai-usage.js';
import type { FakeServer } from '../fake/server.js';

/**
 * Fields every provider's spec requires are required: a bucket without its results, a page
 * without has_more or next_page, a usage result without a required metric is a system_error
 * naming endpoint, window and JSON path, never an empty bucket, "no more pages" or a null
 * metric. Each fake leaves the field out from the second window on: the first window is read
 * and checkpointed exactly, nothing of the malformed one is emitted, and pages decoded on
 * worker threads fail with the same message as on the main thread.
 */
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
type Row = Record<string, unknown>;

async function serve<S extends FakeServer, T>(server: S, use: (server: S) => Promise<T>): Promise<T> {
  await server.start();
  try {
    return await use(server);
  } finally {
    await server.stop();
  }
}

interface Failed {
  message: string;
  result: RunResult;
}

/** Read one stream; it must fail with a system_error (exit 1, INCOMPLETE, one TRACE ERROR). */
async function readFailing(bin: string, stream: string, config: Row): Promise<Failed> {
  const f = files({ 'c.json': config, 'cat.json': catalog([{ name: stream }]) });
  const result = await run(bin, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  expect(result.code).toBe(1);
  assertProtocol(result, { streams: [stream], expectComplete: false });
  expect(statuses(result.messages, stream).at(-1)).toBe('INCOMPLETE');
  const errs = errors(result.messages);
  expect(errs).toHaveLength(1);
  expect(errs[0]?.trace.error.failure_type).toBe('system_error');
  expect(errs[0]?.trace.error.stream_descriptor).toEqual({ name: stream });
  return { message: errs[0]?.trace.error.message as string, result };
}

/** The malformed window is named with its endpoint and the JSON path; what was read before it is exact and checkpointed, nothing of it is emitted. */
function expectNamed(failed: Failed, o: { stream: string; path: string; window: string; jsonPath: RegExp; before: Row[]; cursor: number }): void {
  expect(failed.message).toContain(`${o.path}`);
  expect(failed.message).toContain(o.window);
  expect(failed.message).toMatch(o.jsonPath);
  expect(o.before.length).toBeGreaterThan(0);
  expect(canonicalRows(records(failed.result.messages, o.stream))).toEqual(canonicalRows(o.before));
  expect(states(failed.result.messages, o.stream).at(-1)?.state.stream.stream_state.cursor).toBe(o.cursor);
}

describe('OpenAI: a required field missing is a system_error naming endpoint, window and JSON path, the same on decode workers and on the main thread', () => {
  const KEY = 'sk-admin-e2e-required-3c2b1a0f9e';
  const FIRST = day('2025-09-01');
  // Windows of 20 days: [09-01, 09-21) is read whole, [09-21, 10-11) is malformed.
  const FROM = day('2025-09-21');
  const cases: Array<[string, Malformation, string, RegExp]> = [
    ["a bucket keyed `result` (the name in OpenAI's reference) instead of `results`", { kind: 'bucket_key_result' }, 'costs', /: at data\[0\]\.results: /],
    ['a page without has_more', { kind: 'no_has_more' }, 'costs', /: at has_more: /],
    ['a page without next_page', { kind: 'no_next_page' }, 'costs', /: at next_page: /],
    [
      'a completions result without output_tokens',
      { kind: 'no_required_metric', metric: 'output_tokens' },
      'usage_completions',
      /, bucket 2025-\S+, results\[0\]: at output_tokens: /,
    ],
  ];

  it.each(cases)('given %s when reading then system_error, exit 1, no records of that window', async (_name, malformation, stream, jsonPath) => {
    await serve(
      new FakeOpenAi({ firstDay: FIRST, days: 60, projects: 3, lineItems: 4, adminKey: KEY, malformed: { ...malformation, from: FROM } }),
      async (fake) => {
        const config = { admin_api_key: KEY, start_date: '2025-09-01', end_date: '2025-10-30', base_url: fake.baseUrl, max_window_days: 20 };
        const onWorkers = await readFailing(BINS.openai, stream, config);
        const onMain = await readFailing(BINS.openai, stream, { ...config, decode_threads: 0 });
        expect(onWorkers.message).toBe(onMain.message);
        const before =
          stream === 'costs'
            ? fake.org.expectedCosts(FIRST, FROM, ['project_id', 'line_item'])
            : fake.org.expectedUsage(stream, FIRST, FROM, '1d', usageEndpoint(stream).dims);
        const path = stream === 'costs' ? '/organization/costs' : '/organization/usage/completions';
        for (const failed of [onWorkers, onMain]) {
          expectNamed(failed, {
            stream,
            path,
            window: '[2025-09-21T00:00:00Z, 2025-10-11T00:00:00Z)',
            jsonPath,
            before,
            cursor: FROM,
          });
        }
      },
    );
  });
});

describe('Anthropic: a required field of the report envelope missing is a system_error naming endpoint, window and JSON path', () => {
  const KEY = 'sk-ant-admin01-E2E-REQUIRED-1a2b3c4d5e';
  const FIRST = day('2025-09-01');
  const options: FakeAnthropicOptions = { firstDay: FIRST, days: 60, adminKey: KEY };
  const config = (fake: FakeAnthropic) => ({ admin_api_key: KEY, start_date: '2025-09-01', end_date: '2025-10-30', base_url: fake.baseUrl });

  // cost_report windows hold at most 31 days: [09-01, 09-30) is read whole, [09-30, 10-31) is malformed.
  const FROM = day('2025-09-30');
  const cases: Array<[string, 'no_results' | 'no_has_more' | 'no_next_page', RegExp]> = [
    ['a bucket without results', 'no_results', /: at data\[0\]\.results: /],
    ['a page without has_more', 'no_has_more', /: at has_more: /],
    ['a page without next_page', 'no_next_page', /: at next_page: /],
  ];
  it.each(cases)(
    'given cost_report with %s when reading on decode workers and on the main thread then the same system_error, exit 1, no records of that window',
    async (_name, kind, jsonPath) => {
      await serve(new FakeAnthropic({ ...options, malformed: { kind, from: FROM } }), async (fake) => {
        const onWorkers = await readFailing(BINS.anthropic, 'cost_report', config(fake));
        const onMain = await readFailing(BINS.anthropic, 'cost_report', { ...config(fake), decode_threads: 0 });
        expect(onWorkers.message).toBe(onMain.message);
        for (const failed of [onWorkers, onMain]) {
          expectNamed(failed, {
            stream: 'cost_report',
            path: '/v1/organizations/cost_report',
            window: '[2025-09-30T00:00:00Z, 2025-10-31T00:00:00Z)',
            jsonPath,
            before: fake.org.expectedCostReport(FIRST, FROM),
            cursor: FROM,
          });
        }
      });
    },
  );

  it('given usage_claude_code pages without has_more from 2025-09-03 when reading then system_error naming that day and has_more, exit 1, the days before exact', async () => {
    const from = day('2025-09-03');
    await serve(new FakeAnthropic({ ...options, malformed: { kind: 'no_has_more', from } }), async (fake) => {
      const failed = await readFailing(BINS.anthropic, 'usage_claude_code', { ...config(fake), end_date: '2025-09-10' });
      expectNamed(failed, {
        stream: 'usage_claude_code',
        path: '/v1/organizations/usage_report/claude_code',
        window: '[2025-09-03T00:00:00Z, 2025-09-04T00:00:00Z)',
        jsonPath: /: at has_more: /,
        before: fake.org.expectedClaudeCode(FIRST, from),
        cursor: from,
      });
    });
  });
});

describe('Aurous: a field of the documented envelope missing is a system_error naming endpoint, window and JSON path', () => {
  const KEY = 'al_live_REQUIRED_5e4d3c2b1a';
  const FIRST = day('2026-06-01');
  // Windows hold at most 31 daily buckets: [06-01, 06-30) is read whole, [06-30, 07-31) is malformed.
  const FROM = day('2026-06-30');
  const options: FakeAurousOptions = { firstTime: FIRST, endTime: FIRST + 120 * 86_400, apiKey: KEY, users: 12, models: 3 };
  const cases: Array<[string, 'no_groups' | 'no_has_more' | 'no_next_page', RegExp]> = [
    ['a bucket without groups', 'no_groups', /: at data\[0\]\.groups: /],
    ['a page without has_more', 'no_has_more', /: at has_more: /],
    ['a page without next_page', 'no_next_page', /: at next_page: /],
  ];
  it.each(cases)('given %s when reading then system_error, exit 1, no records of that window', async (_name, kind, jsonPath) => {
    await serve(new FakeAurous({ ...options, malformed: { kind, from: FROM } }), async (fake) => {
      const failed = await readFailing(BINS.aurous, 'usage', { api_key: KEY, start_date: '2026-06-01', end_date: '2026-07-30', base_url: fake.baseUrl });
      expectNamed(failed, {
        stream: 'usage',
        path: '/v1/usage',
        window: '[2026-06-30T00:00:00Z, 2026-07-31T00:00:00Z)',
        jsonPath,
        before: fake.data.expected(FIRST, FROM, '1d', ['type', 'model']),
        cursor: FROM,
      });
    });
  });
});
