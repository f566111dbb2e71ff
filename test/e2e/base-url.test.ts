import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, catalog, files, ofType, records, run } from '../support/cli.js';
import { startFakes, stopFakes, providerFakes } from '../support/fakes.js';
import { assertProtocol } from '../support/invariants.js';

/** The providers this test covers (a provider added to the registry is not one until it is named here). */
type Provider = 'openai' | 'anthropic' | 'aurous';

/**
 * base_url with or without a trailing /v1 (issue 25, point 12): OpenAI's paths are relative to /v1,
 * Anthropic's and Aurous's start with it; every connector takes both forms (and a trailing slash),
 * check succeeds and a read gives the same records, each request on the fake's real path.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 5;
const KEYS = { openai: 'sk-admin-e2e-baseurl-3c2b1a0f9e8d', anthropic: 'sk-ant-admin01-e2e-baseurl-8d7c6b5a4f3e', aurous: 'al_live_e2e_baseurl_1b2c3d4e5f6a' };
const PROVIDERS: Provider[] = ['openai', 'anthropic', 'aurous'];
const KEY_FIELD: Record<Provider, string> = { openai: 'admin_api_key', anthropic: 'admin_api_key', aurous: 'api_key' };
const STREAM: Record<Provider, string> = { openai: 'costs', anthropic: 'cost_report', aurous: 'usage' };
const fakes = providerFakes({ firstDay: FIRST, days: DAYS, keys: KEYS });

beforeAll(() => startFakes(fakes));
afterAll(async () => {
  await stopFakes(fakes);
});

const config = (p: Provider, base: string): Record<string, unknown> => ({
  [KEY_FIELD[p]]: KEYS[p],
  start_date: '2026-01-01',
  end_date: '2026-01-04',
  base_url: base,
});

describe('base_url with or without /v1', () => {
  it.each(PROVIDERS)(
    'given %s with base_url as the host, the host with /v1 and with /v1/ when checking and reading then it succeeds with the same records, every request on a /v1 path',
    async (p) => {
      const host = fakes[p].url;
      const forms = [host, `${host}/`, `${host}/v1`, `${host}/v1/`];
      const seen: unknown[][] = [];
      for (const base of forms) {
        const before = fakes[p].requests.length;
        const f = files({ 'c.json': config(p, base), 'cat.json': catalog([{ name: STREAM[p], mode: 'full_refresh' }]) });
        const [check, read] = await Promise.all([
          run(BINS[p], ['check', '--config', f['c.json'] as string]),
          run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]),
        ]);
        expect(
          ofType(check.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status),
          `${base}: ${check.stdout}`,
        ).toEqual(['SUCCEEDED']);
        expect(read.code, `${base}: ${read.stdout}`).toBe(0);
        assertProtocol(read, { streams: [STREAM[p]] });
        const rows = records(read.messages, STREAM[p]).map(({ _extracted_at, ...r }) => r);
        expect(rows.length).toBeGreaterThan(0);
        seen.push(rows);
        const paths = fakes[p].requests.slice(before).map((r) => r.path);
        expect(paths.length).toBeGreaterThan(0);
        for (const path of paths) expect(path, base).toMatch(/^\/v1\/(?!v1\/)/);
      }
      for (const rows of seen.slice(1)) expect(rows).toEqual(seen[0]);
    },
    180_000,
  );
});
