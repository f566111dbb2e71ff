/**
 * The window planner: a pure function from a time range to request windows.
 * Windows are half-open [start, end) in unix seconds, aligned to the bucket
 * width, contiguous, non-overlapping, each holding at most `maxBuckets` buckets,
 * as few as possible, and never reaching past `end`. No I/O and no clock of its own: `now` is given.
 */
export interface Window {
  start: number;
  end: number;
}

interface PlanInput {
  /** Earliest time to read (inclusive). Floored to the bucket. */
  start: number;
  /** Latest time to read (exclusive). Ceiled to the bucket. */
  end: number;
  /** The injected clock: nothing at or after the bucket following `now` is planned. */
  now: number;
  bucketSeconds: number;
  maxBuckets: number;
}

export function planWindows(input: PlanInput): Window[] {
  const { bucketSeconds: step, maxBuckets } = input;
  if (!(step > 0) || !(maxBuckets >= 1)) throw new RangeError('bucketSeconds and maxBuckets must be positive');
  const first = Math.floor(input.start / step) * step;
  // The bucket containing `now` is the last one that exists (it is partial).
  const last = Math.min(Math.ceil(input.end / step) * step, (Math.floor(input.now / step) + 1) * step);
  const windows: Window[] = [];
  if (last <= first) return windows;
  // The fewest windows: ceil(buckets / maxBuckets). The remainder goes first, so every later
  // window is full and the last one (holding the unfinished bucket) is as large as allowed.
  const buckets = Math.round((last - first) / step);
  const count = Math.ceil(buckets / maxBuckets);
  let s = first;
  const firstSize = buckets - (count - 1) * maxBuckets;
  for (let i = 0; i < count; i++) {
    const size = i === 0 ? firstSize : maxBuckets;
    windows.push({ start: s, end: s + size * step });
    s += size * step;
  }
  return windows;
}

/** Bucket starts inside a window, in order. */
export function bucketStarts(window: Window, bucketSeconds: number): number[] {
  const out: number[] = [];
  for (let t = window.start; t < window.end; t += bucketSeconds) out.push(t);
  return out;
}

export const bucketCount = (window: Window, bucketSeconds: number): number => Math.round((window.end - window.start) / bucketSeconds);

/** Split a window into two halves on a bucket boundary (for windows of 2+ buckets). */
export function halve(window: Window, bucketSeconds: number): [Window, Window] {
  const n = bucketCount(window, bucketSeconds);
  if (n < 2) throw new RangeError('cannot halve a single-bucket window');
  const mid = window.start + Math.ceil(n / 2) * bucketSeconds;
  return [
    { start: window.start, end: mid },
    { start: mid, end: window.end },
  ];
}

/** A part of a range served by one segment of a stream (BucketStream.segments). */
export interface SegmentPiece extends Window {
  segment: number;
}

/**
 * Cut [start, end) where segments start: `starts[i]` is where segment i starts (starts[0] is
 * ignored: the first segment serves everything before the second). Pieces are in time order,
 * contiguous, non-empty, each inside one segment. A start earlier than the one before it is
 * taken as that one (the later segment then serves nothing). Pure: the starts are computed by
 * the caller from its clock.
 */
export function splitAtSegments(start: number, end: number, starts: readonly number[]): SegmentPiece[] {
  const pieces: SegmentPiece[] = [];
  const bounds = starts.map((s, i) => (i === 0 ? -Infinity : s));
  for (let i = 1; i < bounds.length; i++) bounds[i] = Math.max(bounds[i] as number, bounds[i - 1] as number);
  for (let i = 0; i < bounds.length; i++) {
    const s = Math.max(start, bounds[i] as number);
    const e = Math.min(end, bounds[i + 1] ?? Infinity);
    if (e > s) pieces.push({ start: s, end: e, segment: i });
  }
  return pieces;
}
