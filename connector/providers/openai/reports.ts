import { z } from 'zod';
import { RecordIdHasher } from '../../engine/records.js';
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
  /** Dimensions the endpoint refuses to group by for windows before a fixed time (unix seconds). */
  groupByFloors?: Readonly<Partial<Record<string, number>>>;
  defaultGroupBy: readonly string[];
  metrics: readonly Metric[];
  filters: readonly FilterName[];
  /** Bucket widths the endpoint accepts, and the most buckets a page may hold at each. */
  maxBuckets: Partial<Record<BucketWidth, number>>;
}

const ZOD_BY_TYPE = { integer: z.number().int(), number: z.number(), string: z.string(), boolean: z.boolean() } as const;

export const dimensionType = (decl: ReportDecl, dimension: string): DimensionType => decl.dimensionTypes?.[dimension] ?? 'string';

function resultSchema(decl: ReportDecl): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = { object: z.literal(decl.resultObject).optional() };
  for (const d of decl.dimensions) shape[d] = ZOD_BY_TYPE[dimensionType(decl, d)].nullish();
  const nested = new Map<string, Record<string, z.ZodType>>();
  for (const m of decl.metrics) {
    if (!m.path) shape[m.name] = ZOD_BY_TYPE[m.type].nullish();
    else nested.set(m.path[0], { ...nested.get(m.path[0]), [m.path[1]]: ZOD_BY_TYPE[m.type].nullish() });
  }
  for (const [k, inner] of nested) shape[k] = z.looseObject(inner).nullish();
  return z.looseObject(shape);
}

/**
 * The per-result hot path: a check compiled from the declaration that accepts exactly what
 * resultSchema accepts, without copying the object. Only a result that fails it goes through
 * zod, whose error names the offending JSON path.
 */
function fastResultCheck(decl: ReportDecl): (r: unknown) => boolean {
  const ok: Record<string, (v: unknown) => boolean> = {
    integer: (v) => Number.isInteger(v),
    number: (v) => typeof v === 'number' && Number.isFinite(v),
    string: (v) => typeof v === 'string',
    boolean: (v) => typeof v === 'boolean',
  };
  const flat: Array<[string, (v: unknown) => boolean]> = [];
  const nested = new Map<string, Array<[string, (v: unknown) => boolean]>>();
  for (const d of decl.dimensions) flat.push([d, ok[dimensionType(decl, d)] as (v: unknown) => boolean]);
  for (const m of decl.metrics) {
    const check = ok[m.type] as (v: unknown) => boolean;
    if (!m.path) flat.push([m.name, check]);
    else nested.set(m.path[0], [...(nested.get(m.path[0]) ?? []), [m.path[1], check]]);
  }
  return (r) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) return false;
    const o = r as Record<string, unknown>;
    if (o.object !== undefined && o.object !== decl.resultObject) return false;
    for (const [k, check] of flat) {
      const v = o[k];
      if (v !== null && v !== undefined && !check(v)) return false;
    }
    for (const [k, fields] of nested) {
      const inner = o[k];
      if (inner === null || inner === undefined) continue;
      if (typeof inner !== 'object' || Array.isArray(inner)) return false;
      for (const [f, check] of fields) {
        const v = (inner as Record<string, unknown>)[f];
        if (v !== null && v !== undefined && !check(v)) return false;
      }
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
      const floors = groupBy.flatMap((d) => decl.groupByFloors?.[d] ?? []);
      const earliest = floors.length > 0 ? Math.max(...floors) : undefined;
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
        grouped: groupBy.length > 0,
        ...(earliest === undefined ? {} : { earliest }),
        includeCurrentBucket: true,
        toRecord: (bucket, result) =>
          toRecord(bucket.start, bucket.end, valid(result) ? (result as Record<string, unknown>) : parseOrThrow(schema, result)),
      };
    },
  };
}
