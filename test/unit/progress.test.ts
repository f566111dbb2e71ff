import { describe, expect, it } from 'vitest';
import { RowEstimate } from '../../connector/engine/plan/estimate.js';
import { duration, progressLine, streamProgressText, timeLeftMs, type ProgressItem } from '../../connector/warehouse/summary.js';

describe('row estimate (engine/plan/estimate.ts)', () => {
  it('given a plan of 120 buckets when nothing is read then the estimate is one row per planned bucket', () => {
    expect(new RowEstimate(120).rows()).toBe(120);
  });

  it('given 31 of 120 buckets read holding 620 rows when estimated then it is the rows read plus 89 buckets at 20 rows each', () => {
    const e = new RowEstimate(120);
    e.add(31, 620);
    expect(e.rows()).toBe(620 + 89 * 20);
    expect(e.bucketsRead).toBe(31);
    expect(e.rowsSoFar).toBe(620);
  });

  it('given a rate that is not whole when estimated then the rest is rounded to the nearest row', () => {
    const e = new RowEstimate(10);
    e.add(3, 10); // 7 buckets left at 10/3 rows: 23.33 -> 23
    expect(e.rows()).toBe(33);
  });

  it('given every bucket read when estimated then it is exactly the rows read, also for an empty read', () => {
    const e = new RowEstimate(5);
    e.add(2, 7);
    e.add(3, 4);
    expect(e.rows()).toBe(11);
    const empty = new RowEstimate(4);
    empty.add(4, 0);
    expect(empty.rows()).toBe(0);
  });
});

const item = (o: Partial<ProgressItem> & { name: string }): ProgressItem => ({ fraction: 0, done: false, rows: 0, ...o });

describe('sync progress line (warehouse/summary.ts)', () => {
  it('given durations when formatted then seconds, minutes or hours, rounded up', () => {
    expect(duration(0)).toBe('1 s');
    expect(duration(8_200)).toBe('9 s');
    expect(duration(89_000)).toBe('89 s');
    expect(duration(90_000)).toBe('2 min');
    expect(duration(125 * 60_000)).toBe('2 h 05 min');
  });

  it('given 2 of 8 buckets read in 10 s when the time left is computed then it is 30 s; none before the first or after the last', () => {
    expect(timeLeftMs({ done: 1, planned: 4, bucketsDone: 2, bucketsPlanned: 8, elapsedMs: 10_000 })).toBe(30_000);
    expect(timeLeftMs({ done: 0, planned: 4, bucketsDone: 0, bucketsPlanned: 8, elapsedMs: 10_000 })).toBeUndefined();
    expect(timeLeftMs({ done: 4, planned: 4, bucketsDone: 8, bucketsPlanned: 8, elapsedMs: 10_000 })).toBeUndefined();
  });

  it('given a stream planned, half read, or a list when rendered then windows done of planned, rows and time left', () => {
    const planned = { done: 0, planned: 4, bucketsDone: 0, bucketsPlanned: 120, elapsedMs: 0 };
    expect(streamProgressText(item({ name: 'usage_completions', windows: planned }))).toBe('usage_completions 0/4 windows, 0 rows, estimating');
    const half = { done: 2, planned: 4, bucketsDone: 62, bucketsPlanned: 120, elapsedMs: 6_200 };
    expect(streamProgressText(item({ name: 'usage_completions', rows: 1234, windows: half }))).toBe('usage_completions 2/4 windows, 1,234 rows, ~6 s left');
    expect(streamProgressText(item({ name: 'projects', rows: 1 }))).toBe('projects 1 row');
  });

  it('given one stream done and one half read when the line is drawn then the bar is their mean and the running stream shows its time left', () => {
    const line = progressLine(
      [
        item({ name: 'costs', done: true, rows: 500 }),
        item({ name: 'usage_completions', rows: 1234, windows: { done: 2, planned: 4, bucketsDone: 60, bucketsPlanned: 120, elapsedMs: 60_000 } }),
      ],
      200,
    );
    expect(line).toBe('[##################------]  75%  1/2 streams  1,734 rows  usage_completions 2/4 windows, 1,234 rows, ~60 s left');
  });

  it('given a narrow terminal when the line is drawn then it is cut to one less than its width', () => {
    const line = progressLine([item({ name: 'costs', windows: { done: 1, planned: 3, bucketsDone: 10, bucketsPlanned: 30, elapsedMs: 1_000 } })], 40);
    expect(line).toHaveLength(39);
    expect(line.startsWith('[########----------------]  33%  0/1')).toBe(true);
  });
});
