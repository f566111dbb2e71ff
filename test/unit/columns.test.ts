import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { col, columns, entityId, optionalConstant, type Column } from '../../connector/engine/columns/columns.js';

/**
 * engine/columns/columns.ts: one column list gives the schema, the item check and the record. Every kind
 * of column a provider uses is here: bucket columns the stream fills, nested paths (three deep),
 * a required value inside a required object, a check of its own, a conversion, an array of
 * sub-columns, and keys the stream checks itself.
 */
const BAD_VALUES: unknown[] = [undefined, null, 'x', '12', true, 1.5, -3, 2 ** 60, 0, {}, [], [{}]];

const ITEMS: readonly Column[] = [
  { name: 'model', type: 'string' },
  { name: 'cents', type: 'integer', from: ['cost', 'amount'], check: z.number().int('cost.amount must be integer cents') },
  { name: 'usd', type: 'string', from: ['cost', 'amount'], convert: (c: number) => `${c / 100}` },
];
const COLUMNS: readonly Column[] = [
  col('id', 'string', 'Key.', { notNull: true, from: null }),
  col('day', 'string', 'Day.', { notNull: true, from: null, format: 'date' }),
  col('org', 'string', 'Org.'),
  col('actor_type', 'string', 'Actor type.', { from: ['actor', 'type'], required: true }),
  col('actor_email', 'string', 'Actor email.', { from: ['actor', 'email'] }),
  col('added', 'integer', 'Lines added.', { from: ['core', 'lines', 'added'] }),
  col('sessions', 'integer', 'Sessions.', { from: ['core', 'sessions'], required: true }),
  col('credits', 'number', 'Credits.'),
  col('remote', 'boolean', 'Remote.'),
  col('tools', 'object', 'Per tool.', { extra: { additionalProperties: true } }),
  col('breakdown', 'array', 'Per model.', { items: ITEMS }),
];
const set = columns(COLUMNS, { object: optionalConstant('thing'), date: z.string() });

const good = {
  object: 'thing',
  date: '2026-01-01',
  org: 'o',
  actor: { type: 'user', email: 'a@b' },
  core: { lines: { added: 3 }, sessions: 2 },
  credits: 1.5,
  remote: false,
  tools: { edit: { accepted: 1 } },
  breakdown: [{ model: 'm', cost: { amount: 150 } }, { model: null }],
};

/** Every leaf and object path of a value. */
function paths(v: unknown, p: string[] = []): string[][] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [p];
  return [...(p.length ? [p] : []), ...Object.keys(v).flatMap((k) => paths((v as Record<string, unknown>)[k], [...p, k]))];
}
function replaced(v: unknown, p: readonly string[], x: unknown): unknown {
  if (p.length === 0) return x;
  const [k, ...rest] = p as [string, ...string[]];
  const copy = { ...(v as Record<string, unknown>) };
  if (rest.length === 0 && x === undefined) delete copy[k];
  else copy[k] = replaced(copy[k], rest, x);
  return copy;
}

describe('columns compiled from one list', () => {
  it('given an item with each field and each object absent, null or of another type when checked then the fast check and zod agree on every one', () => {
    const probes: Array<[string, unknown]> = [
      ['whole', good],
      ['null', null],
      ['array', []],
      ['string', 'x'],
    ];
    for (const p of paths(good)) for (const v of BAD_VALUES) probes.push([`${p.join('.')} = ${JSON.stringify(v) ?? 'absent'}`, replaced(good, p, v)]);
    probes.push(['breakdown element without cost.amount', { ...good, breakdown: [{ model: 'm', cost: {} }] }]);
    expect(set.check(good)).toBe(true);
    for (const [what, probe] of probes) expect(set.check(probe), what).toBe(set.item.safeParse(probe).success);
    expect(probes.some(([, p]) => !set.check(p))).toBe(true);
  });

  it('given a checked item when mapped then every column is read from its path in column order, absent ones null, converted ones converted, and filled ones left to the stream', () => {
    const row = set.row(set.parse(good));
    expect(JSON.stringify(row)).toBe(
      JSON.stringify({
        id: '',
        day: '',
        org: 'o',
        actor_type: 'user',
        actor_email: 'a@b',
        added: 3,
        sessions: 2,
        credits: 1.5,
        remote: false,
        tools: { edit: { accepted: 1 } },
        breakdown: [
          { model: 'm', cents: 150, usd: '1.5' },
          { model: null, cents: null, usd: null },
        ],
      }),
    );
    expect(set.row({ actor: { type: 'x' }, core: { sessions: 0 } })).toMatchObject({ org: null, added: null, sessions: 0, breakdown: null });
  });

  it('given an item missing a required value when parsed then zod names its path', () => {
    expect(() => set.parse({ ...good, actor: { email: 'a@b' } })).toThrow(/at actor\.type: /);
    expect(() => set.parse({ ...good, breakdown: [{ cost: { amount: 1.5 } }] })).toThrow(/cost\.amount must be integer cents/);
    expect(() => set.parse({ ...good, object: 'other' })).toThrow(/at object: /);
  });

  it('given the columns when their schema is made then types are nullable unless notNull, keywords follow the column order, sub-columns become items and notNull columns are required', () => {
    const schema = set.schema('t', 'd') as { required: string[]; properties: Record<string, unknown> };
    expect(schema.required).toEqual(['id', 'day']);
    expect(JSON.stringify(schema.properties.day)).toBe('{"type":"string","description":"Day.","format":"date"}');
    expect(JSON.stringify(schema.properties.tools)).toBe('{"type":["object","null"],"description":"Per tool.","additionalProperties":true}');
    expect(schema.properties.breakdown).toEqual({
      type: ['array', 'null'],
      description: 'Per model.',
      items: {
        type: 'object',
        additionalProperties: true,
        properties: { model: { type: ['string', 'null'] }, cents: { type: ['integer', 'null'] }, usd: { type: ['string', 'null'] } },
      },
    });
    expect(entityId('Key.')).toMatchObject({ name: 'id', notNull: true, required: true });
  });
});
