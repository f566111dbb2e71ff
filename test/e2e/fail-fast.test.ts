import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, catalog, errors, files, ofType, run, statuses } from '../support/cli.js';
import { closedPort, startFakes, stopFakes, providerFakes } from '../support/fakes.js';
import { assertProtocol } from '../support/invariants.js';
import { runCli } from '../support/warehouse.js';

/** The providers this test covers (a provider added to the registry is not one until it is named here). */
type Provider = 'openai' | 'anthropic' | 'aurous';

/**
 * Failures a scheduler can act on (issue 25, points 7 and 8): a refused key (401) or a server
 * that cannot be reached ends the whole run at once: one request (the first goes alone), one
 * line, no other stream attempted; sync exits 2 (fix the config), read ends with one TRACE ERROR
 * config_error. Every stream of every connector, through the built CLI against the fakes.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 10;
const KEYS = {
  openai: 'sk-admin-e2e-failfast-3c2b1a0f9e8d',
  anthropic: 'sk-ant-admin01-e2e-failfast-8d7c6b5a4f3e',
  aurous: 'al_live_e2e_failfast_1b2c3d4e5f6a',
};
const REVOKED = { openai: 'sk-admin-revoked-0f1e2d3c4b5a', anthropic: 'sk-ant-admin01-revoked-0f1e2d3c4b', aurous: 'al_live_revoked_0f1e2d3c4b5a' };
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'aurous'];
const KEY_FIELD: Record<Provider, string> = { openai: 'admin_api_key', anthropic: 'admin_api_key', aurous: 'api_key' };
const NAME: Record<Provider, string> = { openai: 'source-openai-costs', anthropic: 'source-anthropic-costs', aurous: 'source-aurous-usage' };
const fakes = providerFakes({ firstDay: FIRST, days: DAYS, keys: KEYS });
const dirs: string[] = [];

beforeAll(() => startFakes(fakes));
afterAll(async () => {
  await stopFakes(fakes);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const config = (p: Provider, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  [KEY_FIELD[p]]: KEYS[p],
  start_date: '2026-01-01',
  end_date: '2026-01-05',
  base_url: fakes[p].baseUrl,
  ...(p === 'aurous' ? { focus: { credit_usd_rate: '0.01' } } : {}),
  ...extra,
});

const tmpDb = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'fail-fast-'));
  dirs.push(dir);
  return join(dir, 'costs.duckdb');
};

/** Every stream of the connector, from its own discover. */
async function allStreams(p: Provider): Promise<string[]> {
  const r = await run(BINS[p], ['discover', '--config', files({ 'c.json': config(p) })['c.json'] as string]);
  return ofType(r.messages, 'CATALOG')[0]?.catalog.streams.map((s: { name: string }) => s.name) as string[];
}

describe('a wrong or revoked key', () => {
  it('given a revoked key when syncing every stream then one request is sent, one line names the key, exit 2, for every connector', async () => {
    for (const p of PROVIDERS) {
      const before = fakes[p].requests.length;
      const cfg = config(p, { [KEY_FIELD[p]]: REVOKED[p] });
      const r = await runCli(BINS[p], ['sync', '--config', files({ 'c.json': cfg })['c.json'] as string, '--db', tmpDb()]);
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
        'c.json': config(p, { [KEY_FIELD[p]]: REVOKED[p] }),
        'cat.json': catalog(streams.map((name) => ({ name, mode: 'full_refresh' as const }))),
      });
      const r = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
      expect(r.code).toBe(1);
      const errs = errors(r.messages);
      expect(errs.map((m) => m.trace.error.failure_type)).toEqual(['config_error']);
      expect(errs[0]?.trace.error.message).toMatch(/\(HTTP 401\)$/);
      expect(fakes[p].requests.length - before).toBe(1);
      // Streams that started end INCOMPLETE; the others were never attempted (no status at all).
      const started = streams.filter((s) => statuses(r.messages, s).length > 0);
      for (const s of started) expect(statuses(r.messages, s).at(-1)).toBe('INCOMPLETE');
      // (Aurous has two streams, both started at once by the read's workers; the others have more streams than workers.)
      if (p !== 'aurous') expect(started.length).toBeLessThan(streams.length);
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
        const cfg = config(p, { base_url: `http://127.0.0.1:${port}${p === 'openai' ? '/v1' : ''}` });
        const r = await runCli(BINS[p], ['sync', '--config', files({ 'c.json': cfg })['c.json'] as string, '--db', tmpDb()]);
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

  it('given a closed port when reading every stream then one TRACE ERROR config_error names host and port, exit 1, within seconds', async () => {
    const port = await closedPort();
    const streams = await allStreams('openai');
    const started = Date.now();
    const f = files({
      'c.json': config('openai', { base_url: `http://127.0.0.1:${port}/v1` }),
      'cat.json': catalog(streams.map((name) => ({ name, mode: 'full_refresh' as const }))),
    });
    const r = await run(BINS.openai, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
    expect(r.code).toBe(1);
    const errs = errors(r.messages);
    expect(errs.map((m) => m.trace.error.failure_type)).toEqual(['config_error']);
    // The first request is the names' list of spend (read before the streams), whose error says so first.
    expect(errs[0]?.trace.error.message).toMatch(
      new RegExp(`(^|: )cannot connect to 127\\.0\\.0\\.1:${port} \\(connection refused\\) after retries: check base_url and that the server is up$`),
    );
    expect(Date.now() - started).toBeLessThan(20_000);
  });
});
