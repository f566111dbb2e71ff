import { Writable } from 'node:stream';
import pino from 'pino';
import type { LogLevel } from '../protocol/messages.js';
import { REDACTED, type Secrets } from '../protocol/secrets.js';

/** Structured context of a log line; rendered as JSON after the message. */
type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export type Level = 'debug' | 'info' | 'warn' | 'error';

const AIRBYTE_LEVEL: Record<number, LogLevel> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Fields pino masks whatever their value (a key that is not this run's, or too short to be registered). */
const REDACT_PATHS = [
  '*.admin_api_key',
  '*.api_key',
  'admin_api_key',
  'api_key',
  'authorization',
  '*.authorization',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
];

/**
 * pino, with each line turned into a protocol log by `sink` (an Airbyte LOG message, a stderr
 * line in Singer mode and sync). pino filters by level and masks the key-named fields
 * (REDACT_PATHS); the line the sink gets is the message, then any fields as JSON, and all of it
 * is scrubbed of the run's `secrets` (the same list the writers scrub): no secret logged as text
 * or in a field leaves the process.
 */
export function createLogger(level: Level, sink: (level: LogLevel, message: string) => void, secrets: Secrets): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const { level: n, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string } & LogFields;
          const text = Object.keys(fields).length > 0 ? `${msg ?? ''} ${JSON.stringify(fields)}` : (msg ?? '');
          sink(AIRBYTE_LEVEL[n] ?? 'INFO', secrets.scrub(text));
        } catch {
          sink('INFO', secrets.scrub(line));
        }
      }
      done();
    },
  });
  const p = pino({ level, base: null, timestamp: false, redact: { paths: REDACT_PATHS, censor: REDACTED } }, destination);
  const at =
    (lvl: Level) =>
    (msg: string, fields?: LogFields): void =>
      fields ? p[lvl](fields, msg) : p[lvl](msg);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export function levelFromEnv(env: NodeJS.ProcessEnv, debugFlag: boolean): Level {
  if (debugFlag) return 'debug';
  const v = (env.LOG_LEVEL ?? '').toLowerCase();
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}
