/**
 * A page body scanned as its bytes arrive (engine/decode/decode.ts PageStreamDecoder): the
 * elements of its top-level `data` array (buckets) are handed on one by one, each with where its
 * results array lies, as soon as its last byte is in; only the unfinished element's bytes are
 * kept. Everything of the body outside `data`'s elements (the envelope: has_more, next_page, ...)
 * is kept too, and given at the end with `[]` in place of each `data` array.
 *
 * The scanner only locates: the caller JSON.parses the envelope, each bucket with `[]` in place
 * of its results, and the results a chunk at a time, so together they accept exactly what
 * JSON.parse of the whole body accepts (a wrong byte the scanner lets through makes one of those
 * parses fail). Brackets are counted, not matched, below a bucket's own members. A bucket that
 * is not an object with one plainly written results array (`irregular`) is parsed whole by the
 * caller. A top level that is not an object is kept whole and given as the envelope.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/** An array member of an object: its bytes [start, end) (brackets included) and each element's [start, end). */
export interface ArrayMember {
  start: number;
  end: number;
  elements: Array<[number, number]>;
}

/** One element of `data`, complete. */
export interface ScannedBucket {
  /** Its bytes: a view of the scanner's buffer, valid only until the callback returns. */
  bytes: Uint8Array;
  /** Its results array (offsets into `bytes`); undefined when the element is irregular (see above): parse it whole. */
  results: ArrayMember | undefined;
}

export interface ScanEvents {
  /** A `data` array starts: a later one replaces the buckets of an earlier one (JSON.parse keeps the last member). */
  data(): void;
  bucket(b: ScannedBucket): void;
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const endsScalar = (c: number): boolean => c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || isSpace(c);

// Where the scanner is. T: the top-level object; D: the data array; B: a bucket object; R: its results array.
const TOP_START = 0;
const TOP_FIRST_KEY = 1; // after `{`: a key or `}`
const TOP_KEY = 2; // after `,`: a key
const TOP_IN_KEY = 3;
const TOP_COLON = 4;
const TOP_VALUE = 5;
const TOP_AFTER_VALUE = 6;
const TOP_END = 7;
const D_FIRST = 8; // after `[`: an element or `]`
const D_NEXT = 9; // after `,`: an element
const D_AFTER = 10;
const B_FIRST_KEY = 11;
const B_KEY = 12;
const B_IN_KEY = 13;
const B_COLON = 14;
const B_VALUE = 15;
const B_AFTER_VALUE = 16;
const R_FIRST = 17;
const R_NEXT = 18;
const R_AFTER = 19;
/** Inside a value being skipped (skip* say where it is); `then` says where the scanner goes after it. */
const SKIP = 20;
/** The top level is not an object: every byte is kept, the envelope is the body. */
const WHOLE = 21;
/** Bytes out of place: the body is not JSON, and the rest is not looked at. */
const BROKEN = 22;

const FIRST_BUFFER_BYTES = 64 * 1024;

export class PageScanner {
  private readonly key: Uint8Array;
  /** Bytes kept: the unfinished element from `buf[0]`, or the unscanned rest of a chunk. */
  private buf = new Uint8Array(FIRST_BUFFER_BYTES);
  private len = 0;
  /** The next byte to look at (index into buf). */
  private i = 0;
  private state = TOP_START;
  /** The envelope's bytes so far (everything outside data's elements). */
  private readonly envelope: Uint8Array[] = [];
  /** Where the envelope's bytes not yet copied out start (index into buf), while at the top level. */
  private envFrom = 0;

  // A key being read: where it started and whether it holds an escape.
  private keyStart = 0;
  private keyEscaped = false;
  private isData = false;
  private isResults = false;
  // A value being skipped.
  private next = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false;
  /** The element of data being read: its start in buf (-1: none), its results and whether it is irregular. */
  private elementStart = -1;
  private results: ArrayMember | undefined;
  private resultStart = 0;
  private irregular = false;

  constructor(
    resultsKey: string,
    private readonly events: ScanEvents,
  ) {
    this.key = Buffer.from(JSON.stringify(resultsKey));
  }

  /** Whether bytes out of place were found: the body is not JSON, whatever follows. */
  get broken(): boolean {
    return this.state === BROKEN;
  }

  push(chunk: Uint8Array): void {
    if (this.state === BROKEN) return;
    this.append(chunk);
    this.scan();
    this.compact();
  }

  /** The envelope text's bytes once the body is in, or undefined when the body is not JSON (as far as the scanner can tell: the envelope's parse tells the rest). */
  end(): Uint8Array[] | undefined {
    if (this.state === WHOLE) return [this.buf.subarray(0, this.len)];
    if (this.state !== TOP_END) return undefined;
    return this.envelope;
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.byteLength > this.buf.byteLength) {
      const grown = new Uint8Array(Math.max(2 * this.buf.byteLength, this.len + chunk.byteLength));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.byteLength;
  }

  /** Drop what is done with: the envelope's bytes are copied out, a finished element's are gone; an unfinished element or top-level key stays. */
  private compact(): void {
    if (this.state === WHOLE || this.state === BROKEN) return;
    const inElement = this.elementStart >= 0;
    const keep = inElement ? this.elementStart : this.state === TOP_IN_KEY ? this.keyStart : this.i;
    // Between two elements of data (a comma, spaces): not the envelope's.
    if (!inElement && (this.state === D_AFTER || this.state === D_NEXT)) this.envFrom = keep;
    else if (!inElement) this.copyEnvelope(keep);
    if (keep === 0) return;
    this.buf.copyWithin(0, keep, this.len);
    this.len -= keep;
    this.i -= keep;
    this.envFrom -= keep;
    this.keyStart -= keep;
    this.resultStart -= keep;
    if (inElement) this.elementStart -= keep;
    if (this.results) {
      this.results.start -= keep;
      if (this.results.end >= 0) this.results.end -= keep;
      for (const e of this.results.elements) {
        e[0] -= keep;
        e[1] -= keep;
      }
    }
  }

  private copyEnvelope(to: number): void {
    if (to > this.envFrom) this.envelope.push(this.buf.slice(this.envFrom, to));
    this.envFrom = to;
  }

  /** Whether the key just read, b[keyStart, end), is the results key (written plainly). */
  private keyIs(end: number, key: Uint8Array): boolean {
    if (end - this.keyStart !== key.length) return false;
    for (let k = 0; k < key.length; k++) if (this.buf[this.keyStart + k] !== key[k]) return false;
    return true;
  }

  /** Whether a top-level key is `data`: decoded when written with escapes (`"d\u0061ta"`); a key that does not decode breaks the body. */
  private keyIsData(end: number): boolean | undefined {
    if (!this.keyEscaped) return this.keyIs(end, DATA_KEY);
    try {
      return JSON.parse(Buffer.from(this.buf.subarray(this.keyStart, end)).toString('utf8')) === 'data';
    } catch {
      return undefined;
    }
  }

  /** A value starts at the byte `c` (looked at again by skip). */
  private startSkip(c: number, then: number): void {
    this.next = then;
    this.state = SKIP;
    this.escaped = false;
    this.inString = false;
    this.depth = 0;
    this.scalar = c !== QUOTE && c !== OPEN_BRACE && c !== OPEN_BRACKET;
    if (endsScalar(c)) this.state = BROKEN; // no value where one must be (`[1,]`)
  }

  /** Skips the value in progress from buf[i]: the index just past it, or -1 when the buffer ends first. */
  private skip(i: number): number {
    const b = this.buf;
    const n = this.len;
    if (this.scalar) {
      while (i < n && !endsScalar(b[i] as number)) i++;
      return i < n ? i : -1;
    }
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    for (; i < n; i++) {
      const c = b[i] as number;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          inString = false;
          if (depth === 0) return i + 1;
        }
      } else if (c === QUOTE) inString = true;
      else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return -1;
  }

  private scan(): void {
    const b = this.buf;
    const n = this.len;
    let i = this.i;
    while (i < n) {
      const state = this.state;
      if (state === SKIP) {
        const end = this.skip(i);
        if (end < 0) {
          i = n;
          break;
        }
        // The scalar's delimiter is not part of it.
        i = end;
        this.afterValue(i);
        continue;
      }
      if (state === WHOLE || state === BROKEN) {
        i = n;
        break;
      }
      if (state === TOP_IN_KEY || state === B_IN_KEY) {
        // A key: to its closing quote.
        let escaped = this.escaped;
        for (; i < n; i++) {
          const c = b[i] as number;
          if (escaped) escaped = false;
          else if (c === BACKSLASH) {
            escaped = true;
            this.keyEscaped = true;
          } else if (c === QUOTE) break;
        }
        this.escaped = escaped;
        if (i >= n) break;
        i += 1;
        if (state === TOP_IN_KEY) {
          const data = this.keyIsData(i);
          if (data === undefined) {
            this.stop(i, BROKEN);
            return;
          }
          this.isData = data;
          this.state = TOP_COLON;
        } else {
          if (this.keyEscaped) this.irregular = true;
          this.isResults = !this.keyEscaped && this.keyIs(i, this.key);
          this.state = B_COLON;
        }
        continue;
      }
      const c = b[i] as number;
      if (isSpace(c)) {
        i++;
        continue;
      }
      switch (state) {
        case TOP_START:
          if (c !== OPEN_BRACE) {
            this.stop(i, WHOLE);
            return;
          }
          this.state = TOP_FIRST_KEY;
          break;
        case TOP_FIRST_KEY:
        case TOP_KEY:
        case B_FIRST_KEY:
        case B_KEY:
          if (c === CLOSE_BRACE && state === TOP_FIRST_KEY) this.state = TOP_END;
          else if (c === CLOSE_BRACE && state === B_FIRST_KEY) {
            this.bucketDone(i + 1);
          } else if (c === QUOTE) {
            this.keyStart = i;
            this.keyEscaped = false;
            this.escaped = false;
            this.state = state === TOP_FIRST_KEY || state === TOP_KEY ? TOP_IN_KEY : B_IN_KEY;
          } else {
            this.stop(i, BROKEN);
            return;
          }
          break;
        case TOP_COLON:
        case B_COLON:
          if (c !== COLON) {
            this.stop(i, BROKEN);
            return;
          }
          this.state = state === TOP_COLON ? TOP_VALUE : B_VALUE;
          break;
        case TOP_VALUE:
          if (this.isData && c === OPEN_BRACKET) {
            this.events.data();
            this.state = D_FIRST;
          } else if (this.isData) {
            // A data that is not an array: kept in the envelope, whose parse judges it.
            this.events.data();
            this.startSkip(c, TOP_AFTER_VALUE);
            continue;
          } else {
            this.startSkip(c, TOP_AFTER_VALUE);
            continue;
          }
          break;
        case TOP_AFTER_VALUE:
          if (c === COMMA) this.state = TOP_KEY;
          else if (c === CLOSE_BRACE) this.state = TOP_END;
          else {
            this.stop(i, BROKEN);
            return;
          }
          break;
        case TOP_END: {
          this.stop(i, BROKEN);
          return;
        }
        case D_FIRST:
        case D_NEXT:
          if (c === CLOSE_BRACKET && state === D_FIRST) {
            this.state = TOP_AFTER_VALUE;
            break;
          }
          // An element starts: the envelope has `[` so far (the separators between elements are left out); its bytes stay here until it is done.
          if (state === D_FIRST) this.copyEnvelope(i);
          else this.envFrom = i;
          this.elementStart = i;
          this.results = undefined;
          this.irregular = false;
          if (c === OPEN_BRACE) this.state = B_FIRST_KEY;
          else {
            this.irregular = true;
            this.startSkip(c, D_AFTER);
            continue;
          }
          break;
        case D_AFTER:
          if (c === COMMA) this.state = D_NEXT;
          else if (c === CLOSE_BRACKET) this.state = TOP_AFTER_VALUE;
          else {
            this.stop(i, BROKEN);
            return;
          }
          break;
        case B_VALUE:
          if (this.isResults && c === OPEN_BRACKET && !this.results && !this.irregular) {
            this.results = { start: i, end: -1, elements: [] };
            this.state = R_FIRST;
          } else {
            if (this.isResults) this.irregular = true; // results twice, or not an array
            this.startSkip(c, B_AFTER_VALUE);
            continue;
          }
          break;
        case B_AFTER_VALUE:
          if (c === COMMA) this.state = B_KEY;
          else if (c === CLOSE_BRACE) this.bucketDone(i + 1);
          else {
            this.stop(i, BROKEN);
            return;
          }
          break;
        case R_FIRST:
        case R_NEXT:
          if (c === CLOSE_BRACKET && state === R_FIRST) {
            this.resultsDone(i + 1);
            break;
          }
          this.resultStart = i;
          this.startSkip(c, R_AFTER);
          continue;
        case R_AFTER:
          if (c === COMMA) this.state = R_NEXT;
          else if (c === CLOSE_BRACKET) this.resultsDone(i + 1);
          else {
            this.stop(i, BROKEN);
            return;
          }
          break;
        default: {
          this.stop(i, BROKEN);
          return;
        }
      }
      i++;
    }
    this.i = i;
  }

  private stop(i: number, state: number): void {
    this.state = state;
    this.i = state === WHOLE ? this.len : i;
  }

  /** A skipped value ended just before buf[i]. */
  private afterValue(i: number): void {
    const then = this.next;
    if (then === R_AFTER) (this.results as ArrayMember).elements.push([this.resultStart, i]);
    else if (then === D_AFTER) {
      // An element that is not an object: handed on whole.
      this.bucketDone(i);
      return;
    }
    this.state = then;
  }

  private resultsDone(end: number): void {
    (this.results as ArrayMember).end = end;
    this.state = B_AFTER_VALUE;
  }

  /** The element ends just before buf[end]: handed on, then forgotten. */
  private bucketDone(end: number): void {
    const start = this.elementStart;
    const results = this.irregular || !this.results ? undefined : this.results;
    if (results) {
      results.start -= start;
      results.end -= start;
      for (const e of results.elements) {
        e[0] -= start;
        e[1] -= start;
      }
    }
    this.events.bucket({ bytes: this.buf.subarray(start, end), results });
    this.elementStart = -1;
    this.results = undefined;
    this.envFrom = end;
    this.state = D_AFTER;
  }
}

const DATA_KEY = Buffer.from('"data"');
