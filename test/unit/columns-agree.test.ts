import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { type Column, type Columns, compiledColumns } from '../../connector/engine/columns/columns.js';
import { rng } from '../fake/random.js';

/**
 * engine/columns/columns.ts checks an API item twice over: zod (for the error that names the path)
 * and a hand-written fast check on the per-record path, which must accept exactly what zod accepts.
 * Over every column set the three connectors compile, random items (each value of its column's
 * type, or null, absent, or of another type, at every depth) and one-value changes of a well-typed
 * item must get the same answer from both.
 */
const OTHER: unknown[] = [undefined, null, '', 'x', '12', true, false, 0, -3, 1.5, 2 ** 60, Number.POSITIVE_INFINITY, Number.NaN, {}, [], [{}], { a: 1 }];

type Node = { column: Column } | { children: Map<string, Node> };

/** The item's shape, from the columns' paths (as columns.ts reads it: the first column to read a path decides). */
function shapeOf(columns: readonly Column[]): Map<string, Node> {
  const root = new Map<string, Node>();
  for (const c of columns) {
    const path = c.from === undefined ? [c.name] : c.from;
    if (path === null || path.length === 0) continue;
    let level = root;
    path.forEach((key, i) => {
      const node = level.get(key);
      if (i === path.length - 1) {
        if (!node) level.set(key, { column: c });
        return;
      }
      if (node && 'column' in node) return;
      const next = node ?? { children: new Map<string, Node>() };
      level.set(key, next);
      level = next.children;
    });
  }
  return root;
}

function typed(c: Column, rand: () => number, depth: number): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  switch (c.type) {
    case 'string':
      return pick(['x', '', 'user_actor', '2026-01-01T00:00:00Z']);
    case 'integer':
      return pick([0, 7, -3, 2 ** 53 - 1]);
    case 'number':
      return pick([0, 1.5, -0.25, 7]);
    case 'boolean':
      return pick([true, false]);
    case 'object':
      return pick([{}, { a: { accepted: 1 } }]);
    case 'array':
      return c.items && depth < 3 ? Array.from({ length: pick([0, 1, 2]) }, () => item(shapeOf(c.items ?? []), rand, depth + 1, 0.9)) : pick([[], [1]]);
  }
}

/** A random item of `shape`: each value well typed with probability `good`, else anything of OTHER. */
function item(shape: Map<string, Node>, rand: () => number, depth: number, good: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of shape) {
    const v =
      rand() < good
        ? 'column' in node
          ? typed(node.column, rand, depth)
          : item(node.children, rand, depth + 1, good)
        : OTHER[Math.floor(rand() * OTHER.length)];
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** Every path of an item's shape (objects and leaves). */
function paths(shape: Map<string, Node>, prefix: string[] = []): string[][] {
  return [...shape].flatMap(([key, node]) => ['column' in node ? [] : paths(node.children, [...prefix, key]), [[...prefix, key]]].flat());
}

function replaced(v: Record<string, unknown>, p: readonly string[], x: unknown): Record<string, unknown> {
  const [k, ...rest] = p as [string, ...string[]];
  const copy = { ...v };
  const inner = copy[k];
  if (rest.length > 0)
    copy[k] = replaced(inner !== null && typeof inner === 'object' && !Array.isArray(inner) ? (inner as Record<string, unknown>) : {}, rest, x);
  else if (x === undefined) delete copy[k];
  else copy[k] = x;
  return copy;
}

/** The keys a stream checks itself (Columns `own`): the item's zod keys no column reads. */
function ownKeys(set: Columns, shape: Map<string, Node>): string[] {
  const zodShape = 'shape' in set.item ? set.item.shape : undefined;
  const keys = typeof zodShape === 'object' && zodShape !== null ? Object.keys(zodShape) : [];
  return keys.filter((k) => !shape.has(k));
}

describe('the fast check and zod agree over every column set of the connectors', () => {
  it('given every column set the three connectors compile when random and one-value-changed items are checked then check() and zod give the same answer on each', async () => {
    for (const c of CONNECTORS) await c.source();
    const sets = compiledColumns();
    expect(sets.length).toBeGreaterThan(20);
    const rand = rng(26);
    let accepted = 0;
    let refused = 0;
    for (const [i, set] of sets.entries()) {
      const shape = shapeOf(set.columns);
      const own = ownKeys(set, shape);
      const probes: unknown[] = [null, [], 'x', 1];
      for (let n = 0; n < 300; n++) {
        const x = item(shape, rand, 0, n < 150 ? 0.97 : 0.7);
        for (const k of own) if (rand() < 0.3) x[k] = OTHER[Math.floor(rand() * OTHER.length)];
        probes.push(x);
      }
      const base = item(shape, rand, 0, 1);
      for (const p of paths(shape)) for (const v of OTHER) probes.push(replaced(base, p, v));
      for (const probe of probes) {
        const zod = set.item.safeParse(probe).success;
        expect(set.check(probe), `column set ${i} (${set.columns.map((col) => col.name).join(', ')}): ${JSON.stringify(probe)}`).toBe(zod);
        if (zod) accepted++;
        else refused++;
      }
    }
    expect(accepted).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});
