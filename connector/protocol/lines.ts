/**
 * Serialised RECORD lines, for the writer and for decode workers (which build lines off the
 * main thread and hand the writer finished bytes).
 */
const recordPrefixes = new Map<string, string>();

/**
 * The RECORD lines (no newline) of one stream and extraction time: byte for byte
 * JSON.stringify({type:'RECORD', record:{stream, data, emitted_at}}), without the wrapper objects;
 * what every record shares is serialised once, only `data` per record. Line breakers are left
 * raw: the writer escapes them.
 */
export function recordLineWriter(stream: string, emittedAt: number): (data: unknown) => string {
  const prefix = recordPrefix(stream);
  const suffix = `,"emitted_at":${JSON.stringify(emittedAt)}}}`;
  return (data) => `${prefix}${JSON.stringify(data)}${suffix}`;
}

function recordPrefix(stream: string): string {
  let prefix = recordPrefixes.get(stream);
  if (prefix === undefined) {
    prefix = `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"data":`;
    recordPrefixes.set(stream, prefix);
  }
  return prefix;
}

const NEWLINE = 0x0a;

/** Buffer's own UTF-8 writer (what buf.write(s, off, 'utf8') ends in, minus its argument checks); write() where absent. */
type Utf8Writer = (this: Buffer, s: string, offset: number) => number;
const utf8Write: Utf8Writer =
  (Buffer.prototype as unknown as { utf8Write?: Utf8Writer }).utf8Write ??
  function (this: Buffer, s: string, offset: number): number {
    return this.write(s, offset, 'utf8');
  };

/**
 * Lines appended as UTF-8 to one growing buffer of its own (transferable to another thread):
 * each line is encoded straight into place, with no join of a large string first.
 */
export class LineBuffer {
  private buf: Buffer;
  private used = 0;

  /** `spare`: memory to write into first (a buffer handed back after an earlier use), if it is big enough. */
  constructor(capacity = 64 * 1024, spare?: ArrayBuffer) {
    this.buf = spare && spare.byteLength >= capacity ? Buffer.from(spare) : Buffer.allocUnsafeSlow(Math.max(1024, capacity));
  }

  get length(): number {
    return this.used;
  }

  push(line: string): void {
    // A UTF-16 code unit takes at most 3 bytes of UTF-8.
    const worst = line.length * 3 + 1;
    if (this.buf.length - this.used < worst) {
      const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.used + worst));
      this.buf.copy(next, 0, 0, this.used);
      this.buf = next;
    }
    this.used += utf8Write.call(this.buf, line, this.used);
    this.buf[this.used++] = NEWLINE;
  }

  /**
   * The bytes between two lengths: a view sharing this buffer's memory. Take views once every
   * line is in: a later push may move the lines to a larger buffer.
   */
  view(start: number, end: number): Uint8Array {
    return new Uint8Array(this.buf.buffer, this.buf.byteOffset + start, end - start);
  }

  /** The memory every view shares (to transfer). */
  get arrayBuffer(): ArrayBuffer {
    return this.buf.buffer as ArrayBuffer;
  }
}
