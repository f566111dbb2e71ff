import { configError } from '../engine/errors.js';
import { encodedLines, type ColumnsFormat } from '../engine/decode/decode.js';
import type { Window } from '../engine/plan/planner.js';
import type { Emitter, StreamHooks } from '../engine/read.js';
import { migrateStreamState, type StreamState } from '../engine/state/state.js';
import type { Account } from '../engine/source.js';
import type { StreamDef } from '../engine/stream.js';
import type { SyncMode } from '../protocol/messages.js';
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { firstLine, type Row, type Warehouse } from './db.js';
import { EXIT, WarehouseError } from './exit-codes.js';
import {
  ACCOUNT_COLUMN,
  ACCOUNTS_TABLE,
  accountsTableSql,
  createTableSql,
  EXTRACTED_AT,
  ident,
  literal,
  qualified,
  STATE_TABLE,
  stateTableSql,
  tableLayout,
  type TableLayout,
} from './schema.js';

/**
 * Loads a read into DuckDB, one transaction per checkpoint (STATE).
 *
 * Records are spooled per stream to a file as the workers encode them (ColumnsFormat). When read()
 * checkpoints the stream (StreamHooks.onCheckpoint, with its STATE), ONE transaction stages (read_json)
 * them (last of a key wins), replaces the rows they re-read (tables without PRIMARY KEY: replaceSql) or merges them by key (older tables: new rows inserted, rows whose values changed
 * updated, identical rows left alone) and upserts the STATE into `_connector_state`.
 * So the stored state never claims rows that are not in the table, and the table never
 * holds rows past the stored state: a crash at any instant leaves a consistent database
 * and the next sync resumes from the last committed STATE. Records after the last STATE
 * of a failed or interrupted stream are dropped, exactly as the platform would.
 *
 * Full-refresh list streams (projects, users, keys) emit one STATE after the whole list:
 * their commit also deletes rows that are no longer listed, so the table is the snapshot.
 * Bucketed streams replace what they re-read: a checkpoint's commit deletes the rows of the
 * windows read since the previous one (each read whole) that the API no longer reports, so a
 * cost line revised away, or a day now served by another source (Anthropic spend moving from
 * cost_report to analytics_cost), never stays beside its replacement.
 *
 * Every table of a connector, and its `_connector_state`, live in the connector's own DuckDB
 * schema (openai.costs, anthropic.users), so connectors share one file without their stream
 * names clashing. Tables an earlier version kept in `main` are moved there on the first sync.
 *
 * Rows and state belong to an account (the organization or team of the config's key): every
 * table has `_account_id` in its primary key, `_connector_state` has a row per stream and account,
 * and a full-refresh snapshot or a reset touches only its own account's rows. `_connector_accounts`
 * remembers a fingerprint of the key that loaded each account: a second key under an id that no
 * API vouched for is refused (a config_error naming the field to set), never merged. Tables and
 * state of the earlier layout (no account) are given the account of the sync that finds them.
 */
export interface LoadTarget<C = unknown> {
  def: StreamDef<C>;
  mode: SyncMode;
}

type StreamOutcome = 'pending' | 'complete' | 'failed' | 'interrupted';

export interface StreamStats {
  name: string;
  kind: 'buckets' | 'list';
  table: string;
  outcome: StreamOutcome;
  /** Rows merged this run (after deduplication by primary key). */
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  commits: number;
  firstDay: string | null;
  lastDay: string | null;
  /** Cursor (unix seconds) of the last committed STATE, for bucketed streams. */
  cursor: number | null;
  /** Why the stream failed: the read's error, or the load's. */
  error: string | null;
  startedAt: number | null;
  endedAt: number | null;
}

interface CommitInfo {
  stream: string;
  rows: number;
  inserted: number;
  updated: number;
  unchanged: number;
  deleted: number;
  cursor: number | null;
}

/** The lines of a stream spooled since its last checkpoint: a file of the loader's own. */
interface Spool {
  path: string;
  fd: number;
}

interface StreamCtx<C> {
  target: LoadTarget<C>;
  layout: TableLayout;
  stage: string;
  snapshot: boolean;
  /** Lines since the last checkpoint; null until the first. */
  spool: Spool | null;
  stats: StreamStats;
  loadFailed: boolean;
  readStatus: 'COMPLETE' | 'INCOMPLETE' | null;
  sql: MergeSql;
  /** Column types of the table as it is in the database (after any ALTER). */
  types: Map<string, string>;
  /** The table has the PRIMARY KEY of earlier versions: merged by upsert; else replaced (ReplaceSql). */
  indexed: boolean;
  replace: ReplaceSql;
}

/** The account a sync loads: who the rows and state belong to, and the key that reads them. */
export interface LoadAccount extends Account {
  /** A truncated SHA-256 of the key (keyFingerprint): never the key. */
  fingerprint: string;
  /** The config field naming the account, for the refusal's message; null when only the API names it. */
  field: string | null;
}

interface LoaderOptions<C> {
  clock: { now(): number };
  /** Whose rows and state this sync loads. */
  account: LoadAccount;
  /** The key changed for the same account (sync --new-key): accept it instead of refusing. */
  newKey?: boolean;
  /** Told that an account's key changed and was accepted (a rotated key). */
  onNewKey?: (account: string) => void;
  /** Told which tables of the layout without accounts were given this sync's account. */
  onAccountMigrate?: (tables: string[], account: string) => void;
  /** The DuckDB schema of this connector's tables and state (its provider: openai, anthropic, aurous). */
  schema: string;
  /** Every stream of the connector: tables of an earlier version's layout (in main) are moved to `schema`. */
  streams?: ReadonlyArray<StreamDef<C>>;
  /** Told which tables were moved from main into `schema`. */
  onMigrate?: (tables: string[]) => void;
  /** Streams to reset before the read: their rows and state are dropped in one transaction. */
  resets?: ReadonlySet<string>;
  onReset?: (stream: string, rowsDeleted: number) => void;
  onCommit?: (info: CommitInfo) => void;
  onError?: (stream: string, message: string) => void;
}

interface MergeSql {
  /** Stage the lines of a spool file (read_json of ColumnsFormat): every column as text, this account's id added. */
  stage: (file: string) => string;
  /** The staged rows' first and last UTC day (null for a list stream), and how many repeat a key before them (`repeated`). */
  summary: string;
  /** Delete the staged rows a later staged row of the same key replaces (the rows of a key, the last one kept). */
  dedupe: string;
  /**
   * Bucketed streams: delete this account's rows inside `windows` (read whole) that the stage does
   * not hold: what the API no longer reports for those buckets (a line revised away, a day now
   * served by another source). Null when the cursor column cannot be compared with a time.
   */
  windowDelete: ((windows: readonly Window[]) => string) | null;
  existing: string;
  upsert: string;
  snapshotDelete: string;
  clearStage: string;
}

export class Loader<C> {
  private readonly streams = new Map<string, StreamCtx<C>>();
  /** Streams whose stored state prepare() could not use: failed, and left out of the read. */
  private readonly unusable = new Set<string>();
  private spoolCount = 0;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Warehouse,
    private readonly source: string,
    private readonly targets: ReadonlyArray<LoadTarget<C>>,
    private readonly o: LoaderOptions<C>,
  ) {
    this.stateTable = qualified(o.schema, STATE_TABLE);
  }

  private readonly stateTable: string;

  private get account(): LoadAccount {
    return this.o.account;
  }

  /** Every stream this connector declares, by name (tables of other names are left alone). */
  private defs(): Map<string, StreamDef<C>> {
    return new Map((this.o.streams ?? this.targets.map((t) => t.def)).map((d) => [d.name, d]));
  }

  /**
   * Check the account, create or extend the tables (giving tables of the layout without accounts
   * this sync's account), check that no selected table belongs to another connector, and return
   * this account's stored states of the incremental streams.
   */
  async prepare(): Promise<Map<string, StreamState>> {
    const db = this.db;
    await db.run(`CREATE SCHEMA IF NOT EXISTS ${ident(this.o.schema)}`);
    await this.checkAccount();
    await this.migrateAccounts();
    await db.run(stateTableSql(this.o.schema));
    await db.run(accountsTableSql(this.o.schema));
    await this.migrateLegacy();
    const stored = new Map<string, { source: string; state: string }>();
    for (const r of await db.rows(`SELECT stream, source, CAST(state AS VARCHAR) AS state FROM ${this.stateTable} WHERE account_id = ?`, [this.account.id])) {
      stored.set(String(r.stream), { source: String(r.source), state: String(r.state) });
    }
    const owners = new Map<string, string>();
    for (const r of await db.rows(`SELECT stream, min(source) AS source FROM ${this.stateTable} WHERE source <> ? GROUP BY stream`, [this.source])) {
      owners.set(String(r.stream), String(r.source));
    }
    for (const t of this.targets) {
      const owner = owners.get(t.def.name);
      if (owner !== undefined) {
        throw new WarehouseError(
          EXIT.usage,
          `Table '${this.o.schema}.${t.def.name}' in '${db.path}' was loaded by ${owner}, not ${this.source}; sync into another --db, or leave it out with --streams.`,
        );
      }
    }
    const states = new Map<string, StreamState>();
    for (const [i, t] of this.targets.entries()) {
      const layout = tableLayout(t.def, this.o.schema);
      let types = await db.columns(layout.table, layout.schema);
      if (types.size === 0) {
        await db.run(createTableSql(layout));
      } else {
        for (const c of layout.columns) {
          if (!types.has(c.name)) await db.run(`ALTER TABLE ${qualified(layout.schema, layout.table)} ADD COLUMN ${ident(c.name)} ${c.type}`);
        }
      }
      types = await db.columns(layout.table, layout.schema);
      const stage = `_stage_${i}`;
      await db.run(`CREATE OR REPLACE TEMP TABLE ${ident(stage)} (${layout.columns.map((c) => `${ident(c.name)} VARCHAR`).join(', ')})`);
      const ctx: StreamCtx<C> = {
        target: t,
        layout,
        stage,
        snapshot: t.def.kind === 'list',
        spool: null,
        stats: {
          name: t.def.name,
          kind: t.def.kind,
          table: `${layout.schema}.${layout.table}`,
          outcome: 'pending',
          rows: 0,
          inserted: 0,
          updated: 0,
          unchanged: 0,
          deleted: 0,
          commits: 0,
          firstDay: null,
          lastDay: null,
          cursor: null,
          error: null,
          startedAt: null,
          endedAt: null,
        },
        loadFailed: false,
        readStatus: null,
        sql: mergeSql(layout, stage, types, this.account.id, t.def.kind === 'buckets' ? t.def.cursorField : null),
        types,
        indexed: await db.hasPrimaryKey(layout.table, layout.schema),
        replace: replaceSql(layout, stage, types, this.account.id, t.def.kind === 'buckets' ? t.def.cursorField : null),
      };
      this.streams.set(t.def.name, ctx);
      if (this.o.resets?.has(t.def.name)) {
        await this.reset(layout.table, t.def.name);
        continue;
      }
      const prior = stored.get(t.def.name);
      if (prior && t.def.kind === 'buckets' && t.mode === 'incremental') {
        let state: StreamState | null;
        try {
          state = migrateStreamState(t.def.name, JSON.parse(prior.state), t.def.cursorField);
        } catch (err) {
          // This stream fails (not read, nothing written); the others sync (issue 25 point 11).
          const why = firstLine(err instanceof Error ? err.message : String(err)).replace(/\.$/, '');
          ctx.stats.error = `its stored state in ${this.o.schema}.${STATE_TABLE} is unusable (${why}); run sync --reset ${t.def.name} to drop its rows and state and re-read it from start_date`;
          ctx.loadFailed = true;
          this.unusable.add(t.def.name);
          continue;
        }
        if (state) {
          states.set(t.def.name, state);
          ctx.stats.cursor = state.cursor;
        }
      }
    }
    await this.recordAccount();
    // What a killed sync left is dropped: the database's lock keeps two syncs of it apart.
    rmSync(this.spoolDir, { recursive: true, force: true });
    mkdirSync(this.spoolDir, { recursive: true });
    return states;
  }

  /**
   * Refuse a sync that would mix two keys' rows under one account id, or load one key's rows under
   * two ids (its spend counted twice), before anything is written. An id the API gave is trusted
   * across keys (a rotated key of the same organization); so is a changed key with --new-key.
   */
  private async checkAccount(): Promise<void> {
    const db = this.db;
    if (!(await db.tables(this.o.schema)).has(ACCOUNTS_TABLE)) return;
    const a = this.account;
    const known = await db.rows(`SELECT account_id, id_from, key_fingerprint FROM ${qualified(this.o.schema, ACCOUNTS_TABLE)} ORDER BY account_id`);
    const field = a.field ?? 'the account id';
    if (a.from !== 'api') {
      const twin = known.find((r) => r.key_fingerprint === a.fingerprint && r.account_id !== a.id);
      if (twin) {
        const other = String(twin.account_id);
        throw configError(
          `The key of this config already loaded account '${other}' into '${db.path}' (schema ${this.o.schema}); loading it again as '${a.id}' would count that account twice. ` +
            `Set ${field} to '${other}'${twin.id_from === 'default' ? ` (or leave ${field} out)` : ''} to keep syncing it (docs/warehouse.md).`,
        );
      }
    }
    const same = known.find((r) => r.account_id === a.id);
    if (!same || same.key_fingerprint === a.fingerprint) return;
    if (a.from === 'api' || this.o.newKey) {
      this.o.onNewKey?.(a.id);
      return;
    }
    const unnamed = a.from === 'default';
    throw configError(
      `Account '${a.id}' in '${db.path}' (schema ${this.o.schema}) was loaded with another key${unnamed ? ` (no ${field} set)` : ''}. ` +
        `If this key belongs to another organization, set ${field} in its config to that organization's id, so its rows and state are kept apart; ` +
        `if it replaces the earlier key of the same organization (a rotated key), run this sync once with --new-key (docs/warehouse.md).`,
    );
  }

  /** Remember this account and the fingerprint of its key (checkAccount compares the next sync's). */
  private async recordAccount(): Promise<void> {
    const a = this.account;
    await this.db.run(
      `INSERT INTO ${qualified(this.o.schema, ACCOUNTS_TABLE)} (account_id, account_name, id_from, key_fingerprint, source) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (account_id) DO UPDATE SET account_name = excluded.account_name, id_from = excluded.id_from, key_fingerprint = excluded.key_fingerprint, source = excluded.source`,
      [a.id, a.name, a.from, a.fingerprint, this.source],
    );
  }

  /**
   * The layout before accounts (no `_account_id`, state keyed by stream alone), in this schema: its
   * state and the tables of every stream this connector declares are rebuilt with the account in
   * their keys, in one transaction, their rows and state given this sync's account (the rows
   * belong to the state they were loaded under, which had one account per file). Not duplicated:
   * each row is copied once and the old table dropped. Columns the stream no longer declares are kept.
   */
  private async migrateAccounts(): Promise<void> {
    const db = this.db;
    const schema = this.o.schema;
    const stateCols = await db.columns(STATE_TABLE, schema);
    const oldState = stateCols.size > 0 && !stateCols.has('account_id');
    const old: Array<{ def: StreamDef<C>; cols: Map<string, string> }> = [];
    for (const def of this.defs().values()) {
      const cols = await db.columns(def.name, schema);
      if (cols.size > 0 && !cols.has(ACCOUNT_COLUMN)) old.push({ def, cols });
    }
    if (!oldState && old.length === 0) return;
    const id = this.account.id;
    await db.transaction(async () => {
      if (oldState) {
        const previous = `${STATE_TABLE}_before_accounts`;
        await db.run(`ALTER TABLE ${qualified(schema, STATE_TABLE)} RENAME TO ${ident(previous)}`);
        await db.run(stateTableSql(schema));
        await db.run(
          `INSERT INTO ${this.stateTable} (stream, account_id, source, state, updated_at) SELECT stream, ?, source, state, updated_at FROM ${qualified(schema, previous)}`,
          [id],
        );
        await db.run(`DROP TABLE ${qualified(schema, previous)}`);
      }
      for (const { def, cols } of old) {
        const layout = tableLayout(def, schema);
        const previous = `${layout.table}_before_accounts`;
        await db.run(`ALTER TABLE ${qualified(schema, layout.table)} RENAME TO ${ident(previous)}`);
        await db.run(createTableSql(layout));
        await this.copyRows(qualified(schema, previous), cols, layout);
        await db.run(`DROP TABLE ${qualified(schema, previous)}`);
      }
    });
    if (old.length > 0 || oldState) {
      this.o.onAccountMigrate?.(
        old.map((o) => o.def.name),
        id,
      );
    }
  }

  /**
   * Copy every row of `from` (columns `cols`) into the new-layout table: the columns both have,
   * `_account_id` set to this sync's account where `from` has none, and columns only `from` has
   * added to the table first (with their type), so no value is lost.
   */
  private async copyRows(from: string, cols: Map<string, string>, layout: TableLayout): Promise<void> {
    const db = this.db;
    const target = qualified(layout.schema, layout.table);
    const names = new Set(layout.columns.map((c) => c.name));
    for (const [name, type] of cols) {
      if (!names.has(name)) {
        await db.run(`ALTER TABLE ${target} ADD COLUMN ${ident(name)} ${type}`);
        names.add(name);
      }
    }
    const into = [...names].filter((n) => cols.has(n) || n === ACCOUNT_COLUMN);
    const select = into.map((n) => (cols.has(n) ? ident(n) : literal(this.account.id)));
    await db.run(`INSERT INTO ${target} (${into.map(ident).join(', ')}) SELECT ${select.join(', ')} FROM ${from}`);
  }

  /**
   * Tables of this connector that an earlier version kept in `main` (with their rows in
   * main._connector_state) move to the connector's schema with their state, in one transaction:
   * created with the current layout (primary key included), the columns both have copied, the
   * old table dropped. Streams this version does not declare keep their place.
   */
  private async migrateLegacy(): Promise<void> {
    const db = this.db;
    const main = await db.tables('main');
    if (!main.has(STATE_TABLE)) return;
    const legacy = (await db.rows(`SELECT stream FROM main.${ident(STATE_TABLE)} WHERE source = ? ORDER BY stream`, [this.source])).map((r) =>
      String(r.stream),
    );
    const defs = this.defs();
    const movable = legacy.filter((name) => defs.has(name));
    if (movable.length === 0) return;
    const moved: string[] = [];
    await db.transaction(async () => {
      for (const name of movable) {
        const layout = tableLayout(defs.get(name) as StreamDef<C>, this.o.schema);
        if ((await db.columns(layout.table, layout.schema)).size > 0) continue; // already here: leave main's copy alone
        if (main.has(name)) {
          await db.run(createTableSql(layout));
          await this.copyRows(`main.${ident(name)}`, await db.columns(name, 'main'), layout);
          await db.run(`DROP TABLE main.${ident(name)}`);
          moved.push(name);
        }
        // The state of that layout had no account: it is this sync's, as the rows are.
        await db.run(
          `INSERT INTO ${this.stateTable} (stream, account_id, source, state, updated_at) SELECT stream, ?, source, state, updated_at FROM main.${ident(STATE_TABLE)} WHERE stream = ? AND source = ?`,
          [this.account.id, name, this.source],
        );
        await db.run(`DELETE FROM main.${ident(STATE_TABLE)} WHERE stream = ? AND source = ?`, [name, this.source]);
      }
      const left = await db.rows(`SELECT count(*) AS n FROM main.${ident(STATE_TABLE)}`);
      if (Number(left[0]?.n ?? 0) === 0) await db.run(`DROP TABLE main.${ident(STATE_TABLE)}`);
    });
    if (moved.length > 0) this.o.onMigrate?.(moved);
  }

  /** Drop a stream's rows and its state of this account in one transaction: the next read starts from start_date. */
  private async reset(table: string, stream: string): Promise<void> {
    const db = this.db;
    const id = this.account.id;
    const deleted = await db.transaction(async () => {
      const n = await db.run(`DELETE FROM ${qualified(this.o.schema, table)} WHERE ${ident(ACCOUNT_COLUMN)} = ?`, [id]);
      await db.run(`DELETE FROM ${this.stateTable} WHERE stream = ? AND account_id = ?`, [stream, id]);
      return n;
    });
    this.o.onReset?.(stream, deleted);
  }

  /** The sink the engine's read() writes records to: each is buffered until its stream's next checkpoint. */
  emitter(): Emitter {
    return {
      // Every other message is the hooks' business (loader.hooks()): records are all this sink takes.
      emit: () => undefined,
      records: this.format(),
      emitRecords: (stream, records, written) => {
        this.spoolLines(stream, encodedLines(records));
        written();
      },
      ready: () => this.ready(),
    };
  }

  /** The columns of every stream's table that a record fills (all but the account and the extraction time). */
  private format(): ColumnsFormat {
    const streams: ColumnsFormat['streams'] = {};
    for (const [name, ctx] of this.streams) streams[name] = dataColumns(ctx.layout).map((c) => ({ name: c.name, json: c.json === 'json' }));
    return { kind: 'columns', streams };
  }

  /** What read() tells the loader per stream: a checkpoint commits the rows before it with its state. */
  hooks(): StreamHooks {
    return {
      onStreamStart: (stream) => this.started(stream),
      onCheckpoint: (stream, state, windows) => this.checkpoint(stream, state, windows),
      onStreamEnd: (stream, status, error) => this.ended(stream, status, error),
    };
  }

  /** The streams prepare() failed for an unusable stored state: the read must leave them out. */
  failedStreams(): ReadonlySet<string> {
    return this.unusable;
  }

  /** Resolves when every checkpoint received so far has been committed (or its failure recorded). Never rejects. */
  ready(): Promise<void> {
    return this.chain;
  }

  /** Per-stream statistics; `outcome` is settled for streams whose read has ended and whose commits have run. */
  stats(): StreamStats[] {
    return [...this.streams.values()].map((s) => {
      s.stats.outcome = outcome(s);
      return s.stats;
    });
  }

  /**
   * Where spool files go: a folder beside the database (`<db>.spool`), emptied when a sync starts
   * (the database's lock keeps two syncs apart), so a killed sync leaves at most one checkpoint's
   * lines behind until the next, and removed when the read ends.
   */
  private get spoolDir(): string {
    return `${this.db.path}.spool`;
  }

  /** Append lines to the stream's spool file (a stream whose load failed keeps none: nothing of it commits again). */
  private spoolLines(stream: string, lines: Uint8Array): void {
    const ctx = this.streams.get(stream);
    if (!ctx || ctx.loadFailed || lines.byteLength === 0) return;
    if (ctx.spool === null) {
      const path = `${this.spoolDir}/${ctx.stage}-${this.spoolCount++}.ndjson`;
      ctx.spool = { path, fd: openSync(path, 'wx') };
    }
    for (let at = 0; at < lines.byteLength; ) at += writeSync(ctx.spool.fd, lines, at);
  }

  /** Close a stream's spool file; `remove` deletes it (else the commit that reads it does, after). */
  private closeSpool(ctx: StreamCtx<C>, remove: boolean): Spool | null {
    const spool = ctx.spool;
    ctx.spool = null;
    if (spool) {
      closeSync(spool.fd);
      if (remove) rmSync(spool.path, { force: true });
    }
    return spool;
  }

  /** Remove the spool folder once every stream's read has ended and its commits have run. */
  private cleanup(): void {
    if ([...this.streams.entries()].every(([name, ctx]) => ctx.readStatus !== null || this.unusable.has(name))) {
      rmSync(this.spoolDir, { recursive: true, force: true });
    }
  }

  private started(stream: string): void {
    const ctx = this.streams.get(stream);
    if (ctx) ctx.stats.startedAt = this.o.clock.now();
  }

  /** One transaction: the rows buffered since the last checkpoint, what they replace in `windows`, and `state`. */
  private checkpoint(stream: string, state: Record<string, unknown>, windows: readonly Window[] = []): void {
    const ctx = this.streams.get(stream);
    if (!ctx) return;
    const spool = this.closeSpool(ctx, false);
    this.chain = this.chain.then(async () => {
      try {
        await this.commitSafely(ctx, spool, state, windows);
      } finally {
        if (spool) rmSync(spool.path, { force: true });
      }
    });
  }

  private ended(stream: string, status: 'COMPLETE' | 'INCOMPLETE', error: string | undefined): void {
    const ctx = this.streams.get(stream);
    if (!ctx) return;
    if (error !== undefined && !ctx.stats.error) ctx.stats.error = error;
    this.closeSpool(ctx, true); // records after the last checkpoint are never loaded
    // Ended once this stream's commits have run.
    this.chain = this.chain.then(() => {
      ctx.readStatus = status;
      ctx.stats.endedAt = this.o.clock.now();
      this.cleanup();
    });
  }

  /**
   * Upsert this account's STATE of `stream` (inside the checkpoint's transaction), stamped with the
   * run's clock (AI_SPEND_NOW included: the report's "complete through" reads this time), not DuckDB's now().
   */
  private async saveState(stream: string, state: Record<string, unknown>): Promise<void> {
    await this.db.run(
      `INSERT INTO ${this.stateTable} (stream, account_id, source, state, updated_at) VALUES (?, ?, ?, CAST(? AS JSON), to_timestamp(CAST(? AS DOUBLE) / 1000))
       ON CONFLICT (stream, account_id) DO UPDATE SET source = excluded.source, state = excluded.state, updated_at = excluded.updated_at`,
      [stream, this.account.id, this.source, JSON.stringify(state), this.o.clock.now()],
    );
  }

  private async commitSafely(ctx: StreamCtx<C>, spool: Spool | null, state: Record<string, unknown>, windows: readonly Window[]): Promise<void> {
    if (ctx.loadFailed) return; // a later state must never skip rows of a failed commit
    try {
      await this.commit(ctx, spool, state, windows);
    } catch (err) {
      ctx.loadFailed = true;
      const message = `loading into table '${ctx.layout.schema}.${ctx.layout.table}' failed: ${firstLine(err instanceof Error ? err.message : String(err))}`;
      ctx.stats.error ??= message;
      if (ctx.stats.error !== message) ctx.stats.error = `${ctx.stats.error}; ${message}`;
      this.o.onError?.(ctx.stats.name, message);
    }
  }

  private async commit(ctx: StreamCtx<C>, spool: Spool | null, state: Record<string, unknown>, windows: readonly Window[]): Promise<void> {
    const db = this.db;
    const { stats } = ctx;
    let rows = 0;
    let inserted = 0;
    let updated = 0;
    let unchanged = 0;
    let deleted = 0;
    let days: Row | undefined;
    await db.transaction(async () => {
      if (spool !== null) {
        // The spooled lines as text (read_json), then one row per key: the last to arrive.
        rows = await db.run(ctx.sql.stage(spool.path));
        days = (await db.rows(ctx.sql.summary))[0];
        if (Number(days?.repeated ?? 0) > 0) rows -= await db.run(ctx.sql.dedupe);
      }
      const replace = windows.length > 0 && ctx.sql.windowDelete !== null;
      if (rows > 0 || ctx.snapshot || replace) {
        if (!ctx.indexed) {
          // Replace: the rows of the windows read whole (or the account's snapshot) and of the keys
          // loaded go, the stage comes in; counts are set operations against what is replaced.
          const outside = replace && ctx.replace.outside ? Number((await db.rows(ctx.replace.outside(windows)))[0]?.n ?? 0) : rows;
          const keyed = !ctx.snapshot && outside > 0;
          const sql = ctx.replace.sql(ctx.snapshot ? null : replace ? windows : [], keyed);
          const c = (await db.rows(sql.counts))[0] ?? {};
          inserted = Number(c.inserted ?? 0);
          updated = Number(c.updated ?? 0);
          unchanged = Number(c.unchanged ?? 0);
          deleted = Number(c.removed ?? 0);
          await db.run(sql.delete);
          if (rows > 0) await db.run(sql.insert);
        } else {
          const existing = Number((await db.rows(ctx.sql.existing))[0]?.n ?? 0);
          const changed = rows > 0 ? await db.run(ctx.sql.upsert) : 0;
          inserted = rows - existing;
          updated = Math.max(0, changed - inserted);
          unchanged = existing - updated;
          if (ctx.snapshot) deleted = await db.run(ctx.sql.snapshotDelete);
          else if (replace && ctx.sql.windowDelete) deleted = await db.run(ctx.sql.windowDelete(windows));
        }
        await db.run(ctx.sql.clearStage);
      }
      await this.saveState(stats.name, state);
    });
    stats.rows += rows;
    stats.inserted += inserted;
    stats.updated += updated;
    stats.unchanged += unchanged;
    stats.deleted += deleted;
    stats.commits += 1;
    const [first, last] = [days?.first, days?.last];
    if (typeof first === 'string' && (stats.firstDay === null || first < stats.firstDay)) stats.firstDay = first;
    if (typeof last === 'string' && (stats.lastDay === null || last > stats.lastDay)) stats.lastDay = last;
    const cursor = typeof state.cursor === 'number' ? state.cursor : null;
    if (cursor !== null) stats.cursor = cursor;
    this.o.onCommit?.({ stream: stats.name, rows, inserted, updated, unchanged, deleted, cursor });
  }
}

interface ReplaceSql {
  /** Counts (n) the stage's rows whose cursor lies outside `windows`; null when the cursor cannot be compared with a time. */
  outside: ((windows: readonly Window[]) => string) | null;
  /**
   * The statements of one checkpoint: `windows` null replaces the account's snapshot; else the
   * account's rows in `windows` go, and with `keyed` also its rows whose key the stage holds.
   */
  sql(windows: readonly Window[] | null, keyed: boolean): { counts: string; delete: string; insert: string };
}

/**
 * The loading of a table without PRIMARY KEY: DELETE the replaced rows, INSERT the stage (one
 * row per key: the buffer keeps the last). Counts compare the stage with the replaced rows by key:
 * inserted (new key), updated (values differ, `_extracted_at` aside), unchanged, removed (key gone).
 */
function replaceSql(layout: TableLayout, stage: string, types: Map<string, string>, account: string, cursorField: string | null): ReplaceSql {
  const target = qualified(layout.schema, layout.table);
  const t = ident(layout.table);
  const s = ident(stage);
  const names = layout.columns.map((c) => c.name);
  const cast = (col: string): string => `CAST(s.${ident(col)} AS ${types.get(col) ?? 'VARCHAR'})`;
  const keys = layout.recordKey;
  const keyMatch = keys.map((k) => `${t}.${ident(k)} = ${cast(k)}`).join(' AND ');
  const compared = names.filter((n) => n !== EXTRACTED_AT && n !== ACCOUNT_COLUMN && !keys.includes(n));
  const type = cursorField === null ? undefined : types.get(cursorField);
  const instant = type === 'TIMESTAMPTZ' || type === 'TIMESTAMP WITH TIME ZONE';
  const bound = type === 'BIGINT' ? (x: number) => String(x) : instant ? (x: number) => `to_timestamp(${x})` : null;
  const inWindows =
    cursorField === null || bound === null
      ? null
      : (c: string, windows: readonly Window[]): string => {
          const ranges = mergeWindows(windows);
          if (ranges.length === 0) return 'false';
          return `(${ranges.map((r) => `(${c} >= ${bound(r.start)} AND ${c} < ${bound(r.end)})`).join(' OR ')})`;
        };
  return {
    outside:
      inWindows === null || cursorField === null
        ? null
        : (windows) => `SELECT count(*) AS n FROM ${s} AS s WHERE NOT coalesce(${inWindows(cast(cursorField), windows)}, false)`,
    sql(windows, keyed) {
      const parts: string[] = [];
      if (windows !== null && inWindows && cursorField !== null) parts.push(inWindows(`${t}.${ident(cursorField)}`, windows));
      if (keyed) parts.push(`EXISTS (SELECT 1 FROM ${s} AS s WHERE ${keyMatch})`);
      const which = windows === null ? 'true' : parts.length === 0 ? 'false' : `(${parts.join(' OR ')})`;
      const replaced = `${t}.${ident(ACCOUNT_COLUMN)} = ${literal(account)} AND ${which}`;
      const on = keys.map((k) => `n.${ident(k)} = o.${ident(k)}`).join(' AND ');
      const differ = compared.length === 0 ? 'false' : compared.map((c) => `n.${ident(c)} IS DISTINCT FROM o.${ident(c)}`).join(' OR ');
      const counts =
        `WITH n AS (SELECT ${names.map((c) => `${cast(c)} AS ${ident(c)}`).join(', ')}, true AS _new FROM ${s} AS s), ` +
        `o AS (SELECT ${t}.*, true AS _old FROM ${target} AS ${t} WHERE ${replaced}) ` +
        'SELECT count(*) FILTER (WHERE _old IS NULL) AS inserted, count(*) FILTER (WHERE _new IS NULL) AS removed, ' +
        `count(*) FILTER (WHERE _new AND _old AND (${differ})) AS updated, count(*) FILTER (WHERE _new AND _old AND NOT (${differ})) AS unchanged ` +
        `FROM n FULL OUTER JOIN o ON ${on}`;
      return {
        counts,
        delete: `DELETE FROM ${target} AS ${t} WHERE ${replaced}`,
        insert: `INSERT INTO ${target} (${names.map(ident).join(', ')}) SELECT ${names.map(cast).join(', ')} FROM ${s} AS s`,
      };
    },
  };
}

/** Windows sorted, contiguous or overlapping ones merged into one range of whole seconds. */
function mergeWindows(windows: readonly Window[]): Window[] {
  const ranges: Window[] = [];
  for (const w of [...windows].sort((a, b) => a.start - b.start)) {
    const last = ranges[ranges.length - 1];
    if (last && w.start <= last.end) last.end = Math.max(last.end, Math.trunc(w.end));
    else ranges.push({ start: Math.trunc(w.start), end: Math.trunc(w.end) });
  }
  return ranges;
}

function outcome<C>(s: StreamCtx<C>): StreamOutcome {
  if (s.loadFailed) return 'failed';
  if (s.readStatus === 'COMPLETE') return 'complete';
  if (s.readStatus === 'INCOMPLETE') return s.stats.error ? 'failed' : 'interrupted';
  return 'pending';
}

function mergeSql(layout: TableLayout, stage: string, types: Map<string, string>, account: string, cursorField: string | null): MergeSql {
  // The table by its qualified name where it is named, by its own name where its columns are.
  const target = qualified(layout.schema, layout.table);
  const t = ident(layout.table);
  const s = ident(stage);
  const cast = (col: string): string => `CAST(s.${ident(col)} AS ${types.get(col) ?? 'VARCHAR'})`;
  const names = layout.columns.map((c) => c.name);
  const keyMatch = layout.primaryKey.map((k) => `${t}.${ident(k)} = ${cast(k)}`).join(' AND ');
  const rest = names.filter((n) => !layout.primaryKey.includes(n));
  const compared = rest.filter((n) => n !== EXTRACTED_AT);
  const conflict =
    rest.length === 0
      ? 'DO NOTHING'
      : `DO UPDATE SET ${rest.map((n) => `${ident(n)} = excluded.${ident(n)}`).join(', ')}` +
        (compared.length > 0 ? ` WHERE ${compared.map((n) => `${t}.${ident(n)} IS DISTINCT FROM excluded.${ident(n)}`).join(' OR ')}` : '');
  const data = dataColumns(layout);
  const texts = data.map((_, i) => `${literal(String(i))}: 'VARCHAR'`).concat(`${literal(String(data.length))}: 'VARCHAR'`);
  const staged = data.map((_, i) => ident(String(i))).concat(literal(account), ident(String(data.length)));
  const key = layout.recordKey.map((k) => ident(k)).join(', ');
  return {
    stage: (file) =>
      `INSERT INTO ${s} (${[...data.map((c) => c.name), ACCOUNT_COLUMN, EXTRACTED_AT].map(ident).join(', ')}) SELECT ${staged.join(', ')} ` +
      `FROM read_json(${literal(file)}, format = 'newline_delimited', records = true, columns = {${texts.join(', ')}})`,
    dedupe: `DELETE FROM ${s} WHERE rowid IN (SELECT rowid FROM ${s} QUALIFY row_number() OVER (PARTITION BY ${key} ORDER BY rowid DESC) > 1)`,
    summary: `SELECT ${cursorField === null ? 'NULL AS first, NULL AS last' : daysSql(layout, cursorField)}, count(*) - count(DISTINCT (${key})) AS repeated FROM ${s}`,
    existing: `SELECT count(*) AS n FROM ${s} AS s JOIN ${target} ON ${keyMatch}`,
    upsert:
      `INSERT INTO ${target} (${names.map(ident).join(', ')}) SELECT ${names.map(cast).join(', ')} FROM ${s} AS s ` +
      `ON CONFLICT (${layout.primaryKey.map(ident).join(', ')}) ${conflict}`,
    // The snapshot of one account: another account's rows are never its to delete.
    snapshotDelete: `DELETE FROM ${target} WHERE ${t}.${ident(ACCOUNT_COLUMN)} = ${literal(account)} AND NOT EXISTS (SELECT 1 FROM ${s} AS s WHERE ${keyMatch})`,
    windowDelete: cursorField === null ? null : windowDeleteSql(target, t, s, keyMatch, account, cursorField, types.get(cursorField)),
    clearStage: `DELETE FROM ${s}`,
  };
}

/**
 * The DELETE of MergeSql.windowDelete: rows of `account` whose cursor lies in one of the windows
 * (contiguous windows merged into one range) and whose key the stage does not hold. A cursor of
 * unix seconds (BIGINT) or an instant (TIMESTAMPTZ) compares with the window's bounds; any other
 * type gets no DELETE (null), so nothing is removed that cannot be placed in a window.
 */
function windowDeleteSql(
  target: string,
  t: string,
  s: string,
  keyMatch: string,
  account: string,
  cursorField: string,
  type: string | undefined,
): ((windows: readonly Window[]) => string) | null {
  // information_schema spells TIMESTAMPTZ out.
  const instant = type === 'TIMESTAMPTZ' || type === 'TIMESTAMP WITH TIME ZONE';
  const bound = type === 'BIGINT' ? (x: number) => String(x) : instant ? (x: number) => `to_timestamp(${x})` : null;
  if (bound === null) return null;
  const c = `${t}.${ident(cursorField)}`;
  return (windows) => {
    const ranges = mergeWindows(windows);
    const inside = ranges.map((r) => `(${c} >= ${bound(r.start)} AND ${c} < ${bound(r.end)})`).join(' OR ');
    return `DELETE FROM ${target} WHERE ${t}.${ident(ACCOUNT_COLUMN)} = ${literal(account)} AND (${inside}) AND NOT EXISTS (SELECT 1 FROM ${s} AS s WHERE ${keyMatch})`;
  };
}

const dataColumns = (layout: TableLayout): TableLayout['columns'] => layout.columns.filter((c) => c.name !== ACCOUNT_COLUMN && c.name !== EXTRACTED_AT);

/**
 * The first and last UTC day of the staged rows (`first`, `last`): their `date` column, else their
 * cursor field (unix seconds or an instant, as the column's type says).
 */
function daysSql(layout: TableLayout, cursorField: string): string {
  const type = (name: string): string | undefined => layout.columns.find((c) => c.name === name)?.type;
  const day =
    type('date') === 'DATE'
      ? 'left("date", 10)'
      : type(cursorField) === 'BIGINT'
        ? `strftime(to_timestamp(TRY_CAST(${ident(cursorField)} AS DOUBLE)), '%Y-%m-%d')`
        : `strftime(TRY_CAST(${ident(cursorField)} AS TIMESTAMPTZ), '%Y-%m-%d')`;
  return `min(${day}) AS first, max(${day}) AS last`;
}
