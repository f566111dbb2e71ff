import { parseArgs } from 'node:util';
import { z } from 'zod';
import { parseConfig } from '../engine/config.js';
import { encodedLines, type RecordFormat } from '../engine/decode.js';
import { ConnectorError, configError, toConnectorError } from '../engine/errors.js';
import { createLogger, levelFromEnv, type Logger } from '../engine/logger.js';
import type { ConfiguredStream, Emitter } from '../engine/read.js';
import { errorContext, type SourceDefinition } from '../engine/source.js';
import { migrateStreamState, type StreamState } from '../engine/state.js';
import type { EncodedRecords, JsonSchema, StreamDef } from '../engine/stream.js';
import type { AirbyteMessage, SyncMode } from '../protocol/messages.js';
import { NdjsonWriter } from '../protocol/writer.js';
import { readJsonFile, readStateText } from './inputs.js';
import { clock, decodePoolFor, httpClientFor, readSource, withStopSignals } from './runtime.js';
import { connectionSpecification } from './spec.js';

/**
 * Singer mode of the same binaries (https://github.com/singer-io/getting-started):
 *
 *   source-x --config CONFIG --discover                      -> a Singer catalog on stdout
 *   source-x --config CONFIG [--state STATE] [--catalog CATALOG | --properties CATALOG]
 *                                                            -> SCHEMA / RECORD / STATE lines
 *
 * The sync is the engine's Airbyte read() with a translating Emitter: RECORD -> SCHEMA (once,
 * before the stream's first RECORD) + RECORD; per-stream STATE -> STATE {bookmarks: {...}}
 * carrying every stream's bookmark; STREAM_STATUS, ERROR and LOG -> stderr lines. stdout only
 * ever holds Singer messages.
 */

const OPTIONS = {
  config: { type: 'string' },
  state: { type: 'string' },
  catalog: { type: 'string' },
  properties: { type: 'string' },
  discover: { type: 'boolean' },
  about: { type: 'boolean' },
  version: { type: 'boolean' },
  debug: { type: 'boolean' },
} as const;

const USAGE = (name: string): string =>
  `usage (Singer): ${name} --config FILE --discover | ${name} --config FILE [--state FILE] [--catalog FILE | --properties FILE] [--debug] | ${name} --about | ${name} --version`;

/**
 * Flags only, no command word: Singer mode. Any positional (spec, check, discover, read, or a
 * typo) keeps the Airbyte CLI, which names an unknown command. No arguments at all: Airbyte usage.
 */
export function isSingerInvocation(argv: readonly string[]): boolean {
  if (argv.length === 0) return false;
  const { positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true });
  return positionals.length === 0;
}

// ---- catalog -------------------------------------------------------------------------------------

export interface SingerMetadata {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

export interface SingerCatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  metadata: SingerMetadata[];
}

export type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL';

const keyProperties = <C>(s: StreamDef<C>): string[] => s.primaryKey.map((path) => path.join('.'));
const propertyNames = (schema: JsonSchema): string[] => Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});

/** The Singer catalog of a connector's streams (what --discover prints). */
export function singerCatalog<C>(streams: ReadonlyArray<StreamDef<C>>): { streams: SingerCatalogEntry[] } {
  return {
    streams: streams.map((s) => {
      const keys = keyProperties(s);
      const automatic = new Set([...keys, ...(s.kind === 'buckets' ? [s.cursorField] : [])]);
      const top: Record<string, unknown> = {
        inclusion: 'available',
        'selected-by-default': false,
        'table-key-properties': keys,
        ...(s.kind === 'buckets' ? { 'valid-replication-keys': [s.cursorField] } : { 'forced-replication-method': 'FULL_TABLE' }),
      };
      return {
        tap_stream_id: s.name,
        stream: s.name,
        schema: s.schema,
        key_properties: keys,
        metadata: [
          { breadcrumb: [], metadata: top },
          ...propertyNames(s.schema).map((p) => ({
            breadcrumb: ['properties', p],
            metadata: automatic.has(p) ? { inclusion: 'automatic' } : { inclusion: 'available', 'selected-by-default': true },
          })),
        ],
      };
    }),
  };
}

const CatalogFile = z.looseObject({
  streams: z.array(
    z.looseObject({
      tap_stream_id: z.string().min(1).optional(),
      stream: z.string().min(1).optional(),
      schema: z.looseObject({ selected: z.boolean().optional() }).optional(),
      metadata: z.array(z.looseObject({ breadcrumb: z.array(z.string()), metadata: z.record(z.string(), z.unknown()) })).optional(),
    }),
  ),
});

/** One stream to sync, as decided by the Singer catalog. */
export interface SingerSelection {
  name: string;
  method: ReplicationMethod;
  /** Properties to emit; null means all of them. */
  fields: Set<string> | null;
}

const METHOD_TO_MODE: Record<ReplicationMethod, SyncMode> = { FULL_TABLE: 'full_refresh', INCREMENTAL: 'incremental' };

/** Without a catalog every stream is synced with its default method (as Meltano SDK taps do). */
export function selectAll<C>(streams: ReadonlyArray<StreamDef<C>>): SingerSelection[] {
  return streams.map((s) => ({ name: s.name, method: s.kind === 'buckets' ? 'INCREMENTAL' : 'FULL_TABLE', fields: null }));
}

/**
 * The streams a Singer catalog selects, in catalog order. Honours `selected` (falling back to
 * `selected-by-default` and the legacy `schema.selected`), `replication-method` and
 * `replication-key` on the stream's breadcrumb, and `selected: false` on property breadcrumbs
 * (properties with `inclusion: automatic` are always kept).
 */
export function selectFromCatalog<C>(raw: unknown, streams: ReadonlyArray<StreamDef<C>>): SingerSelection[] {
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw configError(
      `Catalog is not a Singer catalog (at '${issue?.path.join('.') || 'catalog'}': ${issue?.message ?? 'wrong shape'}); pass the file --discover printed, with "selected": true in the metadata of the streams to sync.`,
    );
  }
  const known = new Map(streams.map((s) => [s.name, s]));
  const out: SingerSelection[] = [];
  const seen = new Set<string>();
  for (const entry of parsed.data.streams) {
    const name = entry.tap_stream_id ?? entry.stream;
    if (!name) throw configError('Catalog stream without tap_stream_id or stream; pass the file --discover printed.');
    const meta = new Map((entry.metadata ?? []).map((m) => [m.breadcrumb.join('\u0000'), m.metadata]));
    const top = meta.get('') ?? {};
    const selected = typeof top.selected === 'boolean' ? top.selected : entry.schema?.selected ?? top['selected-by-default'] === true;
    if (!selected) continue;
    if (seen.has(name)) throw configError(`Catalog selects stream '${name}' twice; keep one entry.`);
    seen.add(name);
    const def = known.get(name);
    if (!def) {
      // The engine reports it: STARTED, INCOMPLETE and an error naming the streams there are.
      out.push({ name, method: 'FULL_TABLE', fields: null });
      continue;
    }
    const method = replicationMethod(name, top['replication-method'], def);
    replicationKey(name, top['replication-key'], def, method);
    out.push({ name, method, fields: selectedFields(def, meta) });
  }
  return out;
}

function replicationMethod<C>(name: string, raw: unknown, def: StreamDef<C>): ReplicationMethod {
  if (raw === undefined || raw === null) return def.kind === 'buckets' ? 'INCREMENTAL' : 'FULL_TABLE';
  if (raw !== 'FULL_TABLE' && raw !== 'INCREMENTAL') {
    throw configError(`Catalog stream '${name}' has replication-method ${JSON.stringify(raw)}; use FULL_TABLE or INCREMENTAL.`);
  }
  if (raw === 'INCREMENTAL' && def.kind !== 'buckets') {
    throw configError(`Catalog stream '${name}' supports only FULL_TABLE (forced-replication-method); change its replication-method.`);
  }
  return raw;
}

/** Real Singer writes replication-key as a string; Airbyte's legacy Singer schema as a one-item array. Both are accepted. */
function replicationKey<C>(name: string, raw: unknown, def: StreamDef<C>, method: ReplicationMethod): void {
  if (raw === undefined || raw === null || method === 'FULL_TABLE' || def.kind !== 'buckets') return;
  const key = Array.isArray(raw) && raw.length === 1 ? raw[0] : raw;
  if (key !== def.cursorField) {
    throw configError(`Catalog stream '${name}' has replication-key ${JSON.stringify(raw)}; the only valid replication key is '${def.cursorField}'.`);
  }
}

function selectedFields<C>(def: StreamDef<C>, meta: Map<string, Record<string, unknown>>): Set<string> | null {
  const keep = new Set<string>();
  let dropped = false;
  const automatic = new Set([...keyProperties(def), ...(def.kind === 'buckets' ? [def.cursorField] : [])]);
  for (const p of propertyNames(def.schema)) {
    const m = meta.get(`properties\u0000${p}`);
    if (!automatic.has(p) && m?.selected === false) dropped = true;
    else keep.add(p);
  }
  return dropped ? keep : null;
}

// ---- state ---------------------------------------------------------------------------------------

const StateFile = z.looseObject({ bookmarks: z.record(z.string(), z.unknown()).optional() });

/**
 * Parse a Singer state file: {"bookmarks": {"<stream>": <bookmark>}} (also wrapped in a STATE
 * message as {"type":"STATE","value":{...}}). Empty text and {} mean no state.
 */
export function parseSingerState(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw configError('State file is not valid JSON; pass the value of the last STATE message, {"bookmarks": {...}}, or no --state.');
  }
  if (json && typeof json === 'object' && !Array.isArray(json) && (json as { type?: unknown }).type === 'STATE') json = (json as { value?: unknown }).value;
  const parsed = StateFile.safeParse(json);
  if (!parsed.success) throw configError('State file must be a Singer state, {"bookmarks": {"<stream>": {...}}}; pass the value of the last STATE message.');
  return { ...(parsed.data.bookmarks ?? {}) };
}

/**
 * Engine states from Singer bookmarks: our own bookmark ({"version":1,"cursor":...}), the plain
 * {"<cursor field>": value}, and the Meltano SDK shape {"replication_key", "replication_key_value"}.
 * Bookmarks of full-table streams (snapshot bookmarks) and of unknown streams do not steer a read.
 */
export function statesFromBookmarks<C>(bookmarks: Record<string, unknown>, streams: ReadonlyArray<StreamDef<C>>, log: (m: string) => void): Map<string, StreamState> {
  const byName = new Map(streams.map((s) => [s.name, s]));
  const states = new Map<string, StreamState>();
  for (const [name, raw] of Object.entries(bookmarks)) {
    const def = byName.get(name);
    if (!def) {
      log(`state has a bookmark for '${name}', which this connector does not have; it is kept as it is`);
      continue;
    }
    if (def.kind !== 'buckets') continue;
    let value = raw;
    if (value && typeof value === 'object' && !Array.isArray(value) && 'replication_key_value' in value) {
      const sdk = value as { replication_key?: unknown; replication_key_value?: unknown };
      if (sdk.replication_key !== undefined && sdk.replication_key !== def.cursorField) {
        throw configError(`State bookmark of '${name}' has replication_key '${String(sdk.replication_key)}'; this stream's is '${def.cursorField}'.`);
      }
      value = { [def.cursorField]: sdk.replication_key_value };
    }
    const state = migrateStreamState(name, value, def.cursorField);
    if (state) states.set(name, state);
  }
  return states;
}

// ---- the translating emitter ---------------------------------------------------------------------

export type SingerMessage =
  | { type: 'SCHEMA'; stream: string; schema: JsonSchema; key_properties: string[]; bookmark_properties: string[] }
  | { type: 'RECORD'; stream: string; record: Record<string, unknown>; time_extracted: string }
  | { type: 'STATE'; value: { bookmarks: Record<string, unknown> } };

interface StreamOut {
  schema: JsonSchema;
  keys: string[];
  bookmarks: string[];
  fields: Set<string> | null;
  announced: boolean;
}

function projectSchema(schema: JsonSchema, fields: Set<string> | null): JsonSchema {
  if (!fields) return schema;
  const props = (schema.properties as Record<string, unknown> | undefined) ?? {};
  const out: JsonSchema = { ...schema, properties: Object.fromEntries(Object.entries(props).filter(([k]) => fields.has(k))) };
  if (Array.isArray(schema.required)) out.required = (schema.required as string[]).filter((k) => fields.has(k));
  return out;
}

/** Turns the engine's Airbyte messages into Singer messages on stdout and log lines on stderr. */
export class SingerEmitter implements Emitter {
  private readonly streams = new Map<string, StreamOut>();
  /** Singer RECORD lines of each stream's selected fields, encoded like any record (engine/decode.ts). */
  readonly records: RecordFormat;

  constructor(
    private readonly writer: NdjsonWriter<SingerMessage>,
    private readonly logger: Logger,
    selection: ReadonlyArray<SingerSelection>,
    defs: ReadonlyArray<StreamDef<unknown>>,
    /** Bookmarks carried over from the input state; every STATE holds them all. */
    private readonly bookmarks: Record<string, unknown>,
  ) {
    const byName = new Map(defs.map((d) => [d.name, d]));
    for (const s of selection) {
      const def = byName.get(s.name);
      if (!def) continue;
      this.streams.set(s.name, {
        schema: projectSchema(def.schema, s.fields),
        keys: keyProperties(def),
        bookmarks: s.method === 'INCREMENTAL' && def.kind === 'buckets' ? [def.cursorField] : [],
        fields: s.fields,
        announced: false,
      });
    }
    this.records = { kind: 'singer', fields: Object.fromEntries(selection.map((s) => [s.name, s.fields ? [...s.fields] : null])) };
  }

  private announce(stream: string): StreamOut | undefined {
    const s = this.streams.get(stream);
    if (s && !s.announced) {
      s.announced = true;
      this.writer.write({ type: 'SCHEMA', stream, schema: s.schema, key_properties: s.keys, bookmark_properties: s.bookmarks });
    }
    return s;
  }

  emitRecords(stream: string, records: EncodedRecords, written: () => void): void {
    this.announce(stream);
    this.writer.writeLines(encodedLines(records), written);
  }

  emit(m: AirbyteMessage): void {
    switch (m.type) {
      case 'STATE': {
        this.bookmarks[m.state.stream.stream_descriptor.name] = m.state.stream.stream_state;
        this.writer.write({ type: 'STATE', value: { bookmarks: this.bookmarks } });
        return;
      }
      case 'TRACE': {
        const t = m.trace;
        if (t.type === 'STREAM_STATUS') {
          const name = t.stream_status.stream_descriptor.name;
          if (t.stream_status.status === 'STARTED') this.announce(name);
          const limited = t.stream_status.reasons?.find((r) => r.type === 'RATE_LIMITED');
          if (limited) this.logger.warn(`${name}: rate limited until ${new Date(limited.rate_limited.quota_reset ?? Date.now()).toISOString()}`);
          else this.logger.info(`${name}: ${t.stream_status.status}`);
        } else {
          const where = t.error.stream_descriptor ? `${t.error.stream_descriptor.name}: ` : '';
          this.logger.error(`${where}${t.error.message} (${t.error.failure_type})`);
        }
        return;
      }
      case 'LOG': {
        const level = m.log.level;
        if (level === 'ERROR' || level === 'FATAL') this.logger.error(m.log.message);
        else if (level === 'WARN') this.logger.warn(m.log.message);
        else if (level === 'DEBUG' || level === 'TRACE') this.logger.debug(m.log.message);
        else this.logger.info(m.log.message);
        return;
      }
      default:
        return;
    }
  }

  ready(): Promise<void> {
    return this.writer.ready();
  }
}

// ---- the CLI -------------------------------------------------------------------------------------


const parseFlags = (argv: string[]) => parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
type Flags = ReturnType<typeof parseFlags>;

/** The Singer CLI for one source. Like the Airbyte CLI it never calls process.exit. */
export async function singerMain<C>(source: SourceDefinition<C>, argv: string[]): Promise<void> {
  let flags: Flags;
  try {
    flags = parseFlags(argv);
  } catch (err) {
    process.stderr.write(`CRITICAL ${(err as Error).message}. ${USAGE(source.name)}\n`);
    process.exitCode = 2;
    return;
  }
  const writer = new NdjsonWriter<SingerMessage>(process.stdout);
  const toStderr = (line: string): void => void process.stderr.write(`${writer.scrub(line)}\n`);
  const logger = createLogger(levelFromEnv(process.env, flags.debug === true), (level, message) => toStderr(`${level} ${message}`), (t) => writer.scrub(t));
  let exitCode = 0;
  try {
    exitCode = await singerDispatch(source, flags, writer, logger);
  } catch (err) {
    const e = toConnectorError(err, errorContext(source));
    if (!(err instanceof ConnectorError) && err instanceof Error) logger.debug(err.stack ?? err.message);
    toStderr(`CRITICAL ${e.message} (${e.failureType})`);
    exitCode = 1;
  }
  await writer.close();
  process.exitCode = exitCode;
}

async function writeText(text: string, scrub: (t: string) => string): Promise<void> {
  await new Promise<void>((resolve) => process.stdout.write(scrub(text), () => resolve()));
}

async function singerDispatch<C>(source: SourceDefinition<C>, flags: Flags, writer: NdjsonWriter<SingerMessage>, logger: Logger): Promise<number> {
  const scrub = (t: string): string => writer.scrub(t);
  if (flags.version) {
    await writeText(`${source.name} ${source.version}\n`, scrub);
    return 0;
  }
  if (flags.about) {
    const about = { name: source.name, version: source.version, capabilities: ['catalog', 'discover', 'state', 'about'], settings: connectionSpecification(source) };
    await writeText(`${JSON.stringify(about, null, 2)}\n`, scrub);
    return 0;
  }
  if (!flags.config) throw configError(`--config FILE is required. ${USAGE(source.name)}`);
  const config = parseConfig(source.configSchema, readJsonFile('config', flags.config));
  for (const s of source.secrets(config)) writer.addSecret(s);
  source.common(config, clock.now()); // checks start_date <= end_date before any request
  if (flags.discover) {
    await writeText(`${JSON.stringify(singerCatalog(source.streams), null, 2)}\n`, scrub);
    return 0;
  }
  if (flags.catalog && flags.properties) throw configError('Pass either --catalog or --properties, not both.');
  const catalogPath = flags.catalog ?? flags.properties;
  const selection = catalogPath ? selectFromCatalog(readJsonFile(flags.catalog ? 'catalog' : 'properties', catalogPath), source.streams) : selectAll(source.streams);
  if (selection.length === 0) logger.warn('the catalog selects no stream: nothing to sync (set "selected": true in a stream\'s metadata)');

  const bookmarks = parseSingerState(readStateText(flags.state));
  const states = statesFromBookmarks(bookmarks, source.streams, (m) => logger.warn(m));

  const http = httpClientFor(source, config, { logger, redact: scrub });
  const emitter = new SingerEmitter(writer, logger, selection, source.streams as ReadonlyArray<StreamDef<unknown>>, bookmarks);
  const catalog: ConfiguredStream[] = selection.map((s) => ({ name: s.name, syncMode: METHOD_TO_MODE[s.method] }));
  const pool = decodePoolFor(source, config, emitter.records, logger);
  return withStopSignals((m) => logger.warn(m), async (signal) => {
    try {
      const result = await readSource(source, config, { catalog, states, http, emitter, logger, signal, ...(pool ? { decoders: pool } : {}) });
      if (signal.aborted) {
        logger.error('Interrupted by a signal; the next sync resumes from the last STATE.');
        return 1;
      }
      if (result.failed.length > 0) {
        logger.error(`streams that did not sync: ${result.failed.join(', ')}`);
        return 1;
      }
      return 0;
    } finally {
      await pool?.close();
    }
  });
}
