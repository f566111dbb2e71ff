import type { JsonReply } from './server.js';

/** Request helpers shared by every fake OpenAI admin endpoint (costs, usage, entity lists). */

export const INVALID_TOKEN_MESSAGE = 'The page token is invalid, have you modified the query parameters?';

/** A small seeded PRNG (mulberry32): the fake's data is a pure function of the seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const err = (status: number, message: string, param: string | null = null, code: string | null = null): JsonReply => ({
  status,
  body: { error: { message, type: 'invalid_request_error', param, code } },
});

/** group_by accepted repeated, as group_by[] and comma-joined, as OpenAI clients send it. */
export function arrayParam(q: URLSearchParams, name: string): string[] {
  return [...q.getAll(name), ...q.getAll(`${name}[]`)].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

export function intParam(q: URLSearchParams, name: string): number | null | 'bad' {
  const v = q.get(name);
  if (v === null) return null;
  return /^-?\d+$/.test(v) ? Number(v) : 'bad';
}

/** Fingerprint of every parameter but the cursor: a token is valid only for the same query. */
export function fingerprint(q: URLSearchParams): string {
  const entries = [...q.entries()].filter(([k]) => k !== 'page').map(([k, v]) => `${k}=${v}`).sort();
  let h = 2166136261;
  for (const ch of entries.join('&')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16);
}

export const encodeToken = (next: number, fp: string): string => `page_${Buffer.from(JSON.stringify({ n: next, f: fp })).toString('base64url')}`;

export function decodeToken(token: string): { n: number; f: string } | null {
  try {
    const t = JSON.parse(Buffer.from(token.replace(/^page_/, ''), 'base64url').toString('utf8')) as { n: number; f: string };
    return typeof t.n === 'number' && typeof t.f === 'string' ? t : null;
  } catch {
    return null;
  }
}

/** A short stable hash, for deterministic ids and redacted values. */
export function shortHash(text: string, length = 8): string {
  let h = 2166136261;
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (const ch of `${round}:${text}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out += h.toString(16).padStart(8, '0');
  }
  return out.slice(0, length);
}
