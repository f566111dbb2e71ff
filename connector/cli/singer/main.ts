import type { Writable } from 'node:stream';
import { ConnectorError, toConnectorError } from '../../engine/errors.js';
import { createLogger, levelFromEnv, type Logger } from '../../engine/logger.js';
import type { ConfiguredStream } from '../../engine/read.js';
import { errorContext, type SourceDefinition } from '../../engine/source.js';
import type { StreamDef } from '../../engine/stream.js';
import { NdjsonWriter } from '../../protocol/writer.js';
import { loadRun, readJsonFile, readStateText } from '../inputs.js';
import { asOfNote, httpClientFor, readWithWorkers } from '../runtime.js';
import { connectionSpecification } from '../spec.js';
import { parseFlags, type Flags } from './args.js';
import { SINGER, UsageError, usageOf } from '../commands.js';
import { METHOD_TO_MODE, selectAll, selectFromCatalog, selectedNames, singerCatalog } from './catalog.js';
import { SingerEmitter, type SingerMessage } from './emit.js';
import { parseSingerState, statesFromBookmarks } from './state.js';

/**
 * Singer mode of the same binaries (https://github.com/singer-io/getting-started):
 *
 *   source-x --config CONFIG --discover [--select S,T]       -> a Singer catalog on stdout (S, T selected)
 *   source-x --config CONFIG [--state STATE] [--catalog CATALOG | --properties CATALOG]
 *                                                            -> SCHEMA / RECORD / STATE lines
 *
 * The sync is the engine's Airbyte read() with a translating Emitter: RECORD -> SCHEMA (once,
 * before the stream's first RECORD) + RECORD; per-stream STATE -> STATE {bookmarks: {...}}
 * carrying every stream's bookmark; STREAM_STATUS, ERROR and LOG -> stderr lines. stdout only
 * ever holds Singer messages.
 */

/** Singer mode's output: messages on stdout, log lines on stderr, both scrubbed with the writer's secrets. */
export function singerRuntime(debug: boolean, out: Writable = process.stdout, err: Writable = process.stderr) {
  const writer = new NdjsonWriter<SingerMessage>(out);
  const toStderr = (line: string): void => void err.write(`${writer.secrets.scrub(line)}\n`);
  const logger = createLogger(levelFromEnv(process.env, debug), (level, message) => toStderr(`${level} ${message}`), writer.secrets);
  return { writer, logger, toStderr };
}

/** The Singer CLI for one source. Like the Airbyte CLI it never calls process.exit. */
export async function singerMain<C>(source: SourceDefinition<C>, argv: string[]): Promise<void> {
  let flags: Flags;
  let selected = new Set<string>();
  try {
    flags = parseFlags(argv);
    if (!flags.about && !flags.config) throw new UsageError('--config FILE is required.');
    if (flags.catalog && flags.properties) throw new UsageError('Pass either --catalog or --properties, not both.');
    if (flags.select && !flags.discover) throw new UsageError('--select goes with --discover: it marks streams selected in the catalog --discover prints.');
    if (flags.select) selected = selectedNames(flags.select, source.streams);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    // A usage error: one line, then the usage; exit 2 (connector/cli/commands.ts).
    process.stderr.write(`${source.name}: ${err.message}\n${usageOf(source.name, SINGER)}`);
    process.exitCode = 2;
    return;
  }
  const { writer, logger, toStderr } = singerRuntime(flags.debug === true);
  let exitCode = 0;
  try {
    exitCode = await singerDispatch(source, flags, selected, writer, logger);
  } catch (err) {
    const e = toConnectorError(err, errorContext(source));
    if (!(err instanceof ConnectorError) && err instanceof Error) logger.debug(err.stack ?? err.message);
    toStderr(`CRITICAL ${e.message} (${e.failureType})`);
    exitCode = 1;
  }
  await writer.close();
  process.exitCode = exitCode;
}

async function singerDispatch<C>(
  source: SourceDefinition<C>,
  flags: Flags,
  selected: ReadonlySet<string>,
  writer: NdjsonWriter<SingerMessage>,
  logger: Logger,
): Promise<number> {
  const { scrub } = writer.secrets;
  if (flags.about) {
    const about = {
      name: source.name,
      version: source.version,
      capabilities: ['catalog', 'discover', 'state', 'about'],
      settings: connectionSpecification(source),
    };
    writer.writeText(`${JSON.stringify(about, null, 2)}\n`);
    return 0;
  }
  const run = loadRun(source, flags.config, writer.secrets);
  const note = asOfNote(run.clock);
  if (note) logger.info(note);
  if (flags.discover) {
    writer.writeText(`${JSON.stringify(singerCatalog(source.streams, selected), null, 2)}\n`);
    return 0;
  }
  const catalogPath = flags.catalog ?? flags.properties;
  const selection = catalogPath
    ? selectFromCatalog(readJsonFile(flags.catalog ? 'catalog' : 'properties', catalogPath), source.streams)
    : selectAll(source.streams);

  const bookmarks = parseSingerState(readStateText(flags.state));
  const states = statesFromBookmarks(bookmarks, source.streams, (m) => logger.warn(m));

  const http = httpClientFor(run, { logger, redact: scrub });
  const emitter = new SingerEmitter(writer, logger, selection, source.streams as ReadonlyArray<StreamDef<unknown>>, bookmarks);
  const catalog: ConfiguredStream[] = selection.map((s) => ({ name: s.name, syncMode: METHOD_TO_MODE[s.method] }));
  const result = await readWithWorkers(source, run, { catalog, states, http, emitter, logger });
  if (result.interrupted) {
    logger.error('Interrupted by a signal; the next sync resumes from the last STATE.');
    return 1;
  }
  if (result.failed.length > 0) {
    logger.error(`streams that did not sync: ${result.failed.join(', ')}`);
    return 1;
  }
  return 0;
}
