import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodedLines, encodePage, forEachRow, parsePage, type RecordFormat } from '../../connector/engine/decode/decode.js';
import type { DecodePool as DecodePoolType } from '../../connector/engine/decode/decode-pool.js';
import { ConnectorError } from '../../connector/engine/errors.js';
import type { Window } from '../../connector/engine/plan/planner.js';
import type { EncodedRecords, Page } from '../../connector/engine/stream.js';
import { NotJsonError, type FetchFailed } from '../../connector/http/client.js';
import type { HttpError } from '../../connector/http/errors.js';
import { LineBuffer, recordLineWriter } from '../../connector/protocol/lines.js';
import { OpenAiConfigSchema } from '../../connector/providers/openai/config.js';
import { reportStream } from '../../connector/providers/openai/reports.js';
import { COSTS } from '../../connector/providers/openai/streams.js';
import { ROOT } from '../support/cli.js';

const DAY = 86_400;
const D1 = Date.UTC(2025, 0, 1) / 1000;
const config = OpenAiConfigSchema.parse({ admin_api_key: 'sk-admin-decode-test-0000', start_date: '2025-01-01' });
const plan = reportStream(COSTS).plan(config);
const window: Window = { start: D1, end: D1 + 2 * DAY };

const result = (project: string | null, lineItem: string, value: number) => ({
  object: 'organization.costs.result',
  amount: { value, currency: 'usd' },
  line_item: lineItem,
  project_id: project,
  quantity: 10,
  quantity_unit: 'tokens',
});
const body = (buckets: Array<{ start: number; results: unknown[] }>, extra: Record<string, unknown> = {}) => ({
  object: 'page',
  data: buckets.map((b) => ({ object: 'bucket', start_time: b.start, end_time: b.start + DAY, results: b.results })),
  has_more: true,
  next_page: 'page_x',
  ...extra,
});
const bytesOf = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === 'string' ? value : JSON.stringify(value));
const text = (bytes: Uint8Array | undefined): string => new TextDecoder().decode(bytes);
const AIRBYTE: RecordFormat = { kind: 'airbyte' };
const linesOf = (e: EncodedRecords | undefined): string => (e ? text(encodedLines(e)) : '');

/** What the main thread emits for the same body: rows of each in-window bucket, serialised. */
function mainThreadLines(value: unknown, emittedAt: number): string[] {
  const page = parsePage(plan, value, window);
  return page.buckets
    .filter((b) => b.start >= window.start && b.start < window.end)
    .map((b) => {
      let lines = '';
      forEachRow(plan, b, window, (r) => (lines += `${recordLineWriter('costs', emittedAt)(r)}\n`));
      return lines;
    });
}

const PAGE = body([
  { start: D1, results: [result('proj_1', 'gpt-4.1, input', 1.25), result(null, 'gpt-4.1, output', 0.000001)] },
  { start: D1 + DAY, results: [] },
  { start: D1 + 2 * DAY, results: [result('proj_1', 'outside the window', 3)] },
]);
const UNICODE_PAGE = body([{ start: D1, results: [result('proj_é', 'café ☕ 🚀 line\u2028break\u0085', 2.5)] }]);

describe('encodePage (what a decode worker does with a body)', () => {
  it('given a page with an empty bucket and one outside the window when encoded then each bucket in the window carries exactly the lines the main thread would write, and the other none', () => {
    const { page } = encodePage(plan, 'costs', AIRBYTE, bytesOf(PAGE), window, 42);
    expect(page.buckets.map((b) => [b.start, b.encoded?.count ?? null, b.results.length])).toEqual([
      [D1, 2, 0],
      [D1 + DAY, 0, 0],
      [D1 + 2 * DAY, null, 0],
    ]);
    expect(page.buckets.slice(0, 2).map((b) => linesOf(b.encoded))).toEqual(mainThreadLines(PAGE, 42));
    expect(page.hasMore).toBe(true);
    expect(page.nextPage).toBe('page_x');
  });

  it('given text outside ASCII, an emoji and line breakers when encoded then the bytes are the UTF-8 of the same lines', () => {
    const { page } = encodePage(plan, 'costs', AIRBYTE, bytesOf(UNICODE_PAGE), window, 7);
    const lines = linesOf(page.buckets[0]?.encoded);
    expect(lines).toBe(mainThreadLines(UNICODE_PAGE, 7).join(''));
    expect((JSON.parse(lines) as { record: { data: { line_item: string } } }).record.data.line_item).toBe('café ☕ 🚀 line\u2028break\u0085');
  });

  it('given a body that is not JSON when encoded then NotJsonError, which the HTTP client retries as a bad body', () => {
    expect(() => encodePage(plan, 'costs', AIRBYTE, bytesOf('<html>Bad Gateway</html>'), window, 0)).toThrow(NotJsonError);
    expect(() => encodePage(plan, 'costs', AIRBYTE, bytesOf('{"data": [{"start_time": 1'), window, 0)).toThrow(NotJsonError);
  });

  it('given a result that fails validation or two results with the same dimensions when encoded then the same error as on the main thread', () => {
    const bad = body([{ start: D1, results: [{ ...result('p', 'x', 1), amount: { value: '1.5', currency: 'usd' } }] }]);
    const dup = body([{ start: D1, results: [result('p', 'x', 1), result('p', 'x', 2)] }]);
    for (const value of [bad, dup, { object: 'page' }]) {
      const onMain = (() => {
        try {
          mainThreadLines(value, 0);
        } catch (err) {
          return err as ConnectorError;
        }
        throw new Error('expected the main-thread path to fail');
      })();
      expect(onMain).toBeInstanceOf(ConnectorError);
      expect(() => encodePage(plan, 'costs', AIRBYTE, bytesOf(value), window, 0)).toThrow(onMain.message);
    }
  });
});

describe('LineBuffer', () => {
  it('given more lines than its first capacity, some multi-byte, when viewed then the bytes are the UTF-8 of the lines, each ending in a newline', () => {
    const buf = new LineBuffer(1);
    const lines = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `€${i}😀` : `line ${i}`));
    const marks: number[] = [];
    for (const l of lines) {
      buf.push(l);
      marks.push(buf.length);
    }
    expect(text(buf.view(0, buf.length))).toBe(`${lines.join('\n')}\n`);
    expect(text(buf.view(marks[9] as number, marks[10] as number))).toBe(`${lines[10]}\n`);
    expect(buf.view(0, 1).buffer).toBe(buf.arrayBuffer);
  });
});

describe('DecodePool (the built worker threads)', () => {
  const dist = (p: string): string => pathToFileURL(join(ROOT, 'dist', p)).href;
  const pools: DecodePoolType[] = [];
  /** Serves each body at /<index>; /stall never answers, /missing is a 404. */
  const serve = async (bodies: Uint8Array[]) => {
    const server = createServer((req, res) => {
      if (req.url === '/stall') return;
      const body = bodies[Number(req.url?.slice(1))];
      res.writeHead(body ? 200 : 404, { 'content-type': 'application/json', 'x-seen-auth': req.headers.authorization ?? '' });
      res.end(body ?? '{"error":{"message":"no such page"}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const servers: Server[] = [];
  const load = async (module = dist('providers/openai/index.js')) => {
    const { DecodePool } = (await import(dist('engine/decode/decode-pool.js'))) as typeof import('../../connector/engine/decode/decode-pool.js');
    const { NotJsonError: WorkerNotJson, FetchFailed: WorkerFetchFailed } = (await import(
      dist('http/client.js')
    )) as typeof import('../../connector/http/client.js');
    const { ConnectorError: WorkerConnectorError } = (await import(dist('engine/errors.js'))) as typeof import('../../connector/engine/errors.js');
    const logged: string[] = [];
    const pool = new DecodePool({ module, source: 'source-openai-costs', config, format: AIRBYTE, size: 2, log: (m) => logged.push(m) });
    pools.push(pool);
    return { pool, WorkerNotJson, WorkerFetchFailed, WorkerConnectorError, logged };
  };
  const headers = { authorization: 'Bearer sk-admin-decode-test-0000' };
  const request = (url: string, emittedAt = 0) => ({ url, headers, stream: 'costs', window, emittedAt, ids: false });
  /** Waits until a worker is up: a page then goes to it (the fallback says if it would not). */
  const up = async (pool: DecodePoolType) => {
    const notUp = new Error('no worker up');
    const probe = pool.forStream('costs').transport(window, 0, false, () => Promise.reject(notUp));
    for (;;) {
      const err = await probe('http://127.0.0.1:1/probe', { headers: {}, signal: AbortSignal.abort() }).catch((e: unknown) => e);
      if (err !== notUp) return;
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const noFallback = () => Promise.reject(new Error('expected the page to go to a worker'));
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.close()));
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('given pages fetched on worker threads when compared then each page equals encodePage on this thread, and the head carries status and headers', async () => {
    const { pool, logged } = await load();
    const values = [PAGE, UNICODE_PAGE, PAGE, UNICODE_PAGE];
    const base = await serve(values.map(bytesOf));
    await up(pool);
    const received = await Promise.all(values.map((_, i) => pool.page(request(`${base}/${i}`, 5))));
    expect(received.map((r) => [r.status, r.headers.get('x-seen-auth'), r.errorBody.byteLength])).toEqual(values.map(() => [200, headers.authorization, 0]));
    const pages = await Promise.all(received.map((r) => r.decoded()));
    const plain = (p: Page) =>
      p.buckets.map((b) => ({ start: b.start, end: b.end, count: b.encoded?.count ?? null, lines: b.encoded ? linesOf(b.encoded) : null }));
    const expected = values.map((v) => plain(encodePage(plan, 'costs', AIRBYTE, bytesOf(v), window, 5).page));
    expect(pages.map(plain)).toEqual(expected);
    expect(logged).toEqual([]);
  });

  it('given a 2xx body that is not JSON or a result that fails validation when fetched on a worker then NotJsonError with the start of the body, or the ConnectorError of the main thread', async () => {
    const { pool, WorkerNotJson, WorkerConnectorError } = await load();
    const bad = body([{ start: D1, results: [{ ...result('p', 'x', 1), amount: { value: '1.5', currency: 'usd' } }] }]);
    const base = await serve([bytesOf('<html>\n  Bad   Gateway</html>'), bytesOf(bad)]);
    await up(pool);
    const notJson = await (await pool.page(request(`${base}/0`))).decoded().catch((e: unknown) => e);
    expect(notJson).toBeInstanceOf(WorkerNotJson);
    expect((notJson as NotJsonError).excerpt).toBe('<html> Bad Gateway</html>');
    const err = (await (await pool.page(request(`${base}/1`))).decoded().catch((e: unknown) => e)) as ConnectorError;
    expect(err).toBeInstanceOf(WorkerConnectorError);
    expect(err.failureType).toBe('system_error');
    expect(err.message).toMatch(/results\[0\]: at amount\.value: /);
  });

  it('given a source module a worker cannot load when a page comes then a system_error names it', async () => {
    const { pool, WorkerConnectorError } = await load(dist('providers/nowhere/index.js'));
    const base = await serve([bytesOf(PAGE)]);
    await up(pool);
    const err = (await (await pool.page(request(`${base}/0`))).decoded().catch((e: unknown) => e)) as ConnectorError;
    expect(err).toBeInstanceOf(WorkerConnectorError);
    expect(err.failureType).toBe('system_error');
    expect(err.message).toMatch(/providers\/nowhere\/index\.js/);
  });

  it('given a 404, a stalled request and a refused connection when fetched on a worker then the head says 404 with its body, an abort rejects at once as an AbortError, and the refusal keeps its code', async () => {
    const { pool, WorkerFetchFailed } = await load();
    const base = await serve([]);
    await up(pool);
    const missing = await pool.page(request(`${base}/missing`));
    expect([missing.status, new TextDecoder().decode(missing.errorBody)]).toEqual([404, '{"error":{"message":"no such page"}}']);
    const abort = new AbortController();
    const stalled = pool.page(request(`${base}/stall`), abort.signal);
    setTimeout(() => abort.abort(), 50);
    await expect(stalled).rejects.toMatchObject({ name: 'AbortError' });
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const refused = await pool.page(request(`http://127.0.0.1:${closedPort}/refused`)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WorkerFetchFailed);
    expect((refused as FetchFailed).failure.code).toBe('ECONNREFUSED');
    const badPort = await pool.page(request('http://127.0.0.1:9/x')).catch((e: unknown) => e);
    expect((badPort as FetchFailed).failure).toMatchObject({ code: undefined, cause: 'bad port' });
  });

  /** An HttpClient (one request slot) whose requests go through `transport`; sleeps are recorded, not slept. */
  const client = async (base: string, o: { maxRetries?: number } = {}) => {
    // The pool's errors are the built module's classes: the client that classifies them must be too.
    const { HttpClient } = (await import(dist('http/client.js'))) as typeof import('../../connector/http/client.js');
    const { RateLimiter } = (await import(dist('http/rate-limit.js'))) as typeof import('../../connector/http/rate-limit.js');
    const sleeps: number[] = [];
    const clock = { now: () => Date.now() };
    const sleep = async (ms: number) => void sleeps.push(ms);
    const http = new HttpClient({
      baseUrl: base,
      headers,
      fetch: globalThis.fetch,
      sleep,
      clock,
      limiter: new RateLimiter(clock, sleep),
      logger: { debug: () => undefined, warn: () => undefined },
      redact: (t) => t.replaceAll('sekrit', '***'),
      maxConcurrent: 1,
      ...o,
    });
    return { http, sleeps };
  };

  it('given a worker that receives a 503 with Retry-After when requested through the HttpClient then the main thread waits as told, retries, frees the request slot and gets the page decoded on the worker', async () => {
    const { pool } = await load();
    const seen: string[] = [];
    let refusals = 1;
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url === '/page' && refusals-- > 0) {
        res.writeHead(503, { 'retry-after-ms': '40', 'content-type': 'application/json' });
        return res.end('{"error":{"message":"overloaded"}}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(PAGE));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    await up(pool);
    const { http, sleeps } = await client(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const transport = pool.forStream('costs').transport(window, 5, false, noFallback);
    // One request slot: the second request waits for it, and takes it as soon as the 503 has freed it, before the retry.
    const [first, second] = await Promise.all([http.get('/page', [], {}, transport), http.get('/other', [], {}, transport)]);
    expect(seen).toEqual(['/page', '/other', '/page']);
    expect(sleeps).toEqual([40]);
    expect(http.requestCount).toBe(3);
    const lines = (p: Page) => p.buckets.map((b) => (b.encoded ? linesOf(b.encoded) : null));
    expect(lines(first.body)).toEqual(lines(encodePage(plan, 'costs', AIRBYTE, bytesOf(PAGE), window, 5).page));
    expect(lines(second.body)).toEqual(lines(first.body));
  });

  it('given a 2xx body that is not JSON when requested through a worker and on this thread then both are retried and fail with the same bad_body message', async () => {
    const { pool } = await load();
    const base = await serve([bytesOf('<html>proxy   sekrit\n</html>')]);
    await up(pool);
    const viaWorker = await client(base, { maxRetries: 1 });
    const transport = pool.forStream('costs').transport(window, 0, false, noFallback);
    const onWorker = (await viaWorker.http.get('/0', [], {}, transport).catch((e: unknown) => e)) as HttpError;
    const onMain = await client(base, { maxRetries: 1 });
    const { encodePage: builtEncodePage } = (await import(dist('engine/decode/decode.js'))) as typeof import('../../connector/engine/decode/decode.js');
    const inThread = (await onMain.http
      .get(
        '/0',
        [],
        {},
        onMain.http.inThread((b) => builtEncodePage(plan, 'costs', AIRBYTE, b, window, 0).page),
      )
      .catch((e: unknown) => e)) as HttpError;
    expect(inThread.kind).toBe('bad_body');
    expect(inThread.message).toBe('HTTP 200 from /0 is not JSON: <html>proxy *** </html>');
    expect([onWorker.kind, onWorker.message, onWorker.details]).toEqual([inThread.kind, inThread.message, inThread.details]);
    expect([viaWorker.http.requestCount, onMain.http.requestCount]).toEqual([2, 2]);
  });

  it('given a closed pool when asked for a page then it refuses', async () => {
    const { pool } = await load();
    await pool.close();
    await expect(pool.page(request('http://127.0.0.1:1/x'))).rejects.toThrow(/closed/);
  });
});
