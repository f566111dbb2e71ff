import { encodedLines, type RecordFormat } from '../../engine/decode/decode.js';
import type { Logger } from '../../engine/logger.js';
import type { Emitter } from '../../engine/read.js';
import type { EncodedRecords, JsonSchema, StreamDef } from '../../engine/stream.js';
import type { AirbyteMessage } from '../../protocol/messages.js';
import type { NdjsonWriter } from '../../protocol/writer.js';
import { keyProperties, type SingerSelection } from './catalog.js';

// Singer mode: the Emitter that translates the engine's Airbyte messages into Singer messages.

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
  /** Singer RECORD lines of each stream's selected fields, encoded like any record (engine/decode/decode.ts). */
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
        } else if (t.type === 'ERROR') {
          // ESTIMATE has no Singer counterpart: dropped.
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
