import { describe, expect, it } from 'vitest';
import { bucketCount, halve, planWindows, splitAtSegments } from '../../connector/engine/plan/planner.js';
import { planStream, plannedRequests, segmentWindows } from '../../connector/engine/read.js';
import type { z } from 'zod';
import type { BucketPlan, BucketStream, Page } from '../../connector/engine/stream.js';
import { stub } from '../support/stub.js';
import { runOf } from '../../connector/engine/run.js';
import { WHOLE_PAGE } from '../../connector/engine/fetch/pages.js';

const DAY = 86_400;
const H = 3_600;

/** A small seeded generator so property runs are reproducible. */
function rng(seed: number): () => number {
  let s = seed;
  return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
}

describe('planWindows', () => {
  it('given random ranges when planned then windows are contiguous, non-overlapping, aligned, within the maximum and never past the end or now', () => {
    const r = rng(7);
    for (let i = 0; i < 2_000; i++) {
      const step = [60, H, DAY][Math.floor(r() * 3)] as number;
      const span = step * 2_000; // up to ~2000 buckets per case keeps the run fast at every width
      const start = 1_700_000_000 + Math.floor(r() * span);
      const end = start + Math.floor(r() * span);
      const now = start + Math.floor(r() * span * 1.2);
      const maxBuckets = 1 + Math.floor(r() * 200);
      const windows = planWindows({ start, end, now, bucketSeconds: step, maxBuckets });
      const last = Math.min(Math.ceil(end / step) * step, (Math.floor(now / step) + 1) * step);
      if (windows.length === 0) {
        expect(Math.floor(start / step) * step).toBeGreaterThanOrEqual(last);
        continue;
      }
      expect(windows[0]?.start).toBe(Math.floor(start / step) * step);
      expect(windows.at(-1)?.end).toBe(last);
      const bad = windows.filter(
        (w, k) =>
          w.start % step !== 0 || w.end % step !== 0 || w.end <= w.start || bucketCount(w, step) > maxBuckets || (k > 0 && w.start !== windows[k - 1]?.end),
      );
      expect(bad).toEqual([]);
      const buckets = Math.round((last - Math.floor(start / step) * step) / step);
      expect(windows.length).toBe(Math.ceil(buckets / maxBuckets));
    }
  });

  it('given a clock in the middle of a day when planning days then the partial day is the last window and tomorrow is not planned', () => {
    const now = Date.UTC(2026, 0, 10, 15, 30) / 1000;
    const windows = planWindows({ start: Date.UTC(2026, 0, 1) / 1000, end: Date.UTC(2026, 1, 1) / 1000, now, bucketSeconds: DAY, maxBuckets: 180 });
    expect(windows).toEqual([{ start: Date.UTC(2026, 0, 1) / 1000, end: Date.UTC(2026, 0, 11) / 1000 }]);
  });

  it('given a one-year range and 180-day pages when planned then three windows cover it, the short one first', () => {
    const start = Date.UTC(2025, 0, 1) / 1000;
    const windows = planWindows({ start, end: start + 365 * DAY, now: start + 400 * DAY, bucketSeconds: DAY, maxBuckets: 180 });
    expect(windows.map((w) => bucketCount(w, DAY))).toEqual([5, 180, 180]);
  });

  it('given a start after the end when planned then there are no windows', () => {
    expect(planWindows({ start: 10 * DAY, end: 5 * DAY, now: 20 * DAY, bucketSeconds: DAY, maxBuckets: 7 })).toEqual([]);
  });

  it('given a window of an odd number of buckets when halved then both halves are aligned and cover it', () => {
    expect(halve({ start: 0, end: 5 * DAY }, DAY)).toEqual([
      { start: 0, end: 3 * DAY },
      { start: 3 * DAY, end: 5 * DAY },
    ]);
    expect(() => halve({ start: 0, end: DAY }, DAY)).toThrow(RangeError);
  });
});

describe('plan segments (a stream whose days are served by different plans by date)', () => {
  const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
  /** A plan that names itself in its path; daily buckets, `max` per window, never the current day. */
  const plan = (path: string, max: number): BucketPlan => ({
    path,
    api: {
      windowQuery: (w) => [
        ['from', String(w.start)],
        ['to', String(w.end)],
      ],
      nextPageQuery: (q) => q,
      page: stub<z.ZodType<Page>>({}),
      shape: WHOLE_PAGE,
    },
    params: [],
    bucketSeconds: DAY,
    maxBuckets: max,
    paging: { kind: 'cursor' },
    includeCurrentBucket: false,
    toRecord: () => ({}),
  });
  /** The second segment starts 365 days before now, rounded up to a day, and never before 2026-01-01 (Anthropic's analytics floor). */
  const floor = (nowS: number): number => Math.max(at('2026-01-01'), Math.ceil((nowS - 365 * DAY) / DAY) * DAY);
  const stream: BucketStream<null> = {
    kind: 'buckets',
    name: 's',
    description: '',
    schema: {},
    primaryKey: [['id']],
    cursorField: 'starting_at',
    plan: () => plan('/old', 31),
    segments: () => [{ plan: plan('/old', 31) }, { from: floor, plan: plan('/new', 10) }],
  };
  const planAt = (nowIso: string, start: string, end: string) =>
    planStream(
      {
        run: runOf({ config: null, common: { start: at(start), end: at(end), lookbackDays: 0 }, clock: { now: () => Date.parse(nowIso) }, streams: [stream] }),
        states: new Map(),
      },
      { name: 's', syncMode: 'incremental' },
      stream,
    );

  it('given starts when a range is split then the pieces are contiguous, in order, each inside its segment, and empty ones are dropped', () => {
    expect(splitAtSegments(0, 100, [-Infinity, 40, 70])).toEqual([
      { start: 0, end: 40, segment: 0 },
      { start: 40, end: 70, segment: 1 },
      { start: 70, end: 100, segment: 2 },
    ]);
    expect(splitAtSegments(50, 60, [-Infinity, 40, 70])).toEqual([{ start: 50, end: 60, segment: 1 }]);
    expect(splitAtSegments(0, 30, [-Infinity, 40])).toEqual([{ start: 0, end: 30, segment: 0 }]);
    // A later segment whose start comes before an earlier one's serves nothing.
    expect(splitAtSegments(0, 100, [-Infinity, 60, 50])).toEqual([
      { start: 0, end: 60, segment: 0 },
      { start: 60, end: 100, segment: 2 },
    ]);
    expect(splitAtSegments(0, 100, [123])).toEqual([{ start: 0, end: 100, segment: 0 }]);
  });

  it('given 2025-12-01 to 2026-02-28 on 2026-12-05 when planned then December is read by the first plan and January on by the second, cut at 2026-01-01, each within its own window size', () => {
    const { windows, plans } = planAt('2026-12-05T10:00:00Z', '2025-12-01', '2026-03-01');
    expect(plans.map((p) => p.path)).toEqual(['/old', '/new']);
    expect(windows[0]).toEqual({ start: at('2025-12-01'), end: at('2026-01-01'), segment: 0 });
    expect(windows.slice(1).every((w) => w.segment === 1 && bucketCount(w, DAY) <= 10)).toBe(true);
    expect(windows[1]?.start).toBe(at('2026-01-01'));
    expect(windows.at(-1)?.end).toBe(at('2026-03-01'));
    for (let i = 1; i < windows.length; i++) expect(windows[i]?.start).toBe(windows[i - 1]?.end);
  });

  it('given a later clock when planned then the boundary moves with it (now - 365 days), and a range wholly on one side is read by one plan only', () => {
    const later = planAt('2027-02-10T08:00:00Z', '2025-12-01', '2026-03-01').windows;
    const cut = at('2026-02-11');
    expect(later.filter((w) => w.segment === 0).at(-1)?.end).toBe(cut);
    expect(later.find((w) => w.segment === 1)?.start).toBe(cut);
    expect(later.every((w) => (w.segment === 0 ? w.end <= cut : w.start >= cut))).toBe(true);
    expect(planAt('2026-12-05T10:00:00Z', '2026-02-01', '2026-03-01').windows.every((w) => w.segment === 1)).toBe(true);
    expect(planAt('2026-12-05T10:00:00Z', '2025-11-01', '2025-12-01').windows.every((w) => w.segment === 0)).toBe(true);
  });

  it('given a segment that must not read the current bucket when the range ends after now then its last window stops at the start of today', () => {
    const windows = segmentWindows([{ from: at('2026-11-20') }], at('2026-12-31'), Date.parse('2026-12-05T10:00:00Z') / 1000, stream.segments?.(null) ?? []);
    expect(windows.at(-1)?.end).toBe(at('2026-12-05'));
    expect(windows.every((w) => w.segment === 1)).toBe(true);
  });

  it("given a dry run when planned then each window is asked of its own segment's path", () => {
    const planned = plannedRequests({
      run: runOf({
        config: null,
        common: { start: at('2025-12-20'), end: at('2026-01-05'), lookbackDays: 0 },
        clock: { now: () => Date.parse('2026-12-05T10:00:00Z') },
        streams: [stream],
      }),
      states: new Map(),
      catalog: [{ name: 's', syncMode: 'incremental' }],
    });
    expect(planned.map((p) => ('path' in p ? [p.path, p.window.start, p.window.end] : []))).toEqual([
      ['/old', at('2025-12-20'), at('2026-01-01')],
      ['/new', at('2026-01-01'), at('2026-01-05')],
    ]);
  });
});
