import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { EXIT, WarehouseError } from './exit-codes.js';

/**
 * One sync per database file, safe from cron: `<db>.lock`, created with O_EXCL and
 * holding {"pid", "host", "started"}. A lock whose process is gone (same host, pid
 * not alive) is stale and taken over; a live one refuses the second sync with exit 3.
 * DuckDB's own file lock is the backstop for the instant between detecting a stale
 * lock and replacing it.
 */
interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

/** How often a waiting acquire retries (--wait-lock). */
const LOCK_RETRY_MS = 200;

/** A lock file that is still empty (its writer died between create and write) counts as stale after this. */
const EMPTY_LOCK_GRACE_MS = 10_000;

export const lockPath = (db: string): string => `${db}.lock`;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): { info: LockInfo | null; text: string } | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    if (Number.isInteger(info.pid) && info.pid > 0) return { info, text };
  } catch {
    // fall through: unreadable content
  }
  return { info: null, text };
}

function isStale(path: string, info: LockInfo | null): boolean {
  if (!info) {
    try {
      return Date.now() - statSync(path).mtimeMs > EMPTY_LOCK_GRACE_MS;
    } catch {
      return true;
    }
  }
  if (info.host !== hostname()) return false; // cannot tell: treat as held
  return !isAlive(info.pid);
}

export class DbLock {
  private released = false;
  private constructor(readonly path: string) {}

  /** Take the lock or throw WarehouseError(EXIT.locked) naming the holder. `log` hears about a stale lock taken over. */
  static acquire(db: string, log: (msg: string) => void = () => undefined): DbLock {
    const path = lockPath(db);
    for (let attempt = 0; attempt < 3; attempt++) {
      let fd: number;
      try {
        fd = openSync(path, 'wx', 0o644);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EEXIST') {
          throw new WarehouseError(EXIT.database, `Cannot create lock file '${path}' (${code ?? 'error'}); check that its directory exists and is writable.`);
        }
        const held = readLock(path);
        if (!held) continue; // released meanwhile: try again
        if (!isStale(path, held.info)) {
          const who = held.info ? `pid ${held.info.pid} on ${held.info.host}, since ${held.info.started}` : 'a process that is starting';
          throw new WarehouseError(
            EXIT.locked,
            `Another sync is using '${db}' (${who}); not starting a second one. Wait for it with --wait-lock SECONDS; if no sync is running, delete '${path}'.`,
            who,
          );
        }
        // Stale: remove it only if it is still the same file content we judged.
        const again = readLock(path);
        if (again && again.text === held.text) {
          try {
            unlinkSync(path);
          } catch {
            // someone else removed it first
          }
          log(`removed a stale lock '${path}' left by ${held.info ? `pid ${held.info.pid}, which is no longer running` : 'an interrupted start'}`);
        }
        continue;
      }
      const info: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
      writeSync(fd, JSON.stringify(info));
      closeSync(fd);
      return new DbLock(path);
    }
    throw new WarehouseError(EXIT.locked, `Could not take the lock '${path}': other syncs keep racing for it; try again.`);
  }

  /**
   * acquire(), retried while another sync holds the lock until `deadline` (Date.now() milliseconds;
   * --wait-lock), telling `onWait` once that it waits; then the last refusal, saying how long it waited.
   */
  static async acquireBy(
    db: string,
    deadline: number,
    log: (msg: string) => void = () => undefined,
    onWait: (msg: string) => void = () => undefined,
  ): Promise<DbLock> {
    let waitedSince: number | null = null;
    for (;;) {
      try {
        return DbLock.acquire(db, log);
      } catch (err) {
        if (!(err instanceof WarehouseError) || err.exitCode !== EXIT.locked) throw err;
        const left = deadline - Date.now();
        if (left <= 0) {
          if (waitedSince === null) throw err;
          throw new WarehouseError(
            EXIT.locked,
            `Another sync is still using '${db}' after waiting ${Math.round((Date.now() - waitedSince) / 1000)} s (${err.detail ?? 'holder unknown'}); not starting a second one. If no sync is running, delete '${lockPath(db)}'.`,
            err.detail,
          );
        }
        if (waitedSince === null) {
          waitedSince = Date.now();
          onWait(`another sync is using '${db}' (${err.detail ?? 'holder unknown'}); waiting up to ${Math.ceil(left / 1000)} s for it to finish`);
        }
        await new Promise((resolve) => setTimeout(resolve, Math.min(LOCK_RETRY_MS, left)));
      }
    }
  }

  /** Remove the lock file if it is still ours. Idempotent and synchronous (safe in exit handlers). */
  release(): void {
    if (this.released) return;
    this.released = true;
    const held = readLock(this.path);
    if (held?.info?.pid === process.pid && held.info.host === hostname()) {
      try {
        unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
  }
}
