import { col, columns, optionalConstant, type Column, type Columns } from '../../engine/columns/columns.js';
import { describeWindow } from '../../engine/decode/decode.js';
import type { Window } from '../../engine/plan/planner.js';
import { BucketRecords, bucketColumns, type BucketFields } from '../../engine/columns/buckets.js';
import { HALVE_ON_400, type FailRule } from '../../engine/fetch/responses.js';
import type { BucketStream, Row } from '../../engine/stream.js';
import { BUCKET_SECONDS, type BucketWidth } from '../../engine/time.js';
import type { Query } from '../../http/client.js';
import { arrayParam, openAiBucketApi } from './api.js';
import type { OpenAiConfig } from './config.js';

/**
 * OpenAI's organization reports (costs and usage/*) declared as data. One
 * generic mapping turns a bucket result into a flat record: id, bucket times,
 * every dimension (null when not grouped), every metric (null when absent).
 */

type FilterName = 'project_ids' | 'user_ids' | 'api_key_ids' | 'models';

/** JSON type of a dimension's value upstream; most are strings, completions' `batch` is a boolean. */
type DimensionType = 'string' | 'boolean';

export interface ReportDecl {
  name: string;
  path: string;
  description: string;
  /** The result's `object` discriminator. */
  resultObject: string;
  /** Every `group_by` value the endpoint accepts. */
  dimensions: readonly string[];
  /** Dimensions whose values are not strings (default 'string'). */
  dimensionTypes?: Readonly<Partial<Record<string, DimensionType>>>;
  /**
   * Dimensions the spec allows but the live API is reported to refuse, for part or all of the
   * history: when the API refuses a grouping, these are the ones the error asks to remove.
   */
  contestedGroupBy?: readonly string[];
  defaultGroupBy: readonly string[];
  /** Read from the result by name, or by `from` when nested (costs: amount.value); `required` ones must be there. */
  metrics: readonly Column[];
  filters: readonly FilterName[];
  /** Bucket widths the endpoint accepts, and the most buckets a page may hold at each. */
  maxBuckets: Partial<Record<BucketWidth, number>>;
}

/** The bucket columns of every report record (engine/columns/buckets.ts): unix-seconds start_time/end_time, and date. */
const BUCKET_FIELDS: BucketFields = {
  start: 'start_time',
  end: 'end_time',
  time: 'unix',
  date: true,
  id: 'Deterministic key: hash of the bucket start and every dimension.',
};

const dimensionType = (decl: ReportDecl, dimension: string): DimensionType => decl.dimensionTypes?.[dimension] ?? 'string';

/**
 * The columns of a report: the bucket's (filled by the mapping), every dimension (null when not
 * grouped by it), every metric (null when absent).
 */
function reportColumns(decl: ReportDecl): Column[] {
  return [
    ...bucketColumns(BUCKET_FIELDS),
    ...decl.dimensions.map((d) => col(d, dimensionType(decl, d), 'Grouping dimension; null when not grouped by it or null upstream.')),
    ...decl.metrics,
  ];
}

/** The columns of a report compiled, its result checked for the `object` discriminator too. */
export const reportResults = (decl: ReportDecl): Columns => columns(reportColumns(decl), { object: optionalConstant(decl.resultObject) });

/**
 * The record for one checked result: the mapping shared by every report stream, with the bucket's
 * times and the id (the bucket start and every dimension, hashed) filled in.
 */
function recordBuilder(decl: ReportDecl, results: Columns = reportResults(decl)): (start: number, end: number, result: Record<string, unknown>) => Row {
  // Every result of a bucket shares its start: its texts and hash are computed once per bucket, not per record.
  const records = new BucketRecords(BUCKET_FIELDS);
  return (start, end, result) => {
    const row = results.row(result);
    records.fill(row, start, end);
    const id = records.id(start);
    for (const d of decl.dimensions) id.add(row[d]);
    row.id = id.digest();
    return row;
  };
}

/**
 * A 400 refusing the grouping (param `group_by`, or a message about grouping) fails the stream as a
 * config_error that names the dimension to drop: no window size would make the API serve it, and
 * reading around it would leave days out. The dimensions to drop are the configured ones the message
 * names (before any list of supported values), else the contested ones configured, else all of them;
 * the API's message is quoted. Without a grouping there is nothing to refuse.
 */
function groupByRefusal(decl: ReportDecl, groupBy: readonly string[]): Array<FailRule<Window>> {
  if (groupBy.length === 0) return [];
  const refused: Omit<FailRule<Window>, 'when'> = {
    action: 'fail',
    failureType: 'config_error',
    message: (e, window) => {
      const said = e.message ?? '';
      // What the message names before listing what is supported ("'model'. Supported values are: ...").
      const named = groupBy.filter((d) => new RegExp(`\\b${d}\\b`).test(said.split(/\bsupported\b/i)[0] ?? ''));
      const contested = groupBy.filter((d) => decl.contestedGroupBy?.includes(d));
      const drop = [named, contested, groupBy].find((ds) => ds.length > 0) as readonly string[];
      return `OpenAI refused group_by ${drop.join(', ')} on ${decl.name} for ${describeWindow(window)} ("${said}"): remove ${drop.map((d) => `'${d}'`).join(', ')} from group_by.${decl.name}.`;
    },
  };
  return [
    { when: { status: 400, param: 'group_by' }, ...refused },
    { when: { status: 400, messageMatches: /group_by|grouping/i }, ...refused },
  ];
}

export function reportStream(decl: ReportDecl): BucketStream<OpenAiConfig> {
  const results = reportResults(decl);
  const toRecord = recordBuilder(decl, results);
  return {
    kind: 'buckets',
    name: decl.name,
    description: decl.description,
    schema: results.schema(decl.name, decl.description),
    primaryKey: [['id']],
    cursorField: 'start_time',
    plan(config) {
      const width: BucketWidth = decl.maxBuckets[config.bucket_width] ? config.bucket_width : '1d';
      const groupBy = config.group_by?.[decl.name] ?? decl.defaultGroupBy;
      const cap = config.max_window_days === undefined ? Infinity : Math.max(1, Math.floor((config.max_window_days * 86_400) / BUCKET_SECONDS[width]));
      const params: Query = [['bucket_width', width], ...arrayParam('group_by', groupBy), ...decl.filters.flatMap((f) => arrayParam(f, config[f]))];
      return {
        path: decl.path,
        api: openAiBucketApi,
        params,
        bucketSeconds: BUCKET_SECONDS[width],
        maxBuckets: Math.min(decl.maxBuckets[width] ?? 1, cap),
        // OpenAI's cursor is broken for grouped queries: one page per window, halved when short.
        paging: groupBy.length > 0 ? { kind: 'single' } : { kind: 'cursor' },
        // A refused grouping fails; any other 400 (a range or limit OpenAI will not serve at once) halves the window.
        responses: [...groupByRefusal(decl, groupBy), HALVE_ON_400],
        includeCurrentBucket: true,
        toRecord: (bucket, result) => toRecord(bucket.start, bucket.end, results.parse(result)),
      };
    },
  };
}
