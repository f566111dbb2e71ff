import { z } from 'zod';
import type { AirbyteStream, SyncMode } from '../protocol/messages.js';
import { configError } from './errors.js';
import type { ConfiguredStream } from './read.js';
import type { StreamDef } from './stream.js';

/** The CATALOG this connector advertises. full_refresh is listed first (CAT uses modes[0]). */
export function discoverCatalog<C>(streams: ReadonlyArray<StreamDef<C>>): AirbyteStream[] {
  return streams.map((s) =>
    s.kind === 'buckets'
      ? {
          name: s.name,
          json_schema: s.schema,
          supported_sync_modes: ['full_refresh', 'incremental'],
          source_defined_cursor: true,
          default_cursor_field: [s.cursorField],
          source_defined_primary_key: s.primaryKey,
          is_resumable: true,
        }
      : {
          name: s.name,
          json_schema: s.schema,
          supported_sync_modes: ['full_refresh'],
          source_defined_primary_key: s.primaryKey,
        },
  );
}

const ConfiguredCatalog = z.looseObject({
  streams: z.array(
    z.looseObject({
      stream: z.looseObject({ name: z.string().min(1) }),
      sync_mode: z.string().optional(),
      destination_sync_mode: z.unknown().optional(),
    }),
  ),
});

const SYNC_MODES: readonly SyncMode[] = ['full_refresh', 'incremental'];

/**
 * The warning for an incremental stream whose destination appends: every incremental read re-reads
 * its last lookback_days (the providers revise recent days), and `append` adds those rows again
 * downstream, so they count twice; `append_dedup` on the primary key (or `overwrite`) does not.
 */
export function appendWarning(stream: string, primaryKey: ReadonlyArray<ReadonlyArray<string>>): string {
  const key = primaryKey.map((p) => p.join('.')).join(', ');
  return (
    `Catalog stream '${stream}' is incremental with destination_sync_mode 'append': each sync re-reads the last lookback_days ` +
    `(the provider revises recent days), and append stores those rows again, so totals downstream count them twice; ` +
    `use append_dedup (primary key ${key}) or overwrite.`
  );
}

/**
 * Parse a ConfiguredAirbyteCatalog. Unknown stream names pass through: the read marks them INCOMPLETE.
 * `warn` hears of configurations that work but mislead (appendWarning).
 */
export function parseConfiguredCatalog<C>(
  raw: unknown,
  streams: ReadonlyArray<StreamDef<C>>,
  warn: (message: string) => void = () => undefined,
): ConfiguredStream[] {
  const parsed = ConfiguredCatalog.safeParse(raw);
  if (!parsed.success) {
    throw configError(
      'Catalog must be a ConfiguredAirbyteCatalog: {"streams":[{"stream":{"name":"costs",...},"sync_mode":"incremental","destination_sync_mode":"append"}]}.',
    );
  }
  const known = new Map(streams.map((s) => [s.name, s]));
  const out: ConfiguredStream[] = [];
  const seen = new Set<string>();
  for (const entry of parsed.data.streams) {
    const name = entry.stream.name;
    const mode = (entry.sync_mode ?? 'full_refresh') as SyncMode;
    if (!SYNC_MODES.includes(mode)) {
      throw configError(`Catalog stream '${name}' has sync_mode '${entry.sync_mode}'; use full_refresh or incremental.`);
    }
    const def = known.get(name);
    if (def && def.kind === 'list' && mode === 'incremental') {
      throw configError(`Catalog stream '${name}' supports only full_refresh; change its sync_mode.`);
    }
    if (seen.has(name)) throw configError(`Catalog lists stream '${name}' twice; keep one entry.`);
    seen.add(name);
    if (def && def.kind === 'buckets' && mode === 'incremental' && entry.destination_sync_mode === 'append') warn(appendWarning(name, def.primaryKey));
    out.push({ name, syncMode: mode });
  }
  return out;
}
