import { createHash } from 'node:crypto';

/**
 * Deterministic, null-safe primary key: a hash of the JSON array of its parts,
 * so null and "null" differ and no separator can collide.
 */
export function recordId(parts: readonly unknown[]): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32);
}
