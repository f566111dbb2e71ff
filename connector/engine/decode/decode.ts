import { LineBuffer, recordLineWriter } from '../../protocol/lines.js';
import { bodyText, NotJsonError, parseJsonBody } from '../../http/client.js';
import { ConnectorError, systemError } from '../errors.js';
import type { Window } from '../plan/planner.js';
import { ZodError } from 'zod';
import type { Bucket, BucketApi, BucketPlan, EncodedRecords, Page, Row } from '../stream.js';
import { isoTime } from '../time.js';
import { describeZodError } from '../columns/validation.js';
import { PageScanner, type ArrayMember, type ScannedBucket } from './json-scan.js';
import type { PageShape } from '../fetch/pages.js';
import type { NoticeSink } from '../notices.js';

/**
 * From a response body to records, with no I/O: the envelope check, the per-result mapping and
 * duplicate-key check, and (for decode workers) the serialisation of a page's records as RECORD
 * lines or rows for the output. The main thread and the decode workers run the same functions.
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
export function forEachRow(
  plan: BucketPlan,
  bucket: Bucket,
  window: Window,
  use: (row: Row) => void,
  results: Iterable<readonly unknown[]> = [bucket.results],
  notice?: NoticeSink,
): void {
  const ids = new Set<unknown>();
  const key = plan.idField ?? 'id';
  let i = -1;
  for (const chunk of results)
    for (const result of chunk) {
      i += 1;
      let row: Row;
      try {
        row = plan.toRecord(bucket, result, i, notice);
      } catch (err) {
        throw wrapValidation(err, `${plan.path} window ${describeWindow(window)}, bucket ${isoTime(bucket.start)}, results[${i}]`);
      }
      // One lookup, not has() then add(): the set grew unless the id was in it.
      const size = ids.size;
      if (ids.add(row[key]).size === size) {
        throw systemError(
          `${plan.path}: two results with the same dimensions in bucket ${isoTime(bucket.start)} of window ${describeWindow(window)}; refusing to emit a duplicate key.`,
        );
      }
      use(row);
    }
}

function wrapValidation(err: unknown, where: string): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return systemError(`unexpected response at ${where}: ${message}`);
}

/**
 * The form an output takes its records in (Emitter.records): RECORD lines of the Airbyte
 * protocol, Singer RECORD lines of each stream's selected fields, column lines (the warehouse,
 * ColumnsFormat), or the rows themselves. Plain data: decode workers are told it and encode pages the same way.
 */
export type RecordFormat = { kind: 'airbyte' } | { kind: 'singer'; fields: Record<string, readonly string[] | null> } | ColumnsFormat | { kind: 'rows' };

/**
 * One JSON object per record whose members are the texts of a stream's columns (valueText), keyed
 * by their position in `streams[stream]` ("0", "1", ...; null values left out), then the
 * extraction time (ISO 8601, milliseconds) keyed by the next position: what the warehouse loader
 * hands DuckDB's read_json to stage as VARCHAR, with no parse on its own thread.
 */
export interface ColumnsFormat {
  kind: 'columns';
  streams: Record<string, ReadonlyArray<{ name: string; json: boolean }>>;
}

/**
 * A record value as text, as the warehouse stages it (VARCHAR, cast to the column's type in SQL):
 * numbers in JavaScript's shortest round-trip form (a DOUBLE gets back exactly the double the API
 * sent; not finite: null), booleans as true/false, values of JSON columns (`json`) and objects
 * serialised JSON.
 */
export function valueText(value: unknown, json: boolean): string | null {
  if (value === null || value === undefined) return null;
  if (json) return JSON.stringify(value);
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : null;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    default:
      return JSON.stringify(value);
  }
}

/** A record of `stream` as a line of ColumnsFormat; the columns' keys are quoted once, not per record. */
function columnsLineWriter(format: ColumnsFormat, stream: string, emittedAt: number): (row: Row) => string {
  const columns = format.streams[stream];
  if (!columns) throw new Error(`no columns for stream '${stream}' in the warehouse's record format`);
  const keys = columns.map((_, i) => `"${i}":`);
  const at = `"${columns.length}":"${new Date(emittedAt).toISOString()}"`;
  return (row) => {
    let line = '{';
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i] as { name: string; json: boolean };
      const text = valueText(row[c.name], c.json);
      if (text !== null) line += `${keys[i]}${JSON.stringify(text)},`;
    }
    return `${line}${at}}`;
  };
}

/**
 * A record as one line of `format` (no newline), byte for byte what the output would serialise;
 * what is the same for every record of a stream (its selected fields, the extraction time) is
 * worked out once, not per record.
 */
function lineWriter(format: Exclude<RecordFormat, { kind: 'rows' }>, stream: string, emittedAt: number): (row: Row) => string {
  if (format.kind === 'airbyte') return recordLineWriter(stream, emittedAt);
  if (format.kind === 'columns') return columnsLineWriter(format, stream, emittedAt);
  const selected = format.fields[stream];
  const fields = selected ? new Set(selected) : null;
  const timeExtracted = new Date(emittedAt).toISOString();
  return (row) => {
    const data = fields ? Object.fromEntries(Object.entries(row).filter(([k]) => fields.has(k))) : row;
    return JSON.stringify({ type: 'RECORD', stream, record: data, time_extracted: timeExtracted });
  };
}

/**
 * Encodes records of one stream in `format`, in batches (one per bucket): lines go into one
 * buffer the batches share (transferable), rows into arrays. `capacity` sizes the buffer;
 * `spare` offers memory to write into.
 */
export class RecordEncoder {
  private readonly lines: LineBuffer | undefined;
  private readonly line: ((row: Row) => string) | undefined;
  private rows: Row[] = [];
  private readonly batchRows: Row[][] = [];
  private from = 0;
  private count = 0;
  private readonly cuts: Array<[number, number, number]> = [];

  constructor(
    private readonly format: RecordFormat,
    stream: string,
    private readonly emittedAt: number,
    capacity?: number,
    spare?: ArrayBuffer,
  ) {
    this.lines = format.kind === 'rows' ? undefined : new LineBuffer(capacity, spare);
    this.line = format.kind === 'rows' ? undefined : lineWriter(format, stream, emittedAt);
  }

  readonly push = (row: Row): void => {
    this.count += 1;
    if (this.line) this.lines?.push(this.line(row));
    else this.rows.push(row);
  };

  /** Ends the current batch; its records come out of batches(), in cut order. */
  cut(): number {
    const to = this.lines?.length ?? 0;
    this.cuts.push([this.from, to, this.count]);
    this.from = to;
    this.count = 0;
    if (this.format.kind === 'rows') this.batchRows.push(this.rows);
    this.rows = [];
    return this.cuts.length - 1;
  }

  /** Every batch cut so far. Take them once every record is in: lines may move to a larger buffer while they are pushed. */
  batches(): EncodedRecords[] {
    return this.cuts.map(([from, to, count], i): EncodedRecords => {
      if (this.lines) return { count, lines: this.lines.view(from, to) };
      return { count, rows: this.batchRows[i] as Row[], emittedAt: this.emittedAt };
    });
  }

  /** The memory the lines share, to transfer to another thread (none for rows). */
  get transfer(): ArrayBuffer[] {
    return this.lines ? [this.lines.arrayBuffer] : [];
  }
}

/**
 * A body as a Page whose buckets inside `window` carry their records encoded for the output
 * (Bucket.encoded, results emptied), the lines of all of them in one buffer. Buckets outside
 * the window are left unmapped: the reader ignores them. With `ids`, each bucket also names
 * its records' ids (Bucket.ids), for a check across pages. `spare` offers memory to write the
 * lines into. Throws NotJsonError for a body that is not JSON. The body whole, as one chunk of
 * a PageStreamDecoder (the main thread's path; a decode worker feeds the chunks as they come).
 */
export function encodePage(
  plan: BucketPlan,
  stream: string,
  format: RecordFormat,
  body: Uint8Array,
  window: Window,
  emittedAt: number,
  o: EncodeOptions = {},
): { page: Page; transfer: ArrayBuffer[] } {
  const decoder = new PageStreamDecoder(plan, stream, format, window, emittedAt, { ...o, capacity: 2 * body.byteLength });
  decoder.push(body);
  return decoder.end();
}

/**
 * `ids`: name each bucket's record ids (Bucket.ids); `spare`: memory to write the lines into;
 * `joined`: a join's companion records by bucket start (BucketPlan.join), handed to the mapping
 * of each bucket as Bucket.joined; `capacity`: the bytes the lines are expected to take (they
 * come out a little longer than the body's results; untouched capacity costs no memory).
 */
export interface EncodeOptions {
  ids?: boolean;
  spare?: ArrayBuffer | undefined;
  joined?: ReadonlyMap<number, readonly Row[]>;
  capacity?: number | undefined;
}

/** Results parsed at a time: their objects die young (a worker's young generation is small), a bucket's thousands would not. */
const RESULTS_PER_CHUNK = 256;

/** The text of b[start, end) with b[hole.start, hole.end) (inside it) left out: JSON with an empty array in its place. */
const textWithout = (b: Uint8Array, start: number, end: number, hole: ArrayMember): string =>
  `${bodyText(b.subarray(start, hole.start))}[]${bodyText(b.subarray(hole.end, end))}`;

/** The start of a body kept for a NotJsonError's excerpt (bodyExcerpt reads no more). */
const EXCERPT_SOURCE_BYTES = 1200;
/** describeZodError quotes this many characters of the body's JSON: buckets and results are kept (parsed) until they make that many. */
const EXCERPT_CHARS = 160;

/** A body that is not JSON, found while decoding it. */
class BrokenBody extends Error {}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BrokenBody();
  }
}

/**
 * A page decoded as its bytes arrive (push), bucket by bucket, and never held whole: a page
 * whose plan declares its shape as buckets (PageShape) is scanned (json-scan.ts), each bucket
 * checked, mapped and encoded once its last byte is in and then dropped; a page of shape
 * `whole` is gathered and parsed at the end. end() gives the page, or throws exactly what
 * parsing the whole body would: NotJsonError if any of it is not JSON, else the first issue of
 * the page schema (the buckets' in order, then the envelope's), else the first mapping error.
 */
export class PageStreamDecoder {
  private readonly shape: PageShape;
  private readonly scanner: PageScanner | undefined;
  private encoder: PageEncoder;
  /** Shape `whole`: the body so far. */
  private whole: Uint8Array[] = [];
  private start = new Uint8Array(0);
  private broken = false;
  /** Index of the next bucket of the current `data`. */
  private k = 0;
  /** The first issue of a bucket's check, and its index. */
  private issue: { error: ZodError; k: number } | undefined;
  /** The first error of the mapping, kept until the whole body has been seen (an issue or broken JSON later on wins). */
  private failure: unknown;
  /** The first buckets and results, parsed again, for the body excerpt of an issue. */
  private readonly kept: Array<{ value: unknown; results: unknown[] | null }> = [];
  private keptChars = 0;

  constructor(
    private readonly plan: BucketPlan,
    private readonly stream: string,
    private readonly format: RecordFormat,
    private readonly window: Window,
    private readonly emittedAt: number,
    private readonly o: EncodeOptions = {},
  ) {
    this.shape = pageShape(plan);
    this.encoder = this.newEncoder();
    this.scanner =
      this.shape.kind === 'buckets' ? new PageScanner(this.shape.results, { data: () => this.restart(), bucket: (b) => this.bucket(b) }) : undefined;
  }

  push(chunk: Uint8Array): void {
    if (this.start.byteLength < EXCERPT_SOURCE_BYTES) {
      const more = chunk.subarray(0, EXCERPT_SOURCE_BYTES - this.start.byteLength);
      const start = new Uint8Array(this.start.byteLength + more.byteLength);
      start.set(this.start);
      start.set(more, this.start.byteLength);
      this.start = start;
    }
    if (this.scanner) this.scanner.push(chunk);
    else this.whole.push(chunk.slice());
  }

  /** The start of the body, for the excerpt of a NotJsonError (bodyExcerpt). */
  get bodyStart(): Uint8Array {
    return this.start;
  }

  end(): { page: Page; transfer: ArrayBuffer[] } {
    if (!this.scanner) return this.endWhole();
    const envelope = this.scanner.end();
    if (this.broken || !envelope) throw new NotJsonError();
    let value: unknown;
    try {
      value = parsed(bodyText(Buffer.concat(envelope)));
    } catch {
      throw new NotJsonError();
    }
    const shape = this.shape as Extract<PageShape, { kind: 'buckets' }>;
    if (!isRecord(value)) {
      // Not an object: the whole body, which the page schema refuses.
      parsePage(this.plan, value, this.window);
      throw systemError(`${this.plan.path}: unexpected response for window ${describeWindow(this.window)}: not an object`);
    }
    if (this.issue) {
      // Named where it is in the page: data[k].
      const { error, k } = this.issue;
      throw this.unexpected(new ZodError(error.issues.map((issue) => ({ ...issue, path: ['data', k, ...issue.path] }))), value);
    }
    const head = shape.envelope.safeParse(value);
    if (!head.success) throw this.unexpected(head.error, value);
    if (this.failure !== undefined) throw this.failure;
    return this.encoder.done(head.data.hasMore, head.data.nextPage);
  }

  private endWhole(): { page: Page; transfer: ArrayBuffer[] } {
    const body = Buffer.concat(this.whole);
    this.whole = [];
    const page = parsePage(this.plan, parseJsonBody(body), this.window);
    for (const bucket of page.buckets) this.encoder.add(bucket);
    return this.encoder.done(page.hasMore, page.nextPage);
  }

  private unexpected(error: ZodError, envelope: Record<string, unknown>): ConnectorError {
    const key = this.resultsKey;
    const kept = this.kept.map(({ value, results }) => (results && isRecord(value) ? { ...value, [key]: results } : value));
    const data = Array.isArray(envelope.data) ? kept : envelope.data;
    // The body as far as the excerpt reads it: the envelope with the buckets and results kept.
    const body = { ...envelope, ...('data' in envelope ? { data } : {}) };
    return systemError(`${this.plan.path}: unexpected response for window ${describeWindow(this.window)}: ${describeZodError(error, body)}`);
  }

  private get resultsKey(): string {
    return (this.shape as Extract<PageShape, { kind: 'buckets' }>).results;
  }

  private newEncoder(): PageEncoder {
    return new PageEncoder(this.plan, this.stream, this.format, this.window, this.emittedAt, this.o);
  }

  /** A `data` member starts: JSON.parse keeps the last, so whatever an earlier one held is forgotten (but must have been JSON). */
  private restart(): void {
    this.k = 0;
    this.issue = undefined;
    this.failure = undefined;
    this.kept.length = 0;
    this.keptChars = 0;
    if (this.encoder.used) this.encoder = this.newEncoder();
  }

  private bucket({ bytes, results }: ScannedBucket): void {
    const k = this.k++;
    if (this.broken) return;
    try {
      this.decodeBucket(k, bytes, results);
    } catch (err) {
      if (err instanceof BrokenBody) this.broken = true;
      else throw err;
    }
  }

  private decodeBucket(k: number, bytes: Uint8Array, results: ArrayMember | undefined): void {
    const shape = this.shape as Extract<PageShape, { kind: 'buckets' }>;
    const key = shape.results;
    const value = parsed(results ? textWithout(bytes, 0, bytes.byteLength, results) : bodyText(bytes));
    const chunks = (): Iterable<readonly unknown[]> => {
      if (results) return resultChunks(bytes, results);
      const all = isRecord(value) ? value[key] : undefined;
      return [Array.isArray(all) ? all : []];
    };
    this.keep(value, bytes, results);
    const checked = shape.bucket.safeParse(value);
    if (!checked.success || this.issue || this.failure !== undefined) {
      if (!checked.success) this.issue ??= { error: checked.error, k };
      for (const _ of chunks()); // JSON all the same: a body that is not JSON anywhere is retried
      return;
    }
    const bucket: Bucket = { start: checked.data.start, end: checked.data.end, results: [] };
    try {
      this.encoder.add(bucket, chunks());
    } catch (err) {
      if (err instanceof BrokenBody) throw err;
      this.failure = err;
      for (const _ of chunks());
    }
  }

  /**
   * Keeps the first buckets and results (parsed again: the mapping gets its own) until they make
   * EXCERPT_CHARS of JSON and more: the body rebuilt from them and the envelope reads the same as
   * far as describeZodError quotes it.
   */
  private keep(value: unknown, bytes: Uint8Array, results: ArrayMember | undefined): void {
    if (this.keptChars >= 2 * EXCERPT_CHARS) return;
    if (!results || !isRecord(value)) {
      const whole = parsed(bodyText(bytes));
      this.kept.push({ value: whole, results: null });
      this.keptChars += JSON.stringify(whole)?.length ?? 0;
      return;
    }
    const entry = { value, results: [] as unknown[] };
    this.kept.push(entry);
    for (const [s, e] of results.elements) {
      if (this.keptChars >= 2 * EXCERPT_CHARS) return;
      const r = parsed(bodyText(bytes.subarray(s, e)));
      entry.results.push(r);
      this.keptChars += JSON.stringify(r)?.length ?? 0;
    }
    this.keptChars += JSON.stringify(value).length;
  }
}

/** The elements of an array, parsed RESULTS_PER_CHUNK at a time. */
function* resultChunks(body: Uint8Array, array: ArrayMember): Generator<unknown[]> {
  const { elements } = array;
  for (let k = 0; k < elements.length; k += RESULTS_PER_CHUNK) {
    const first = elements[k] as [number, number];
    const last = elements[Math.min(k + RESULTS_PER_CHUNK, elements.length) - 1] as [number, number];
    yield parsed(`[${bodyText(body.subarray(first[0], last[1]))}]`) as unknown[];
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The plan's page shape (BucketApi.shape); a plan without one is refused at load, never decoded some other way. */
export function pageShape(plan: BucketPlan): PageShape {
  const shape = (plan.api as Partial<BucketApi>).shape;
  if (shape?.kind !== 'buckets' && shape?.kind !== 'whole') {
    throw systemError(
      `${plan.path}: its BucketApi declares no page shape: set shape to bucketPage(...).shape (pages decoded bucket by bucket as they arrive) or { kind: 'whole' } (each page parsed whole once received)`,
    );
  }
  return shape;
}

/** Buckets of one page, in order, into one RecordEncoder. */
class PageEncoder {
  private readonly out: RecordEncoder;
  private readonly buckets: Bucket[] = [];
  private readonly cuts: Array<[Bucket, number]> = [];
  /** What the mapping reported for this page, each once (Page.notices). */
  private readonly notices = new Set<string>();
  private readonly notice: NoticeSink = (message) => void this.notices.add(message);

  constructor(
    private readonly plan: BucketPlan,
    stream: string,
    format: RecordFormat,
    private readonly window: Window,
    emittedAt: number,
    private readonly o: EncodeOptions,
  ) {
    this.out = new RecordEncoder(format, stream, emittedAt, o.capacity, o.spare);
  }

  /** Whether a bucket has been added. */
  get used(): boolean {
    return this.buckets.length > 0;
  }

  /** `results`: the bucket's results in chunks, when they are not in bucket.results. */
  add(bucket: Bucket, results?: Iterable<readonly unknown[]>): void {
    const { window, o } = this;
    if (bucket.start >= window.start && bucket.start < window.end) {
      const ids: unknown[] = [];
      const key = this.plan.idField ?? 'id';
      if (o.joined) bucket.joined = o.joined.get(bucket.start) ?? [];
      forEachRow(
        this.plan,
        bucket,
        window,
        (row) => {
          this.out.push(row);
          if (o.ids) ids.push(row[key]);
        },
        results,
        this.notice,
      );
      if (o.ids) bucket.ids = ids;
      delete bucket.joined;
      this.cuts.push([bucket, this.out.cut()]);
    } else if (results) {
      for (const _ of results); // parsed all the same: a body is JSON throughout or retried
    }
    bucket.results = [];
    this.buckets.push(bucket);
  }

  done(hasMore: boolean, nextPage: string | null): { page: Page; transfer: ArrayBuffer[] } {
    const batches = this.out.batches();
    for (const [bucket, i] of this.cuts) bucket.encoded = batches[i] as EncodedRecords;
    const page: Page = { buckets: this.buckets, hasMore, nextPage };
    if (this.notices.size > 0) page.notices = [...this.notices];
    return { page, transfer: this.out.transfer };
  }
}

/** The lines of records encoded in a line format (an emitter whose `records` is airbyte or singer gets nothing else). */
export function encodedLines(records: EncodedRecords): Uint8Array {
  if ('lines' in records) return records.lines;
  throw new Error('records encoded as rows reached an output that takes lines');
}

/** The rows of records encoded as rows (an emitter whose `records` is rows gets nothing else). */
export function encodedRows(records: EncodedRecords): { rows: Row[]; emittedAt: number } {
  if ('rows' in records) return records;
  throw new Error('records encoded as lines reached an output that takes rows');
}
