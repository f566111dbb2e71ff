import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { discoverCatalog, parseConfiguredCatalog } from '../engine/catalog.js';
import { ConnectorError, toConnectorError } from '../engine/errors.js';
import { createLogger, levelFromEnv, type Logger } from '../engine/logger.js';
import { encodedLines } from '../engine/decode/decode.js';
import type { Emitter } from '../engine/read.js';
import { errorContext, type SourceDefinition } from '../engine/source.js';
import { parseStateFile } from '../engine/state/state.js';
import * as msg from '../protocol/messages.js';
import type { AirbyteMessage } from '../protocol/messages.js';
import { NdjsonWriter } from '../protocol/writer.js';
import { isSingerInvocation } from './singer/args.js';
import { singerMain } from './singer/main.js';
import type { HttpClient } from '../http/client.js';
import { loadRun, readJsonFile, readStateText } from './inputs.js';
import { asOfNote, httpClientFor, readWithWorkers } from './runtime.js';
import type { Run } from '../engine/run.js';
import { StateOut } from './state-out.js';
import { floorNotices, plannedRequests, type FloorNotice } from '../engine/read.js';
import { isoTime } from '../engine/time.js';
import { SPEND_STREAM } from '../engine/focus/focus.js';
import { specification } from './spec.js';
import {
  COMMANDS,
  type CommandDecl,
  SINGER,
  UsageError,
  closest,
  helpOf,
  infoRequest,
  parseCommand,
  programHelp,
  str,
  synopses,
  usageOf,
  type Values,
} from './commands.js';

/**
 * `check` answers in seconds: a refused connection or a failed DNS lookup is retried at most
 * twice within a few seconds (a read keeps the configured retries, ~a minute of backoff).
 */
const CHECK_NETWORK_RETRIES = { retries: 2, maxTimeMs: 5_000 };

interface Runtime {
  writer: NdjsonWriter<AirbyteMessage>;
  logger: Logger;
}

/** Airbyte mode's output: messages on stdout; every log line a LOG message, scrubbed with the writer's secrets. */
export function runtime(debug: boolean, out: Writable = process.stdout): Runtime {
  const writer = new NdjsonWriter<AirbyteMessage>(out);
  const logger = createLogger(levelFromEnv(process.env, debug), (level, message) => writer.write(msg.log(level, message)), writer.secrets);
  return { writer, logger };
}

/**
 * The command word of `argv` and where it is: its first positional, read with every option any
 * command declares (so an option's value is never taken for a command word).
 */
function commandWord(argv: readonly string[]): { word: string; index: number } | undefined {
  const options = Object.fromEntries(
    [...COMMANDS, SINGER].flatMap((c) => c.flags).map((f) => [f.name, { type: f.value ? ('string' as const) : ('boolean' as const) }]),
  );
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const first = tokens.find((t) => t.kind === 'positional');
  return first?.kind === 'positional' ? { word: first.value, index: first.index } : undefined;
}

/** What a command line with no or an unknown command word prints after its one line. */
function programUsage(prog: string): string {
  const lines = COMMANDS.map((c) => synopses(prog, c)[0] ?? prog);
  lines.push(`${prog} --config FILE [--discover] [--catalog FILE] [--state FILE]   (Singer mode)`);
  return `usage: ${lines.join('\n       ')}\nRun '${prog} --help' for more, '${prog} COMMAND --help' for a command's options.\n`;
}

/** Human text (help, version) on stdout through the one writer, flushed. */
async function printOut(text: string): Promise<void> {
  const writer = new NdjsonWriter<AirbyteMessage>(process.stdout);
  writer.writeText(text);
  await writer.close();
}

/**
 * Whether a usage error also goes to stdout as a TRACE ERROR: when stdout is read by a program
 * (a pipe, a file, the platform), which expects only protocol messages and a TRACE ERROR at the end
 * of a failed run. On a terminal a person reads it: the human line on stderr is enough, and a JSON
 * line before it is noise (issue 25).
 */
export const usageTraceWanted = (stdoutIsTTY: boolean | undefined): boolean => stdoutIsTTY !== true;

/**
 * A usage error of the Airbyte CLI: the one line and the usage on stderr, for a person; the same
 * line as a TRACE ERROR config_error on stdout, for the platform (stdout holds only protocol
 * messages, and every failed run ends with a TRACE ERROR), unless stdout is a terminal; exit 2.
 */
async function usageError(prog: string, decl: CommandDecl | undefined, message: string): Promise<void> {
  const usage = decl ? usageOf(prog, decl) : programUsage(prog);
  process.stderr.write(`${prog}${decl ? ` ${decl.word}` : ''}: ${message}\n${usage}`);
  process.exitCode = 2;
  if (!usageTraceWanted(process.stdout.isTTY)) return;
  const hint = `usage: ${(decl ? synopses(prog, decl) : COMMANDS.map((c) => synopses(prog, c)[0] ?? c.word)).join(' | ')}`;
  const early = new NdjsonWriter<AirbyteMessage>(process.stdout);
  early.write(msg.errorTrace({ message: `${message} ${hint}`, failureType: 'config_error' }, Date.now()));
  await early.close();
  process.exitCode = 2;
}

/** The Airbyte CLI for one source. Never calls process.exit: sets exitCode once stdout is drained. */
export async function main<C>(source: SourceDefinition<C>, argv: string[]): Promise<void> {
  const prog = source.name;
  const found = commandWord(argv);
  const decl = found ? COMMANDS.find((c) => c.word === found.word) : undefined;
  const unknown = (): Promise<void> => {
    const word = found?.word ?? '';
    const guess = closest(
      word,
      COMMANDS.map((c) => c.word),
    );
    const known = COMMANDS.map((c) => c.word).join(', ');
    return usageError(prog, undefined, `Unknown command '${word}'${guess ? `; did you mean ${guess}?` : `; the commands are ${known}.`}`);
  };
  // --help / --version on any command line (with a command word: that command's help).
  const info = infoRequest(argv);
  if (info === 'version') return printOut(`${prog} ${source.version}\n`);
  if (info === 'help') {
    if (found && !decl) return unknown();
    return printOut(
      decl
        ? helpOf(prog, decl)
        : programHelp(
            prog,
            source.version,
            source.streams.map((s) => s.name),
          ),
    );
  }
  // Warehouse commands (docs/warehouse.md) have their own flags and write only to stderr.
  // Loaded on demand, so the other commands never load DuckDB.
  if (found && (found.word === 'sync' || found.word === 'report')) {
    const rest = argv.filter((_, i) => i !== found.index);
    return (await import('./sync.js')).warehouseCommand(source, found.word, rest);
  }
  // Flags without a command word (--config F [--catalog F] [--state F], --discover): Singer mode.
  if (isSingerInvocation(argv)) return singerMain(source, argv);
  if (!found) return usageError(prog, undefined, `Missing command: one of ${COMMANDS.map((c) => c.word).join(', ')}.`);
  if (!decl) return unknown();
  let values: Values;
  try {
    values = parseCommand(decl, argv, 1).values;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return usageError(prog, decl, err.message);
  }
  const { writer, logger } = runtime(values.debug === true);
  let exitCode = 0;
  try {
    exitCode = await dispatch(
      source,
      decl.word,
      {
        config: str(values, 'config'),
        catalog: str(values, 'catalog'),
        state: str(values, 'state'),
        stateOut: str(values, 'state-out'),
        dryRun: values['dry-run'] === true,
      },
      writer,
      logger,
    );
  } catch (err) {
    const e = toConnectorError(err, errorContext(source));
    if (!(err instanceof ConnectorError) && err instanceof Error) logger.debug(err.stack ?? err.message);
    writer.write(msg.errorTrace({ message: e.message, internalMessage: e.internalMessage, failureType: e.failureType }, Date.now()));
    exitCode = 1;
  }
  await writer.close();
  process.exitCode = exitCode;
}

/** Streams that start at their API's floor (engine/read.ts FloorNotice): one LOG line each, as the read itself says it. */
function writeNotices(writer: NdjsonWriter<AirbyteMessage>, notices: readonly FloorNotice[]): void {
  for (const n of notices) writer.write(msg.log(n.level, n.message));
}

type Flags = {
  config?: string | undefined;
  catalog?: string | undefined;
  state?: string | undefined;
  stateOut?: string | undefined;
  dryRun?: boolean;
};

async function dispatch<C>(source: SourceDefinition<C>, command: string, flags: Flags, writer: NdjsonWriter<AirbyteMessage>, logger: Logger): Promise<number> {
  const startRun = (): Run<C> => {
    const run = loadRun(source, flags.config, writer.secrets);
    const note = asOfNote(run.clock);
    if (note) writer.write(msg.log('INFO', note));
    return run;
  };
  const makeHttp = (run: Run<C>, o: { networkRetries?: typeof CHECK_NETWORK_RETRIES } = {}): HttpClient => {
    return httpClientFor(run, { logger, redact: writer.secrets.scrub, ...o });
  };

  switch (command) {
    case 'spec':
      writer.write({ type: 'SPEC', spec: specification(source) });
      return 0;
    case 'check': {
      let run: Run<C> | undefined;
      try {
        run = startRun();
        // check has no catalog and no state: it speaks of every bucketed stream a read from this config
        // would start later. A stream this config cannot plan (Aurous spend without its credit rate) is
        // not check's business: a read of it says what to set.
        const checked = run;
        const notices = source.streams.flatMap((s) => {
          if (s.kind !== 'buckets') return [];
          try {
            return floorNotices({ run: checked, catalog: [{ name: s.name, syncMode: 'incremental' }], states: new Map() });
          } catch {
            return [];
          }
        });
        writeNotices(writer, notices);
        await source.check(makeHttp(run, { networkRetries: CHECK_NETWORK_RETRIES }), run.config, run.common, run.clock);
        const warned = notices.filter((n) => n.level === 'WARN');
        writer.write(msg.connectionStatus(true, warned.length > 0 ? warned.map((n) => n.message).join(' ') : undefined));
      } catch (err) {
        const e = toConnectorError(err, run?.errorContext ?? errorContext(source));
        writer.write(msg.connectionStatus(false, e.message));
      }
      return 0;
    }
    case 'discover':
      startRun();
      writer.write({ type: 'CATALOG', catalog: { streams: discoverCatalog(source.streams) } });
      return 0;
    case 'read': {
      const run = startRun();
      const catalog = parseConfiguredCatalog(readJsonFile('catalog', flags.catalog), source.streams, (m) => writer.write(msg.log('WARN', m)));
      const streamsByName = new Map(source.streams.map((s) => [s.name, s.kind === 'buckets' ? s.cursorField : undefined]));
      const stateText = readStateText(flags.state);
      const states = parseStateFile(stateText, { streams: streamsByName });
      if (flags.dryRun) {
        const http = makeHttp(run);
        writeNotices(writer, floorNotices({ run, catalog, states }));
        const planned = plannedRequests({ run, catalog, states });
        for (const p of planned) {
          const text =
            'list' in p
              ? `dry-run ${p.stream}: full refresh list, pages followed by cursor (not planned)`
              : p.exact
                ? `dry-run ${p.stream} ${isoTime(p.window.start)}..${isoTime(p.window.end)}: GET ${http.url(p.path, p.query)}`
                : `dry-run ${p.stream} ${isoTime(p.window.start)}..${isoTime(p.window.end)}: requests to ${http.url(p.path, [])} (the connector pages this window itself: its queries, GET or POST, depend on the answers)`;
          writer.write(msg.log('INFO', text));
        }
        if (source.names && catalog.some((s) => s.name === SPEND_STREAM)) {
          writer.write(
            msg.log(
              'INFO',
              `dry-run spend: names (docs/focus.md, Names), before the read: ${source.names.origin}, list pages followed by cursor (not planned)`,
            ),
          );
        }
        writer.write(msg.log('INFO', `dry-run: ${planned.filter((p) => !('list' in p)).length} window request(s); nothing was sent`));
        return 0;
      }
      if (flags.stateOut !== undefined) StateOut.probe(flags.stateOut);
      const lastState = new StateOut(stateText);
      const emitter: Emitter = {
        emit: (m) => {
          if (m.type === 'STATE') lastState.set(m.state.stream.stream_descriptor.name, m.state.stream.stream_state);
          writer.write(m);
        },
        records: { kind: 'airbyte' },
        emitRecords: (_stream, records, written) => writer.writeLines(encodedLines(records), written),
        ready: () => writer.ready(),
      };
      let result: Awaited<ReturnType<typeof readWithWorkers>>;
      try {
        result = await readWithWorkers(source, run, { catalog, states, http: makeHttp(run), emitter, logger });
      } finally {
        // Also when the read failed: the state of what completed.
        if (flags.stateOut !== undefined) lastState.write(flags.stateOut);
      }
      if (result.interrupted) {
        writer.write(
          msg.errorTrace({ message: 'Interrupted by a signal; the next sync resumes from the last STATE.', failureType: 'transient_error' }, Date.now()),
        );
        return 1;
      }
      return result.failed.length > 0 ? 1 : 0;
    }
    default:
      throw new Error(`no dispatch for command '${command}'`);
  }
}
