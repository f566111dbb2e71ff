import { z } from 'zod';
import { configError } from './errors.js';

/**
 * Per-stream incremental state. Version 1:
 *   {"version": 1, "cursor": <unix seconds: start of the first bucket not yet final>}
 * Version 0 (no `version`) is Airbyte's plain cursor-field convention,
 * {"<cursor_field>": <unix seconds>}, and is migrated on load.
 */
export const STATE_VERSION = 1;

export const StreamStateV1 = z.looseObject({
  version: z.literal(1),
  cursor: z.number().int().nonnegative(),
});
export type StreamState = z.infer<typeof StreamStateV1>;

const StateMessage = z.looseObject({
  type: z.literal('STREAM'),
  stream: z.looseObject({
    stream_descriptor: z.looseObject({ name: z.string().min(1), namespace: z.string().nullish() }),
    stream_state: z.record(z.string(), z.unknown()).nullish(),
  }),
});

export interface StateContext {
  /** Every stream this connector has: name -> its cursor field. */
  streams: ReadonlyMap<string, string | undefined>;
  log: (msg: string) => void;
}

/** Turn one stream's stored state into the current version, or say what is wrong. */
export function migrateStreamState(stream: string, raw: unknown, cursorField: string | undefined): StreamState | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError(`State for stream '${stream}' must be an object like {"version":1,"cursor":1735689600}; fix or remove the state file.`);
  }
  const obj = raw as Record<string, unknown>;
  if (Object.keys(obj).length === 0) return null;
  if (obj.version === undefined && cursorField !== undefined && cursorField in obj) {
    const v = obj[cursorField];
    const cursor = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (Number.isInteger(cursor) && cursor >= 0) return { version: 1, cursor };
    throw configError(`State for stream '${stream}' has ${cursorField}=${JSON.stringify(v)}, expected unix seconds; fix or remove the state file.`);
  }
  if (typeof obj.version === 'number' && obj.version > STATE_VERSION) {
    throw configError(`State for stream '${stream}' has version ${obj.version}, newer than this connector understands (${STATE_VERSION}); upgrade the connector or reset the stream.`);
  }
  const parsed = StreamStateV1.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'state';
    throw configError(`State for stream '${stream}' is invalid at '${where}': ${issue?.message ?? 'wrong shape'}; expected {"version":1,"cursor":<unix seconds>}.`);
  }
  return parsed.data;
}

/**
 * Parse the `--state` file contents: an Airbyte JSON array of per-stream state
 * messages. Empty text, `[]` and `{}` mean no state.
 */
export function parseStateFile(text: string, ctx: StateContext): Map<string, StreamState> {
  const states = new Map<string, StreamState>();
  if (text.trim() === '') return states;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw configError('State file is not valid JSON; pass the JSON array of STATE messages from the last sync, or no --state.');
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && Object.keys(json).length === 0) return states;
  const items = Array.isArray(json) ? json : [json];
  for (const [i, item] of items.entries()) {
    const parsed = StateMessage.safeParse(item);
    if (!parsed.success) {
      throw configError(`State file entry ${i} is not a per-stream state ({"type":"STREAM","stream":{"stream_descriptor":{"name":...},"stream_state":{...}}}); LEGACY and GLOBAL states are not supported.`);
    }
    const name = parsed.data.stream.stream_descriptor.name;
    if (!ctx.streams.has(name)) {
      throw configError(`State file has a state for stream '${name}', which this connector does not have; pass the state of this connection.`);
    }
    // Full-refresh list streams have no cursor: their state only records the snapshot, and a read ignores it.
    if (ctx.streams.get(name) === undefined) continue;
    const state = migrateStreamState(name, parsed.data.stream.stream_state, ctx.streams.get(name));
    if (state) states.set(name, state);
  }
  return states;
}
