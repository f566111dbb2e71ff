/**
 * Where the elements of a body's top-level `data` array lie, found by scanning its bytes rather
 * than parsing the body: a page can then be parsed one bucket at a time (engine/decode/decode.ts), so
 * that a dense page (tens of MB) never exists as objects all at once.
 *
 * The scanner only locates: the caller JSON.parses the text around the array (with `[]` in its
 * place) and each element, so together they accept exactly what JSON.parse of the whole body
 * accepts. Whatever the scanner does not expect (no top-level object, no `data` or two of them,
 * a key written with escapes, a `data` that is not an array, bytes out of place) gives
 * undefined, and the caller parses the body whole instead, with JSON.parse's verdict.
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

/** JSON's whitespace: space, tab, line feed, carriage return. */
function skipSpace(b: Uint8Array, i: number): number {
  for (let c = b[i]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++i]);
  return i;
}

/**
 * From the quote opening a string to just past its closing quote (an escaped character is
 * skipped); -1 if it does not close. What the string holds is not checked here (a raw control character, a bad escape): the
 * parse of the element or envelope holding it rejects it as JSON.parse of the whole body would.
 */
function skipString(b: Uint8Array, i: number): number {
  const n = b.length;
  for (i += 1; i < n; i++) {
    const c = b[i];
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) i += 1;
  }
  return -1;
}

/**
 * From the first byte of a value to just past it; -1 if it does not end. Brackets are only
 * counted, not matched (the parse of the value checks them); a literal or number runs to the
 * next delimiter.
 */
function skipValue(b: Uint8Array, i: number): number {
  const n = b.length;
  const first = b[i];
  if (first === QUOTE) return skipString(b, i);
  if (first !== OPEN_BRACE && first !== OPEN_BRACKET) {
    const from = i;
    for (let c = b[i]; i < n && c !== COMMA && c !== CLOSE_BRACE && c !== CLOSE_BRACKET && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09; c = b[++i]);
    return i > from ? i : -1;
  }
  let depth = 0;
  while (i < n) {
    const c = b[i] as number;
    if (c === QUOTE) {
      i = skipString(b, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_BRACE || c === OPEN_BRACKET) depth += 1;
    else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
    i += 1;
  }
  return -1;
}

function isKey(b: Uint8Array, start: number, end: number, key: Uint8Array): boolean {
  if (end - start !== key.length) return false;
  for (let k = 0; k < key.length; k++) if (b[start + k] !== key[k]) return false;
  return true;
}

/** A key with an escape might spell `data` (`"d\u0061ta"`): the scanner does not decode keys. */
function hasEscape(b: Uint8Array, start: number, end: number): boolean {
  for (let k = start; k < end; k++) if (b[k] === BACKSLASH) return true;
  return false;
}

/** The elements of an array whose `[` is at `i`, each ended by `element` (default skipValue), and the index just past its `]`; undefined if out of shape. */
function scanArray(
  b: Uint8Array,
  i: number,
  element: (b: Uint8Array, i: number) => number = skipValue,
): { end: number; elements: Array<[number, number]> } | undefined {
  const elements: Array<[number, number]> = [];
  i = skipSpace(b, i + 1);
  if (b[i] === CLOSE_BRACKET) return { end: i + 1, elements };
  for (;;) {
    const end = element(b, i);
    if (end < 0) return undefined;
    elements.push([i, end]);
    i = skipSpace(b, end);
    if (b[i] === CLOSE_BRACKET) return { end: i + 1, elements };
    if (b[i] !== COMMA) return undefined;
    i = skipSpace(b, i + 1);
  }
}

const keyBytesOf = (key: string): Uint8Array => Buffer.from(JSON.stringify(key));

/**
 * The object whose `{` is at `i`: the index just past its `}`, and its array member `key` if it
 * has one; undefined if out of shape. With `nested`, every element of that array must be an object
 * with an array member `nested`, found in the same pass (`inner`, one per element).
 */
function scanObject(b: Uint8Array, i: number, key: Uint8Array, nested?: Uint8Array): { end: number; found?: ArrayMember; inner?: ArrayMember[] } | undefined {
  if (b[i] !== OPEN_BRACE) return undefined;
  i = skipSpace(b, i + 1);
  let found: ArrayMember | undefined;
  let inner: ArrayMember[] | undefined;
  if (b[i] === CLOSE_BRACE) return { end: i + 1 };
  for (;;) {
    if (b[i] !== QUOTE) return undefined;
    const keyEnd = skipString(b, i);
    if (keyEnd < 0 || hasEscape(b, i, keyEnd)) return undefined;
    const wanted = isKey(b, i, keyEnd, key);
    i = skipSpace(b, keyEnd);
    if (b[i] !== COLON) return undefined;
    i = skipSpace(b, i + 1);
    if (wanted) {
      // The key twice: JSON.parse keeps the last; rare enough to leave to it.
      if (found || b[i] !== OPEN_BRACKET) return undefined;
      const members: ArrayMember[] = [];
      const element = nested
        ? (b: Uint8Array, j: number): number => {
            const o = scanObject(b, j, nested);
            if (!o?.found) return -1;
            members.push(o.found);
            return o.end;
          }
        : skipValue;
      const array = scanArray(b, i, element);
      if (!array) return undefined;
      found = { start: i, end: array.end, elements: array.elements };
      if (nested) inner = members;
      i = array.end;
    } else {
      i = skipValue(b, i);
      if (i < 0) return undefined;
    }
    i = skipSpace(b, i);
    if (b[i] === CLOSE_BRACE) break;
    if (b[i] !== COMMA) return undefined;
    i = skipSpace(b, i + 1);
  }
  return { end: i + 1, ...(found ? { found } : {}), ...(inner ? { inner } : {}) };
}

/** The top-level `data` array of a JSON object body, or undefined (see above: parse it whole then). */
export const findDataArray = (b: Uint8Array): ArrayMember | undefined => findArrayMember(b, 'data', 0, b.length);

/**
 * The top-level `data` array of a body whose elements are objects (buckets) with an array member
 * `key` (their results), all found in one pass over the bytes; undefined on the same terms as
 * findDataArray, or when an element has no such member.
 */
export function findDataBuckets(b: Uint8Array, key: string): { data: ArrayMember; inner: ArrayMember[] } | undefined {
  const o = scanObject(b, skipSpace(b, 0), keyBytesOf('data'), keyBytesOf(key));
  if (!o?.found || !o.inner || skipSpace(b, o.end) !== b.length) return undefined;
  return { data: o.found, inner: o.inner };
}

/**
 * The array member `key` of the JSON object whose text is exactly b[from, to) (a body, or an
 * element found before), or undefined, on the same terms as findDataArray.
 */
export function findArrayMember(b: Uint8Array, key: string, from: number, to: number): ArrayMember | undefined {
  if (to > b.length) return undefined;
  b = b.subarray(0, to);
  const o = scanObject(b, skipSpace(b, from), keyBytesOf(key));
  return o?.found && skipSpace(b, o.end) === to ? o.found : undefined;
}
