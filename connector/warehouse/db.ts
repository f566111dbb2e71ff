import { existsSync } from 'node:fs';
import { DuckDBInstance, type DuckDBAppender, type DuckDBConnection, type DuckDBValue, type Json } from '@duckdb/node-api';
import { WarehouseError, EXIT } from './exit-codes.js';

export type Row = Record<string, Json>;

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

  static async open(path: string, opts: { readOnly?: boolean } = {}): Promise<Warehouse> {
    if (opts.readOnly && !existsSync(path)) {
      throw new WarehouseError(EXIT.usage, `Database '${path}' does not exist; run sync first or pass the right --db.`);
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, opts.readOnly ? { access_mode: 'READ_ONLY' } : {});
    } catch (err) {
      throw openError(path, err);
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

  async tables(): Promise<Set<string>> {
    const rows = await this.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()");
    return new Set(rows.map((r) => String(r.table_name)));
  }

  /** Column name -> DuckDB type name, in table order; empty when the table does not exist. */
  async columns(table: string): Promise<Map<string, string>> {
    const rows = await this.rows(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'main' AND table_catalog = current_database() AND table_name = ? ORDER BY ordinal_position",
      [table],
    );
    return new Map(rows.map((r) => [String(r.column_name), String(r.data_type)]));
  }

  close(): void {
    try {
      this.conn.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }
}

function openError(path: string, err: unknown): WarehouseError {
  const message = err instanceof Error ? err.message : String(err);
  if (/could not set lock|conflicting lock/i.test(message)) {
    return new WarehouseError(EXIT.locked, `Database '${path}' is in use by another process (a running sync or a DuckDB session); try again when it has finished.`, message);
  }
  return new WarehouseError(EXIT.database, `Cannot open database '${path}': ${firstLine(message)}`, message);
}

export const firstLine = (text: string): string => text.split('\n')[0]?.trim() ?? text;
