import { Writable } from 'node:stream';
import pino from 'pino';
import type { LogLevel } from '../protocol/messages.js';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type Level = 'debug' | 'info' | 'warn' | 'error';

const AIRBYTE_LEVEL: Record<number, LogLevel> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** Paths pino masks in structured log objects, whatever a caller passes. */
const REDACT_PATHS = ['*.admin_api_key', '*.api_key', 'admin_api_key', 'api_key', '*.authorization', '*.headers.authorization', '*.headers["x-api-key"]'];

/**
 * pino, with each line turned into a protocol log by `sink` (an Airbyte LOG
 * message, or a stderr line in Singer mode). `scrub` masks secrets in free text
 * before anything leaves the process.
 */
export function createLogger(
  level: Level,
  sink: (level: LogLevel, message: string) => void,
  scrub: (text: string) => string,
): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        try {
          const obj = JSON.parse(line) as { level: number; msg?: string };
          sink(AIRBYTE_LEVEL[obj.level] ?? 'INFO', scrub(obj.msg ?? ''));
        } catch {
          sink('INFO', scrub(line));
        }
      }
      done();
    },
  });
  const p = pino(
    { level, base: null, timestamp: false, redact: { paths: REDACT_PATHS, censor: '**********' } },
    destination,
  );
  return {
    debug: (m) => p.debug(m),
    info: (m) => p.info(m),
    warn: (m) => p.warn(m),
    error: (m) => p.error(m),
  };
}

export function levelFromEnv(env: NodeJS.ProcessEnv, debugFlag: boolean): Level {
  if (debugFlag) return 'debug';
  const v = (env.LOG_LEVEL ?? '').toLowerCase();
  return v === 'debug' || v === 'info' || v === 'warn' || v === 'error' ? v : 'info';
}
