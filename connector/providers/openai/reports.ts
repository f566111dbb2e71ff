import { z } from 'zod';
import { describeWindow } from '../../engine/decode.js';
import type { Window } from '../../engine/planner.js';
import { RecordIdHasher } from '../../engine/records.js';
import type { FailRule } from '../../engine/responses.js';
import { recordSchema, type BucketStream, type JsonSchema, type Row } from '../../engine/stream.js';
import { BUCKET_SECONDS, isoDate, type BucketWidth } from '../../engine/time.js';
import { parseOrThrow } from '../../engine/validation.js';
import type { Query } from '../../http/client.js';
import { arrayParam, openAiBucketApi } from './api.js';
import type { OpenAiConfig } from './config.js';

/**
 * OpenAI's organization reports (costs and usage/*) declared as data. One
 * generic mapping turns a bucket result into a flat record: id, bucket times,
 * every dimension (null when not grouped), every metric (null when absent).
 */
export type MetricType = 'integer' | 'number' | 'string';
export interface Metric {
  name: string;
  type: MetricType;
  /** Path in the result, when it is not the metric's own name (costs: amount.value). */
  path?: readonly [string, string];
  /** Required by the spec: a result without it (or with null) is malformed, never a null metric. */
  required?: boolean;
  description?: string;
}

export type FilterName = 'project_ids' | 'user_ids' | 'api_key_ids' | 'models';

/** JSON type of a dimension's value upstream; most are strings, completions' `batch` is a boolean. */
export type DimensionType = 'string' | 'boolean';

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
  metrics: readonly Metric[];
  filters: readonly FilterName[];
  /** Bucket widths the endpoint accepts, and the most buckets a page may hold at each. */
  maxBuckets: Partial<Record<BucketWidth, number>>;
}

const ZOD_BY_TYPE = { integer: z.number().int(), number: z.number(), string: z.string(), boolean: z.boolean() } as const;

export const dimensionType = (decl: ReportDecl, dimension: string): DimensionType => decl.dimensionTypes?.[dimension] ?? 'string';

export function resultSchema(decl: ReportDecl): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = { object: z.literal(decl.resultObject).optional() };
  for (const d of decl.dimensions) shape[d] = ZOD_BY_TYPE[dimensionType(decl, d)].nullish();
  const nested = new Map<string, Record<string, z.ZodType>>();
  const metric = (m: Metric): z.ZodType => (m.required ? ZOD_BY_TYPE[m.type] : ZOD_BY_TYPE[m.type].nullish());
  for (const m of decl.metrics) {
    if (!m.path) shape[m.name] = metric(m);
    else nested.set(m.path[0], { ...nested.get(m.path[0]), [m.path[1]]: metric(m) });
  }
  // An object holding a required metric is itself required.
  for (const [k, inner] of nested) shape[k] = decl.metrics.some((m) => m.required && m.path?.[0] === k) ? z.looseObject(inner) : z.looseObject(inner).nullish();
  return z.looseObject(shape);
}

/**
 * The per-result hot path: a check compiled from the declaration that accepts exactly what
 * resultSchema accepts, without copying the object. Only a result that fails it goes through
 * zod, whose error names the offending JSON path.
 */
export function fastResultCheck(decl: ReportDecl): (r: unknown) => boolean {
  const ok: Record<string, (v: unknown) => boolean> = {
    // zod's int() is a safe integer.
    integer: (v) => Number.isSafeInteger(v),
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    string: (v) => typeof v === 'string',
    boolean: (v) => typeof v === 'boolean',
  };
  // [field, type check, required]: an optional field may also be null or absent.
  type Field = [string, (v: unknown) => boolean, boolean];
  const flat: Field[] = [];
  const nested = new Map<string, Field[]>();
  for (const d of decl.dimensions) flat.push([d, ok[dimensionType(decl, d)] as (v: unknown) => boolean, false]);
  for (const m of decl.metrics) {
    const field: Field = [m.path ? m.path[1] : m.name, ok[m.type] as (v: unknown) => boolean, m.required === true];
    if (!m.path) flat.push(field);
    else nested.set(m.path[0], [...(nested.get(m.path[0]) ?? []), field]);
  }
  const valid = (v: unknown, check: (v: unknown) => boolean, required: boolean): boolean => (v === null || v === undefined ? !required : check(v));
  return (r) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return false;
    const o = r as Record<string, unknown>;
    if (o.object !== undefined && o.object !== decl.resultObject) return false;
    for (const [k, check, required] of flat) if (!valid(o[k], check, required)) return false;
    for (const [k, fields] of nested) {
      const inner = o[k];
      if (inner === null || inner === undefined) {
        if (fields.some(([, , required]) => required)) return false;
        continue;
      }
      if (typeof inner !== 'object' || Array.isArray(inner)) return false;
      for (const [f, check, required] of fields) if (!valid((inner as Record<string, unknown>)[f], check, required)) return false;
    }
    return true;
  };
}

const nullable = (type: string, extra: Record<string, unknown> = {}): JsonSchema => ({ type: [type, 'null'], ...extra });

export function reportSchema(decl: ReportDecl): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    id: { type: 'string', description: 'Deterministic key: hash of the bucket start and every dimension.' },
    start_time: { type: 'integer', description: 'Bucket start, unix seconds (inclusive). Cursor.' },
    end_time: { type: 'integer', description: 'Bucket end, unix seconds (exclusive).' },
    date: { type: 'string', format: 'date', description: 'UTC date of the bucket start.' },
  };
  for (const d of decl.dimensions) properties[d] = nullable(dimensionType(decl, d), { description: `Grouping dimension; null when not grouped by it or null upstream.` });
  for (const m of decl.metrics) properties[m.name] = nullable(m.type, m.description ? { description: m.description } : {});
  return recordSchema(decl.name, decl.description, properties, ['id', 'start_time', 'end_time', 'date']);
}

let lastStart = NaN;
let lastDate = '';
/** isoDate, remembered for the bucket at hand (every result of a bucket shares it). */
function dateOf(start: number): string {
  if (start !== lastStart) {
    lastStart = start;
    lastDate = isoDate(start);
  }
  return lastDate;
}

/**
 * The record for one result: the mapping shared by every report stream. Rows are cloned from
 * a template with every field in schema order, so each record has the same hidden class (the
 * per-record path runs over a million times in a large backfill).
 */
export function recordBuilder(decl: ReportDecl): (start: number, end: number, result: Record<string, unknown>) => Row {
  const template: Row = { id: '', start_time: 0, end_time: 0, date: '' };
  for (const d of decl.dimensions) template[d] = null;
  for (const m of decl.metrics) template[m.name] = null;
  const hasher = new RecordIdHasher();
  return (start, end, result) => {
    const row: Row = { ...template };
    row.start_time = start;
    row.end_time = end;
    row.date = dateOf(start);
    hasher.reset().add(start);
    for (const d of decl.dimensions) {
      const v = result[d] ?? null;
      row[d] = v;
      hasher.add(v);
    }
    row.id = hasher.digest();
    for (const m of decl.metrics) {
      const v = m.path ? (result[m.path[0]] as Record<string, unknown> | null | undefined)?.[m.path[1]] : result[m.name];
      row[m.name] = v ?? null;
    }
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
export function groupByRefusal(decl: ReportDecl, groupBy: readonly string[]): Array<FailRule<Window>> {
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
  const schema = resultSchema(decl);
  const valid = fastResultCheck(decl);
  const toRecord = recordBuilder(decl);
  return {
    kind: 'buckets',
    name: decl.name,
    description: decl.description,
    schema: reportSchema(decl),
    primaryKey: [['id']],
    cursorField: 'start_time',
    plan(config) {
      const width: BucketWidth = decl.maxBuckets[config.bucket_width] ? config.bucket_width : '1d';
      const groupBy = config.group_by?.[decl.name] ?? decl.defaultGroupBy;
      const cap = config.max_window_days === undefined ? Infinity : Math.max(1, Math.floor((config.max_window_days * 86_400) / BUCKET_SECONDS[width]));
      const params: Query = [
        ['bucket_width', width],
        ...arrayParam('group_by', groupBy),
        ...decl.filters.flatMap((f) => arrayParam(f, config[f])),
      ];
      return {
        path: decl.path,
        api: openAiBucketApi,
        params,
        bucketSeconds: BUCKET_SECONDS[width],
        maxBuckets: Math.min(decl.maxBuckets[width] ?? 1, cap),
        // OpenAI's cursor is broken for grouped queries: one page per window, halved when short.
        paging: groupBy.length > 0 ? { kind: 'single' } : { kind: 'cursor' },
        responses: groupByRefusal(decl, groupBy),
        includeCurrentBucket: true,
        toRecord: (bucket, result) =>
          toRecord(bucket.start, bucket.end, valid(result) ? (result as Record<string, unknown>) : parseOrThrow(schema, result)),
      };
    },
  };
}
