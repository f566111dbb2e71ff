import { z } from 'zod';
import { testWindowReader } from '../support/window-reader.js';
import { describe, expect, it } from 'vitest';
import type { UnitRecords } from '../../connector/engine/fetch/buckets.js';
import { encodedRows } from '../../connector/engine/decode/decode.js';
import { ConnectorError } from '../../connector/engine/errors.js';
import { bucketPage } from '../../connector/engine/fetch/pages.js';
import { HALVE_ON_400, type FailRule, type HalveRule } from '../../connector/engine/fetch/responses.js';
import type { Window } from '../../connector/engine/plan/planner.js';
import type { BucketPlan } from '../../connector/engine/stream.js';
import { HttpError } from '../../connector/http/errors.js';

/**
 * "A 400 halves the window" is a response action a stream declares (BucketPlan.responses, a
 * 'halve' rule): the reader reads the window as two halves for an error a 'halve' rule matches,
 * fails at once for a 'fail' rule declared before it, and halves for nothing else.
 */
const DAY = 86_400;
const START = Date.UTC(2026, 0, 1) / 1000;
const TOO_WIDE = { status: 400, body: { error: { type: 'invalid_request_error', code: 'range_too_large', message: 'range too large' } } };
const REFUSED = { status: 400, body: { error: { type: 'invalid_request_error', code: 'bad_group_by', message: 'group_by refused' } } };

const refusal: FailRule<Window> = {
  when: { status: 400, code: 'bad_group_by' },
  action: 'fail',
  failureType: 'config_error',
  message: (e) => `refused: ${e.message ?? ''}`,
};
const halveTooWide: HalveRule = { when: { status: 400, code: 'range_too_large' }, action: 'halve' };

/** A fake report of daily buckets, one result per day: it answers 400 range_too_large for a window wider than `maxDays`, `reply` first when it says so. */
function reader(responses: BucketPlan['responses'], maxDays: number, reply?: (days: number) => { status: number; body: unknown } | undefined) {
  const windows: Array<[number, number]> = [];
  const warnings: string[] = [];
  const fetch = async (url: string) => {
    const q = new URL(url).searchParams;
    const from = Number(q.get('from'));
    const to = Number(q.get('to'));
    windows.push([(from - START) / DAY, (to - START) / DAY]);
    const days = (to - from) / DAY;
    const r = reply?.(days) ?? (days > maxDays ? TOO_WIDE : undefined);
    if (r) return new Response(JSON.stringify(r.body), { status: r.status });
    const data = Array.from({ length: days }, (_, i) => ({ start: from + i * DAY, end: from + (i + 1) * DAY, results: [{ day: (from - START) / DAY + i }] }));
    return new Response(JSON.stringify({ data, has_more: false, next_page: null }), { status: 200 });
  };
  const plan: BucketPlan = {
    path: '/report',
    api: {
      windowQuery: (w) => [
        ['from', String(w.start)],
        ['to', String(w.end)],
      ],
      nextPageQuery: (first) => first,
      ...bucketPage({ start: 'start', end: 'end', results: 'results' }, z.number().int()),
    },
    params: [],
    bucketSeconds: DAY,
    maxBuckets: 8,
    paging: { kind: 'cursor' },
    includeCurrentBucket: true,
    ...(responses ? { responses } : {}),
    toRecord: (bucket, result) => ({ id: String(bucket.start), day: (result as { day: number }).day }),
  };
  const r = testWindowReader(plan, { fetch, stream: 'report', maxRetries: 0, warn: (m) => warnings.push(m) });
  return { r, windows, warnings };
}

const days = (u: UnitRecords) => u.batches.flatMap((b) => encodedRows(b).rows).map((row) => row.day);
const EIGHT_DAYS = { start: START, end: START + 8 * DAY };

describe('a declared halve rule (engine/fetch/responses.ts, BucketPlan.responses)', () => {
  it('given a 400 range_too_large a halve rule matches when a window of 8 days is read then it is read as two halves of 4 days, every day once and in order', async () => {
    const { r, windows, warnings } = reader([refusal, halveTooWide], 4);
    expect(days(await r.read(EIGHT_DAYS))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(windows).toEqual([
      [0, 8],
      [0, 4],
      [4, 8],
    ]);
    expect(warnings).toEqual([
      `/report: window [2026-01-01T00:00:00Z, 2026-01-09T00:00:00Z) not served whole (HTTP 400 from /report?from=${START}&to=${START + 8 * DAY}: ${JSON.stringify(TOO_WIDE.body)}); using windows of at most 4 buckets`,
    ]);
    expect(r.windowBuckets).toBe(4);
  });

  it('given a server that serves at most 1 day when a window of 8 days is read then it is halved down to single days, and later windows start at the size that worked', async () => {
    const { r, windows } = reader([HALVE_ON_400], 1);
    expect(days(await r.read(EIGHT_DAYS))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(windows.filter(([a, b]) => b - a === 1)).toHaveLength(8);
    expect(r.windowBuckets).toBe(1);
    windows.length = 0;
    expect(days(await r.read({ start: START + 8 * DAY, end: START + 10 * DAY }))).toEqual([8, 9]);
    expect(windows).toEqual([
      [8, 9],
      [9, 10],
    ]);
  });

  it('given a 400 no rule matches when a window of 8 days is read then it fails at once with the HTTP error, not halved', async () => {
    const { r, windows } = reader([refusal], 4);
    const failure = await r.read(EIGHT_DAYS).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(HttpError);
    expect(windows).toEqual([[0, 8]]);
  });

  it('given a plan with no responses when a 400 comes then nothing halves it', async () => {
    const { r, windows } = reader(undefined, 4);
    await expect(r.read(EIGHT_DAYS)).rejects.toBeInstanceOf(HttpError);
    expect(windows).toHaveLength(1);
  });

  it('given a 400 a fail rule declared before the halve rule matches when a window is read then the fail rule wins: a config_error, one request', async () => {
    const { r, windows } = reader([refusal, HALVE_ON_400], 8, () => REFUSED);
    const failure = await r.read(EIGHT_DAYS).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ConnectorError);
    expect((failure as ConnectorError).failureType).toBe('config_error');
    expect((failure as Error).message).toBe('refused: group_by refused');
    expect(windows).toHaveLength(1);
  });

  it('given a halve rule and a 400 on a single day when read then the error is thrown: a day cannot be halved', async () => {
    const { r, windows } = reader([HALVE_ON_400], 0);
    await expect(r.read({ start: START, end: START + DAY })).rejects.toBeInstanceOf(HttpError);
    expect(windows).toEqual([[0, 1]]);
  });
});
