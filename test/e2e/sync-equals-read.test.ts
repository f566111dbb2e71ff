import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, catalog, files, records, run, type Message } from '../support/cli.js';
import { providerFakes, type ProviderFakes, startFakes, stopFakes } from '../support/fakes.js';
import { kitsOf } from '../support/kit.js';
import { query, runCli } from '../support/warehouse.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/**
 * What `sync` loads is what `read` emits (issue 26): for every stream of every registered connector, the
 * rows of its table equal the records `read` emits for the same config, value by value and in the
 * column's type (a DOUBLE is the very double of the record, a BIGINT its integer, an instant its
 * microsecond, a JSON column the record's value serialised). Then the same read again into the
 * file that holds it (the stored state removed, so every window is read again) leaves every row
 * as it was and reports them unchanged.
 */
/** Every registered connector (its DuckDB schema is its provider); key and settings from its test kit. */
const KITS = await kitsOf(CONNECTORS);
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const KEYS = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('sync-read')]));
const DATES = { start_date: '2025-12-20', end_date: '2026-01-08' };
const BOOKKEEPING = new Set(['_account_id', '_extracted_at']);

/** A column's values as SQL renders them for comparing: exact text for BIGINT, DATE, JSON; microseconds for instants. */
const rendered = (name: string, type: string): string => {
  const c = `"${name.replace(/"/g, '""')}"`;
  if (type === 'BIGINT' || type === 'DATE' || type === 'JSON') return `CAST(${c} AS VARCHAR) AS ${c}`;
  if (type === 'TIMESTAMP WITH TIME ZONE') return `CAST(epoch_us(${c}) AS VARCHAR) AS ${c}`;
  return c; // DOUBLE (a JSON number), BOOLEAN, VARCHAR
};

/** The same for a record's value, as the column's type holds it. */
function expectedValue(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'BIGINT') return String(value);
  if (type === 'JSON') return JSON.stringify(value);
  if (type === 'TIMESTAMP WITH TIME ZONE') return String(Date.parse(String(value)) * 1000);
  return value;
}

describe('sync loads exactly what read emits', () => {
  let fakes: ProviderFakes;
  const dir = mkdtempSync(join(tmpdir(), 'sync-equals-read-'));
  beforeAll(async () => {
    fakes = providerFakes({ firstDay: day('2025-12-20'), days: 20, keys: KEYS, now: testClock() });
    await startFakes(fakes);
  });
  afterAll(() => stopFakes(fakes));

  for (const { connector, kit } of KITS) {
    const p = connector.provider;
    it(`given every ${p} stream when read and when synced into a fresh file, then again into that file, then each table's rows equal the records read emits, in their column types, and the second sync changes none`, async () => {
      const config = {
        [kit.acceptance.keyField]: KEYS[p],
        ...kit.e2e.settings,
        ...DATES,
        base_url: fakes[p].baseUrl,
      };
      const f = files({ 'c.json': config });
      const d = await run(BINS[p], ['discover', '--config', f['c.json'] as string], { env: AS_OF_ENV });
      const found = d.messages.find((m) => m.type === 'CATALOG') as Message;
      const streams = (found.catalog.streams as Array<{ name: string; supported_sync_modes: string[]; source_defined_primary_key: string[][] }>).map((s) => ({
        name: s.name,
        mode: s.supported_sync_modes.includes('incremental') ? ('incremental' as const) : ('full_refresh' as const),
        key: s.source_defined_primary_key.map((k) => k[0] as string),
      }));
      const cat = files({ 'cat.json': catalog(streams) });
      const read = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', cat['cat.json'] as string], { env: AS_OF_ENV });
      expect(read.code, read.stderr).toBe(0);

      const db = join(dir, `sync-${p}.duckdb`);
      const sync = await runCli(BINS[p], ['sync', '--config', f['c.json'] as string, '--db', db], { env: AS_OF_ENV, timeoutMs: 120_000 });
      expect(sync.code, sync.stderr).toBe(0);

      const compare = async (): Promise<void> => {
        for (const { name, key } of streams) {
          const byKey = (a: Record<string, unknown>, b: Record<string, unknown>): number => {
            const [x, y] = [JSON.stringify(key.map((k) => a[k])), JSON.stringify(key.map((k) => b[k]))];
            return x < y ? -1 : x > y ? 1 : 0;
          };
          const types = await query(
            db,
            `SELECT column_name AS name, data_type AS type FROM information_schema.columns WHERE table_schema = '${p}' AND table_name = '${name}' ORDER BY ordinal_position`,
          );
          const columns = types.map((t) => ({ name: String(t.name), type: String(t.type) })).filter((c) => !BOOKKEEPING.has(c.name));
          const rows = await query(db, `SELECT ${columns.map((c) => rendered(c.name, c.type)).join(', ')} FROM ${p}."${name}"`);
          const expected = records(read.messages, name)
            .map((r) => Object.fromEntries(columns.map((c) => [c.name, expectedValue(r[c.name], c.type)])))
            .sort(byKey);
          expect(rows.length, `${p}.${name}`).toBeGreaterThan(0);
          expect(rows.sort(byKey), `${p}.${name}`).toEqual(expected);
        }
      };
      await compare();
      const loaded = await query(db, `SELECT count(*)::INTEGER AS n FROM ${p}._connector_state`);
      expect(Number(loaded[0]?.n)).toBe(streams.length);

      // Into the file that holds it: every window read again, every row compared and left alone.
      await query(db, `DELETE FROM ${p}._connector_state`, { write: true });
      const again = await runCli(BINS[p], ['sync', '--config', f['c.json'] as string, '--db', db], { env: AS_OF_ENV, timeoutMs: 120_000 });
      expect(again.code, again.stderr).toBe(0);
      const total = records(read.messages).length;
      expect(again.stderr).toContain(`: ${total.toLocaleString('en-US')} rows (0 inserted, 0 updated)`);
      await compare();
    }, 240_000);
  }
});
