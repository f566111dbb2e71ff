import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../connector/cli/sync.js';
import { openAiSource } from '../../connector/providers/openai/index.js';
import { EXIT, WarehouseError } from '../../connector/warehouse/exit-codes.js';
import { DbLock, lockPath } from '../../connector/warehouse/lock.js';
import { fromScaled, toScaled, trimDecimal } from '../../connector/decimal.js';
import { formatMoney } from '../../connector/warehouse/money.js';
import { valueText } from '../../connector/engine/decode/decode.js';
import { createTableSql, sqlType, tableLayout } from '../../connector/warehouse/schema.js';
import { summaryLine } from '../../connector/warehouse/summary.js';
import type { StreamStats } from '../../connector/warehouse/loader.js';

describe('JSON schema to DuckDB columns', () => {
  it('given each JSON type when mapped then integer, number, string, date, date-time, boolean and the rest get their documented SQL types', () => {
    expect(sqlType({ type: 'integer' })).toBe('BIGINT');
    expect(sqlType({ type: ['integer', 'null'] })).toBe('BIGINT');
    expect(sqlType({ type: ['null', 'number'] })).toBe('DOUBLE');
    expect(sqlType({ type: 'string' })).toBe('VARCHAR');
    expect(sqlType({ type: 'string', format: 'date' })).toBe('DATE');
    expect(sqlType({ type: ['string', 'null'], format: 'date-time' })).toBe('TIMESTAMPTZ');
    expect(sqlType({ type: 'boolean' })).toBe('BOOLEAN');
    expect(sqlType({ type: 'object' })).toBe('JSON');
    expect(sqlType({ type: ['array', 'null'] })).toBe('JSON');
    expect(sqlType({ type: ['string', 'integer'] })).toBe('JSON');
    expect(sqlType({})).toBe('JSON');
  });

  it('given the costs stream when laid out in the openai schema then columns follow the schema, _account_id and _extracted_at are last and the key (id and account) is NOT NULL', () => {
    const costs = openAiSource.streams.find((s) => s.name === 'costs');
    if (!costs) throw new Error('no costs stream');
    const layout = tableLayout(costs, 'openai');
    expect(layout.primaryKey).toEqual(['id', '_account_id']);
    expect(layout.recordKey).toEqual(['id']);
    expect(layout.columns.map((c) => `${c.name} ${c.type}`)).toEqual([
      'id VARCHAR',
      'start_time BIGINT',
      'end_time BIGINT',
      'date DATE',
      'project_id VARCHAR',
      'line_item VARCHAR',
      'api_key_id VARCHAR',
      'amount_value DOUBLE',
      'amount_currency VARCHAR',
      'quantity DOUBLE',
      'quantity_unit VARCHAR',
      '_account_id VARCHAR',
      '_extracted_at TIMESTAMPTZ',
    ]);
    expect(createTableSql(layout)).toMatch(
      /^CREATE TABLE IF NOT EXISTS "openai"."costs" \("id" VARCHAR NOT NULL, "start_time" BIGINT, .*"_account_id" VARCHAR NOT NULL, "_extracted_at" TIMESTAMPTZ\)$/,
    );
  });

  it('given a stream without a usable key when laid out then it is refused', () => {
    const base = { name: 's', schema: { properties: { id: { type: 'string' } } } };
    expect(() => tableLayout({ ...base, primaryKey: [] })).toThrow(/no primary key/);
    expect(() => tableLayout({ ...base, primaryKey: [['a', 'b']] })).toThrow(/nested primary key/);
    expect(() => tableLayout({ ...base, primaryKey: [['nope']] })).toThrow(/not in its schema/);
    const reserved = { name: 's', schema: { properties: { id: { type: 'string' }, _account_id: { type: 'string' } } }, primaryKey: [['id']] };
    expect(() => tableLayout(reserved)).toThrow(/property named _account_id, which the warehouse reserves/);
  });

  it('given record values when staged as text then numbers keep their shortest exact form and JSON columns are serialised', () => {
    expect(valueText(0.1, false)).toBe('0.1');
    expect(valueText(1e-7, false)).toBe('1e-7');
    expect(valueText(4321.987654, false)).toBe('4321.987654');
    expect(valueText(true, false)).toBe('true');
    expect(valueText(null, false)).toBeNull();
    expect(valueText(undefined, false)).toBeNull();
    expect(valueText({ a: [1, 'b'] }, true)).toBe('{"a":[1,"b"]}');
    expect(valueText('x', true)).toBe('"x"');
  });
});

describe('key fingerprints (the account guard)', () => {
  it('given keys when fingerprinted then the same key gives the same 16 hex digits of its SHA-256, another key others, and no part of the key shows', () => {
    const key = 'sk-admin-unit-fingerprint-0a1b2c3d4e5f';
    const fp = keyFingerprint([key]);
    expect(fp).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(fp).toBe(`sha256:${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
    expect(keyFingerprint([key])).toBe(fp);
    expect(keyFingerprint(['sk-admin-unit-fingerprint-0a1b2c3d4e5e'])).not.toBe(fp);
    for (let i = 0; i + 6 <= key.length; i += 1) expect(fp).not.toContain(key.slice(i, i + 6));
  });
});

describe('exact money text', () => {
  it('given decimal strings when rounded and formatted then BigInt arithmetic rounds half away from zero with no float error', () => {
    expect(toScaled('1.005', 2)).toBe(101n);
    expect(toScaled('-1.005', 2)).toBe(-101n);
    expect(toScaled('0.3000000000000000444', 2)).toBe(30n);
    expect(fromScaled(5n, 3)).toBe('0.005');
    expect(formatMoney('1234567.891000000000', 'USD')).toBe('$1,234,567.89');
    expect(formatMoney('0.004999', 'usd')).toBe('$0.00');
    expect(formatMoney('12.5', 'CHF')).toBe('12.50 CHF');
    expect(trimDecimal('11.537891300000')).toBe('11.5378913');
    expect(trimDecimal('5.000')).toBe('5');
    expect(() => toScaled('1e-7', 2)).toThrow(/not a decimal/);
  });
});

describe('database lock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lock-'));

  it('given a free database when locked twice then the second is refused with exit 3 naming the holder, and release frees it', () => {
    const db = join(dir, 'a.duckdb');
    const lock = DbLock.acquire(db);
    expect(JSON.parse(readFileSync(lockPath(db), 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    let err: unknown;
    try {
      DbLock.acquire(db);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WarehouseError);
    expect((err as WarehouseError).exitCode).toBe(EXIT.locked);
    expect((err as WarehouseError).message).toContain(`pid ${process.pid}`);
    lock.release();
    expect(existsSync(lockPath(db))).toBe(false);
    DbLock.acquire(db).release();
  });

  it('given a lock left by a dead process or an interrupted start when locking then it is taken over; a fresh empty one is respected', () => {
    const db = join(dir, 'b.duckdb');
    const dead = spawnSync(process.execPath, ['-e', 'process.pid']).pid as number;
    writeFileSync(lockPath(db), JSON.stringify({ pid: dead, host: hostname(), started: '2025-01-01T00:00:00Z' }));
    const notes: string[] = [];
    const lock = DbLock.acquire(db, (m) => notes.push(m));
    expect(notes[0]).toMatch(new RegExp(`removed a stale lock .* left by pid ${dead}, which is no longer running`));
    lock.release();

    writeFileSync(lockPath(db), '');
    expect(() => DbLock.acquire(db)).toThrow(/a process that is starting/);
    const old = new Date(Date.now() - 60_000);
    utimesSync(lockPath(db), old, old);
    DbLock.acquire(db).release();
  });

  it('given a lock held on another host when locking then it is never taken over', () => {
    const db = join(dir, 'c.duckdb');
    writeFileSync(lockPath(db), JSON.stringify({ pid: 999_999_999, host: `not-${hostname()}`, started: '2025-01-01T00:00:00Z' }));
    expect(() => DbLock.acquire(db)).toThrow(/Another sync is using/);
  });
});

describe('summary line', () => {
  const base: StreamStats = {
    name: 'costs',
    kind: 'buckets',
    table: 'costs',
    outcome: 'complete',
    rows: 1234,
    inserted: 1000,
    updated: 34,
    unchanged: 200,
    deleted: 0,
    commits: 3,
    firstDay: '2025-09-01',
    lastDay: '2025-11-29',
    cursor: 1764460800,
    error: null,
    startedAt: 1_000,
    endedAt: 2_500,
  };

  it('given a finished, a failed and a list stream when summarised then each is one line with rows, days, requests and duration', () => {
    expect(summaryLine(base, 3, 9_999)).toBe(
      'costs: ok, 1,234 rows (1,000 inserted, 34 updated, 200 unchanged), 2025-09-01..2025-11-29 (90 days), 3 requests, 1.5 s',
    );
    expect(summaryLine({ ...base, outcome: 'failed', error: 'HTTP 500 after retries' }, 1, 9_999)).toBe(
      'costs: FAILED, 1,234 rows (1,000 inserted, 34 updated, 200 unchanged), 2025-09-01..2025-11-29 (90 days), 1 request, 1.5 s -- HTTP 500 after retries; the next sync resumes from 2025-11-30',
    );
    expect(
      summaryLine(
        { ...base, name: 'users', kind: 'list', rows: 2, inserted: 1, updated: 0, unchanged: 1, deleted: 1, firstDay: null, lastDay: null, cursor: null },
        1,
        9_999,
      ),
    ).toBe('users: ok, 2 rows (1 inserted, 0 updated, 1 unchanged, 1 deleted), full snapshot, 1 request, 1.5 s');
  });
});
