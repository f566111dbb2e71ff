import { describe, expect, it } from 'vitest';
import { encodedLines, encodePage, forEachRow, parsePage, type RecordFormat } from '../../connector/engine/decode/decode.js';
import { findArrayMember, findDataArray, type ArrayMember } from '../../connector/engine/decode/json-scan.js';
import type { Window } from '../../connector/engine/plan/planner.js';
import { NotJsonError } from '../../connector/http/client.js';
import { recordLineWriter } from '../../connector/protocol/lines.js';
import { OpenAiConfigSchema } from '../../connector/providers/openai/config.js';
import { reportStream } from '../../connector/providers/openai/reports.js';
import { COSTS } from '../../connector/providers/openai/streams.js';

const DAY = 86_400;
const D1 = Date.UTC(2025, 0, 1) / 1000;
const config = OpenAiConfigSchema.parse({ admin_api_key: 'sk-admin-scan-test-00000', start_date: '2025-01-01' });
const plan = reportStream(COSTS).plan(config);
const window: Window = { start: D1, end: D1 + 3 * DAY };
const AIRBYTE: RecordFormat = { kind: 'airbyte' };
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** The value a scan stands for: the text around the array parsed with `[]` in its place, then the elements parsed one by one. */
function rebuilt(b: Uint8Array, found: ArrayMember): unknown {
  const outer = JSON.parse(`${text(b.subarray(0, found.start))}[]${text(b.subarray(found.end))}`) as Record<string, unknown>;
  outer.data = found.elements.map(([s, e]) => JSON.parse(text(b.subarray(s, e))) as unknown);
  return outer;
}

const jsonParse = (s: string): { ok: true; value: unknown } | { ok: false } => {
  try {
    return { ok: true, value: JSON.parse(s) as unknown };
  } catch {
    return { ok: false };
  }
};

const result = (project: string, lineItem: string, value: number) => ({
  object: 'organization.costs.result',
  amount: { value, currency: 'usd' },
  line_item: lineItem,
  project_id: project,
  quantity: 10,
  quantity_unit: 'tokens',
});

/** A costs page as the API writes it, with results that stress strings: escapes, brackets, non-ASCII. */
const pageText = (results = 3): string =>
  JSON.stringify({
    object: 'page',
    data: [0, 1, 2].map((d) => ({
      object: 'bucket',
      start_time: D1 + d * DAY,
      end_time: D1 + (d + 1) * DAY,
      results: Array.from({ length: results }, (_, i) => result(`proj_${i}`, `gpt "4" \\ [[{, ]}] é 😀 \u2028 ${d}`, i + 0.25)),
    })),
    has_more: false,
    next_page: null,
  });

/** What the main thread emitted before bodies were parsed bucket by bucket: the page parsed whole, every in-window bucket mapped. */
function wholeLines(body: string, emittedAt: number): string {
  const page = parsePage(plan, JSON.parse(body), window);
  let lines = '';
  for (const b of page.buckets) {
    if (b.start >= window.start && b.start < window.end) forEachRow(plan, b, window, (r) => (lines += `${recordLineWriter('costs', emittedAt)(r)}\n`));
  }
  return lines;
}

function encodedText(body: string): string {
  const { page } = encodePage(plan, 'costs', AIRBYTE, bytes(body), window, 7, {});
  return page.buckets.map((b) => (b.encoded ? text(encodedLines(b.encoded)) : '')).join('');
}

/** A deterministic generator (mulberry32): the same mutations on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('findDataArray (the byte scanner that lets a page be parsed bucket by bucket)', () => {
  it('given unkind but valid bodies (escaped quotes and backslashes, brackets inside strings, non-ASCII, every kind of whitespace, data not first) when scanned then the parts rebuild exactly what JSON.parse makes of the whole', () => {
    const bodies = [
      '{"data":[]}',
      ' \t\r\n{ \t\r\n"data" \t\r\n: \t\r\n[ \t\r\n{"a":1} \t\r\n, \t\r\n[2,[3]] \t\r\n] \t\r\n, "x" : null } \t\r\n',
      '{"before":{"data":[9],"s":"\\"data\\":[1]"},"data":[{"s":"a\\"]}\\\\"},"[[[[","}}}}",true,false,null,-1.5e+3,"\\u005d"],"after":[{"data":1}]}',
      '{"data":[{"t":"é😀\u2028\u2029\u0085"},{"k\\u0064":"\\ud83d\\ude00"}],"has_more":false}',
      '{"other":"data","data":[{}],"next":"\\\\"}',
    ];
    for (const body of bodies) {
      const found = findDataArray(bytes(body));
      expect(found, body).toBeDefined();
      expect(rebuilt(bytes(body), found as ArrayMember), body).toEqual(JSON.parse(body));
    }
  });

  it('given bodies the scanner leaves to JSON.parse (two data keys, a key spelled with escapes, no data, data not an array, not an object) when scanned then undefined, and encodePage still decodes them as JSON.parse does (the last data wins)', () => {
    const one = JSON.parse(pageText(1)) as { data: unknown[] };
    const twice = `{"data":[],${pageText(1).slice(1)}`;
    const escaped = pageText(1).replace('"data"', '"d\\u0061ta"');
    for (const body of [twice, escaped, '{"has_more":false}', '{"data":{"0":1}}', '{"data":null}', '[{"data":[]}]', '"data"']) {
      expect(findDataArray(bytes(body)), body).toBeUndefined();
    }
    expect(JSON.parse(twice)).toEqual(one);
    expect(encodedText(twice)).toBe(wholeLines(twice, 7));
    expect(encodedText(escaped)).toBe(wholeLines(escaped, 7));
    expect(() => encodePage(plan, 'costs', AIRBYTE, bytes('{"has_more":false}'), window, 7)).toThrow(/unexpected response/);
  });

  it('given a member array inside an element (the results of a bucket) when scanned between its bounds then its elements are found, and a range that is not one object gives undefined', () => {
    const body = bytes(pageText(2));
    const data = findDataArray(body) as ArrayMember;
    const [start, end] = data.elements[1] as [number, number];
    const results = findArrayMember(body, 'results', start, end) as ArrayMember;
    expect(results.elements.map(([s, e]) => JSON.parse(text(body.subarray(s, e))) as unknown)).toEqual(
      (JSON.parse(pageText(2)) as { data: Array<{ results: unknown[] }> }).data[1]?.results,
    );
    expect(findArrayMember(body, 'results', start, end - 1)).toBeUndefined();
    expect(findArrayMember(body, 'results', start + 1, end)).toBeUndefined();
  });

  it('given malformed bodies (trailing comma, missing comma, unclosed string, raw control character, mismatched brackets inside an element, trailing bytes, truncation) when encoded then NotJsonError exactly where JSON.parse throws', () => {
    const good = pageText(2);
    const malformed = [
      good.replace(']}],', ']},],'),
      good.replace('},{"object":"bucket"', '}{"object":"bucket"'),
      good.replace('"usd"', '"usd'),
      good.replace('proj_1', 'proj\n_1'),
      good.replace('"quantity":10', '"quantity":[10}]'),
      `${good} x`,
      good.slice(0, good.length - 1),
      good.slice(0, Math.floor(good.length / 2)),
      good.replace('"results":[', '"results":[,'),
      good.replace('"data":[', '"data":[,'),
    ];
    for (const body of malformed) {
      expect(jsonParse(body).ok, body).toBe(false);
      expect(() => encodePage(plan, 'costs', AIRBYTE, bytes(body), window, 7), body).toThrow(NotJsonError);
    }
  });

  it('given a thousand random one-byte mutations of a page (structural characters, quotes, backslashes) when encoded then it throws NotJsonError if and only if JSON.parse throws, and otherwise a scan rebuilds the same value', () => {
    const good = pageText(2);
    const next = random(14);
    const alphabet = '{}[]",:\\ \n0a';
    let rejected = 0;
    for (let n = 0; n < 1000; n++) {
      const at = Math.floor(next() * good.length);
      const ch = alphabet[Math.floor(next() * alphabet.length)] as string;
      const kind = next();
      const mutated =
        kind < 0.4
          ? good.slice(0, at) + good.slice(at + 1)
          : kind < 0.7
            ? good.slice(0, at) + ch + good.slice(at)
            : good.slice(0, at) + ch + good.slice(at + 1);
      // As the bytes on the wire say it (a cut surrogate pair becomes U+FFFD).
      const body = text(bytes(mutated));
      const parsed = jsonParse(body);
      const found = findDataArray(bytes(body));
      if (!parsed.ok) {
        rejected += 1;
        expect(() => encodePage(plan, 'costs', AIRBYTE, bytes(body), window, 7), body).toThrow(NotJsonError);
        continue;
      }
      if (found) expect(rebuilt(bytes(body), found), body).toEqual(parsed.value);
      let thrown: unknown;
      try {
        encodePage(plan, 'costs', AIRBYTE, bytes(body), window, 7);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, body).not.toBeInstanceOf(NotJsonError);
    }
    // The mutations must reach both sides.
    expect(rejected).toBeGreaterThan(200);
    expect(rejected).toBeLessThan(1000);
  });

  it('given a valid page with buckets of more results than one parse takes when encoded then the lines are byte for byte those of the page parsed whole', () => {
    const body = pageText(700);
    expect(encodedText(body)).toBe(wholeLines(body, 7));
    expect(encodedText(body).split('\n')).toHaveLength(3 * 700 + 1);
  });
});
