import { expect } from 'vitest';
import { errorsText, recordValidator, validateMessage } from './protocol.js';
import { type Message, type RunResult, statuses } from './cli.js';

/**
 * The protocol invariants every read must hold, whatever the connector:
 * - every stdout line is one AirbyteMessage valid against the official schema, with no raw U+2028/2029/0085;
 * - STATE is per stream with sourceStats.recordCount equal to the records since that stream's previous STATE;
 * - at least one STATE per configured stream, none identical to the previous one of the same stream,
 *   and the last RECORD of a stream is followed by a STATE;
 * - statuses go STARTED -> RUNNING+ -> COMPLETE (or INCOMPLETE);
 * - records validate against their stream schema with no undeclared fields, and primary keys are unique.
 */
export function assertProtocol(
  result: RunResult,
  opts: { streams: string[]; schemas?: Record<string, Record<string, unknown>>; expectComplete?: boolean } = { streams: [] },
): void {
  for (const line of result.lines) {
    expect(line).not.toMatch(/[\u2028\u2029\u0085]/);
    const m = JSON.parse(line) as Message;
    if (!validateMessage(m)) throw new Error(`invalid AirbyteMessage: ${line.slice(0, 300)} ${errorsText(validateMessage)}`);
  }
  const messages = result.messages;
  const counts = new Map<string, number>();
  const lastState = new Map<string, string>();
  const stateSeen = new Set<string>();
  const lastWasRecord = new Map<string, boolean>();
  const validators = new Map(Object.entries(opts.schemas ?? {}).map(([k, s]) => [k, recordValidator(s)]));
  const ids = new Map<string, Set<unknown>>();
  for (const m of messages) {
    if (m.type === 'RECORD') {
      const s = m.record.stream as string;
      counts.set(s, (counts.get(s) ?? 0) + 1);
      lastWasRecord.set(s, true);
      expect(Number.isInteger(m.record.emitted_at)).toBe(true);
      const v = validators.get(s);
      if (v && !v(m.record.data)) throw new Error(`record of ${s} invalid: ${JSON.stringify(m.record.data)} ${errorsText(v)}`);
      const seen = ids.get(s) ?? new Set();
      // The primary key: id, or a FOCUS spend row's x_RecordId (FOCUS custom columns are x_-prefixed).
      const key = 'x_RecordId' in m.record.data ? m.record.data.x_RecordId : m.record.data.id;
      expect(seen.has(key), `duplicate id in ${s}`).toBe(false);
      seen.add(key);
      ids.set(s, seen);
    }
    if (m.type === 'STATE') {
      expect(m.state.type).toBe('STREAM');
      const s = m.state.stream.stream_descriptor.name as string;
      expect(m.state.sourceStats.recordCount).toBe(counts.get(s) ?? 0);
      counts.set(s, 0);
      const text = JSON.stringify(m.state.stream.stream_state);
      expect(text, `identical consecutive states for ${s}`).not.toBe(lastState.get(s));
      lastState.set(s, text);
      stateSeen.add(s);
      lastWasRecord.set(s, false);
    }
  }
  for (const s of opts.streams) {
    const st = statuses(messages, s);
    expect(st[0], `first status of ${s}`).toBe('STARTED');
    const last = st[st.length - 1];
    if (opts.expectComplete !== false) {
      expect(st, `statuses of ${s}`).toEqual(['STARTED', ...st.slice(1, -1).map(() => 'RUNNING'), 'COMPLETE']);
      expect(st.length).toBeGreaterThanOrEqual(3);
      expect(stateSeen.has(s), `no STATE for ${s}`).toBe(true);
      expect(lastWasRecord.get(s) ?? false, `records of ${s} after its last STATE`).toBe(false);
    } else {
      expect(['COMPLETE', 'INCOMPLETE']).toContain(last);
    }
  }
}

/** Records without their id, sorted, for exact comparison with ground truth. */
export function withoutIds(rows: readonly object[]): Array<Record<string, unknown>> {
  return rows
    .map((row) => Object.fromEntries(Object.entries(row).filter(([k]) => k !== 'id')))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

/** Rows without id, keys sorted at every depth, in a canonical order: exact comparison whatever the key order. */
export function canonicalRows(rows: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  const sortKeys = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sortKeys)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
          )
        : v;
  return rows.map(({ id: _id, ...rest }) => sortKeys(rest) as Record<string, unknown>).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}
