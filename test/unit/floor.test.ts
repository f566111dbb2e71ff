import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY_DAYS } from '../../connector/engine/config.js';
import { floorNotices, planStream, read, type Emitter, type FloorNotice } from '../../connector/engine/read.js';
import { runOf } from '../../connector/engine/run.js';
import type { StreamState } from '../../connector/engine/state/state.js';
import type { BucketStream } from '../../connector/engine/stream.js';
import type { HttpClient } from '../../connector/http/client.js';
import type { AirbyteMessage } from '../../connector/protocol/messages.js';
import { analyticsFloor } from '../../connector/providers/anthropic/analytics.js';
import { anthropicSource } from '../../connector/providers/anthropic/index.js';
import { CONNECTORS } from '../../connector/connectors.js';
import { ROOT } from '../support/cli.js';
import { fillTemplate, kitsOf } from '../support/kit.js';
import { planner } from '../support/planned.js';
import { stub } from '../support/stub.js';
import type { AnthropicConfig } from '../../connector/providers/anthropic/config.js';
import { floorText, summaryLine } from '../../connector/warehouse/summary.js';
import type { StreamStats } from '../../connector/warehouse/loader.js';

/**
 * Streams whose API serves nothing before some time (Anthropic analytics: max(2026-01-01, today -
 * 365 days)) start there, with one notice naming what the user actually set (issue 23, point 2).
 * The clock is injected: 2026-12-05 (the floor is 2026-01-01) and 2027 (the floor is today - 365 days).
 */
const DAY = 86_400;
const at = (iso: string): number => Date.parse(iso) / 1000;
const day = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const NOW_2026 = at('2026-12-05T10:30:00Z');
const NOW_2027 = at('2027-03-10T12:00:00Z');
const FIRST_DAY = at('2026-01-01T00:00:00Z');

const streamDef = (name: string): BucketStream<AnthropicConfig> => {
  const def = anthropicSource.streams.find((s) => s.name === name);
  if (def?.kind !== 'buckets') throw new Error(`no bucketed stream ${name}`);
  return def;
};
const config = (extra: Record<string, unknown> = {}): AnthropicConfig =>
  anthropicSource.configSchema.parse({ admin_api_key: 'sk-ant-admin01-unit', ...extra }) as AnthropicConfig;

function plan(
  nowS: number,
  cfg: Record<string, unknown>,
  o: { stream?: string; state?: StreamState; mode?: 'incremental' | 'full_refresh' } = {},
): ReturnType<typeof planStream<AnthropicConfig>> {
  const c = config(cfg);
  const name = o.stream ?? 'analytics_cost';
  const clock = { now: () => nowS * 1000 };
  const states = new Map(o.state ? [[name, o.state]] : []);
  return planStream(
    { run: runOf({ config: c, common: anthropicSource.common(c, nowS * 1000), clock, streams: anthropicSource.streams }), states },
    { name, syncMode: o.mode ?? 'incremental' },
    streamDef(name),
  );
}

describe('planStream with an API floor (injected clock)', () => {
  it('given 2026-12-05 and a start_date of 2025-06-01 with no state when planned then the read starts at 2026-01-01 with one WARN naming start_date and nothing the user does not have', () => {
    const p = plan(NOW_2026, { start_date: '2025-06-01' });
    expect(p.windows[0]?.start).toBe(FIRST_DAY);
    expect(p.from).toBe(FIRST_DAY);
    expect(p.windows.every((w) => w.start >= FIRST_DAY)).toBe(true);
    expect(p.floor).toMatchObject({ stream: 'analytics_cost', floor: FIRST_DAY, requested: at('2025-06-01T00:00:00Z'), cause: 'start_date', level: 'WARN' });
    expect(p.floor?.message).toBe(
      'analytics_cost: start_date 2025-06-01 is before 2026-01-01, the first day /v1/organizations/analytics/cost serves (Anthropic analytics serve at most the last 365 days and nothing before 2026-01-01); the stream starts at 2026-01-01, without 2025-06-01..2025-12-31.',
    );
    expect(p.floor?.message).not.toMatch(/stored state|catalog|lookback/);
  });

  it('given 2027-03-10 and the production template start_date 2026-01-01 when planned then the floor is today - 365 days rounded up to a whole day and the read starts there', () => {
    const p = plan(NOW_2027, { start_date: '2026-01-01' });
    const floor = at('2026-03-11T00:00:00Z');
    expect(analyticsFloor(NOW_2027)).toBe(floor);
    expect(p.windows[0]?.start).toBe(floor);
    expect(p.floor).toMatchObject({ floor, cause: 'start_date', level: 'WARN' });
    expect(p.floor?.message).toContain('start_date 2026-01-01 is before 2026-03-11');
  });

  it('given no start_date when planned at any hour of 2026 or 2027 then the read starts at the later of the default start and the floor, and only a floor after the default is mentioned, as INFO', () => {
    for (const base of [NOW_2026, NOW_2027, at('2028-02-29T00:00:00Z')]) {
      for (let h = 0; h < 24; h++) {
        const nowS = base - (base % DAY) + h * 3600 + 17;
        const p = plan(nowS, {});
        const today = nowS - (nowS % DAY);
        const defaultStart = today - (DEFAULT_HISTORY_DAYS - 1) * DAY;
        expect(p.windows[0]?.start).toBe(Math.max(defaultStart, analyticsFloor(nowS)));
        if (analyticsFloor(nowS) > defaultStart) expect(p.floor).toMatchObject({ cause: 'default', level: 'INFO' });
        else expect(p.floor).toBeUndefined();
      }
    }
    // In 2027 the default never reaches before the analytics floor: nothing to say, nothing that expires.
    expect(plan(NOW_2027, {}).floor).toBeUndefined();
    expect(plan(NOW_2026, {}).floor?.message).toBe(
      'analytics_cost: start_date is not set: starting at 2026-01-01, the first day /v1/organizations/analytics/cost serves (Anthropic analytics serve at most the last 365 days and nothing before 2026-01-01).',
    );
  });

  it('given the state of a first run from the floor and the same start_date when planned again then there is no range before the floor, the read resumes at the cursor minus lookback and the notice still names start_date', () => {
    const cursor = at('2026-12-01T00:00:00Z');
    const p = plan(NOW_2026, { start_date: '2025-06-01', lookback_days: 3 }, { state: { version: 2, covered_from: FIRST_DAY, cursor } });
    expect(p.ranges).toEqual([{ from: cursor - 3 * DAY }]);
    expect(p.windows[0]?.start).toBe(cursor - 3 * DAY);
    expect(p.floor).toMatchObject({ cause: 'start_date', level: 'WARN', starts: FIRST_DAY });
    expect(p.floor?.message).not.toContain('stored state');
  });

  it('given a new user in 2027 whose first run started at the floor when run the next day then the floor has moved a day, the stored first day stays and the notice says where the stream really starts', () => {
    const firstFloor = at('2026-03-11T00:00:00Z');
    const nextDay = NOW_2027 + DAY;
    const cursor = nextDay - (nextDay % DAY) - DAY;
    const p = plan(nextDay, { start_date: '2026-01-01', lookback_days: 2 }, { state: { version: 2, covered_from: firstFloor, cursor } });
    expect(analyticsFloor(nextDay)).toBe(firstFloor + DAY);
    expect(p.ranges).toEqual([{ from: cursor - 2 * DAY }]);
    expect(p.floor).toMatchObject({ cause: 'start_date', level: 'WARN', floor: firstFloor + DAY, starts: firstFloor });
    expect(p.floor?.message).toContain('; the stream starts at 2026-03-11, without 2026-01-01..2026-03-10.');
    expect(floorText(p.floor)).toBe('; from 2026-03-11, stored when its API served it (it now serves from 2026-03-12; start_date 2026-01-01 is earlier)');
  });

  it('given a state whose covered_from is after the floor and a start_date before it when planned then the missing days from the floor are backfilled first, never before it', () => {
    const coveredFrom = at('2026-03-01T00:00:00Z');
    const cursor = at('2026-12-01T00:00:00Z');
    const p = plan(NOW_2026, { start_date: '2025-06-01', lookback_days: 3 }, { state: { version: 2, covered_from: coveredFrom, cursor } });
    expect(p.ranges).toEqual([{ from: FIRST_DAY, to: coveredFrom }, { from: cursor - 3 * DAY }]);
    expect(p.floor?.cause).toBe('start_date');
  });

  it('given a stored cursor before the floor when planned then the read starts at the floor and the WARN names the stored state and the days lost', () => {
    const cursor = at('2025-12-20T00:00:00Z');
    const p = plan(NOW_2026, { start_date: '2025-12-01', lookback_days: 3 }, { state: { version: 2, covered_from: at('2025-12-01T00:00:00Z'), cursor } });
    expect(p.windows[0]?.start).toBe(FIRST_DAY);
    expect(p.floor).toMatchObject({ cause: 'state', level: 'WARN', cursor });
    expect(p.floor?.message).toContain("the stored state's cursor 2025-12-20 is before 2026-01-01");
    expect(p.floor?.message).toContain('2025-12-20..2025-12-31 can no longer be read');
    expect(p.floor?.message).not.toContain('start_date');
  });

  it('given a stored cursor after the floor whose lookback reaches before it when planned then the re-read starts at the floor and the notice is INFO naming lookback_days', () => {
    // A state read in 2026 (when the floor was 2026-01-01), resumed in 2027 (the floor is 2026-03-11).
    const floor = at('2026-03-11T00:00:00Z');
    const cursor = floor + 2 * DAY;
    const p = plan(NOW_2027, { start_date: '2026-01-01', lookback_days: 7 }, { state: { version: 2, covered_from: FIRST_DAY, cursor } });
    expect(p.windows[0]?.start).toBe(floor);
    expect(p.floor).toMatchObject({ cause: 'lookback_days', level: 'INFO' });
    expect(p.floor?.message).toContain('lookback_days (7) before the stored cursor 2026-03-13 reaches 2026-03-06, before 2026-03-11');
    expect(p.floor?.message).not.toContain('start_date');
  });

  it('given no start_date and a state older than the default start when planned then the read resumes at the stored cursor (no gap), and for analytics names the stored cursor the floor has passed', () => {
    const cursor = at('2025-10-01T00:00:00Z');
    const state = { version: 2 as const, covered_from: at('2025-09-01T00:00:00Z'), cursor };
    const legacy = plan(NOW_2027, { lookback_days: 3 }, { stream: 'cost_report', state });
    expect(legacy.windows[0]?.start).toBe(cursor - 3 * DAY);
    expect(legacy.floor).toBeUndefined();
    const analytics = plan(NOW_2027, { lookback_days: 3 }, { state });
    expect(analytics.windows[0]?.start).toBe(analyticsFloor(NOW_2027));
    expect(analytics.floor).toMatchObject({ cause: 'state', level: 'WARN', cursor });
    expect(analytics.floor?.message).toContain("the stored state's cursor 2025-10-01 is before 2026-03-11");
  });

  it('given an end_date before the floor when planned then there is no window and the notice says nothing is read', () => {
    const p = plan(NOW_2026, { start_date: '2025-06-01', end_date: '2025-10-01' });
    expect(p.windows).toEqual([]);
    expect(p.floor?.message).toContain('the range asked for ends before it (end_date 2025-10-01): nothing to read');
  });

  it('given a stream without a floor (cost_report) when planned from before 2026 then it starts at start_date and says nothing', () => {
    const p = plan(NOW_2026, { start_date: '2025-06-01' }, { stream: 'cost_report' });
    expect(p.windows[0]?.start).toBe(at('2025-06-01T00:00:00Z'));
    expect(p.floor).toBeUndefined();
  });

  it('given random clocks, start_dates, lookbacks and states when planned then no window ever starts before the floor and the first starts exactly at max(requested, floor)', () => {
    let seed = 11;
    const r = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 500; i++) {
      const nowS = at('2026-01-20T00:00:00Z') + Math.floor(r() * 900 * DAY);
      const today = nowS - (nowS % DAY);
      const start = today - Math.floor(r() * 700) * DAY;
      const lookback = Math.floor(r() * 10);
      const withState = r() < 0.5;
      const cursor = Math.max(start, today - Math.floor(r() * 400) * DAY);
      const state = withState ? { version: 2 as const, covered_from: start + Math.floor(((cursor - start) / DAY) * r()) * DAY, cursor } : undefined;
      const p = plan(nowS, { start_date: day(start), lookback_days: lookback }, state ? { state } : {});
      const floor = analyticsFloor(nowS);
      expect(p.windows.every((w) => w.start >= floor)).toBe(true);
      const requested = withState && state ? Math.max(start, state.cursor - lookback * DAY) : start;
      if (p.floor) expect(p.floor.floor).toBe(floor);
      if (!withState || state?.covered_from === undefined || start >= (state?.covered_from ?? 0)) {
        expect(p.windows[0]?.start).toBe(Math.max(requested, floor));
        expect(p.floor !== undefined).toBe(requested < floor);
      }
    }
  });
});

describe('check and dry-run floor notices', () => {
  it('given a start_date before the floor and every bucketed stream when asked as check does then exactly the two analytics streams are named, each once', () => {
    const c = config({ start_date: '2025-06-01' });
    const catalog = anthropicSource.streams.filter((s) => s.kind === 'buckets').map((s) => ({ name: s.name, syncMode: 'incremental' as const }));
    const clock = { now: () => NOW_2026 * 1000 };
    const notices = floorNotices({
      run: runOf({ config: c, common: anthropicSource.common(c, clock.now()), streams: anthropicSource.streams, clock }),
      catalog,
      states: new Map(),
    });
    expect(notices.map((n) => [n.stream, n.cause, n.level])).toEqual([
      ['analytics_cost', 'start_date', 'WARN'],
      ['analytics_usage', 'start_date', 'WARN'],
    ]);
  });
});

describe('read with an API floor', () => {
  it('given a start_date and end_date before the floor when read then the stream says so once in a WARN and one TRACE ANALYTICS (no ERROR), sends nothing, completes and its state claims nothing', async () => {
    const c = config({ start_date: '2025-06-01', end_date: '2025-10-01' });
    const messages: AirbyteMessage[] = [];
    const warnings: string[] = [];
    const floors: FloorNotice[] = [];
    const emitter: Emitter = {
      emit: (m) => void messages.push(m),
      records: { kind: 'rows' },
      emitRecords: (_s, _r, written) => written(),
      ready: async () => undefined,
    };
    // Any request fails the test; a stream's view (forStream) is the same proxy.
    const http = stub<HttpClient>(
      new Proxy({}, { get: (_t, key, proxy) => (key === 'forStream' ? () => proxy : () => Promise.reject(new Error('no request expected'))) }),
    );
    const clock = { now: () => NOW_2026 * 1000 };
    const result = await read({
      run: runOf({ config: c, common: anthropicSource.common(c, clock.now()), streams: anthropicSource.streams, clock, errorContext: { authHint: () => '' } }),
      catalog: [{ name: 'analytics_cost', syncMode: 'incremental' }],
      states: new Map(),
      http,
      emitter,
      hooks: { onFloor: (_s, n) => void floors.push(n) },
      logger: { debug: () => undefined, info: () => undefined, warn: (m: string) => void warnings.push(m), error: () => undefined },
    });
    expect(result.failed).toEqual([]);
    expect(warnings).toEqual([
      'analytics_cost: start_date 2025-06-01 is before 2026-01-01, the first day /v1/organizations/analytics/cost serves (Anthropic analytics serve at most the last 365 days and nothing before 2026-01-01); the range asked for ends before it (end_date 2025-10-01): nothing to read.',
    ]);
    expect(floors.map((n) => n.cause)).toEqual(['start_date']);
    const traces = messages.flatMap((m) => (m.type === 'TRACE' && m.trace.type !== 'STREAM_STATUS' && m.trace.type !== 'ESTIMATE' ? [m.trace] : []));
    expect(traces).toEqual([
      {
        type: 'ANALYTICS',
        emitted_at: NOW_2026 * 1000,
        analytics: {
          type: 'stream-start-at-api-floor',
          value: '{"stream":"analytics_cost","floor":"2026-01-01T00:00:00Z","requested":"2025-06-01T00:00:00Z","cause":"start_date"}',
        },
      },
    ]);
    const states = messages.flatMap((m) => (m.type === 'STATE' ? [m.state.stream.stream_state] : []));
    expect(states).toEqual([{ version: 2, covered_from: FIRST_DAY, cursor: FIRST_DAY }]);
  });
});

describe('the sync summary of a stream that starts at its floor', () => {
  const stats = stub<StreamStats>({
    name: 'analytics_cost',
    kind: 'buckets',
    outcome: 'complete',
    rows: 3,
    inserted: 3,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    commits: 1,
    firstDay: '2026-01-01',
    lastDay: '2026-01-03',
    cursor: at('2026-01-04T00:00:00Z'),
    error: null,
    startedAt: 0,
    endedAt: 100,
  });
  const notice = (cause: FloorNotice['cause'], level: FloorNotice['level']): FloorNotice => ({
    stream: 'analytics_cost',
    floor: FIRST_DAY,
    requested: at('2025-06-01T00:00:00Z'),
    cursor: at('2025-12-20T00:00:00Z'),
    cause,
    level,
    message: '',
  });

  it('given a start_date before the floor when summarised then the line says where the stream starts and why', () => {
    expect(summaryLine(stats, 1, 100, notice('start_date', 'WARN'))).toBe(
      'analytics_cost: ok, 3 rows (3 inserted, 0 updated, 0 unchanged), 2026-01-01..2026-01-03 (3 days), 1 request, 0.1 s; from 2026-01-01, the first day its API serves (start_date 2025-06-01 is earlier)',
    );
    expect(floorText(notice('state', 'WARN'))).toBe('; from 2026-01-01, the first day its API serves (the stored cursor 2025-12-20 is earlier)');
  });

  it('given a default start or a shortened lookback when summarised then the line says nothing more', () => {
    expect(floorText(notice('default', 'INFO'))).toBe('');
    expect(floorText(notice('lookback_days', 'INFO'))).toBe('');
    expect(summaryLine(stats, 1, 100)).not.toContain('first day');
  });
});

const KITS = await kitsOf(CONNECTORS);
const PLANNERS = await Promise.all(KITS.map(async ({ connector, kit }) => ({ connector, kit, plan: planner(await connector.source()) })));

describe('the production templates (examples/production/*.json)', () => {
  it('given each template with its key filled in when validated and planned on any day from 2026-12-05 to 2030 then it is accepted, no stream starts before its API does and nothing is a warning: the templates never expire', () => {
    // Every registered connector's template: its key from its kit, its other placeholders from the kit's e2e.settings.
    for (const { connector, kit, plan } of PLANNERS) {
      const file = connector.provider;
      const raw = JSON.parse(readFileSync(join(ROOT, 'examples', 'production', `${file}.json`), 'utf8')) as Record<string, unknown>;
      expect(raw, file).not.toHaveProperty('start_date');
      const filled = { ...(fillTemplate(raw, kit.e2e.settings) as Record<string, unknown>), [kit.acceptance.keyField]: kit.e2e.key('unit') };
      expect(JSON.stringify(filled), file).not.toContain('REPLACE');
      for (const nowS of [NOW_2026, at('2027-01-02T08:00:00Z'), NOW_2027, at('2030-06-01T23:59:59Z')]) {
        const { common, notices } = plan(filled, nowS);
        expect(common.start, file).toBe(nowS - (nowS % DAY) - (DEFAULT_HISTORY_DAYS - 1) * DAY);
        expect(
          notices.filter((n) => n.level === 'WARN'),
          `${file} ${day(nowS)}`,
        ).toEqual([]);
      }
    }
  });
});
