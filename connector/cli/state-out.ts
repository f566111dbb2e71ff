import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { configError } from '../engine/errors.js';

/**
 * `read --state-out FILE`: the last STATE of every stream, in the form `--state` takes (the
 * Airbyte per-stream state array). Starts from the --state the read was given, so a stream that
 * emitted no STATE this time (it failed before its first checkpoint) keeps the state it had; each
 * STATE of the read replaces its stream's entry. Written once the read ends, atomically: a
 * temporary file beside it, then a rename, so the file is always a whole state.
 */
export class StateOut {
  private readonly byStream = new Map<string, unknown>();

  /** `stateText`: the --state file's text ('' for none), already validated by parseStateFile. */
  constructor(stateText: string) {
    if (stateText.trim() === '') return;
    const json = JSON.parse(stateText) as unknown;
    const items = Array.isArray(json) ? json : [json];
    for (const item of items) {
      const name = (item as { stream?: { stream_descriptor?: { name?: unknown } } })?.stream?.stream_descriptor?.name;
      if (typeof name === 'string') this.set(name, (item as { stream: { stream_state?: unknown } }).stream.stream_state ?? {});
    }
  }

  set(stream: string, state: unknown): void {
    this.byStream.set(stream, state);
  }

  /** The state file's contents. */
  text(): string {
    const items = [...this.byStream].map(([name, s]) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: s } }));
    return `${JSON.stringify(items, null, 2)}\n`;
  }

  /** Before the read: fail now, before any request, when the file could not be written after it. */
  static probe(path: string): void {
    write(path, null);
  }

  write(path: string): void {
    write(path, this.text());
  }
}

/** Write `text` to `path` through a temporary file beside it and a rename; `null`: only try the temporary file. */
function write(path: string, text: string | null): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text ?? '');
    if (text === null) rmSync(tmp);
    else renameSync(tmp, path);
  } catch (err) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // nothing was created
    }
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const why = code === 'ENOENT' || code === 'ENOTDIR' ? 'its directory does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code;
    throw configError(`Cannot write --state-out file '${path}': ${why}; pass a path in a writable directory.`);
  }
}
