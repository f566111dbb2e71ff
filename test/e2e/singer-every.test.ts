import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { catalog as airbyteCatalog, BINS, files, ofType, records, run, type Message, type RunResult } from '../support/cli.js';
import { providerFakes, startFakes, stopFakes } from '../support/fakes.js';
import { kitsOf } from '../support/kit.js';
import { errorsText, recordValidator } from '../support/protocol.js';
import { validateSingerCatalog, validateSingerMessage } from '../support/singer.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/**
 * Singer mode for every registered connector (docs/singer.md; test/e2e/singer.test.ts holds the
 * details, on source-openai-costs): `--discover` prints one valid Singer catalog of the streams the
 * Airbyte `discover` lists, with their keys; a sync with no catalog syncs every stream, stdout holds
 * only valid Singer messages (each stream's SCHEMA before its RECORDs, records valid against it, keys
 * present and unique), and its records equal those of the Airbyte `read` of the same config. No output
 * holds the key. Each connector's fake, key and settings come from its test kit.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 5;
const KITS = await kitsOf(CONNECTORS);
const KEYS = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('e2e-singer-every')]));
const fakes = providerFakes({ firstDay: FIRST, days: DAYS, keys: KEYS, now: testClock() });

beforeAll(() => startFakes(fakes));
afterAll(async () => {
  await stopFakes(fakes);
});

type SingerCatalog = { streams: Array<{ tap_stream_id: string; key_properties: string[]; metadata: Array<{ breadcrumb: string[] }> }> };
type AirbyteStream = { name: string; supported_sync_modes: string[]; source_defined_primary_key?: string[][] };

/** Records of a stream without the loader's extraction time (a clock, not data). */
const data = (rows: Array<Record<string, unknown>>): Array<Record<string, unknown>> => rows.map(({ _extracted_at, ...r }) => r);

describe.each(KITS.map(({ connector, kit }) => [connector.name, connector.provider, kit] as const))('Singer mode: %s', (name, p, kit) => {
  const config = (): Record<string, unknown> => ({
    [kit.acceptance.keyField]: KEYS[p],
    ...kit.e2e.settings,
    start_date: '2026-01-01',
    end_date: '2026-01-04',
    base_url: fakes[p].baseUrl,
  });
  const noKey = (r: RunResult): void => {
    expect(r.stdout + r.stderr, name).not.toContain(KEYS[p]);
  };

  async function airbyteDiscover(): Promise<AirbyteStream[]> {
    const r = await run(BINS[p], ['discover', '--config', files({ 'c.json': config() })['c.json'] as string], { env: AS_OF_ENV });
    expect(r.code, r.stderr).toBe(0);
    return ofType(r.messages, 'CATALOG')[0]?.catalog.streams as AirbyteStream[];
  }

  it('given --discover when run then stdout is one valid Singer catalog of the streams the Airbyte discover lists, each with its key and a stream breadcrumb', async () => {
    const r = await run(BINS[p], ['--config', files({ 'c.json': config() })['c.json'] as string, '--discover'], { env: AS_OF_ENV });
    expect(r.code, r.stderr).toBe(0);
    noKey(r);
    const singer = JSON.parse(r.stdout) as SingerCatalog;
    if (!validateSingerCatalog(singer)) throw new Error(`invalid Singer catalog: ${errorsText(validateSingerCatalog)}`);
    const streams = await airbyteDiscover();
    expect(singer.streams.map((s) => s.tap_stream_id)).toEqual(streams.map((s) => s.name));
    for (const s of singer.streams) {
      const airbyte = streams.find((x) => x.name === s.tap_stream_id);
      expect(s.key_properties, s.tap_stream_id).toEqual((airbyte?.source_defined_primary_key ?? []).map((k) => k[0]));
      expect(
        s.metadata.some((m) => m.breadcrumb.length === 0),
        s.tap_stream_id,
      ).toBe(true);
    }
  });

  it('given no catalog when synced then every stream is synced: only valid Singer messages, SCHEMA before RECORDs, keys present and unique, and the records equal the Airbyte read’s', async () => {
    const streams = await airbyteDiscover();
    const singer = await run(BINS[p], ['--config', files({ 'c.json': config() })['c.json'] as string], { env: AS_OF_ENV });
    expect(singer.code, singer.stderr).toBe(0);
    noKey(singer);
    expect(singer.messages.length).toBe(singer.lines.length);
    const announced = new Map<string, Message>();
    const validators = new Map<string, ReturnType<typeof recordValidator>>();
    const ids = new Map<string, Set<string>>();
    for (const m of singer.messages) {
      if (!validateSingerMessage(m)) throw new Error(`invalid Singer message ${JSON.stringify(m).slice(0, 200)}: ${errorsText(validateSingerMessage)}`);
      expect(['SCHEMA', 'RECORD', 'STATE']).toContain(m.type);
      if (m.type === 'SCHEMA') {
        expect(announced.has(m.stream), `second SCHEMA for ${m.stream}`).toBe(false);
        announced.set(m.stream, m);
        validators.set(m.stream, recordValidator(m.schema));
      }
      if (m.type === 'RECORD') {
        const schema = announced.get(m.stream);
        expect(schema, `RECORD of ${m.stream} before its SCHEMA`).toBeDefined();
        const v = validators.get(m.stream);
        if (v && !v(m.record)) throw new Error(`record of ${m.stream} invalid against its SCHEMA: ${errorsText(v)}`);
        const keys = (schema?.key_properties ?? []) as string[];
        for (const k of keys) expect(m.record[k], `key ${k} of ${m.stream}`).not.toBeNull();
        const key = JSON.stringify(keys.map((k) => m.record[k]));
        const seen = ids.get(m.stream) ?? new Set<string>();
        expect(seen.has(key), `duplicate key in ${m.stream}: ${key}`).toBe(false);
        seen.add(key);
        ids.set(m.stream, seen);
      }
    }
    expect([...announced.keys()]).toEqual(streams.map((s) => s.name));

    const f = files({
      'c.json': config(),
      'cat.json': airbyteCatalog(streams.map((s) => ({ name: s.name, mode: s.supported_sync_modes.includes('incremental') ? 'incremental' : 'full_refresh' }))),
    });
    const airbyte = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
    expect(airbyte.code, airbyte.stderr).toBe(0);
    let total = 0;
    for (const s of streams) {
      const fromSinger = data(
        ofType(singer.messages, 'RECORD')
          .filter((m) => m.stream === s.name)
          .map((m) => m.record as Record<string, unknown>),
      );
      expect(fromSinger, s.name).toEqual(data(records(airbyte.messages, s.name)));
      total += fromSinger.length;
    }
    expect(total, 'records were synced').toBeGreaterThan(0);
  });
});
