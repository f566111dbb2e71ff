import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { Message } from '../support/cli.js';

/**
 * The assertions of Airbyte's Connector Acceptance Tests (CAT), re-implemented for our suite
 * (shared/reference/airbyte-singer-protocol.md sections 2 and 7). Each rule returns the list of
 * violations, so a failing test names every offending path at once.
 */
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Every schema node with its path; property names are path segments, never keywords. */
function* nodes(schema: unknown, path = '#'): Generator<{ node: Json; path: string; parentKey: string | undefined }> {
  function* walk(node: unknown, p: string, parentKey: string | undefined): Generator<{ node: Json; path: string; parentKey: string | undefined }> {
    if (Array.isArray(node)) {
      for (const [i, v] of node.entries()) yield* walk(v, `${p}/${i}`, parentKey);
      return;
    }
    if (!isObj(node)) return;
    yield { node, path: p, parentKey };
    for (const [k, v] of Object.entries(node)) {
      if (k === 'properties' && isObj(v)) {
        for (const [name, sub] of Object.entries(v)) yield* walk(sub, `${p}/properties/${name}`, 'properties');
      } else if (k === 'enum' || k === 'const' || k === 'examples' || k === 'default' || k === 'required') {
      } else {
        yield* walk(v, `${p}/${k}`, k);
      }
    }
  }
  yield* walk(schema, path, undefined);
}

const FORBIDDEN = ['not', 'anyOf', 'patternProperties', 'prefixItems', 'allOf', 'if', 'then', 'else', 'dependentSchemas', 'dependentRequired'];

/** test_forbidden_complex_types (spec) and test_defined_keyword_exist_in_schema[allOf, not] (streams). */
export function forbiddenKeywords(schema: unknown, keywords: readonly string[] = FORBIDDEN): string[] {
  const out: string[] = [];
  for (const { node, path } of nodes(schema)) for (const k of keywords) if (k in node) out.push(`${path}: ${k}`);
  return out;
}

/** test_defined_refs_exist_in_json_spec_file / _in_schema: fully dereferenced. */
export function refs(schema: unknown): string[] {
  return [...nodes(schema)].filter(({ node }) => '$ref' in node).map(({ path }) => `${path}: $ref`);
}

/** test_additional_properties_is_true. */
export function additionalPropertiesNotTrue(schema: unknown): string[] {
  return [...nodes(schema)].filter(({ node }) => 'additionalProperties' in node && node.additionalProperties !== true).map(({ path }) => path);
}

/** test_enum_usage: no duplicate values. */
export function duplicateEnums(schema: unknown): string[] {
  return [...nodes(schema)]
    .filter(({ node }) => Array.isArray(node.enum) && new Set((node.enum as unknown[]).map((v) => JSON.stringify(v))).size !== (node.enum as unknown[]).length)
    .map(({ path }) => path);
}

/** test_oneof_usage: object parent, variants with properties, exactly one common const discriminator. */
export function oneOfViolations(schema: unknown): string[] {
  const out: string[] = [];
  for (const { node, path } of nodes(schema)) {
    for (const kw of ['oneOf', 'anyOf'] as const) {
      const variants = node[kw];
      if (!Array.isArray(variants)) continue;
      if (node.type !== 'object') out.push(`${path}: ${kw} parent is not type object`);
      const props = variants.map((v) => (isObj(v) && isObj(v.properties) ? v.properties : null));
      if (props.some((p) => p === null)) {
        out.push(`${path}: a ${kw} variant has no properties`);
        continue;
      }
      const common = Object.keys(props[0] as Json).filter((k) => props.every((p) => k in (p as Json)));
      if (common.length === 0) out.push(`${path}: ${kw} variants share no property`);
      const consts = common.filter((k) => props.every((p) => isObj((p as Json)[k]) && 'const' in ((p as Json)[k] as Json)));
      if (consts.length !== 1) out.push(`${path}: ${kw} needs exactly one common const property, has ${consts.length}`);
      for (const k of consts) {
        for (const p of props) {
          const d = (p as Json)[k] as Json;
          if ('default' in d && d.default !== d.const) out.push(`${path}: default of ${k} differs from its const`);
          if ('enum' in d && JSON.stringify(d.enum) !== JSON.stringify([d.const])) out.push(`${path}: enum of ${k} is not [const]`);
        }
      }
    }
  }
  return out;
}

/** CAT's list of secret names, plus the *_key / *_token / *_secret / password names we use. */
const SECRET_NAMES = [
  'client_token',
  'access_token',
  'api_token',
  'token',
  'secret',
  'client_secret',
  'password',
  'key',
  'service_account_info',
  'service_account',
  'tenant_id',
  'certificate',
  'jwt',
  'credentials',
  'app_id',
  'appid',
  'refresh_token',
];
const looksSecret = (name: string): boolean => SECRET_NAMES.includes(name.toLowerCase()) || /(^|_)(api_key|key|token|secret|password)$/i.test(name);
const typesOf = (node: Json): string[] => (Array.isArray(node.type) ? (node.type as string[]) : typeof node.type === 'string' ? [node.type] : []);

/** test_secret_is_properly_marked, both ways. */
export function secretMarking(spec: unknown): string[] {
  const out: string[] = [];
  for (const { node, path, parentKey } of nodes(spec)) {
    if (parentKey !== 'properties') continue;
    const name = path.split('/').at(-1) as string;
    const scalar = typesOf(node).some((t) => t === 'string' || t === 'integer' || t === 'number') && !('const' in node);
    if (looksSecret(name) && scalar && node.airbyte_secret !== true) out.push(`${path}: looks secret but has no airbyte_secret: true`);
    if (node.airbyte_secret === true && !scalar) out.push(`${path}: airbyte_secret on a ${typesOf(node).join('/') || 'const'} property`);
  }
  return out;
}

/** test_property_type_is_not_array: one type, or [type, "null"]. */
export function typeArrays(schema: unknown): string[] {
  return [...nodes(schema)]
    .filter(
      ({ node }) =>
        Array.isArray(node.type) &&
        !((node.type as unknown[]).length === 1 || ((node.type as unknown[]).length === 2 && (node.type as unknown[])[1] === 'null')),
    )
    .map(({ path }) => path);
}

/** test_object_not_empty: every non-root object has properties (or a oneOf). */
export function emptyObjects(schema: unknown): string[] {
  return [...nodes(schema)]
    .filter(
      ({ node, path }) =>
        path !== '#' && typesOf(node).includes('object') && !(isObj(node.properties) && Object.keys(node.properties).length > 0) && !Array.isArray(node.oneOf),
    )
    .map(({ path }) => path);
}

/** test_array_type: items is one schema of type object/string/number/integer, or an enum. */
export function arrayItems(schema: unknown): string[] {
  const out: string[] = [];
  for (const { node, path } of nodes(schema)) {
    if (!typesOf(node).includes('array')) continue;
    const items = node.items;
    if (!isObj(items)) {
      out.push(`${path}: items is not a single schema`);
      continue;
    }
    if (!('enum' in items) && !typesOf(items).some((t) => ['object', 'string', 'number', 'integer'].includes(t)))
      out.push(`${path}: items type ${JSON.stringify(items.type)}`);
  }
  return out;
}

/** test_duplicate_order (per group among siblings), test_nested_group and test_display_type. */
export function uiKeywords(spec: Json): string[] {
  const out: string[] = [];
  for (const { node, path } of nodes(spec)) {
    if (isObj(node.properties)) {
      const seen = new Map<string, unknown[]>();
      for (const p of Object.values(node.properties)) {
        if (!isObj(p) || p.order === undefined) continue;
        const g = String(p.group ?? '');
        const list = seen.get(g) ?? [];
        if (list.includes(p.order)) out.push(`${path}: duplicate order ${String(p.order)} in group '${g}'`);
        list.push(p.order);
        seen.set(g, list);
      }
    }
    if ('group' in node && !/^#\/properties\/[^/]+$/.test(path)) out.push(`${path}: group on a nested property`);
    if ('display_type' in node && (!Array.isArray(node.oneOf) || !['dropdown', 'radio'].includes(String(node.display_type))))
      out.push(`${path}: display_type without oneOf or not dropdown/radio`);
  }
  return out;
}

/** Draft-07 meta-schema validity (jsonschema's Draft7Validator.check_schema). */
export function draft7Errors(schema: unknown): string[] {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  return ajv.validateSchema(schema as Json) ? [] : (ajv.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** test_config_match_spec: the config minus keys starting with _ validates against the spec. */
export function configErrors(spec: Json, config: Json): string[] {
  const ajv = new Ajv.default({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validate = ajv.compile(spec);
  const clean = Object.fromEntries(Object.entries(config).filter(([k]) => !k.startsWith('_')));
  return validate(clean) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

/** Does a path (["a","b"]) exist under properties? (test_defined_cursors/primary_keys_exist_in_schema) */
export function propertyAt(schema: Json, path: readonly string[]): Json | undefined {
  let node: unknown = schema;
  for (const seg of path) {
    if (!isObj(node) || !isObj(node.properties)) return undefined;
    node = node.properties[seg];
  }
  return isObj(node) ? node : undefined;
}

// ---- reads -----------------------------------------------------------------------------------------

/** CAT's date-time check: its regex and a real parse; null passes. */
const CAT_DATE_TIME = /^\d{4}-\d?\d-\d?\d(\s|T)\d?\d:\d?\d:\d?\d(.\d+)?.*$/;

/**
 * Strict typing beyond ajv, as CAT does in Python: an `integer` must be an integer that JSON
 * writes without a fraction or exponent (|v| < 1e21; our writer never writes 1.0), and every
 * `format: date-time` value must match CAT's pattern and parse.
 */
export function strictValueErrors(schema: Json, data: Json): string[] {
  const out: string[] = [];
  const props = isObj(schema.properties) ? schema.properties : {};
  for (const [k, v] of Object.entries(data)) {
    const p = props[k];
    if (!isObj(p) || v === null) continue;
    const types = typesOf(p);
    if (types.includes('integer') && !types.includes('number') && typeof v === 'number' && !(Number.isInteger(v) && Math.abs(v) < 1e21))
      out.push(`${k}: ${v} is not a strict integer`);
    if (p.format === 'date-time' && typeof v === 'string' && (!CAT_DATE_TIME.test(v) || Number.isNaN(Date.parse(v)))) out.push(`${k}: ${v} is not a date-time`);
  }
  if (Object.keys(data).length > 0 && !Object.keys(data).some((k) => k in props)) out.push('record shares no field with its schema');
  return out;
}

/** Serialising a parsed line back gives the line: numbers are canonical (no 1.0, no 1E3), nothing odd in the framing. */
export function isCanonicalLine(line: string): boolean {
  const again = JSON.stringify(JSON.parse(line)).replace(/[\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return again === line;
}

/** A primary key value: not a list or an object, and not null in every part. */
export function pkViolations(data: Json, pk: ReadonlyArray<ReadonlyArray<string>>): string[] {
  const values = pk.map((path) => path.reduce<unknown>((v, seg) => (isObj(v) ? v[seg] : undefined), data));
  const out = values.filter((v) => Array.isArray(v) || isObj(v)).map(() => `primary key ${JSON.stringify(pk)} is a list or an object`);
  if (values.every((v) => v === null || v === undefined)) out.push(`primary key ${JSON.stringify(pk)} is null`);
  return out;
}

export interface Checkpoint {
  state: Json;
  /** Records that came before it and after the previous checkpoint (summed over collapsed duplicates). */
  count: number;
  /** Records a read from this checkpoint must at least return: the total minus every count up to it. */
  expected: number;
  /** Index in the read-1 message list (to know which records came before it). */
  at: number;
}

/**
 * test_read_sequential_slices' checkpoint list for one stream: consecutive identical states
 * collapsed (counts summed), expected counts = total - cumulative count, and of several
 * checkpoints with the same expected count only the last kept (earlier ones would read the same).
 */
export function checkpoints(messages: Message[], stream: string): Checkpoint[] {
  const states: Array<{ state: Json; count: number; at: number }> = [];
  for (const [i, m] of messages.entries()) {
    if (m.type !== 'STATE' || m.state.stream.stream_descriptor.name !== stream) continue;
    const count = m.state.sourceStats.recordCount as number;
    const last = states.at(-1);
    if (last && JSON.stringify(last.state) === JSON.stringify(m.state.stream.stream_state)) last.count += count;
    else states.push({ state: m.state.stream.stream_state as Json, count, at: i });
  }
  const total = states.reduce((s, c) => s + c.count, 0);
  let cumulative = 0;
  const all = states.map((s) => {
    cumulative += s.count;
    return { ...s, expected: total - cumulative };
  });
  return all.filter((c, i) => all[i + 1]?.expected !== c.expected);
}

/** Which checkpoints CAT reads from: fewer than 3, the last; else every (n/5)-th, not the first or the last. */
export function sampled<T>(list: readonly T[]): Array<{ item: T; index: number; last: boolean }> {
  if (list.length === 0) return [];
  if (list.length < 3) return [{ item: list.at(-1) as T, index: list.length - 1, last: true }];
  const rate = Math.floor(list.length / 5) || 1;
  return list.flatMap((item, index) => (index > 0 && index < list.length - 1 && index % rate === 0 ? [{ item, index, last: false }] : []));
}

/** CAT's naive_diff_records: non-empty when the record sets differ (order ignored). */
export function recordsDiffer(a: readonly Json[], b: readonly Json[]): boolean {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : isObj(v)
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys(v[k])]),
          )
        : v;
  const key = (r: Json): string => JSON.stringify(sortKeys(r));
  const sa = a.map(key).sort();
  const sb = b.map(key).sort();
  return sa.length !== sb.length || sa.some((v, i) => v !== sb[i]);
}

/** A cursor value as unix seconds: numbers are seconds, strings are parsed as dates. */
export function cursorSeconds(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Math.floor(Date.parse(v) / 1000);
  return Number.NaN;
}
