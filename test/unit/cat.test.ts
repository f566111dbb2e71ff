import { describe, expect, it } from 'vitest';
import {
  additionalPropertiesNotTrue,
  arrayItems,
  checkpoints,
  emptyObjects,
  forbiddenKeywords,
  isCanonicalLine,
  oneOfViolations,
  pkViolations,
  recordsDiffer,
  sampled,
  secretMarking,
  strictValueErrors,
  typeArrays,
  uiKeywords,
} from '../acceptance/cat.js';
import type { Message } from '../support/cli.js';

/** The acceptance rules catch what CAT catches (each rule shown failing once). */
describe('CAT rules', () => {
  it('given forbidden keywords when checked then keywords are found but property names that look like them are not', () => {
    const schema = {
      type: 'object',
      properties: { anyOf: { type: 'string' }, a: { anyOf: [{ type: 'string' }] }, b: { type: 'object', properties: { c: { not: {} } } } },
    };
    expect(forbiddenKeywords(schema)).toEqual(['#/properties/a: anyOf', '#/properties/b/properties/c: not']);
  });

  it('given secrets when checked then an unmarked key is flagged and a marked boolean too', () => {
    const spec = {
      type: 'object',
      properties: {
        api_key: { type: 'string' },
        token: { type: 'string', airbyte_secret: true },
        key_ids: { type: 'array', items: { type: 'string' } },
        flag: { type: 'boolean', airbyte_secret: true },
      },
    };
    expect(secretMarking(spec)).toEqual([
      '#/properties/api_key: looks secret but has no airbyte_secret: true',
      '#/properties/flag: airbyte_secret on a boolean property',
    ]);
  });

  it('given oneOf variants when checked then exactly one common const discriminator is required', () => {
    const good = { type: 'object', oneOf: [{ properties: { kind: { const: 'a' }, x: { type: 'string' } } }, { properties: { kind: { const: 'b' } } }] };
    expect(oneOfViolations(good)).toEqual([]);
    const bad = { oneOf: [{ properties: { kind: { const: 'a' } } }, { properties: { other: { const: 'b' } } }] };
    expect(oneOfViolations(bad)).toEqual([
      '#: oneOf parent is not type object',
      '#: oneOf variants share no property',
      '#: oneOf needs exactly one common const property, has 0',
    ]);
  });

  it('given schema shapes when checked then type arrays, empty objects, array items, additionalProperties and UI keywords are flagged', () => {
    expect(typeArrays({ properties: { a: { type: ['null', 'string'] }, b: { type: ['string', 'null'] } } })).toEqual(['#/properties/a']);
    expect(emptyObjects({ type: 'object', properties: { a: { type: 'object' } } })).toEqual(['#/properties/a']);
    expect(arrayItems({ properties: { a: { type: 'array', items: [{ type: 'string' }] }, b: { type: 'array', items: { type: 'boolean' } } } })).toHaveLength(2);
    expect(additionalPropertiesNotTrue({ properties: { a: { type: 'object', additionalProperties: { type: 'integer' } } } })).toEqual(['#/properties/a']);
    expect(uiKeywords({ properties: { a: { order: 1 }, b: { order: 1 }, c: { type: 'object', properties: { d: { group: 'g' } } } } })).toHaveLength(2);
  });

  it('given record values when checked strictly then non-integers, bad date-times, unshared fields and null keys are flagged', () => {
    const schema = { properties: { n: { type: ['integer', 'null'] }, t: { type: 'string', format: 'date-time' } } };
    expect(strictValueErrors(schema, { n: 1.5, t: 'yesterday' })).toEqual(['n: 1.5 is not a strict integer', 't: yesterday is not a date-time']);
    expect(strictValueErrors(schema, { n: 3, t: '2025-01-01T00:00:00Z' })).toEqual([]);
    expect(strictValueErrors(schema, { other: 1 })).toEqual(['record shares no field with its schema']);
    expect(pkViolations({ id: null }, [['id']])).toHaveLength(1);
    expect(pkViolations({ id: ['x'] }, [['id']])).toHaveLength(1);
    expect(isCanonicalLine('{"a":1.0}')).toBe(false);
    expect(isCanonicalLine('{"a":1}')).toBe(true);
  });

  it('given a read with states when checkpointed then duplicates collapse, counts become expected counts and CAT samples the middle', () => {
    const state = (cursor: number, count: number): Message => ({
      type: 'STATE',
      state: { type: 'STREAM', stream: { stream_descriptor: { name: 's' }, stream_state: { cursor } }, sourceStats: { recordCount: count } },
    });
    const cps = checkpoints([state(1, 5), state(1, 0), state(2, 0), state(3, 4), state(4, 3), state(5, 2), state(6, 1)], 's');
    // {1} collapses to count 5, expected 15 - 5 = 10; {2} adds nothing, so reading from it returns the same: only {2} is kept.
    expect(cps.map((c) => [c.state.cursor, c.count, c.expected])).toEqual([
      [2, 0, 10],
      [3, 4, 6],
      [4, 3, 3],
      [5, 2, 1],
      [6, 1, 0],
    ]);
    expect(sampled(cps).map((s) => s.index)).toEqual([1, 2, 3]);
    expect(sampled(cps.slice(0, 2))).toEqual([{ item: cps[1], index: 1, last: true }]);
    expect(recordsDiffer([{ a: 1, b: 2 }], [{ b: 2, a: 1 }])).toBe(false);
    expect(recordsDiffer([{ a: 1 }], [{ a: 1 }, { a: 2 }])).toBe(true);
  });
});
