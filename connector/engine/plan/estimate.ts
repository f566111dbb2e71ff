/**
 * How many rows a bucketed stream's read will emit, for Airbyte's TRACE ESTIMATE (the platform's
 * progress bar). Derived from the plan and what was read, nothing else:
 * - once the windows are planned, before any request: one row per planned bucket (the plan's size,
 *   a placeholder until something is read);
 * - after each unit read: the rows read so far plus the buckets still to read times the rows per
 *   bucket seen so far (rounded to the nearest row).
 * Counts of rows, not money: plain integer arithmetic.
 */
export class RowEstimate {
  private read = 0;
  private rowsRead = 0;

  constructor(readonly plannedBuckets: number) {}

  /** A unit of `buckets` buckets was read and held `rows` rows. */
  add(buckets: number, rows: number): void {
    this.read += buckets;
    this.rowsRead += rows;
  }

  get bucketsRead(): number {
    return this.read;
  }

  get rowsSoFar(): number {
    return this.rowsRead;
  }

  /** The estimate now: a non-negative integer. */
  rows(): number {
    if (this.bucketsRead === 0) return this.plannedBuckets;
    const left = Math.max(0, this.plannedBuckets - this.bucketsRead);
    return this.rowsRead + Math.round((left * this.rowsRead) / this.bucketsRead);
  }
}
