import { spawn, type ChildProcess } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';

/** Spawning the warehouse commands (sync, report) and reading the DuckDB files they write. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Called with each whole stderr line; return true to send `killWith` (once). */
  killWhen?: (line: string, all: string[]) => boolean;
  killWith?: NodeJS.Signals;
  timeoutMs?: number;
  env?: Record<string, string>;
  /** Receives the child as soon as it is spawned. */
  onSpawn?: (child: ChildProcess) => void;
}

export function runCli(bin: string, args: string[], o: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    o.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let partial = '';
    const lines: string[] = [];
    let killed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (!killed && o.killWhen?.(line, lines)) {
          killed = true;
          child.kill(o.killWith ?? 'SIGKILL');
        }
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Rows of a query against a DuckDB file, opened read-only unless `write` (a test that tampers
 * with a warehouse), values as JSON (BIGINT and DECIMAL as strings).
 */
export async function query(db: string, sql: string, o: { write?: boolean } = {}): Promise<Array<Record<string, unknown>>> {
  const instance = await DuckDBInstance.create(db, { access_mode: o.write ? 'READ_WRITE' : 'READ_ONLY' });
  try {
    const conn = await instance.connect();
    try {
      await conn.run("SET TimeZone = 'UTC'");
      const reader = await conn.runAndReadAll(sql);
      return reader.getRowObjectsJson() as Array<Record<string, unknown>>;
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * Everything a sync stored, for comparing two databases: every table's rows (in every schema)
 * without the load-time columns (_extracted_at, _connector_state.updated_at), sorted; keys are
 * schema.table.
 */
export async function snapshot(db: string): Promise<Record<string, string[]>> {
  const tables = await query(
    db,
    "SELECT table_schema AS s, table_name AS t FROM information_schema.tables WHERE table_type = 'BASE TABLE' ORDER BY table_schema, table_name",
  );
  const out: Record<string, string[]> = {};
  for (const { s, t } of tables as Array<{ s: string; t: string }>) {
    const cols = (
      await query(db, `SELECT column_name FROM information_schema.columns WHERE table_schema = '${s}' AND table_name = '${t}' ORDER BY ordinal_position`)
    )
      .map((r) => String(r.column_name))
      .filter((c) => c !== '_extracted_at' && !(t === '_connector_state' && c === 'updated_at'));
    const rows = await query(db, `SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${s}"."${t}"`);
    if (t === '_connector_state') {
      // A full-refresh snapshot's state records when it was taken.
      for (const r of rows) {
        const { synced_at: _at, ...state } = JSON.parse(String(r.state)) as Record<string, unknown>;
        r.state = state;
      }
    }
    out[`${s}.${t}`] = rows.map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** Exact decimal text of a sum of nano-units (the fake's costs): 1234567890n -> "1.23456789" (trailing zeros trimmed). */
export function nanosToDecimal(nanos: bigint): string {
  const neg = nanos < 0n;
  const digits = (neg ? -nanos : nanos).toString().padStart(10, '0');
  const text = `${digits.slice(0, -9)}.${digits.slice(-9)}`.replace(/0+$/, '').replace(/\.$/, '');
  return `${neg ? '-' : ''}${text}`;
}

/** Trim a DuckDB DECIMAL text: "12.340000000000" -> "12.34". */
export const trimDecimal = (text: string): string => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);

/** "$1,234.57" from nano-units, rounding half up to cents (independent of the report's own formatter). */
export function usdFromNanos(nanos: bigint): string {
  const cents = (nanos + 5_000_000n) / 10_000_000n;
  const dollars = cents / 100n;
  const rest = (cents % 100n).toString().padStart(2, '0');
  return `$${dollars.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${rest}`;
}
