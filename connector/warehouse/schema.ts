import type { JsonSchema, StreamDef } from '../engine/stream.js';
import { systemError } from '../engine/errors.js';

/**
 * JSON schema -> DuckDB table layout. One table per stream, named after the stream, in the
 * connector's own DuckDB schema (openai.costs, anthropic.users: docs/warehouse.md),
 * one column per top-level property in schema order, then `_account_id` and `_extracted_at`:
 *
 *   integer                         BIGINT
 *   number                          DOUBLE   (exactly the double the API sent; sum money with DECIMAL casts)
 *   string                          VARCHAR  (exact decimal strings such as amount_usd stay VARCHAR)
 *   string, format date             DATE
 *   string, format date-time        TIMESTAMPTZ (an instant; the connection's TimeZone is UTC)
 *   boolean                         BOOLEAN
 *   object, array, several types,
 *   no type                         JSON
 *
 * `["x", "null"]` maps like `x`; only the primary key columns are NOT NULL.
 *
 * The primary key is the stream's own key and `_account_id` (the organization or team the row was
 * read from, docs/warehouse.md): rows of two accounts never collide, whatever their ids.
 */
type SqlType = 'BIGINT' | 'DOUBLE' | 'VARCHAR' | 'DATE' | 'TIMESTAMPTZ' | 'BOOLEAN' | 'JSON';

export interface Column {
  name: string;
  type: SqlType;
  /** How a JSON value is turned into text for the VARCHAR staging column (cast to `type` in SQL). */
  json: 'scalar' | 'json';
}

export interface TableLayout {
  /** The DuckDB schema holding the table: the connector's provider (openai, anthropic, aurous). */
  schema: string;
  table: string;
  columns: Column[];
  /** The table's primary key: the stream's key, then ACCOUNT_COLUMN. */
  primaryKey: string[];
  /** The stream's own key (a record's identity within one account). */
  recordKey: string[];
}

/** Loader bookkeeping columns: when the row's current values were read from the API. */
export const EXTRACTED_AT = '_extracted_at';
/** Loader bookkeeping column: the account (organization, team) the row belongs to; part of the primary key. */
export const ACCOUNT_COLUMN = '_account_id';
export const STATE_TABLE = '_connector_state';
/** Per connector schema: every account synced into it, with a fingerprint of the key that last loaded it. */
export const ACCOUNTS_TABLE = '_connector_accounts';

export function sqlType(property: unknown): SqlType {
  if (property === null || typeof property !== 'object') return 'JSON';
  const p = property as Record<string, unknown>;
  const raw = p.type;
  const types = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((t) => t !== 'null');
  if (types.length !== 1) return 'JSON';
  switch (types[0]) {
    case 'integer':
      return 'BIGINT';
    case 'number':
      return 'DOUBLE';
    case 'boolean':
      return 'BOOLEAN';
    case 'string':
      if (p.format === 'date') return 'DATE';
      if (p.format === 'date-time') return 'TIMESTAMPTZ';
      return 'VARCHAR';
    default:
      return 'JSON';
  }
}

export function tableLayout(stream: Pick<StreamDef<unknown>, 'name' | 'schema' | 'primaryKey'>, schema = 'main'): TableLayout {
  const properties = (stream.schema.properties ?? {}) as Record<string, JsonSchema>;
  const columns: Column[] = Object.entries(properties).map(([name, p]) => {
    const type = sqlType(p);
    return { name, type, json: type === 'JSON' ? 'json' : 'scalar' };
  });
  for (const reserved of [ACCOUNT_COLUMN, EXTRACTED_AT]) {
    if (columns.some((c) => c.name === reserved)) throw systemError(`Stream '${stream.name}' has a property named ${reserved}, which the warehouse reserves.`);
  }
  columns.push({ name: ACCOUNT_COLUMN, type: 'VARCHAR', json: 'scalar' }, { name: EXTRACTED_AT, type: 'TIMESTAMPTZ', json: 'scalar' });
  const primaryKey = stream.primaryKey.map((path) => {
    if (path.length !== 1)
      throw systemError(`Stream '${stream.name}' has a nested primary key (${path.join('.')}); the warehouse needs top-level key columns.`);
    return path[0] as string;
  });
  if (primaryKey.length === 0) throw systemError(`Stream '${stream.name}' has no primary key; the warehouse merges rows by primary key.`);
  for (const k of primaryKey) {
    if (!columns.some((c) => c.name === k)) throw systemError(`Stream '${stream.name}' has primary key '${k}' that is not in its schema.`);
  }
  return { schema, table: stream.name, columns, primaryKey: [...primaryKey, ACCOUNT_COLUMN], recordKey: primaryKey };
}

/** A double-quoted SQL identifier. */
export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** schema.table, each part quoted. */
export const qualified = (schema: string, table: string): string => `${ident(schema)}.${ident(table)}`;

/**
 * A stream's table: key columns NOT NULL, and no PRIMARY KEY index. The loader keeps (key,
 * `_account_id`) unique by construction (each checkpoint replaces the rows of the windows it read
 * whole, and of the keys it loads); an index would cost 2-3x the insert and ~200 MB per million
 * random ids. Tables created before keep their PRIMARY KEY and are loaded by upsert.
 */
export function createTableSql(layout: TableLayout): string {
  const cols = layout.columns.map((c) => `${ident(c.name)} ${c.type}${layout.primaryKey.includes(c.name) ? ' NOT NULL' : ''}`);
  return `CREATE TABLE IF NOT EXISTS ${qualified(layout.schema, layout.table)} (${cols.join(', ')})`;
}

/**
 * A connector's state table, in its own schema (stream names repeat across connectors: users):
 * one row per stream and account, so each organization's sync resumes from its own cursor.
 */
export const stateTableSql = (schema: string): string => `CREATE TABLE IF NOT EXISTS ${qualified(schema, STATE_TABLE)} (
  stream VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  state JSON NOT NULL,
  updated_at TIMESTAMPTZ NOT NULL,
  PRIMARY KEY (stream, account_id)
)`;

/**
 * The accounts of a connector schema: where each id came from (api, config, default) and a
 * fingerprint of the key that last loaded it (a truncated SHA-256, never the key), so a second
 * key under the same id is refused instead of merged (warehouse/loader.ts).
 */
export const accountsTableSql = (schema: string): string => `CREATE TABLE IF NOT EXISTS ${qualified(schema, ACCOUNTS_TABLE)} (
  account_id VARCHAR PRIMARY KEY,
  account_name VARCHAR,
  id_from VARCHAR NOT NULL,
  key_fingerprint VARCHAR NOT NULL,
  source VARCHAR NOT NULL
)`;

/** A SQL string literal. */
export const literal = (text: string): string => `'${text.replace(/'/g, "''")}'`;
