import { createHash } from 'node:crypto';
import { CONNECTORS } from '../connectors.js';
import { ConnectorError, configError, toConnectorError } from '../engine/errors.js';
import { createLogger, type Level, type Logger } from '../engine/logger.js';
import type { ConfiguredStream, FloorNotice, StreamHooks, WindowProgress } from '../engine/read.js';
import type { Account, SourceDefinition } from '../engine/source.js';
import type { Run } from '../engine/run.js';
import { futureCursor, type StreamState } from '../engine/state/state.js';
import { Secrets } from '../protocol/secrets.js';
import { Warehouse, checkDbName, firstLine, requireDuckDb } from '../warehouse/db.js';
import { EXIT, WarehouseError, type ExitCode } from '../warehouse/exit-codes.js';
import { checkFocusView, refreshFocusView } from '../warehouse/focus.js';
import { DbLock } from '../warehouse/lock.js';
import { Loader, type LoadAccount, type LoadTarget } from '../warehouse/loader.js';
import { Lines, Progress, summaryLine, type ProgressItem, type Terminal } from '../warehouse/summary.js';
import { reportCommand, waitLockMs } from './report.js';
import { SPEND_STREAM } from '../engine/focus/focus.js';
import { SYNC, UsageError, parseCommand, str, usageOf, type Values } from './commands.js';
import { loadRun } from './inputs.js';
import { asOfNote, decodePoolFor, httpClientFor, readSource, resolveAccount, resolveNames } from './runtime.js';

/**
 * `<connector> sync --config F [--db costs.duckdb] [--streams a,b] [--verbose] [--debug]`
 *
 * Runs the connector's read in this process and loads every selected stream into a
 * DuckDB file (connector/warehouse/loader.ts): one table per stream merged by primary
 * key, the connector state committed in the same transaction as the rows it covers.
 * Generic over SourceDefinition, so every connector has it. Exit codes: warehouse/exit-codes.ts.
 */
const DEFAULT_DB = 'costs.duckdb';

/**
 * The DuckDB schema of a connector's tables: its provider (openai, anthropic, aurous), so several
 * connectors share one file (both OpenAI and Anthropic have a `users` stream).
 */
export const warehouseSchema = (name: string): string => CONNECTORS.find((c) => c.name === name)?.provider ?? name.replace(/[^a-z0-9]+/gi, '_');

/**
 * A fingerprint of the config's key(s): the first 16 hex digits of a SHA-256, enough to tell two
 * keys apart and not enough to learn anything about one. Stored per account (loader.ts), never printed.
 */
export function keyFingerprint(secrets: readonly string[]): string {
  return `sha256:${createHash('sha256').update(secrets.join('\n')).digest('hex').slice(0, 16)}`;
}

/** "account org-abc (organization_id)" for the summary: which account the rows went to and why. */
const accountText = (a: Account, field: string | null): string =>
  `account '${a.id}'${a.from === 'api' ? ' (from the API)' : a.from === 'config' ? ` (${field ?? 'config'})` : ` (default${field ? `; no ${field} set` : ''})`}`;

/** Entry point for the `sync` and `report` command words; sets process.exitCode. */
export async function warehouseCommand<C>(source: SourceDefinition<C>, command: 'sync' | 'report', argv: string[]): Promise<void> {
  const term: Terminal = {
    write: (t) => void process.stderr.write(t),
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
  };
  process.exitCode = command === 'report' ? await reportCommand(source.name, argv, term) : await syncCommand(source, argv, term);
}

/** The streams to sync: all of them, or the --streams list, each incremental where it can be. */
function selectStreams<C>(source: SourceDefinition<C>, list: string | undefined): Array<LoadTarget<C>> {
  const known = new Map(source.streams.map((s) => [s.name, s]));
  const names =
    list === undefined
      ? [...known.keys()]
      : list
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0);
  if (names.length === 0) throw configError(`--streams is empty; name one or more of: ${[...known.keys()].join(', ')}.`);
  const out: Array<LoadTarget<C>> = [];
  for (const name of new Set(names)) {
    const def = known.get(name);
    if (!def) throw configError(`Unknown stream '${name}' in --streams; this connector has: ${[...known.keys()].join(', ')}.`);
    out.push({ def, mode: def.kind === 'buckets' ? 'incremental' : 'full_refresh' });
  }
  return out;
}

/**
 * The streams `--reset` (comma lists, repeatable) or `--reset-all` name: each must be one this
 * sync reads, since a reset drops the rows and state that the same run then re-reads.
 */
function selectResets<C>(targets: ReadonlyArray<LoadTarget<C>>, lists: readonly string[] | undefined, all: boolean): Set<string> {
  const selected = targets.map((t) => t.def.name);
  if (all) {
    if (lists?.length) throw configError('Pass either --reset NAME,... or --reset-all, not both.');
    return new Set(selected);
  }
  const names = (lists ?? []).flatMap((l) => l.split(',')).map((s) => s.trim());
  if (lists && names.every((n) => n === '')) throw configError(`--reset is empty; name one or more of: ${selected.join(', ')}.`);
  for (const name of names) {
    if (name !== '' && !selected.includes(name)) {
      throw configError(`Cannot reset '${name}': it is not a stream this sync reads (${selected.join(', ')}); check the name or add it to --streams.`);
    }
  }
  return new Set(names.filter((n) => n !== ''));
}

async function syncCommand<C>(source: SourceDefinition<C>, argv: string[], term: Terminal): Promise<ExitCode> {
  const secrets = new Secrets();
  const progress = new Progress(term, secrets.scrub);
  const out = new Lines(term, progress, secrets.scrub);
  const fail = (code: ExitCode, message: string): ExitCode => {
    out.line(`${source.name} sync: ${message}`);
    return code;
  };
  let values: Values;
  let waitMs: number;
  try {
    values = parseCommand(SYNC, argv).values;
    waitMs = waitLockMs(str(values, 'wait-lock'));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    out.line(`${source.name} sync: ${err.message}`);
    term.write(usageOf(source.name, SYNC));
    return EXIT.usage;
  }
  const dbPath = str(values, 'db') ?? DEFAULT_DB;
  try {
    checkDbName(dbPath);
  } catch (err) {
    if (err instanceof WarehouseError) return fail(err.exitCode, err.message);
    throw err;
  }

  let run: Run<C>;
  let targets: Array<LoadTarget<C>>;
  let resets: Set<string>;
  try {
    run = loadRun(source, str(values, 'config'), secrets);
    targets = selectStreams(source, str(values, 'streams'));
    resets = selectResets(targets, values.reset as string[] | undefined, values['reset-all'] === true);
  } catch (err) {
    if (err instanceof ConnectorError) return fail(EXIT.usage, err.message);
    throw err;
  }

  const verbose = values.verbose === true;
  const level: Level = values.debug ? 'debug' : verbose ? 'info' : 'warn';
  const logger = syncLogger(level, out, secrets);
  // Said with --verbose (as the other progress lines): sync's output on a failure stays one line.
  const asOf = asOfNote(run.clock);
  if (asOf) logger.info(asOf);
  // The client counts each stream's requests (HttpClient.forStream), on this thread and the decode workers alike.
  const http = httpClientFor(run, { logger, redact: secrets.scrub });

  // Whose rows and state these are (docs/warehouse.md): before the database is touched, and
  // after checking that DuckDB is there (the organization may take a request).
  let account: LoadAccount;
  try {
    await requireDuckDb();
    run = await resolveAccount(source, run, http);
    account = { ...run.account, fingerprint: keyFingerprint(source.secrets(run.config)), field: source.account?.field ?? null };
  } catch (err) {
    if (err instanceof WarehouseError) return fail(err.exitCode, err.message);
    if (err instanceof ConnectorError) return fail(err.failureType === 'config_error' ? EXIT.usage : EXIT.partial, err.message);
    throw err;
  }

  // --wait-lock: one deadline for both the lock file (another sync) and DuckDB's own lock (any process).
  const deadline = Date.now() + waitMs;
  const say = (m: string): void => out.line(`${source.name} sync: ${m}`);
  let lock: DbLock;
  try {
    lock = await DbLock.acquireBy(dbPath, deadline, say, say);
  } catch (err) {
    if (err instanceof WarehouseError) return fail(err.exitCode, err.message);
    throw err;
  }
  const releaseOnExit = (): void => lock.release();
  process.once('exit', releaseOnExit);

  const abort = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => (): void => {
    signals += 1;
    if (signals > 1) {
      // Nothing uncommitted is ever visible: stopping now only loses the window in flight.
      out.line(`${source.name} sync: ${sig} again: stopping now; the next sync resumes from the last committed state`);
      lock.release();
      process.exit(130);
    }
    out.line(`${source.name} sync: ${sig} received: stopping after the current window (again to stop at once)`);
    abort.abort();
  };
  const term$ = onSignal('SIGTERM');
  const int$ = onSignal('SIGINT');
  process.on('SIGTERM', term$);
  process.on('SIGINT', int$);

  let db: Warehouse | null = null;
  try {
    try {
      db = await Warehouse.open(dbPath, { deadline, onWait: say, signal: abort.signal });
    } catch (err) {
      if (err instanceof WarehouseError) return fail(err.exitCode, err.message);
      throw err;
    }
    const schema = warehouseSchema(source.name);
    const loader = new Loader<C>(db, source.name, targets, {
      clock: run.clock,
      schema,
      account,
      newKey: values['new-key'] === true,
      onNewKey: (id) => out.line(`${source.name} sync: account '${id}' is read with a new key (rotated): the stored fingerprint is replaced`),
      onAccountMigrate: (tables, id) =>
        out.line(
          `${source.name} sync: gave the rows and state of the layout without accounts to account '${id}'` +
            (tables.length > 0 ? ` (${tables.join(', ')})` : ''),
        ),
      streams: source.streams,
      onMigrate: (tables) =>
        out.line(
          `${source.name} sync: moved ${tables.length} table${tables.length === 1 ? '' : 's'} of an earlier version from main into schema ${schema} (${tables.join(', ')})`,
        ),
      resets,
      onReset: (stream, deleted) =>
        out.line(`${stream}: reset: ${deleted} row${deleted === 1 ? '' : 's'} and the stored state dropped; re-reading from start_date`),
      onCommit: (c) => {
        if (!verbose) return;
        const through = c.cursor === null ? '' : ` up to ${new Date(c.cursor * 1000).toISOString().slice(0, 10)}`;
        const deleted = c.deleted > 0 ? `, ${c.deleted} deleted` : '';
        out.line(`${c.stream}: committed ${c.rows} rows (${c.inserted} inserted, ${c.updated} updated, ${c.unchanged} unchanged${deleted})${through}`);
      },
      onError: (stream, message) => out.line(`${stream}: ${message}`),
    });
    let states: Map<string, StreamState>;
    try {
      states = await loader.prepare();
      await refreshFocusView(db);
    } catch (err) {
      if (err instanceof WarehouseError) return fail(err.exitCode, err.message);
      if (err instanceof ConnectorError) return fail(EXIT.usage, err.message);
      return fail(EXIT.database, `Cannot prepare the tables in '${dbPath}': ${firstLine((err as Error).message)}`);
    }
    // A stored cursor in the future would print 'ok, 0 rows' every night: refused, before any request (docs/state.md).
    const nowS = Math.floor(run.clock.now() / 1000);
    for (const t of targets) {
      const future = t.mode === 'incremental' ? futureCursor(t.def.name, states.get(t.def.name), nowS) : null;
      if (future) return fail(EXIT.usage, `${future}; run 'sync --reset ${t.def.name}' to read it again from start_date`);
    }
    // The names of the spend rows' ids (docs/focus.md, Names): only when spend is synced, once the file accepted this
    // account and key; their requests count as spend's. A refused key fails here as it would in the read.
    if (targets.some((t) => t.def.name === SPEND_STREAM)) {
      try {
        run = await resolveNames(source, run, http.forStream(SPEND_STREAM), logger);
      } catch (err) {
        if (err instanceof ConnectorError) return fail(err.failureType === 'config_error' ? EXIT.usage : EXIT.partial, err.message);
        throw err;
      }
    }

    const started = run.clock.now();
    // Where each bucketed stream's read starts and ends, as read() planned it.
    const ranges = new Map<string, { from: number; to: number }>();
    // Each bucketed stream's windows done of planned, and when they were planned (for the time left).
    const windows = new Map<string, { p: WindowProgress; since: number }>();
    const progressItems = (): ProgressItem[] =>
      loader.stats().map((s) => {
        const r = ranges.get(s.name);
        const span = r ? r.to - r.from : 0;
        const fraction = s.kind === 'buckets' && r && span > 0 && s.cursor !== null && s.startedAt !== null ? (s.cursor - r.from) / span : 0;
        const w = windows.get(s.name);
        const now = run.clock.now();
        return {
          name: s.name,
          fraction,
          done: s.outcome !== 'pending',
          rows: s.rows,
          ...(w
            ? {
                windows: {
                  done: w.p.windowsDone,
                  planned: w.p.windowsPlanned,
                  bucketsDone: w.p.bucketsDone,
                  bucketsPlanned: w.p.bucketsPlanned,
                  elapsedMs: now - w.since,
                },
              }
            : {}),
        };
      });
    const ticker = progress.enabled ? setInterval(() => progress.update(progressItems()), 100) : null;
    ticker?.unref();

    // Streams that start at their API's floor, for their summary line (the read logs it once too).
    const floors = new Map<string, FloorNotice>();
    // A stream whose stored state is unusable already failed in prepare(): the others are read.
    const catalog: ConfiguredStream[] = targets.filter((t) => !loader.failedStreams().has(t.def.name)).map((t) => ({ name: t.def.name, syncMode: t.mode }));
    const hooks: StreamHooks = {
      ...loader.hooks(),
      onRange: (stream, range) => void ranges.set(stream, range),
      onFloor: (stream, notice) => void floors.set(stream, notice),
      onWindows: (stream, p) => void windows.set(stream, { p, since: windows.get(stream)?.since ?? run.clock.now() }),
    };
    // The decode workers receive and decode the pages as in `read`, into rows for the loader; with the config as resolved.
    const emitter = loader.emitter();
    const pool = decodePoolFor(source, run, emitter.records, logger);
    try {
      await pool?.up;
      await readSource(run, { catalog, states, http, emitter, hooks, logger, signal: abort.signal, ...(pool ? { decoders: pool } : {}) });
      await loader.ready();
    } finally {
      await pool?.close();
      if (ticker) clearInterval(ticker);
      progress.clear();
    }

    // A refused key or a host that cannot be reached ended the run (http/client.ts fatalError): one line, no summary.
    if (http.fatalError) {
      const e = toConnectorError(http.fatalError, run.errorContext);
      return fail(e.failureType === 'config_error' ? EXIT.usage : EXIT.partial, e.message);
    }
    const stats = loader.stats();
    const end = run.clock.now();
    for (const s of stats) out.line(summaryLine(s, http.requestsOf(s.name), end, floors.get(s.name), ranges.get(s.name)));
    // focus_spend types the spend rows as DECIMAL: a value it cannot hold exactly fails this sync, not a later query.
    let unfit: string | null = null;
    if (targets.some((t) => t.def.name === SPEND_STREAM)) {
      try {
        await checkFocusView(db, schema);
      } catch (err) {
        if (!(err instanceof WarehouseError)) throw err;
        unfit = err.message;
        out.line(`${SPEND_STREAM}: ${err.message}`);
      }
    }
    const ok = stats.filter((s) => s.outcome === 'complete').length;
    const sum = (f: (s: (typeof stats)[number]) => number): number => stats.reduce((a, s) => a + f(s), 0);
    out.line(
      `${source.name} sync: ${ok}/${stats.length} streams loaded into ${dbPath} for ${accountText(account, account.field)}: ${sum((s) => s.rows).toLocaleString('en-US')} rows ` +
        `(${sum((s) => s.inserted).toLocaleString('en-US')} inserted, ${sum((s) => s.updated).toLocaleString('en-US')} updated), ` +
        `${http.requestCount} request${http.requestCount === 1 ? '' : 's'}, ${((end - started) / 1000).toFixed(1)} s` +
        (abort.signal.aborted ? '; interrupted: the next sync resumes from the last committed state' : ''),
    );
    return ok === stats.length && !abort.signal.aborted && unfit === null ? EXIT.ok : EXIT.partial;
  } catch (err) {
    const e = err as Error;
    return fail(EXIT.partial, `unexpected error: ${firstLine(e.message)}`);
  } finally {
    process.off('SIGTERM', term$);
    process.off('SIGINT', int$);
    try {
      db?.close();
    } finally {
      lock.release();
      process.off('exit', releaseOnExit);
    }
  }
}

/** sync's log: lines on stderr (under the progress bar), scrubbed with the run's secrets. */
export function syncLogger(level: Level, out: Lines, secrets: Secrets): Logger {
  return createLogger(level, (lvl, message) => out.line(`${lvl.toLowerCase()}: ${message}`), secrets);
}
