import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { discoverCatalog, parseConfiguredCatalog } from '../engine/catalog.js';
import { ConnectorError, configError, toConnectorError } from '../engine/errors.js';
import { createLogger, levelFromEnv, type Logger } from '../engine/logger.js';
import { encodedLines } from '../engine/decode.js';
import type { Emitter } from '../engine/read.js';
import { errorContext, type SourceDefinition } from '../engine/source.js';
import { parseStateFile } from '../engine/state.js';
import * as msg from '../protocol/messages.js';
import type { AirbyteMessage } from '../protocol/messages.js';
import { NdjsonWriter } from '../protocol/writer.js';
import { isSingerInvocation } from './singer/args.js';
import { singerMain } from './singer/main.js';
import type { HttpClient } from '../http/client.js';
import { loadConfig, readJsonFile, readStateText } from './inputs.js';
import { httpClientFor, readWithWorkers } from './runtime.js';
import { specification } from './spec.js';

/**
 * `check` answers in seconds: a refused connection or a failed DNS lookup is retried at most
 * twice within a few seconds (a read keeps the configured retries, ~a minute of backoff).
 */
const CHECK_NETWORK_RETRIES = { retries: 2, maxTimeMs: 5_000 };

const USAGE = (name: string): string =>
  `usage: ${name} spec | check --config FILE | discover --config FILE | read --config FILE --catalog FILE [--state FILE] [--debug] | sync --config FILE [--db FILE] [--streams A,B] | report [--db FILE] [--out FILE]`;

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

/** The Airbyte CLI for one source. Never calls process.exit: sets exitCode once stdout is drained. */
export async function main<C>(source: SourceDefinition<C>, argv: string[]): Promise<void> {
  // Warehouse commands (docs/warehouse.md) have their own flags and write only to stderr.
  // Loaded on demand, so the other commands never load DuckDB.
  if (argv[0] === 'sync' || argv[0] === 'report') return (await import('./sync.js')).warehouseCommand(source, argv);
  // Flags without a command word (--config F [--catalog F] [--state F], --discover): Singer mode.
  if (isSingerInvocation(argv)) return singerMain(source, argv);
  let args: ReturnType<typeof parse>;
  const parse = (a: string[]) =>
    parseArgs({
      args: a,
      allowPositionals: true,
      strict: true,
      options: { config: { type: 'string' }, catalog: { type: 'string' }, state: { type: 'string' }, debug: { type: 'boolean' } },
    });
  const early = new NdjsonWriter<AirbyteMessage>(process.stdout);
  try {
    args = parse(argv);
  } catch (err) {
    early.write(msg.errorTrace({ message: `${(err as Error).message}. ${USAGE(source.name)}`, failureType: 'config_error' }, Date.now()));
    await early.close();
    process.exitCode = 2;
    return;
  }
  const { writer, logger } = runtime(args.values.debug === true);
  const command = args.positionals[0];
  let exitCode = 0;
  try {
    exitCode = await dispatch(source, command, args.values, writer, logger);
  } catch (err) {
    const e = toConnectorError(err, errorContext(source));
    if (!(err instanceof ConnectorError) && err instanceof Error) logger.debug(err.stack ?? err.message);
    writer.write(msg.errorTrace({ message: e.message, internalMessage: e.internalMessage, failureType: e.failureType }, Date.now()));
    exitCode = 1;
  }
  await writer.close();
  process.exitCode = exitCode;
}

type Flags = { config?: string | undefined; catalog?: string | undefined; state?: string | undefined };

async function dispatch<C>(
  source: SourceDefinition<C>,
  command: string | undefined,
  flags: Flags,
  writer: NdjsonWriter<AirbyteMessage>,
  logger: Logger,
): Promise<number> {
  const readConfig = (): C => loadConfig(source, flags.config, writer.secrets);
  const makeHttp = (config: C, o: { networkRetries?: typeof CHECK_NETWORK_RETRIES } = {}): HttpClient => {
    return httpClientFor(source, config, { logger, redact: writer.secrets.scrub, ...o });
  };

  switch (command) {
    case 'spec':
      writer.write({ type: 'SPEC', spec: specification(source) });
      return 0;
    case 'check': {
      let config: C | undefined;
      try {
        config = readConfig();
        await source.check(makeHttp(config, { networkRetries: CHECK_NETWORK_RETRIES }), config);
        writer.write(msg.connectionStatus(true));
      } catch (err) {
        const e = toConnectorError(err, errorContext(source, config));
        writer.write(msg.connectionStatus(false, e.message));
      }
      return 0;
    }
    case 'discover':
      readConfig();
      writer.write({ type: 'CATALOG', catalog: { streams: discoverCatalog(source.streams) } });
      return 0;
    case 'read': {
      const config = readConfig();
      const catalog = parseConfiguredCatalog(readJsonFile('catalog', flags.catalog), source.streams);
      const streamsByName = new Map(source.streams.map((s) => [s.name, s.kind === 'buckets' ? s.cursorField : undefined]));
      const states = parseStateFile(readStateText(flags.state), { streams: streamsByName });
      const emitter: Emitter = {
        emit: (m) => writer.write(m),
        records: { kind: 'airbyte' },
        emitRecords: (_stream, records, written) => writer.writeLines(encodedLines(records), written),
        ready: () => writer.ready(),
      };
      const result = await readWithWorkers(source, config, { catalog, states, http: makeHttp(config), emitter, logger });
      if (result.interrupted) {
        writer.write(
          msg.errorTrace({ message: 'Interrupted by a signal; the next sync resumes from the last STATE.', failureType: 'transient_error' }, Date.now()),
        );
        return 1;
      }
      return result.failed.length > 0 ? 1 : 0;
    }
    default:
      throw configError(command ? `Unknown command '${command}'. ${USAGE(source.name)}` : USAGE(source.name));
  }
}
