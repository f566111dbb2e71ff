import { z } from 'zod';
import { recordSchema, type JsonSchema, type Row } from '../stream.js';
import { parseOrThrow } from './validation.js';

/**
 * The one way a stream describes its columns. From one list of columns come the record's JSON
 * schema, the check of an API item (zod, and a fast check that accepts exactly what zod accepts),
 * and the mapping of an item into a record, so a column cannot be typed one way in the schema,
 * checked another and read a third.
 */
type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';

export interface Column {
  /** Field of the record. */
  name: string;
  /** JSON type in the record; nullable unless `notNull`. */
  type: ColumnType;
  /**
   * JSON-schema keywords of the property: they follow `type` in the order the column lists them,
   * so the generated files keep the order they were written in.
   */
  description?: string;
  format?: 'date' | 'date-time';
  /** Further keywords (additionalProperties of a map). */
  extra?: JsonSchema;
  /** The columns of each element of an array column: its schema's items, check and mapping. */
  items?: readonly Column[];
  /** Never null in a record: a non-null type, listed in the schema's `required`. */
  notNull?: boolean;
  /**
   * Where the API item holds the value: a path of keys, by default [name]. null: not read from
   * the item (the bucket's times, the id, values the stream derives); such a column starts as
   * null (a zero of its type when notNull) and the stream fills it.
   */
  from?: readonly string[] | null;
  /** The API always sends it: absent or null is malformed, and so is a missing object on its path. */
  required?: boolean;
  /** The check of the value as the API sends it, when its type does not say it all (a map, a non-empty id, a message); taken as is. */
  check?: z.ZodType;
  /** The record's value from the API's (not null): Anthropic's cents as exact USD. */
  convert?: (value: never) => unknown;
}

/** A column with its description (and any more settings): the usual shorthand. */
export const col = (name: string, type: ColumnType, description: string, more: Partial<Column> = {}): Column => ({ name, type, description, ...more });

/** The id of an entity list: a non-empty string the API always sends. */
export const entityId = (description: string): Column => col('id', 'string', description, { notNull: true, required: true, check: z.string().min(1) });

/** The JSON-schema property of a column. */
function property(c: Column): JsonSchema {
  const p: JsonSchema = { type: c.notNull ? c.type : [c.type, 'null'] };
  for (const key of Object.keys(c)) {
    if (key === 'description' || key === 'format') p[key] = c[key];
    else if (key === 'extra') Object.assign(p, c.extra);
    else if (key === 'items' && c.items) p.items = { type: 'object', additionalProperties: true, properties: properties(c.items) };
  }
  return p;
}

const properties = (columns: readonly Column[]): Record<string, JsonSchema> => Object.fromEntries(columns.map((c) => [c.name, property(c)]));

/** The record schema of a stream: every column's property, the notNull ones required. */
function columnsSchema(title: string, description: string, columns: readonly Column[]): JsonSchema {
  return recordSchema(
    title,
    description,
    properties(columns),
    columns.filter((c) => c.notNull).map((c) => c.name),
  );
}

// ---- checking an item ---------------------------------------------------------------

const ZOD_BY_TYPE: Record<ColumnType, () => z.ZodType> = {
  integer: () => z.number().int(),
  number: () => z.number(),
  string: () => z.string(),
  boolean: () => z.boolean(),
  object: () => z.record(z.string(), z.unknown()),
  array: () => z.array(z.unknown()),
};

/** A check zod does not need: zod's int() is a safe integer, and its number() is finite. */
const FAST_BY_TYPE: Partial<Record<ColumnType, (v: unknown) => boolean>> = {
  integer: (v) => Number.isSafeInteger(v),
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  string: (v) => typeof v === 'string',
  boolean: (v) => typeof v === 'boolean',
};

/** What the item holds at one key: a value read by a column, or an object on the path of some. */
type Node = { kind: 'leaf'; column: Column } | { kind: 'object'; children: Map<string, Node> };

/** The item's shape, from the paths the columns read: the first column to read a path checks it. */
function shapeOf(columns: readonly Column[]): Map<string, Node> {
  const root = new Map<string, Node>();
  for (const c of columns) {
    const path = c.from === undefined ? [c.name] : c.from;
    if (path === null || path.length === 0) continue;
    let level = root;
    path.forEach((key, i) => {
      const node = level.get(key);
      if (i === path.length - 1) {
        if (!node) level.set(key, { kind: 'leaf', column: c });
        return;
      }
      if (node?.kind === 'leaf') throw new Error(`column ${c.name} reads inside ${key}, which column ${node.column.name} reads as a value`);
      const next = node ?? { kind: 'object', children: new Map() };
      level.set(key, next);
      level = next.children;
    });
  }
  return root;
}

/** An object on the path of a required column is itself required. */
const required = (node: Node): boolean => (node.kind === 'leaf' ? node.column.required === true : [...node.children.values()].some(required));

function leafZod(c: Column): z.ZodType {
  if (c.check) return c.check;
  const base = c.items ? z.array(itemZod(shapeOf(c.items), {})) : ZOD_BY_TYPE[c.type]();
  return c.required ? base : base.nullish();
}

function nodeZod(node: Node): z.ZodType {
  if (node.kind === 'leaf') return leafZod(node.column);
  const obj = itemZod(node.children, {});
  return required(node) ? obj : obj.nullish();
}

/** Keys the stream checks itself come first (a discriminator, a record's date) and replace what the columns would check there. */
function itemZod(shape: Map<string, Node>, own: Record<string, z.ZodType>): z.ZodObject {
  const entries: Record<string, z.ZodType> = { ...own };
  for (const [key, node] of shape) if (!(key in own)) entries[key] = nodeZod(node);
  return z.looseObject(entries);
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Fast checks of constants: a discriminator is compared, not parsed by zod on every record. */
const CONSTANTS = new WeakMap<z.ZodType, (v: unknown) => boolean>();

/** An optional constant (a result's `object` discriminator), for the keys a stream checks itself. */
export function optionalConstant(value: string): z.ZodType {
  const zod = z.literal(value).optional();
  CONSTANTS.set(zod, (v) => v === undefined || v === value);
  return zod;
}

/** [key, check, optional]: with `optional` undefined, the check sees null and absent values too (zod's own). */
type Check = [key: string, check: (v: unknown) => boolean, optional: boolean | undefined];

function leafCheck(key: string, c: Column): Check {
  const fast = c.check || c.items ? undefined : FAST_BY_TYPE[c.type];
  if (fast) return [key, fast, c.required !== true];
  const zod = leafZod(c);
  return [key, (v) => zod.safeParse(v).success, undefined];
}

/** The checks of one object level, compiled once, run in a plain loop (this runs per record). */
function objectCheck(shape: Map<string, Node>, own: Record<string, z.ZodType>): (o: Record<string, unknown>) => boolean {
  const checks: Check[] = Object.entries(own).map(([k, zod]) => [k, CONSTANTS.get(zod) ?? ((v) => zod.safeParse(v).success), undefined]);
  for (const [key, node] of shape) {
    if (key in own) continue;
    if (node.kind === 'leaf') {
      checks.push(leafCheck(key, node.column));
      continue;
    }
    const inner = objectCheck(node.children, {});
    checks.push([key, (v) => isObject(v) && inner(v), !required(node)]);
  }
  const n = checks.length;
  return (o) => {
    for (let i = 0; i < n; i++) {
      const [k, check, optional] = checks[i] as Check;
      const v = o[k];
      if (optional !== undefined && (v === null || v === undefined)) {
        if (!optional) return false;
      } else if (!check(v)) return false;
    }
    return true;
  };
}

// ---- mapping an item --------------------------------------------------------------

const ZERO: Record<ColumnType, unknown> = { string: '', integer: 0, number: 0, boolean: false, object: null, array: null };

/**
 * The record of an item: cloned from a template holding every column in order, so every record
 * of a stream has the same keys in the same order (and one hidden class), then each column read
 * from its path, null when absent. This runs per record (over a million times in a large
 * backfill), so it is compiled to straight-line code with constant keys, as a hand-written
 * mapping would be: one loop over all columns would make each load and store site see every
 * key, and V8 handles such sites through a slower generic path. Keys are embedded as JSON string
 * literals, so no name can break out of them.
 */
function rowMapper(columns: readonly Column[]): (item: Record<string, unknown>) => Row {
  const template: Row = {};
  for (const c of columns) template[c.name] = c.notNull ? ZERO[c.type] : null;
  const converts: Array<(v: unknown) => unknown> = [];
  const lines: string[] = [];
  for (const c of columns) {
    const path = c.from === undefined ? [c.name] : c.from;
    if (path === null || path.length === 0) continue;
    const [first, ...rest] = path.map((k) => `[${JSON.stringify(k)}]`);
    const convert = (c.items ? mapAll(rowMapper(c.items)) : c.convert) as ((v: unknown) => unknown) | undefined;
    if (convert) converts.push(convert);
    lines.push(
      `v = item${first};`,
      ...rest.map((k) => `if (v !== null && v !== undefined) v = v${k};`),
      `row[${JSON.stringify(c.name)}] = v === null || v === undefined ? null : ${convert ? `converts[${converts.length - 1}](v)` : 'v'};`,
    );
  }
  const compile = new Function('template', 'converts', `return (item) => {\n const row = { ...template };\n let v;\n ${lines.join('\n ')}\n return row;\n};`);
  return compile(template, converts) as (item: Record<string, unknown>) => Row;
}

const mapAll =
  (map: (item: Record<string, unknown>) => Row) =>
  (v: unknown): Row[] =>
    (v as Array<Record<string, unknown>>).map(map);

/** A stream's columns compiled once: schema, checks and mapping. */
export interface Columns {
  readonly columns: readonly Column[];
  /** The API item as zod sees it; its errors name the JSON path. */
  readonly item: z.ZodType<Record<string, unknown>>;
  /** Accepts exactly what `item` accepts, without copying the item: the per-record path. */
  check(value: unknown): boolean;
  /** The item, checked: the fast check, then zod for an error that names the path. */
  parse(value: unknown): Record<string, unknown>;
  /** The record of a checked item; columns not read from it are left for the stream to fill. */
  row(item: Record<string, unknown>): Row;
  schema(title: string, description: string): JsonSchema;
}

const compiled: Columns[] = [];

/**
 * Every column set compiled so far (by the modules loaded): the fast check is written by hand
 * beside zod, so a test checks that the two agree on each set the providers declare.
 */
export const compiledColumns = (): readonly Columns[] => compiled;

/**
 * Compile columns. `own`: item keys the stream checks itself (an `object` discriminator, a key
 * that is a map rather than an object of columns); they are checked first and replace what the
 * columns would check there.
 */
export function columns(list: readonly Column[], own: Record<string, z.ZodType> = {}): Columns {
  const shape = shapeOf(list);
  const item = itemZod(shape, own);
  const fast = objectCheck(shape, own);
  const check = (v: unknown): boolean => isObject(v) && fast(v);
  const set: Columns = {
    columns: list,
    item: item as z.ZodType<Record<string, unknown>>,
    check,
    parse: (v) => (isObject(v) && fast(v) ? v : (parseOrThrow(item, v) as Record<string, unknown>)),
    row: rowMapper(list),
    schema: (title, description) => columnsSchema(title, description, list),
  };
  compiled.push(set);
  return set;
}
