/**
 * Exit codes of `sync` and `report` (docs/warehouse.md). Distinct, so a cron wrapper can
 * tell "try again later" (3) from "fix something" (2, 4) and from a partial sync (1).
 */
export const EXIT = {
  /** Every selected stream was loaded completely (sync); the page was written (report). */
  ok: 0,
  /** A stream failed or the sync was interrupted. What was committed stays; the next sync resumes from it. */
  partial: 1,
  /** Bad command line, unreadable or invalid config, unknown stream, missing database file. */
  usage: 2,
  /** Another process has this database open: another sync (lock file), or any holder of DuckDB's own file lock (the DuckDB shell, a BI tool). Nothing was changed; --wait-lock waits first. */
  locked: 3,
  /** The database could not be opened, read or written (corrupt file, disk full, permissions). */
  database: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error that ends a warehouse command with a one-line message and a given exit code. */
export class WarehouseError extends Error {
  override readonly name = 'WarehouseError';
  constructor(
    readonly exitCode: ExitCode,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
