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
/** "0012.3400" -> "12.34", "-0.000" -> "0": written here, not the connector's normalizeDecimal. */
export function plainDecimal(text: string): string {
  const neg = text.startsWith('-');
  const [int = '', frac = ''] = (neg ? text.slice(1) : text).split('.');
  const i = int.replace(/^0+/, '') || '0';
  const f = frac.replace(/0+$/, '');
  const body = f ? `${i}.${f}` : i;
  return neg && body !== '0' ? `-${body}` : body;
}

export const trimDecimal = (text: string): string => (text.includes('.') ? text.replace(/0+$/, '').replace(/\.$/, '') : text);

/** "$1,234.57" from nano-units, rounding half up to cents (independent of the report's own formatter). */
export function usdFromNanos(nanos: bigint): string {
  const cents = (nanos + 5_000_000n) / 10_000_000n;
  const dollars = cents / 100n;
  const rest = (cents % 100n).toString().padStart(2, '0');
  return `$${dollars.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${rest}`;
}

/*
 * A report page's Anthropic figures, read back from its HTML (issue 23: every Anthropic figure on the
 * page agrees with every other over the same days). Independent of the report's own code: exact
 * decimals as BigInt at 12 decimals, the chart CSV parsed from its data: URI.
 */
const UNIT = 10n ** 12n;
/** "12.5" -> 12500000000000n. */
export function units(text: string): bigint {
  const neg = text.startsWith('-');
  const [int = '0', frac = ''] = (neg ? text.slice(1) : text).split('.');
  const v = BigInt(int || '0') * UNIT + BigInt((frac.padEnd(12, '0') || '0').slice(0, 12));
  return neg ? -v : v;
}
/** 12500000000000n -> "12.5". */
export function decimalOf(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = (a % UNIT).toString().padStart(12, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / UNIT}${frac ? `.${frac}` : ''}`;
}
const unescapeHtml = (s: string): string =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** RFC 4180 CSV (CRLF) as rows of fields. */
export function parseCsvText(text: string): string[][] {
  const out: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      out.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return out;
}

/** The CSV behind a chart of the page (its "Download CSV" link). */
export function chartCsvOf(html: string, id: string): string[][] {
  const href = new RegExp(`id="${id}-csv" download="[^"]*" href="data:text/csv;charset=utf-8,([^"]*)"`).exec(html)?.[1];
  if (href === undefined) throw new Error(`no CSV link for ${id}`);
  return parseCsvText(decodeURIComponent(unescapeHtml(href)));
}

const exactsIn = (fragment: string): string[] => [...fragment.matchAll(/data-exact="([^"]*)"/g)].map((m) => m[1] as string);

export interface FigureCheck {
  what: string;
  /** The figure as the page shows it (data-exact). */
  page: string;
  /** The same figure from other figures of the page, over the same days. */
  derived: string;
}

/**
 * Every Anthropic figure of a report page against the others over the same days: the "By provider" row
 * (last N days, month to date over its complete days, the previous month's same days, the forecast)
 * against the daily chart's CSV, and the cost by API key and by person (all rows, the cost_report days
 * included) against the headline. Throws when the page has no Anthropic row.
 */
export function anthropicFigureChecks(html: string): { checks: FigureCheck[]; breakdowns: string[] } {
  const providers = /<table id="providers">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  const rows = [...providers.matchAll(/<tr data-provider="([^"]*)"><td data-through="([^"]*)">([\s\S]*?)<\/tr>/g)];
  const mine = rows.find((r) => r[1] === 'Anthropic');
  if (!mine) throw new Error('no Anthropic row in the By provider table');
  const through = mine[2] as string;
  const anchor = rows
    .map((r) => r[2] as string)
    .sort()
    .at(-1) as string;
  const [period, mtd, prevSame, forecast] = exactsIn(mine[3] as string) as [string, string, string, string];
  const csv = chartCsvOf(html, 'chart-providers');
  const col = (csv[0] ?? []).indexOf('Anthropic');
  if (col < 1) throw new Error('no Anthropic column in the provider chart CSV');
  const days = csv.slice(1).map((r) => ({ day: r[0] as string, amount: units(r[col] || '0') }));
  const sumDays = (f: (d: string) => boolean): bigint => days.filter((d) => f(d.day)).reduce((a, d) => a + d.amount, 0n);
  const monthStart = `${anchor.slice(0, 8)}01`;
  const prev = new Date(Date.UTC(Number(anchor.slice(0, 4)), Number(anchor.slice(5, 7)) - 2, 1)).toISOString().slice(0, 10);
  const dim = new Date(Date.UTC(Number(anchor.slice(0, 4)), Number(anchor.slice(5, 7)), 0)).getUTCDate();
  const elapsed = through >= monthStart ? Number(through.slice(8, 10)) : 0;
  const checks: FigureCheck[] = [
    { what: 'last N days = the provider chart CSV', page: period, derived: decimalOf(sumDays(() => true)) },
    { what: `month to date = the CSV from ${monthStart} to ${through}`, page: mtd, derived: decimalOf(sumDays((d) => d >= monthStart && d <= through)) },
  ];
  if ((days[0]?.day ?? '9') <= prev)
    checks.push({
      what: `previous month's same days = the CSV from ${prev}, day of month up to ${elapsed}`,
      page: prevSame,
      derived: decimalOf(sumDays((d) => d >= prev && d < monthStart && Number(d.slice(8, 10)) <= elapsed)),
    });
  if (elapsed > 0) {
    const n = units(mtd) * BigInt(dim);
    const a = n < 0n ? -n : n;
    const e = BigInt(elapsed);
    const q = a / e + ((a % e) * 2n >= e ? 1n : 0n);
    checks.push({ what: `forecast = month to date × ${dim} ÷ ${elapsed}`, page: forecast, derived: decimalOf(n < 0n ? -q : q) });
  }
  const breakdowns: string[] = [];
  for (const id of ['by-api-key', 'by-actor']) {
    const t = new RegExp(
      `<div id="${id}-section" data-same-rows="(true|false)"><h2>[^<]*</h2><table id="${id}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody><tfoot>([\\s\\S]*?)</tfoot>`,
    ).exec(html);
    if (!t) continue;
    breakdowns.push(id);
    const sum = [...(t[2] as string).matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].reduce((acc, r) => acc + units(exactsIn(r[1] as string)[0] ?? '0'), 0n);
    checks.push({ what: `${id}: its rows add up to its total`, page: exactsIn(t[3] as string)[0] ?? '', derived: decimalOf(sum) });
    checks.push({ what: `${id}: rows of the headline (data-same-rows)`, page: t[1] as string, derived: 'true' });
    checks.push({ what: `${id}: its rows add up to the headline, last N days`, page: period, derived: decimalOf(sum) });
  }
  return { checks, breakdowns };
}
