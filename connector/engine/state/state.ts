import { z } from 'zod';
import { configError } from '../errors.js';
import { DAY } from '../time.js';

/**
 * Per-stream incremental state. Version 2 records what the stream's data covers:
 *   {"version": 2, "covered_from": <unix s>, "cursor": <unix s>}
 * Every bucket in [covered_from, cursor) has been read completely; `cursor` is the start of the
 * first bucket not yet final. A read whose start_date lies before covered_from reads the missing
 * range first, so moving start_date earlier backfills instead of leaving a hole.
 *
 * Older states are migrated on load. Version 1 ({"version": 1, "cursor": N}) and version 0
 * (Airbyte's plain cursor-field convention, {"<cursor_field>": N}) never recorded where their
 * coverage starts, so they migrate to an empty interval at the cursor: the next read re-reads
 * from start_date once (records are upserted by primary key) rather than trust coverage that
 * may never have been read.
 */
const STATE_VERSION = 2;

const StreamStateV2 = z
  .looseObject({
    version: z.literal(2),
    covered_from: z.number().int().nonnegative(),
    cursor: z.number().int().nonnegative(),
  })
  .refine((s) => s.covered_from <= s.cursor, { message: 'covered_from must not be after cursor', path: ['covered_from'] });
export type StreamState = z.infer<typeof StreamStateV2>;

const StreamStateV1 = z.looseObject({ version: z.literal(1), cursor: z.number().int().nonnegative() });

const EXPECTED = '{"version":2,"covered_from":<unix seconds>,"cursor":<unix seconds>}';

const StateMessage = z.looseObject({
  type: z.literal('STREAM'),
  stream: z.looseObject({
    stream_descriptor: z.looseObject({ name: z.string().min(1), namespace: z.string().nullish() }),
    stream_state: z.record(z.string(), z.unknown()).nullish(),
  }),
});

interface StateContext {
  /** Every stream this connector has: name -> its cursor field. */
  streams: ReadonlyMap<string, string | undefined>;
}

/** Turn one stream's stored state into the current version, or say what is wrong. */
export function migrateStreamState(stream: string, raw: unknown, cursorField: string | undefined): StreamState | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError(`State for stream '${stream}' must be an object like ${EXPECTED}; fix or remove the state file.`);
  }
  const obj = raw as Record<string, unknown>;
  if (Object.keys(obj).length === 0) return null;
  const unknownStart = (cursor: number): StreamState => ({ version: 2, covered_from: cursor, cursor });
  if (obj.version === undefined && cursorField !== undefined && cursorField in obj) {
    const v = obj[cursorField];
    const cursor = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
    if (Number.isInteger(cursor) && cursor >= 0) return unknownStart(cursor);
    throw configError(`State for stream '${stream}' has ${cursorField}=${JSON.stringify(v)}, expected unix seconds; fix or remove the state file.`);
  }
  if (typeof obj.version === 'number' && obj.version > STATE_VERSION) {
    throw configError(
      `State for stream '${stream}' has version ${obj.version}, newer than this connector understands (${STATE_VERSION}); upgrade the connector or reset the stream.`,
    );
  }
  const parsed = obj.version === 1 ? StreamStateV1.safeParse(obj) : StreamStateV2.safeParse(obj);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.join('.') : 'state';
    throw configError(`State for stream '${stream}' is invalid at '${where}': ${issue?.message ?? 'wrong shape'}; expected ${EXPECTED}.`);
  }
  return parsed.data.version === 1 ? unknownStart(parsed.data.cursor) : (parsed.data as StreamState);
}

/** One contiguous read range: [from, to), `to` undefined for "up to the read's end". */
interface ReadRange {
  from: number;
  to?: number;
}

/**
 * A stored cursor after the start of the current UTC day (`nowS` in unix seconds): no read writes
 * one (a cursor never passes today), so it was hand-edited or written by a machine whose clock was
 * wrong, and a read from it reads nothing. The words naming it (stream, cursor, today), or null when
 * the cursor is not in the future. `sync` refuses such a state (docs/state.md); Airbyte `read` keeps
 * the protocol's behaviour (a state in the future reads nothing) and logs it as a WARN.
 */
export function futureCursor(stream: string, state: StreamState | undefined, nowS: number): string | null {
  const today = Math.floor(nowS / DAY) * DAY;
  if (!state || state.cursor <= today) return null;
  const iso = (s: number): string => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
  return `${stream}: the stored state's cursor ${iso(state.cursor)} is after the start of today (${iso(today)}): it was edited by hand or written by a machine whose clock was wrong, and nothing from it can be read`;
}

/**
 * What an incremental read must read, in cursor order: the range start_date..covered_from that
 * was never read (when start_date moved earlier), then from `lookback_days` before the cursor
 * on. Contiguous or overlapping ranges are merged, so with no gap this is one range. The one
 * place that turns a state and the shared date fields into a start: read() calls it once per
 * stream and hands the start to its hooks (StreamHooks.onRange: sync's progress).
 */
export function readRanges(start: number, lookbackDays: number, prior: StreamState | undefined): ReadRange[] {
  if (!prior) return [{ from: start }];
  const resume = Math.max(start, prior.cursor - lookbackDays * DAY);
  if (start >= prior.covered_from) return [{ from: resume }];
  // start_date moved before the coverage: read the missing range; if the lookback reaches back
  // into it anyway, that is one range.
  return resume > prior.covered_from ? [{ from: start, to: prior.covered_from }, { from: resume }] : [{ from: start }];
}

/**
 * The coverage a read has proven so far: the stored interval plus every completed window, as a
 * set of disjoint intervals. The state is the interval that reaches furthest: a backfilled gap
 * joins it only once it touches it, so a state never claims a range with a hole in it, and its
 * cursor never moves back.
 */
export class Coverage {
  private intervals: Array<[number, number]> = [];

  constructor(prior: StreamState | undefined) {
    if (prior) this.intervals.push([prior.covered_from, prior.cursor]);
  }

  /** Record [from, to) as read completely (an empty or inverted range adds nothing). */
  add(from: number, to: number): void {
    if (to <= from) return;
    const merged: Array<[number, number]> = [];
    let cur: [number, number] = [from, to];
    for (const iv of this.intervals) {
      if (iv[1] < cur[0] || iv[0] > cur[1]) merged.push(iv);
      else cur = [Math.min(iv[0], cur[0]), Math.max(iv[1], cur[1])];
    }
    merged.push(cur);
    this.intervals = merged.sort((a, b) => a[0] - b[0]);
  }

  /** The state to store, or null when nothing is covered yet. */
  state(): StreamState | null {
    const last = this.intervals[this.intervals.length - 1];
    return last ? { version: 2, covered_from: last[0], cursor: last[1] } : null;
  }
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
      throw configError(
        `State file entry ${i} is not a per-stream state ({"type":"STREAM","stream":{"stream_descriptor":{"name":...},"stream_state":{...}}}); LEGACY and GLOBAL states are not supported.`,
      );
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
