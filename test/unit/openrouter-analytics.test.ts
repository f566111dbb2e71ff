import { describe, expect, it, vi } from 'vitest';
import { encodedRows } from '../../connector/engine/decode/decode.js';
import type { UnitRecords } from '../../connector/engine/fetch/buckets.js';
import { segmentWindows } from '../../connector/engine/read.js';
import { activitySegments, analyticsPlan } from '../../connector/providers/openrouter/activity.js';
import { dayOf } from '../../connector/providers/openrouter/api.js';
import { analyticsPacer } from '../../connector/providers/openrouter/pace.js';
import type { FetchLike } from '../../connector/http/client.js';
import { testWindowReader } from '../support/window-reader.js';

/**
 * The analytics segment of OpenRouter's activity stream through the engine's WindowReader and
 * HttpClient (a stub fetch): the query is a POST of a JSON body (WindowIo.post, RequestHooks.body),
 * a truncated answer is split until whole, and a day still truncated fails rather than be partial.
 */
const DAY = 86_400;
const START = Date.UTC(2026, 2, 1) / 1000; // 2026-03-01
const iso = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

interface Sent {
  method: string | undefined;
  contentType: string | undefined;
  body: { time_range: { start: string; end: string }; dimensions: string[]; granularity: string; limit: number };
}

/** A stub analytics API: one row per day of the range (model m), truncated when the range holds more than `maxDays` days. */
function api(maxDays: number) {
  const sent: Sent[] = [];
  const fetch = (async (_url, init) => {
    const body = JSON.parse(init.body ?? '{}') as Sent['body'];
    sent.push({ method: init.method, contentType: init.headers['content-type'], body });
    const from = Date.parse(body.time_range.start) / 1000;
    const to = Date.parse(body.time_range.end) / 1000;
    const days = (to - from) / DAY;
    const rows = [];
    for (let t = to - DAY; t >= from && rows.length < maxDays; t -= DAY)
      rows.push({
        created_at__day: iso(t),
        model: 'm/x',
        credits_usage: 2.5e-7,
        byok_usage: null,
        request_count: '3',
        tokens_prompt: '1',
        tokens_completion: '2',
        reasoning_tokens: '5',
      });
    const payload = { data: { data: rows, metadata: { query_time_ms: 1, row_count: rows.length, truncated: days > maxDays } } };
    return new Response(JSON.stringify(payload), { status: 200 });
  }) satisfies FetchLike;
  return { fetch, sent };
}

const dates = (u: UnitRecords) => u.batches.flatMap((b) => encodedRows(b).rows).map((r) => r.date);

describe('OpenRouter analytics through the window reader', () => {
  it('given a window the API answers whole when read then one POST of the documented JSON body serves every day exactly', async () => {
    const { fetch, sent } = api(31);
    const records = await testWindowReader(analyticsPlan, { fetch, stream: 'activity' }).read({ start: START, end: START + 4 * DAY });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.method).toBe('POST');
    expect(sent[0]?.contentType).toBe('application/json');
    expect(sent[0]?.body).toMatchObject({
      dimensions: ['model'],
      granularity: 'day',
      limit: 1000,
      time_range: { start: '2026-03-01T00:00:00Z', end: '2026-03-05T00:00:00Z' },
    });
    expect(dates(records).sort()).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    const row = records.batches.flatMap((b) => encodedRows(b).rows)[0];
    expect(row).toMatchObject({ source: 'analytics', usage: '0.00000025', byok_usage_inference: '0', requests: 3, reasoning_tokens: 5 });
  });

  it('given answers truncated above 2 days when reading 8 days then the window is split in halves until whole and no day is lost or read twice', async () => {
    const { fetch, sent } = api(2);
    const records = await testWindowReader(analyticsPlan, { fetch, stream: 'activity' }).read({ start: START, end: START + 8 * DAY });
    const got = dates(records);
    expect([...got].sort()).toEqual(Array.from({ length: 8 }, (_, i) => iso(START + i * DAY)));
    expect(new Set(got).size).toBe(8);
    // 8 (truncated), 4 + 4 (truncated), then 2 x 4 served whole.
    expect(sent.map((s) => (Date.parse(s.body.time_range.end) - Date.parse(s.body.time_range.start)) / 1000 / DAY)).toEqual([8, 4, 2, 2, 4, 2, 2]);
  });

  it('given a window split in halves when read then every analytics POST first waits for the pacer (at most 60 per rolling minute), one wait per query', async () => {
    const { fetch, sent } = api(2);
    const order: string[] = [];
    const acquire = vi.spyOn(analyticsPacer, 'acquire').mockImplementation(async () => {
      order.push(`acquire ${order.length}`);
    });
    const counted: FetchLike = async (url, init) => {
      order.push(`post ${order.length}`);
      return fetch(url, init);
    };
    try {
      await testWindowReader(analyticsPlan, { fetch: counted, stream: 'activity' }).read({ start: START, end: START + 8 * DAY });
    } finally {
      acquire.mockRestore();
    }
    expect(sent).toHaveLength(7);
    expect(order.map((o) => o.split(' ')[0])).toEqual(Array.from({ length: 7 }, () => ['acquire', 'post']).flat());
  });

  it('given an answer truncated even for one day when read then the read fails naming the day, never a partial day', async () => {
    const { fetch } = api(0);
    await expect(testWindowReader(analyticsPlan, { fetch, stream: 'activity' }).read({ start: START, end: START + 2 * DAY })).rejects.toThrow(
      /2026-03-01 is truncated even for one day/,
    );
  });
});

describe('OpenRouter day text', () => {
  it('given the forms the API sends when parsed then each is its UTC midnight, and anything else is refused', () => {
    const t = Date.UTC(2026, 0, 15) / 1000;
    for (const s of ['2026-01-15', '2026-01-15 00:00:00', '2026-01-15T00:00:00.000Z', '2026-01-15T00:00:00Z']) expect(dayOf(s), s).toBe(t);
    for (const s of ['2026-01-15 12:00:00', '15-01-2026', '2026/01/15', '2026-02-30', '']) expect(dayOf(s), s).toBeNull();
  });
});

describe('OpenRouter activity segments', () => {
  it('given two clocks a day apart when the same range is planned then the analytics/activity boundary moves with the clock, today is never a window, and every day is in exactly one segment', () => {
    const at = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000;
    const plan = (now: string) => segmentWindows([{ from: at('2026-10-01') }], at('2027-01-01'), Date.parse(now) / 1000, activitySegments());
    for (const [now, boundary, lastDay] of [
      ['2026-12-05T00:10:00Z', '2026-11-05', '2026-12-04'],
      ['2026-12-06T23:59:00Z', '2026-11-06', '2026-12-05'],
    ] as const) {
      const windows = plan(now);
      const analytics = windows.filter((w) => w.segment === 0);
      const activity = windows.filter((w) => w.segment === 1);
      expect(analytics.at(-1)?.end, now).toBe(at(boundary));
      expect(activity[0]?.start, now).toBe(at(boundary));
      expect(activity.every((w) => w.end - w.start === DAY)).toBe(true);
      expect(activity.at(-1)?.start, now).toBe(at(lastDay));
      expect(activity).toHaveLength(30);
    }
  });
});

describe('what an OpenRouter analytics row must be', () => {
  const bucket = { start: START, end: START + DAY, results: [] };
  it('given a row whose amounts are null (unused components) when mapped then they are 0 and the row is kept', () => {
    const row = analyticsPlan.toRecord(bucket, { model: 'm', date__day: iso(START), credits_usage: null, byok_usage: null }, 0);
    expect([row.usage, row.byok_usage_inference, row.source]).toEqual(['0', '0', 'analytics']);
  });

  it('given a row without credits_usage (a renamed metric) when mapped then the read fails naming the path, never a day of $0', () => {
    expect(() => analyticsPlan.toRecord(bucket, { model: 'm', date__day: iso(START), byok_usage: null }, 0)).toThrow(
      /analytics\/query: unexpected row: .*credits_usage/,
    );
  });
});
