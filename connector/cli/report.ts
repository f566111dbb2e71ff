import { renameSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { REPORT, UsageError, parseCommand, str, usageOf } from './commands.js';
import { Warehouse, firstLine } from '../warehouse/db.js';
import { EXIT, WarehouseError, type ExitCode } from '../warehouse/exit-codes.js';
import { formatMoney } from '../warehouse/money.js';
import { buildReport, renderHtml } from '../warehouse/report.js';
import type { Terminal } from '../warehouse/summary.js';
import { ConnectorError } from '../engine/errors.js';
import type { Clock } from '../engine/run.js';
import { asOfNote, runClock } from './runtime.js';

/** The longest --wait-lock: a day. */
const MAX_WAIT_LOCK_S = 86_400;

/** --wait-lock SECONDS of sync and report, in milliseconds (0 when absent): a whole number of seconds, 0 to 86400. */
export function waitLockMs(text: string | undefined): number {
  if (text === undefined) return 0;
  const s = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(s) || s > MAX_WAIT_LOCK_S)
    throw new UsageError(`--wait-lock must be a whole number of seconds between 0 and ${MAX_WAIT_LOCK_S}, got '${text}'.`);
  return s * 1000;
}

/**
 * `<connector> report --db F [--out report.html] [--days 90] [--wait-lock SECONDS]`: one static HTML page
 * (inline CSS and SVG, no script, nothing fetched) from the spend tables in F, opened
 * read-only. Exit codes as for sync (warehouse/exit-codes.ts).
 */
export async function reportCommand(name: string, argv: string[], term: Terminal): Promise<ExitCode> {
  const say = (text: string): void => term.write(`${name} report: ${text}\n`);
  let dbPath: string;
  let out: string;
  let days: number;
  let waitMs: number;
  let clock: Clock;
  try {
    const { values } = parseCommand(REPORT, argv);
    dbPath = str(values, 'db') ?? 'costs.duckdb';
    out = str(values, 'out') ?? 'report.html';
    const daysText = str(values, 'days');
    days = daysText === undefined ? 90 : Number(daysText);
    if (!Number.isInteger(days) || days < 1 || days > 3660)
      throw new UsageError(`--days must be a whole number of days between 1 and 3660, got '${daysText}'.`);
    waitMs = waitLockMs(str(values, 'wait-lock'));
    clock = runClock();
  } catch (err) {
    if (!(err instanceof UsageError) && !(err instanceof ConnectorError)) throw err;
    say(err.message);
    if (err instanceof UsageError) term.write(usageOf(name, REPORT));
    return EXIT.usage;
  }
  let db: Warehouse;
  try {
    db = await Warehouse.open(dbPath, { readOnly: true, deadline: Date.now() + waitMs, onWait: say });
  } catch (err) {
    if (err instanceof WarehouseError) {
      say(err.message);
      return err.exitCode;
    }
    throw err;
  }
  try {
    const asOf = asOfNote(clock);
    if (asOf) say(asOf);
    const opts = { days, now: new Date(clock.now()) };
    const data = await buildReport(db, opts);
    const html = renderHtml(data, opts, basename(dbPath));
    const tmp = `${out}.tmp-${process.pid}`;
    try {
      writeFileSync(tmp, html);
      renameSync(tmp, out);
    } catch (err) {
      say(`cannot write '${out}' (${(err as NodeJS.ErrnoException).code ?? 'error'}).`);
      return EXIT.usage;
    }
    if (data.last === null) {
      say(`wrote ${out}: ${dbPath} has no spend rows yet (table focus_spend from the spend stream of any connector; sync first).`);
    } else {
      say(
        `wrote ${out}: ${data.sources.map((s) => s.table).join(' + ')}, ${data.periodStart}..${data.last}, ` +
          `${formatMoney(data.periodTotal, data.currency)} in ${data.days.length} days, ${formatMoney(data.month.mtd, data.currency)} ${data.month.label} to date` +
          `${data.mode === 'focus' ? ` (${data.providers.map((p) => p.provider).join(', ')})` : ''}.`,
      );
      // Which days month to date covers, per provider (the settle rule over the sync state: docs/warehouse.md).
      say(
        `complete through ${data.coverage.map((c) => `${c.provider} ${c.through}${c.fromState ? '' : ' (no sync state)'}`).join(', ')}; ${data.month.label} to date covers ${data.month.compared}.`,
      );
      if (data.mode === 'tables')
        say('no focus_spend table with rows: read the provider tables of an older sync; re-sync with the spend stream for the FOCUS table.');
    }
    return EXIT.ok;
  } catch (err) {
    say(`cannot read '${dbPath}': ${firstLine((err as Error).message)}`);
    return EXIT.database;
  } finally {
    db.close();
  }
}
