import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, catalog, errors, files, ofType, run, statuses } from '../support/cli.js';
import { closedPort, providerFakes, startFakes, stopFakes } from '../support/fakes.js';
import { assertProtocol } from '../support/invariants.js';
import { kitsOf } from '../support/kit.js';
import { runCli } from '../support/warehouse.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/**
 * Failures a scheduler can act on (issue 25, points 7 and 8): a refused key (401) or a server
 * that cannot be reached ends the whole run at once: one request (the first goes alone), one
 * line, no other stream attempted; sync exits 2 (fix the config), read ends with one TRACE ERROR
 * config_error. Every stream of every registered connector, through the built CLI against the
 * fakes of the test kits.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 10;
const KITS = await kitsOf(CONNECTORS);
type Provider = (typeof CONNECTORS)[number]['provider'];
const KIT = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit] as const)) as Record<Provider, (typeof KITS)[number]['kit']>;
const KEYS = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('e2e-failfast')]));
const REVOKED = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('revoked')]));
const PROVIDERS: Provider[] = CONNECTORS.map((c) => c.provider);
const NAME = Object.fromEntries(CONNECTORS.map((c) => [c.provider, c.name]));
/** The read starts at most 2 x max_concurrent_requests (default 4) streams at once (engine/read.ts): a connector with more has streams never attempted. */
const STARTED_AT_ONCE = 8;
const fakes = providerFakes({ firstDay: FIRST, days: DAYS, keys: KEYS, now: testClock() });
const dirs: string[] = [];

beforeAll(() => startFakes(fakes));
afterAll(async () => {
  await stopFakes(fakes);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A config that reads every stream of the connector (its kit's `e2e.settings` beside key, dates and base_url). */
const config = (p: Provider, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  [KIT[p].acceptance.keyField]: KEYS[p],
  start_date: '2026-01-01',
  end_date: '2026-01-05',
  base_url: fakes[p].baseUrl,
  ...KIT[p].e2e.settings,
  ...extra,
});

/** base_url as the fake's, on a port nothing listens on. */
const closed = (p: Provider, port: number): string => fakes[p].baseUrl.replace(fakes[p].url, `http://127.0.0.1:${port}`);

const tmpDb = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'fail-fast-'));
  dirs.push(dir);
  return join(dir, 'costs.duckdb');
};

/** Every stream of the connector, from its own discover. */
async function allStreams(p: Provider): Promise<string[]> {
  const r = await run(BINS[p], ['discover', '--config', files({ 'c.json': config(p) })['c.json'] as string], { env: AS_OF_ENV });
  return ofType(r.messages, 'CATALOG')[0]?.catalog.streams.map((s: { name: string }) => s.name) as string[];
}

describe('a wrong or revoked key', () => {
  it('given a revoked key when syncing every stream then one request is sent, one line names the key, exit 2, for every connector', async () => {
    for (const p of PROVIDERS) {
      const before = fakes[p].requests.length;
      const cfg = config(p, { [KIT[p].acceptance.keyField]: REVOKED[p] });
      const r = await runCli(BINS[p], ['sync', '--config', files({ 'c.json': cfg })['c.json'] as string, '--db', tmpDb()], { env: AS_OF_ENV });
      expect(r.code, r.stderr).toBe(2);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^${NAME[p]} sync: .*(refused|wrong or revoked).*\\(HTTP 401\\)$`));
      expect(r.stderr).not.toContain(REVOKED[p]);
      expect(fakes[p].requests.length - before).toBe(1);
    }
  });

  it('given a revoked key when reading every stream then one request is sent and one TRACE ERROR config_error ends the read, exit 1, for every connector', async () => {
    for (const p of PROVIDERS) {
      const streams = await allStreams(p);
      expect(streams.length).toBeGreaterThan(1);
      const before = fakes[p].requests.length;
      const f = files({
        'c.json': config(p, { [KIT[p].acceptance.keyField]: REVOKED[p] }),
        'cat.json': catalog(streams.map((name) => ({ name, mode: 'full_refresh' as const }))),
      });
      const r = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
      expect(r.code).toBe(1);
      const errs = errors(r.messages);
      expect(errs.map((m) => m.trace.error.failure_type)).toEqual(['config_error']);
      expect(errs[0]?.trace.error.message).toMatch(/\(HTTP 401\)$/);
      expect(fakes[p].requests.length - before).toBe(1);
      // Streams that started end INCOMPLETE; the others were never attempted (no status at all).
      const started = streams.filter((s) => statuses(r.messages, s).length > 0);
      for (const s of started) expect(statuses(r.messages, s).at(-1)).toBe('INCOMPLETE');
      // (A connector with no more streams than the read starts at once has them all started.)
      if (streams.length > STARTED_AT_ONCE) expect(started.length).toBeLessThan(streams.length);
      assertProtocol(r, { streams: started, expectComplete: false });
    }
  });
});

describe('a server that cannot be reached', () => {
  it('given a closed port when syncing every stream then one line names host and port, exit 2, within seconds, for every connector', async () => {
    const port = await closedPort();
    await Promise.all(
      PROVIDERS.map(async (p) => {
        const started = Date.now();
        const cfg = config(p, { base_url: closed(p, port) });
        const r = await runCli(BINS[p], ['sync', '--config', files({ 'c.json': cfg })['c.json'] as string, '--db', tmpDb()], { env: AS_OF_ENV });
        expect(r.code, r.stderr).toBe(2);
        const lines = r.stderr.split('\n').filter((l) => l !== '');
        expect(lines, r.stderr).toHaveLength(1);
        expect(lines[0]).toMatch(
          new RegExp(
            `^${NAME[p]} sync: .*cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\) after retries: check base_url and that the server is up$`,
          ),
        );
        // Three attempts (backoff 0.5 s then 1 s at most); the old per-stream retries took about two minutes.
        expect(Date.now() - started).toBeLessThan(20_000);
      }),
    );
  });

  it('given a closed port when reading every stream then one TRACE ERROR config_error names host and port, exit 1, within seconds, for every connector', async () => {
    const port = await closedPort();
    await Promise.all(
      PROVIDERS.map(async (p) => {
        const streams = await allStreams(p);
        const started = Date.now();
        const f = files({
          'c.json': config(p, { base_url: closed(p, port) }),
          'cat.json': catalog(streams.map((name) => ({ name, mode: 'full_refresh' as const }))),
        });
        const r = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
        expect(r.code, NAME[p]).toBe(1);
        const errs = errors(r.messages);
        expect(errs.map((m) => m.trace.error.failure_type)).toEqual(['config_error']);
        // The first request may be one read before the streams (OpenAI's names' list of spend), whose error says so first.
        expect(errs[0]?.trace.error.message).toMatch(
          new RegExp(`(^|: )cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\) after retries: check base_url and that the server is up$`),
        );
        expect(Date.now() - started).toBeLessThan(20_000);
      }),
    );
  });
});
