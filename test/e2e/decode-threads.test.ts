import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, catalog, files, run } from '../support/cli.js';
import { providerFakes, type ProviderFakes, startFakes, stopFakes } from '../support/fakes.js';
import { kitsOf } from '../support/kit.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/**
 * With decode workers on, no 2xx body of any stream is decoded on the main thread: bucketed pages
 * (Aurous's own fetcher and Anthropic's joined spend included) and list pages alike are received
 * and decoded where they arrive. The main thread's decode path (http/client.ts fetchTransport)
 * counts what it decodes once the workers start (http/decode-count.ts), and the count is written
 * to the file that AI_SPEND_TEST_MAIN_THREAD_DECODES names when the process exits.
 */
/** Every registered connector; key and settings from its test kit. */
type Provider = (typeof CONNECTORS)[number]['provider'];
const KITS = await kitsOf(CONNECTORS);
const KIT = new Map(KITS.map(({ connector, kit }) => [connector.provider, kit]));
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const KEYS = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('threads')]));

describe('decode threads', () => {
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = providerFakes({ firstDay: day('2025-12-20'), days: 20, keys: KEYS, now: testClock() });
    await startFakes(fakes);
  });
  afterAll(() => stopFakes(fakes));

  /** Every stream of `p` read once with `decode_threads`; the main thread's decodes and the streams read. */
  async function mainThreadDecodes(p: Provider, decode_threads: number): Promise<{ count: number; streams: string[] }> {
    const kit = KIT.get(p);
    if (!kit) throw new Error(`${p}: no test kit`);
    const config = {
      [kit.acceptance.keyField]: KEYS[p],
      ...kit.e2e.settings,
      start_date: '2025-12-20',
      end_date: '2026-01-08',
      base_url: fakes[p].baseUrl,
      decode_threads,
    };
    const d = await run(BINS[p], ['discover', '--config', files({ 'c.json': config })['c.json'] as string], { env: AS_OF_ENV });
    const found = d.messages.find((m) => m.type === 'CATALOG') as { catalog?: { streams: Array<{ name: string; supported_sync_modes: string[] }> } };
    const streams = (found.catalog?.streams ?? []).map((s) => ({
      name: s.name,
      mode: s.supported_sync_modes.includes('incremental') ? ('incremental' as const) : ('full_refresh' as const),
    }));
    const f = files({ 'c.json': config, 'cat.json': catalog(streams) });
    const counted = join(f['c.json'] as string, '..', 'main-thread-decodes');
    const r = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], {
      env: { ...AS_OF_ENV, AI_SPEND_TEST_MAIN_THREAD_DECODES: counted },
    });
    expect(r.code, r.stderr).toBe(0);
    const complete = r.messages.filter((m) => JSON.stringify(m).includes('"status":"COMPLETE"')).length;
    expect(complete).toBe(streams.length);
    return { count: Number(readFileSync(counted, 'utf8')), streams: streams.map((s) => s.name) };
  }

  for (const p of CONNECTORS.map((c) => c.provider)) {
    it(`given every ${p} stream read with decode workers when the main thread's decodes are counted then there are none, and without workers every page is`, async () => {
      const withWorkers = await mainThreadDecodes(p, 2);
      expect(withWorkers.streams.length).toBeGreaterThanOrEqual(2);
      expect(withWorkers.count, `2xx bodies decoded on the main thread with workers on (streams: ${withWorkers.streams.join(', ')})`).toBe(0);
      const without = await mainThreadDecodes(p, 0);
      expect(without.count).toBeGreaterThanOrEqual(without.streams.length);
    }, 120_000);
  }
});
