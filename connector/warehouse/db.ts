import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance, DuckDBValue, Json } from '@duckdb/node-api';
import { CONNECTORS } from '../connectors.js';
import { WarehouseError, EXIT } from './exit-codes.js';

/** What `sync` and `report` say when the optional dependency is not installed (the connector images leave it out). */
export const DUCKDB_MISSING =
  'DuckDB is not installed: sync and report need the optional dependency @duckdb/node-api; install it with `npm install @duckdb/node-api` (or `npm ci` without --omit=optional). The connector images leave it out: run sync and report from an npm install.';

/**
 * DuckDB, loaded when a database is opened and not before: it is an optional dependency
 * (70 MB of native library), so spec/check/discover/read never load it and run without it.
 */
async function duckdb(): Promise<typeof import('@duckdb/node-api')> {
  try {
    return await import('@duckdb/node-api');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // The package itself, or its native bindings package, is missing.
    if ((e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') && /@duckdb\//.test(e.message))
      throw new WarehouseError(EXIT.usage, DUCKDB_MISSING, e.message);
    throw err;
  }
}

/** Fail now (WarehouseError, DUCKDB_MISSING) when DuckDB is not installed: before a sync sends any request. */
export async function requireDuckDb(): Promise<void> {
  await duckdb();
}

export type Row = Record<string, Json>;

/**
 * Refuse a database file whose name, without its extension, is a connector's schema (`anthropic.duckdb`):
 * DuckDB names the file's catalog after it, and `anthropic.spend` would then be ambiguous between the
 * catalog and the schema (DuckDB fails every statement with "Ambiguous reference to catalog or schema").
 */
export function checkDbName(path: string): void {
  const catalog = basename(path)
    .replace(/\.[^.]*$/, '')
    .toLowerCase();
  const clash = CONNECTORS.find((c) => c.provider === catalog);
  if (clash) {
    throw new WarehouseError(
      EXIT.usage,
      `--db '${path}': DuckDB names the database after its file, '${catalog}', which is also the schema of ${clash.name}'s tables, so every query of it would be ambiguous; use another file name, e.g. --db spend.duckdb.`,
    );
  }
}

export interface OpenOptions {
  readOnly?: boolean;
  /** Until when (Date.now() milliseconds) to retry while another process holds the file; default: no retry. */
  deadline?: number;
  /** Stops a wait (SIGTERM): the open fails as if the time were up. */
  signal?: AbortSignal;
  /** Told once, when the open starts waiting for another process. */
  onWait?: (message: string) => void;
}

/** How often a waiting open or lock retries (--wait-lock). */
export const LOCK_RETRY_MS = 200;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One DuckDB database file and one connection to it. Sessions use UTC, so DATE and
 * TIMESTAMPTZ values never shift with the machine's time zone.
 */
export class Warehouse {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  /**
   * Open `path`. When another process holds DuckDB's lock on the file (a sync, the DuckDB shell,
   * a BI tool), retry until `deadline` (a Date.now() instant; default: fail at once), telling
   * `onWait` once that it waits; then fail with EXIT.locked.
   */
  static async open(path: string, opts: OpenOptions = {}): Promise<Warehouse> {
    checkDbName(path);
    const { DuckDBInstance } = await duckdb();
    if (opts.readOnly && !existsSync(path)) {
      throw new WarehouseError(EXIT.usage, `Database '${path}' does not exist; run sync first or pass the right --db.`);
    }
    let instance: DuckDBInstance | undefined;
    let waitedSince: number | null = null;
    while (instance === undefined) {
      try {
        instance = await DuckDBInstance.create(path, opts.readOnly ? { access_mode: 'READ_ONLY' } : {});
      } catch (err) {
        const e = openError(path, err, waitedSince === null ? null : Date.now() - waitedSince);
        const left = (opts.deadline ?? 0) - Date.now();
        if (e.exitCode !== EXIT.locked || left <= 0 || opts.signal?.aborted) throw e;
        if (waitedSince === null) {
          waitedSince = Date.now();
          opts.onWait?.(
            `'${path}' is open in another process (${holderOf(e.detail ?? '')}); waiting up to ${Math.ceil(left / 1000)} s for it to close the file`,
          );
        }
        await sleep(Math.min(LOCK_RETRY_MS, left));
      }
    }
    const conn = await instance.connect();
    const db = new Warehouse(path, instance, conn);
    await db.run("SET TimeZone = 'UTC'");
    return db;
  }

  async run(sql: string, params?: DuckDBValue[]): Promise<number> {
    const r = await this.conn.run(sql, params);
    return r.rowsChanged;
  }

  /** Run `fn` in one transaction: committed when it returns, rolled back when it throws. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    await this.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      await this.run('COMMIT');
      return result;
    } catch (err) {
      try {
        await this.run('ROLLBACK');
      } catch {
        // the transaction is already gone
      }
      throw err;
    }
  }

  async rows(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    const reader = await this.conn.runAndReadAll(sql, params);
    return reader.getRowObjectsJson() as Row[];
  }

  async appender(table: string, schema = 'main', catalog: string | null = null): Promise<DuckDBAppender> {
    return this.conn.createAppender(table, schema, catalog);
  }

  /** The tables and views of one schema of this database. */
  async tables(schema = 'main'): Promise<Set<string>> {
    const rows = await this.rows('SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND table_catalog = current_database()', [schema]);
    return new Set(rows.map((r) => String(r.table_name)));
  }

  /** Every base table of this database, with its schema. */
  async allTables(): Promise<Array<{ schema: string; table: string }>> {
    const rows = await this.rows(
      "SELECT table_schema, table_name FROM information_schema.tables WHERE table_catalog = current_database() AND table_type = 'BASE TABLE' ORDER BY 1, 2",
    );
    return rows.map((r) => ({ schema: String(r.table_schema), table: String(r.table_name) }));
  }

  /** Column name -> DuckDB type name, in table order; empty when the table does not exist. */
  async columns(table: string, schema = 'main'): Promise<Map<string, string>> {
    const rows = await this.rows(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = ? AND table_catalog = current_database() AND table_name = ? ORDER BY ordinal_position',
      [schema, table],
    );
    return new Map(rows.map((r) => [String(r.column_name), String(r.data_type)]));
  }

  /** Whether the table has a PRIMARY KEY (tables created before the loader stopped indexing them). */
  async hasPrimaryKey(table: string, schema = 'main'): Promise<boolean> {
    const rows = await this.rows(
      "SELECT count(*) AS n FROM duckdb_constraints() WHERE database_name = current_database() AND schema_name = ? AND table_name = ? AND constraint_type = 'PRIMARY KEY'",
      [schema, table],
    );
    return Number(rows[0]?.n ?? 0) > 0;
  }

  close(): void {
    try {
      this.conn.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

/** "/usr/bin/duckdb, pid 1234" from DuckDB's "Conflicting lock is held in /usr/bin/duckdb (PID 1234)", or a general word. */
export function holderOf(message: string): string {
  const m = /lock is held in (.+?) \(PID (\d+)\)/i.exec(message);
  return m ? `${m[1]}, pid ${m[2]}` : 'pid unknown';
}

function openError(path: string, err: unknown, waitedMs: number | null = null): WarehouseError {
  const message = err instanceof Error ? err.message : String(err);
  if (/could not set lock|conflicting lock/i.test(message)) {
    const what = waitedMs === null ? 'is open in another process' : `is still open in another process after waiting ${Math.round(waitedMs / 1000)} s`;
    return new WarehouseError(
      EXIT.locked,
      `Database '${path}' ${what} (${holderOf(message)}): a sync, the DuckDB shell or a BI tool; ` +
        'nothing was changed. Close it there, or pass --wait-lock SECONDS to wait for it.',
      message,
    );
  }
  return new WarehouseError(EXIT.database, `Cannot open database '${path}': ${firstLine(message)}`, message);
}

export const firstLine = (text: string): string => text.split('\n')[0]?.trim() ?? text;
