import { z } from 'zod';
import { configError } from '../../engine/errors.js';
import { UsageError } from '../commands.js';
import type { JsonSchema, StreamDef } from '../../engine/stream.js';
import type { SyncMode } from '../../protocol/messages.js';

// Singer mode: the catalog --discover prints, and the streams, methods and fields a --catalog selects.

interface SingerMetadata {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

interface SingerCatalogEntry {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  metadata: SingerMetadata[];
}

type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL';

export const keyProperties = <C>(s: StreamDef<C>): string[] => s.primaryKey.map((path) => path.join('.'));
const propertyNames = (schema: JsonSchema): string[] => Object.keys((schema.properties as Record<string, unknown> | undefined) ?? {});

/**
 * --select's names checked against the connector's streams ('all' is every stream), or a
 * UsageError naming the unknown ones and the streams there are.
 */
export function selectedNames<C>(names: readonly string[], streams: ReadonlyArray<StreamDef<C>>): Set<string> {
  const known = streams.map((s) => s.name);
  if (names.length === 1 && names[0] === 'all') return new Set(known);
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length > 0) {
    throw new UsageError(`--select names no stream ${unknown.map((n) => `'${n}'`).join(', ')}; the streams are ${known.join(', ')} (or all).`);
  }
  return new Set(names);
}

/**
 * The Singer catalog of a connector's streams (what --discover prints). Streams are not selected by
 * default (Singer's rule); those of `selected` (--select) get `selected: true` on their breadcrumb [].
 */
export function singerCatalog<C>(streams: ReadonlyArray<StreamDef<C>>, selected: ReadonlySet<string> = new Set()): { streams: SingerCatalogEntry[] } {
  return {
    streams: streams.map((s) => {
      const keys = keyProperties(s);
      const automatic = new Set([...keys, ...(s.kind === 'buckets' ? [s.cursorField] : [])]);
      const top: Record<string, unknown> = {
        ...(selected.has(s.name) ? { selected: true } : {}),
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

export const METHOD_TO_MODE: Record<ReplicationMethod, SyncMode> = { FULL_TABLE: 'full_refresh', INCREMENTAL: 'incremental' };

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
    const selected = typeof top.selected === 'boolean' ? top.selected : (entry.schema?.selected ?? top['selected-by-default'] === true);
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
  // Syncing nothing and exiting 0 would look like a good night with no spend (issue 25).
  if (out.length === 0) {
    throw configError(
      `Catalog selects no stream: mark streams "selected": true in their metadata (breadcrumb []), or print such a catalog with --discover --select ${streams
        .slice(0, 2)
        .map((s) => s.name)
        .join(',')} (or --select all).`,
    );
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
