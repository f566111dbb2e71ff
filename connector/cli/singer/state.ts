import { z } from 'zod';
import { configError } from '../../engine/errors.js';
import { migrateStreamState, type StreamState } from '../../engine/state/state.js';
import type { StreamDef } from '../../engine/stream.js';

// Singer mode: the --state file (bookmarks) and the engine states read from it.

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
export function statesFromBookmarks<C>(
  bookmarks: Record<string, unknown>,
  streams: ReadonlyArray<StreamDef<C>>,
  log: (m: string) => void,
): Map<string, StreamState> {
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
