import type { Row } from '../stream.js';
import { isoDate, isoTime } from '../time.js';
import { col, type Column } from './columns.js';
import { RecordIdHasher } from './records.js';

/**
 * The columns every bucketed record starts with, declared once for every provider: its id, its
 * bucket's start and end, and (unless the provider's records have none) the UTC date of the start.
 * A provider names the start and end as its API does and says how it writes times.
 */
export interface BucketFields {
  /** The start field: the stream's cursor (OpenAI start_time, Anthropic starting_at, Aurous bucket_start). */
  start: string;
  /** The end field (exclusive). */
  end: string;
  /** How times are written: RFC 3339 UTC text, or unix seconds (an integer). */
  time: 'rfc3339' | 'unix';
  /** Whether a `date` column (the UTC date of the bucket start) follows. */
  date: boolean;
  /** What the id is a hash of, for its description. */
  id: string;
}

/** The bucket columns of a stream's records, in their order: id, start, end, date. */
export function bucketColumns(f: BucketFields): Column[] {
  const form = f.time === 'rfc3339' ? 'RFC 3339 UTC' : 'unix seconds';
  const time = (name: string, description: string): Column =>
    f.time === 'rfc3339'
      ? col(name, 'string', description, { notNull: true, from: null, format: 'date-time' })
      : col(name, 'integer', description, { notNull: true, from: null });
  return [
    col('id', 'string', f.id, { notNull: true, from: null }),
    time(f.start, `Bucket start, ${form} (inclusive). Cursor.`),
    time(f.end, `Bucket end, ${form} (exclusive).`),
    ...(f.date ? [col('date', 'string', 'UTC date of the bucket start.', { notNull: true, from: null, format: 'date' })] : []),
  ];
}

/**
 * The one way a bucketed record gets its bucket columns and its id: the fields of BucketFields
 * written from the bucket's start and end, and the id a null-safe hash (RecordIdHasher) of the
 * bucket start, then the record's key parts in the order the provider adds them. The texts of a
 * bucket and the hash of its start are computed once for all the records of that bucket.
 */
export class BucketRecords {
  private readonly atStart = new RecordIdHasher();
  private readonly hasher = new RecordIdHasher();
  private start = Number.NaN;
  private startText: string | number = '';
  private date = '';
  private end = Number.NaN;
  private endText: string | number = '';

  constructor(private readonly fields: BucketFields) {}

  /** Writes the bucket's start, end and date into `row`. */
  fill(row: Row, start: number, end: number): void {
    const f = this.fields;
    this.at(start);
    if (end !== this.end) {
      this.end = end;
      this.endText = f.time === 'rfc3339' ? isoTime(end) : end;
    }
    row[f.start] = this.startText;
    row[f.end] = this.endText;
    if (f.date) row.date = this.date;
  }

  /** A hasher that has taken the bucket start: add the record's key parts, then digest() is its id. */
  id(start: number): RecordIdHasher {
    this.at(start);
    return this.hasher.copy(this.atStart);
  }

  private at(start: number): void {
    if (start === this.start) return;
    this.start = start;
    this.startText = this.fields.time === 'rfc3339' ? isoTime(start) : start;
    this.date = this.fields.date ? isoDate(start) : '';
    this.atStart.reset().add(start);
  }
}
