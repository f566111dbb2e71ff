import { LineBuffer, recordLine } from '../protocol/lines.js';
import { parseJsonBody } from '../http/client.js';
import { ConnectorError, systemError } from './errors.js';
import type { Window } from './planner.js';
import type { Bucket, BucketPlan, Page, Row } from './stream.js';
import { isoTime } from './time.js';
import { describeZodError } from './validation.js';

/**
 * From a response body to records, with no I/O: the envelope check, the per-result mapping and
 * duplicate-key check, and (for decode workers) the serialisation of a page's records as RECORD
 * lines. The main thread and the decode workers run the same functions.
 */
export const describeWindow = (w: Window): string => `[${isoTime(w.start)}, ${isoTime(w.end)})`;

/** A response body as a Page, validated by the plan's envelope schema. */
export function parsePage(plan: BucketPlan, body: unknown, window: Window): Page {
  const parsed = plan.api.page.safeParse(body);
  if (!parsed.success) {
    throw systemError(`${plan.path}: unexpected response for window ${describeWindow(window)}: ${describeZodError(parsed.error, body)}`);
  }
  return parsed.data;
}

/**
 * Validate and map every result of a bucket, in order, handing each record to `use` (the
 * reader keeps the row; a decode worker keeps only its line). Ids include the bucket start,
 * so a duplicate can only occur within one bucket.
 */
export function forEachRow(plan: BucketPlan, bucket: Bucket, window: Window, use: (row: Row) => void): void {
  const ids = new Set<unknown>();
  bucket.results.forEach((result, i) => {
    let row: Row;
    try {
      row = plan.toRecord(bucket, result, i);
    } catch (err) {
      throw wrapValidation(err, `${plan.path} window ${describeWindow(window)}, bucket ${isoTime(bucket.start)}, results[${i}]`);
    }
    if (ids.has(row.id)) {
      throw systemError(
        `${plan.path}: two results with the same dimensions in bucket ${isoTime(bucket.start)} of window ${describeWindow(window)}; refusing to emit a duplicate key.`,
      );
    }
    ids.add(row.id);
    use(row);
  });
}

function wrapValidation(err: unknown, where: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return systemError(`unexpected response at ${where}: ${message}`);
}

/**
 * A body as a Page whose buckets inside `window` carry their records as RECORD lines of
 * `stream` (Bucket.encoded, results emptied), all in one buffer the page's buckets share.
 * Buckets outside the window are left unmapped: the reader ignores them. `spare` offers memory
 * to write the lines into. Throws NotJsonError for a body that is not JSON.
 */
export function encodePage(
  plan: BucketPlan,
  stream: string,
  body: Uint8Array,
  window: Window,
  emittedAt: number,
  spare?: () => ArrayBuffer | undefined,
): { page: Page; buffer: ArrayBuffer } {
  const page = parsePage(plan, parseJsonBody(body), window);
  // Lines come out a little longer than results go in; untouched capacity costs no memory.
  const out = new LineBuffer(2 * body.byteLength, spare?.());
  const spans: Array<[Bucket, number, number, number]> = [];
  for (const bucket of page.buckets) {
    if (bucket.start >= window.start && bucket.start < window.end) {
      const from = out.length;
      let count = 0;
      forEachRow(plan, bucket, window, (row) => {
        out.push(recordLine(stream, row, emittedAt));
        count += 1;
      });
      spans.push([bucket, from, out.length, count]);
    }
    bucket.results = [];
  }
  for (const [bucket, from, to, count] of spans) bucket.encoded = { count, bytes: out.view(from, to) };
  return { page, buffer: out.arrayBuffer };
}
