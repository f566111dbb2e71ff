import { readFileSync } from 'node:fs';
import { configError } from '../engine/errors.js';
import { startRun, type Run } from '../engine/run.js';
import type { SourceDefinition } from '../engine/source.js';
import type { Secrets } from '../protocol/secrets.js';
import { runClock } from './runtime.js';

/**
 * The command-line inputs every mode reads (Airbyte, Singer, sync): files named by a flag. A
 * file that is named but cannot be read (missing, a directory, no permission, not UTF-8) is a
 * config_error naming the flag and the cause: never "no state" and a read from start_date.
 */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const WHY: Record<string, string> = {
  ENOENT: 'it does not exist',
  EISDIR: 'it is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};

/** The text of the file `--<flag> path`, or a config_error that says what to fix. */
function readTextFile(flag: string, path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw configError(`Cannot read --${flag} file '${path}': ${WHY[code] ?? code}; check the path.`);
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw configError(`--${flag} file '${path}' is not valid UTF-8 text; pass the JSON file the connector wrote.`);
  }
}

/**
 * The start of a run (Airbyte, Singer, sync): --config parsed against the source's schema, its
 * secrets registered with `secrets`, the one list every output of the run scrubs, and everything
 * the config decides resolved once (engine/run.ts): the shared date fields checked (start_date <=
 * end_date, not after today) before any request, the HTTP settings, the error context.
 */
export function loadRun<C>(source: SourceDefinition<C>, path: string | undefined, secrets: Secrets): Run<C> {
  return startRun(source, readJsonFile('config', path), { clock: runClock(), file: path, secrets });
}

/** Read and parse a JSON file named by a flag, or fail with a config_error that says which. */
export function readJsonFile(flag: string, path: string | undefined): unknown {
  if (!path) throw configError(`--${flag} FILE is required.`);
  const text = readTextFile(flag, path);
  try {
    return JSON.parse(text);
  } catch {
    throw configError(`--${flag} file '${path}' is not valid JSON; fix its syntax.`);
  }
}

/**
 * The text of the --state file, or '' when the run has no --state (a first sync). A --state
 * that names a missing or unreadable file is a config_error: reading from start_date instead
 * would silently re-read or, worse, store a state that hides what the lost one covered.
 */
export function readStateText(path: string | undefined): string {
  return path === undefined ? '' : readTextFile('state', path);
}
