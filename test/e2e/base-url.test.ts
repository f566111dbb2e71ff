import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, catalog, files, ofType, records, run } from '../support/cli.js';
import { providerFakes, startFakes, stopFakes } from '../support/fakes.js';
import { assertProtocol } from '../support/invariants.js';
import { kitsOf } from '../support/kit.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/**
 * base_url with or without the API's path (issue 25, point 12): OpenAI's paths are relative to /v1,
 * Anthropic's and Aurous's start with it; every registered connector takes the host, the host with
 * its API path (its kit's `e2e.apiPath`) and either with a trailing slash: check succeeds and a read
 * of its kit's `e2e.dailyStream` gives the same records, each request on the fake's real path.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 5;
const KITS = await kitsOf(CONNECTORS);
const KEYS = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('e2e-baseurl')]));
const fakes = providerFakes({ firstDay: FIRST, days: DAYS, keys: KEYS, now: testClock() });

beforeAll(() => startFakes(fakes));
afterAll(async () => {
  await stopFakes(fakes);
});

const EACH = KITS.map(({ connector, kit }) => [connector.name, connector.provider, kit] as const);

describe('base_url with or without the API path', () => {
  it.each(EACH)(
    'given %s with base_url as the host, the host with its API path (/v1) and either with a trailing slash when checking and reading then it succeeds with the same records, every request on its API path, never doubled',
    async (_name, p, kit) => {
      const { apiPath, dailyStream: stream } = kit.e2e;
      const config = (base: string): Record<string, unknown> => ({
        [kit.acceptance.keyField]: KEYS[p],
        ...kit.e2e.settings,
        start_date: '2026-01-01',
        end_date: '2026-01-04',
        base_url: base,
      });
      const host = fakes[p].url;
      const forms = [host, `${host}/`, `${host}${apiPath}`, `${host}${apiPath}/`];
      const seen: unknown[][] = [];
      for (const base of forms) {
        const before = fakes[p].requests.length;
        const f = files({ 'c.json': config(base), 'cat.json': catalog([{ name: stream, mode: 'full_refresh' }]) });
        const [check, read] = await Promise.all([
          run(BINS[p], ['check', '--config', f['c.json'] as string], { env: AS_OF_ENV }),
          run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV }),
        ]);
        expect(
          ofType(check.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status),
          `${base}: ${check.stdout}`,
        ).toEqual(['SUCCEEDED']);
        expect(read.code, `${base}: ${read.stdout}`).toBe(0);
        assertProtocol(read, { streams: [stream] });
        const rows = records(read.messages, stream).map(({ _extracted_at, ...r }) => r);
        expect(rows.length).toBeGreaterThan(0);
        seen.push(rows);
        const paths = fakes[p].requests.slice(before).map((r) => r.path);
        expect(paths.length).toBeGreaterThan(0);
        for (const path of paths) expect(path, base).toMatch(new RegExp(`^${apiPath}/(?!${apiPath.slice(1)}/)`));
      }
      for (const rows of seen.slice(1)) expect(rows).toEqual(seen[0]);
    },
    180_000,
  );
});
