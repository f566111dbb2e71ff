import { describe, expect, it } from 'vitest';
import { bucketCount, halve, planWindows } from '../../connector/engine/planner.js';

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
