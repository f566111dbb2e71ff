import type { Writable } from 'node:stream';
import { Secrets } from './secrets.js';

/**
 * The one place that writes to stdout: newline-delimited JSON, one message a line.
 *
 * - Serialised lines are batched into chunks (fewer syscalls at 1M records).
 * - U+2028, U+2029 and U+0085 are escaped: JSON.stringify leaves them raw and
 *   Python's str.splitlines() (used by Airbyte's test harness) splits on them.
 * - Every chunk is scrubbed of registered secrets as a last line of defence.
 * - Backpressure: callers await `ready()`; `close()` resolves once the data is
 *   handed to the OS, so the process never exits with output still queued.
 */
const LINE_BREAKERS = /[\u2028\u2029\u0085]/g;
const HAS_LINE_BREAKER = /[\u2028\u2029\u0085]/;
const escapeLineBreakers = (ch: string): string => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;

const escapeAll = (text: string): string => (HAS_LINE_BREAKER.test(text) ? text.replace(LINE_BREAKERS, escapeLineBreakers) : text);

/** UTF-8 of U+2028, U+2029 and U+0085: a chunk of bytes without them needs no escaping. */
const LINE_BREAKER_BYTES = ['\u2028', '\u2029', '\u0085'].map((c) => Buffer.from(c, 'utf8'));

export class NdjsonWriter<M = unknown> {
  private buffer: string[] = [];
  private bufferedBytes = 0;
  /** Values that must never reach the output (API keys): the CLI registers them as it reads the config. */
  readonly secrets = new Secrets();
  private waiting: Promise<void> | null = null;

  constructor(
    private readonly out: Writable,
    private readonly chunkBytes = 64 * 1024,
  ) {}

  write(message: M): void {
    // Escaping runs once per chunk in flushBuffer (one scan of 64 KB beats one call per line).
    this.push(JSON.stringify(message));
  }

  /**
   * Lines serialised elsewhere (a decode worker), as UTF-8 bytes, each ending in a newline.
   * Written as they are unless they hold a line breaker or a secret, in which case they take
   * the string path (escape, scrub) like everything else. `written` runs once the bytes are
   * no longer needed: handed to the OS, or copied.
   */
  writeLines(bytes: Uint8Array, written?: () => void): void {
    this.flushBuffer();
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const needsText = LINE_BREAKER_BYTES.some((b) => buf.includes(b)) || this.secrets.foundIn(buf);
    if (needsText) {
      this.send(this.secrets.scrub(escapeAll(buf.toString('utf8'))));
      written?.();
    } else {
      this.send(buf, written);
    }
  }

  /**
   * Text for a person instead of messages (--help, --version, Singer's --about and catalog): written
   * as it is after what is buffered, secrets scrubbed. The one other way onto stdout.
   */
  writeText(text: string): void {
    this.flushBuffer();
    this.send(this.secrets.scrub(text));
  }

  private push(line: string): void {
    this.buffer.push(line);
    this.bufferedBytes += line.length + 1;
    if (this.bufferedBytes >= this.chunkBytes) this.flushBuffer();
  }

  private flushBuffer(): void {
    if (this.buffer.length === 0) return;
    const chunk = this.secrets.scrub(escapeAll(`${this.buffer.join('\n')}\n`));
    this.buffer = [];
    this.bufferedBytes = 0;
    this.send(chunk);
  }

  private send(chunk: string | Buffer, written?: () => void): void {
    const accepted = written ? this.out.write(chunk, () => written()) : this.out.write(chunk);
    if (!accepted && !this.waiting) {
      this.waiting = new Promise((resolve) => {
        const done = (): void => {
          this.out.off('drain', done);
          this.out.off('close', done);
          this.out.off('error', done);
          this.waiting = null;
          resolve();
        };
        this.out.on('drain', done);
        this.out.on('close', done);
        this.out.on('error', done);
      });
    }
  }

  /** Flush what is buffered and wait until the destination can take more. */
  async ready(): Promise<void> {
    this.flushBuffer();
    if (this.waiting) await this.waiting;
  }

  /** Flush everything and resolve once the last chunk has been handed off. */
  async close(): Promise<void> {
    await this.ready();
    await new Promise<void>((resolve) => {
      if (this.out.writableLength === 0) return resolve();
      this.out.write('', () => resolve());
    });
  }
}
