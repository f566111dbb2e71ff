import { describe, expect, it } from 'vitest';
import { encodedLines, encodePage, forEachRow, PageStreamDecoder, parsePage, type RecordFormat } from '../../connector/engine/decode/decode.js';
import { PageScanner, type ScannedBucket } from '../../connector/engine/decode/json-scan.js';
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

/** A body cut into chunks at `cuts` random places (as a socket may deliver it). */
function chunked(b: Uint8Array, next: () => number, cuts: number): Uint8Array[] {
  const at = Array.from({ length: cuts }, () => Math.floor(next() * (b.byteLength + 1))).sort((x, y) => x - y);
  const out: Uint8Array[] = [];
  let from = 0;
  for (const to of [...at, b.byteLength]) {
    out.push(b.slice(from, to));
    from = to;
  }
  return out;
}

/**
 * The value a scan stands for: the envelope parsed (each data array `[]`), data the last array's
 * elements, each parsed with `[]` in place of its results and the results one by one; undefined
 * when the scanner says the body is broken.
 */
function rebuilt(chunks: Uint8Array[], key = 'results'): unknown {
  let elements: unknown[] = [];
  const scanner = new PageScanner(key, {
    data: () => {
      elements = [];
    },
    bucket: ({ bytes: b, results }: ScannedBucket) => {
      if (!results) return void elements.push(JSON.parse(text(b)));
      const head = JSON.parse(`${text(b.subarray(0, results.start))}[]${text(b.subarray(results.end))}`) as Record<string, unknown>;
      head[key] = results.elements.map(([s, e]) => JSON.parse(text(b.subarray(s, e))) as unknown);
      elements.push(head);
    },
  });
  for (const c of chunks) scanner.push(c);
  const envelope = scanner.end();
  if (!envelope) return undefined;
  const value = JSON.parse(text(Buffer.concat(envelope))) as unknown;
  if (typeof value === 'object' && value !== null && Array.isArray((value as { data?: unknown }).data)) (value as { data: unknown }).data = elements;
  return value;
}

/** What the whole body decodes to, the way it was decoded before pages streamed: lines, or the error's message. */
function wholeVerdict(body: string, emittedAt: number): string {
  const parsedBody = jsonParse(body);
  if (!parsedBody.ok) return 'not JSON';
  try {
    return wholeLines(body, emittedAt);
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** What the streaming decoder makes of the body in `chunks`: lines, or the error's message. */
function streamVerdict(chunks: Uint8Array[], emittedAt: number): string {
  const decoder = new PageStreamDecoder(plan, 'costs', AIRBYTE, window, emittedAt);
  try {
    for (const c of chunks) decoder.push(c);
    const { page } = decoder.end();
    return page.buckets.map((b) => (b.encoded ? text(encodedLines(b.encoded)) : '')).join('');
  } catch (err) {
    return err instanceof NotJsonError ? 'not JSON' : `error: ${(err as Error).message}`;
  }
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

describe('PageScanner and PageStreamDecoder (a page decoded bucket by bucket as its bytes arrive)', () => {
  it('given unkind but valid bodies (escaped quotes and backslashes, brackets inside strings, non-ASCII, every kind of whitespace, data not first, two data keys, keys spelled with escapes) in chunks cut anywhere when scanned then the parts rebuild exactly what JSON.parse makes of the whole', () => {
    const bodies = [
      '{"data":[]}',
      ' \t\r\n{ \t\r\n"data" \t\r\n: \t\r\n[ \t\r\n{"a":1} \t\r\n, \t\r\n[2,[3]] \t\r\n] \t\r\n, "x" : null } \t\r\n',
      '{"before":{"data":[9],"s":"\\"data\\":[1]"},"data":[{"s":"a\\"]}\\\\"},"[[[[","}}}}",true,false,null,-1.5e+3,"\\u005d"],"after":[{"data":1}]}',
      '{"data":[{"t":"é😀\u2028\u2029\u0085"},{"k\\u0064":"\\ud83d\\ude00"}],"has_more":false}',
      '{"other":"data","data":[{}],"next":"\\\\"}',
      '{"data":[{"results":[1,{"x":[2]}],"results":[3]}],"d\\u0061ta":[{"results":[4, 5 ,6]}, 7]}',
      '{"data":[{"r\\u0065sults":[1]},{"results":[" ] ", "\\"", {"a":"}"}]}],"has_more":false}',
      '[{"data":[]}]',
      '"data"',
      '{"data":{"0":1}}',
      '{"has_more":false}',
    ];
    const next = random(3);
    for (const body of bodies) {
      for (let cuts = 0; cuts < 30; cuts += 3) {
        expect(rebuilt(chunked(bytes(body), next, cuts)), `${body} in ${cuts + 1} chunks`).toEqual(JSON.parse(body));
      }
    }
  });

  it('given bodies an older scanner left to JSON.parse (two data keys, a key spelled with escapes, no data, data not an array, not an object) when decoded then lines or errors exactly as the page parsed whole', () => {
    const twice = `{"data":[],${pageText(1).slice(1)}`;
    const twiceOther = `${pageText(1).slice(0, -1)},"data":[{"start_time":1}]}`;
    const escaped = pageText(1).replace('"data"', '"d\\u0061ta"');
    const next = random(5);
    for (const body of [
      twice,
      twiceOther,
      escaped,
      '{"has_more":false}',
      '{"data":{"0":1}}',
      '{"data":null}',
      '[{"data":[]}]',
      '"data"',
      '{"data":[5],"has_more":1}',
    ]) {
      const expected = wholeVerdict(body, 7);
      for (let cuts = 0; cuts < 12; cuts += 4) expect(streamVerdict(chunked(bytes(body), next, cuts), 7), body).toBe(expected);
    }
    expect(encodedText(twice)).toBe(wholeLines(twice, 7));
    expect(() => encodePage(plan, 'costs', AIRBYTE, bytes('{"has_more":false}'), window, 7)).toThrow(/unexpected response/);
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

  it('given pages that fail the check or the mapping in a bucket, with a later bucket or the envelope also wrong, in chunks when decoded then the error is the one the page parsed whole gives (its first issue, its body excerpt), or NotJsonError when the rest is not JSON', () => {
    const good = JSON.parse(pageText(2)) as { data: Array<Record<string, unknown> & { results?: Array<Record<string, unknown>> }> } & Record<string, unknown>;
    const variant = (f: (p: typeof good) => void): string => {
      const p = structuredClone(good);
      f(p);
      return JSON.stringify(p);
    };
    const badResult = (p: typeof good, d: number): void => {
      (p.data[d]?.results?.[0] as Record<string, unknown>).amount = { value: 'x', currency: 'usd' };
    };
    const bodies = [
      variant((p) => badResult(p, 1)),
      variant((p) => {
        badResult(p, 0);
        delete p.data[2]?.end_time;
      }),
      variant((p) => {
        badResult(p, 0);
        p.has_more = 'yes';
      }),
      variant((p) => {
        delete p.data[1]?.results;
        p.next_page = 5;
      }),
      variant((p) => {
        (p.data as unknown[])[1] = 7;
      }),
      variant((p) => {
        (p.data[0] as Record<string, unknown>).results = [...(p.data[0]?.results ?? []), p.data[0]?.results?.[0]];
      }),
      `${variant((p) => badResult(p, 0)).slice(0, -20)}`,
    ];
    const next = random(9);
    for (const body of bodies) {
      const expected = wholeVerdict(body, 7);
      expect(expected, body).not.toBe(wholeVerdict(pageText(2), 7));
      for (let cuts = 0; cuts < 20; cuts += 5) expect(streamVerdict(chunked(bytes(body), next, cuts), 7), body).toBe(expected);
    }
  });

  it("given a thousand random one-byte mutations of a page (structural characters, quotes, backslashes) in random chunks when decoded then the verdict (lines, NotJsonError or the error message) is the whole page's", () => {
    const good = pageText(2);
    const next = random(14);
    const alphabet = '{}[]",:\\ \n0a';
    let rejected = 0;
    let failed = 0;
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
      const expected = wholeVerdict(body, 7);
      if (expected === 'not JSON') rejected += 1;
      else if (expected.startsWith('error: ')) failed += 1;
      expect(streamVerdict(chunked(bytes(body), next, Math.floor(next() * 8)), 7), body).toBe(expected);
    }
    // The mutations must reach every side.
    expect(rejected).toBeGreaterThan(200);
    expect(failed).toBeGreaterThan(20);
    expect(rejected + failed).toBeLessThan(1000);
  });

  it('given a valid page with buckets of more results than one parse takes, in chunks when encoded then the lines are byte for byte those of the page parsed whole', () => {
    const body = pageText(700);
    expect(encodedText(body)).toBe(wholeLines(body, 7));
    expect(encodedText(body).split('\n')).toHaveLength(3 * 700 + 1);
    expect(streamVerdict(chunked(bytes(body), random(1), 50), 7)).toBe(wholeLines(body, 7));
  });
});
