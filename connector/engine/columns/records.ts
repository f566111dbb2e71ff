/**
 * Deterministic, null-safe primary keys: a 128-bit hash (four 32-bit lanes of
 * a MurmurHash3-style mix) over the parts, each tagged with its type and
 * length, so null, "null" and 0 differ and no separator can collide. Not
 * cryptographic: it names rows and protects nothing, and it is several times
 * cheaper than sha256 on the per-record path.
 */
export class RecordIdHasher {
  private h1 = 0;
  private h2 = 0;
  private h3 = 0;
  private h4 = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    this.h1 = 1779033703;
    this.h2 = 3144134277;
    this.h3 = 1013904242;
    this.h4 = 2773480762;
    return this;
  }

  /** Continue from where `other` is: parts every key starts with (a bucket's start) are hashed once. */
  copy(other: RecordIdHasher): this {
    this.h1 = other.h1;
    this.h2 = other.h2;
    this.h3 = other.h3;
    this.h4 = other.h4;
    return this;
  }

  private mix(k: number): void {
    this.h1 = this.h2 ^ Math.imul(this.h1 ^ k, 597399067);
    this.h2 = this.h3 ^ Math.imul(this.h2 ^ k, 2869860233);
    this.h3 = this.h4 ^ Math.imul(this.h3 ^ k, 951274213);
    this.h4 = this.h1 ^ Math.imul(this.h4 ^ k, 2716044179);
  }

  private text(tag: number, s: string): void {
    this.mix(tag);
    this.mix(s.length);
    for (let i = 0; i < s.length; i++) this.mix(s.charCodeAt(i));
  }

  add(part: unknown): this {
    if (part === null || part === undefined) this.mix(0x4e);
    else if (typeof part === 'string') this.text(0x53, part);
    else if (typeof part === 'number') this.text(0x4d, String(part));
    else if (typeof part === 'boolean') this.mix(part ? 0x54 : 0x46);
    else this.text(0x4a, JSON.stringify(part));
    return this;
  }

  digest(): string {
    let { h1, h2, h3, h4 } = this;
    h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
    h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
    h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
    h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
    h1 ^= h2 ^ h3 ^ h4;
    h2 ^= h1;
    h3 ^= h1;
    h4 ^= h1;
    return hex(h1) + hex(h2) + hex(h3) + hex(h4);
  }
}

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex = (n: number): string => (BYTE_HEX[(n >>> 24) & 255] as string) + BYTE_HEX[(n >>> 16) & 255] + BYTE_HEX[(n >>> 8) & 255] + BYTE_HEX[n & 255];
