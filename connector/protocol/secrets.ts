/** What a masked secret looks like in any output. */
export const REDACTED = '**********';

/**
 * The values that must never reach any output (API keys), and the one function that masks them.
 * Every output of every mode scrubs with the same instance: the Airbyte and Singer writers, log
 * lines, error messages built by the HTTP client, and `sync`'s stderr. Values shorter than 6
 * characters are ignored: masking them would garble ordinary text.
 */
export class Secrets {
  private readonly values: string[] = [];
  private readonly bytes: Buffer[] = [];

  add(secret: string): void {
    if (secret.length >= 6 && !this.values.includes(secret)) {
      this.values.push(secret);
      this.bytes.push(Buffer.from(secret, 'utf8'));
    }
  }

  scrub = (text: string): string => {
    let out = text;
    for (const s of this.values) if (out.includes(s)) out = out.split(s).join(REDACTED);
    return out;
  };

  /** Whether serialised UTF-8 holds a secret (then it must take the string path through scrub). */
  foundIn(buf: Buffer): boolean {
    return this.bytes.some((b) => buf.includes(b));
  }
}
