import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, ROOT } from '../support/cli.js';
import { runCli } from '../support/warehouse.js';

/**
 * Issue 25 point 10: a database another process has open (a BI tool, the DuckDB shell, another
 * sync) refuses sync and report with exit 3 and a message for whoever reads it; --wait-lock SECONDS
 * retries until the file is released or the time is up.
 */
const KEY = 'sk-admin-e2e-wait-lock-5c4d3e2f1a';
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 10;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
let dir: string;
let config: string;
const holders: ChildProcess[] = [];
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'wait-lock-'));
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl }));
});
afterAll(async () => {
  for (const h of holders) h.kill('SIGKILL');
  await fake.stop();
});

/** Another process with the DuckDB file open (read-write), as a BI tool or the DuckDB shell keeps it; a line on its stdin closes it. */
async function holdOpen(db: string): Promise<{ pid: number; close: () => void; closed: Promise<void> }> {
  const script = `
    import { DuckDBInstance } from '@duckdb/node-api';
    const instance = await DuckDBInstance.create(${JSON.stringify(db)});
    const conn = await instance.connect();
    await conn.run('CREATE TABLE IF NOT EXISTS held (a INTEGER)');
    process.stdout.write('open\\n');
    process.stdin.once('data', () => { conn.closeSync(); instance.closeSync(); process.stdout.write('closed\\n'); process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  holders.push(child);
  let out = '';
  const opened = new Promise<void>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      if (out.includes('open\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`holder exited with ${code} before opening: ${out}`)));
  });
  const closed = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await opened;
  return { pid: child.pid ?? 0, close: () => void child.stdin?.write('close\n'), closed };
}

const sync = (db: string, more: string[] = [], o: Parameters<typeof runCli>[2] = {}) =>
  runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs', ...more], o);
const lines = (stderr: string): string[] => stderr.trim().split('\n');
const held = (db: string, pid: number): RegExp =>
  new RegExp(
    `^source-openai-costs sync: Database '${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' is open in another process \\(\\S+, pid ${pid}\\): a sync, the DuckDB shell or a BI tool; nothing was changed\\. Close it there, or pass --wait-lock SECONDS to wait for it\\.$`,
  );

describe('a database another process has open', () => {
  it('given the file open in another process when syncing without --wait-lock then one line names the holder and --wait-lock, exit 3, at once', async () => {
    const db = join(dir, 'plain.duckdb');
    const holder = await holdOpen(db);
    try {
      const t0 = Date.now();
      const r = await sync(db);
      expect(r.code, r.stderr).toBe(3);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(r.stdout).toBe('');
      expect(lines(r.stderr)).toHaveLength(1);
      expect(lines(r.stderr)[0]).toMatch(held(db, holder.pid));
      expect(existsSync(`${db}.lock`)).toBe(false);
    } finally {
      holder.close();
      await holder.closed;
    }
  });

  it('given the file open and never released when syncing with --wait-lock 2 then it waits about 2 s, says so, and exits 3', async () => {
    const db = join(dir, 'never.duckdb');
    const holder = await holdOpen(db);
    try {
      const t0 = Date.now();
      const r = await sync(db, ['--wait-lock', '2']);
      const took = Date.now() - t0;
      expect(r.code, r.stderr).toBe(3);
      expect(took).toBeGreaterThanOrEqual(2000);
      expect(took).toBeLessThan(12_000);
      const [wait, last, ...rest] = lines(r.stderr);
      expect(rest).toEqual([]);
      expect(wait).toMatch(
        new RegExp(
          `^source-openai-costs sync: '.*never\\.duckdb' is open in another process \\(\\S+, pid ${holder.pid}\\); waiting up to 2 s for it to close the file$`,
        ),
      );
      expect(last).toMatch(
        new RegExp(
          `^source-openai-costs sync: Database '.*never\\.duckdb' is still open in another process after waiting 2 s \\(\\S+, pid ${holder.pid}\\): a sync, the DuckDB shell or a BI tool; nothing was changed\\.`,
        ),
      );
      expect(existsSync(`${db}.lock`)).toBe(false);
    } finally {
      holder.close();
      await holder.closed;
    }
  });

  it('given the file open and released during the wait when syncing with --wait-lock 60 then the sync loads the stream and exits 0', async () => {
    const db = join(dir, 'released.duckdb');
    const holder = await holdOpen(db);
    const t0 = Date.now();
    const r = await sync(db, ['--wait-lock', '60'], {
      killWhen: (line) => {
        if (line.includes('waiting up to 60 s for it to close the file')) holder.close();
        return false;
      },
    });
    await holder.closed;
    expect(r.code, r.stderr).toBe(0);
    expect(Date.now() - t0).toBeLessThan(30_000);
    expect(lines(r.stderr)[0]).toMatch(/^source-openai-costs sync: '.*released\.duckdb' is open in another process \(\S+, pid \d+\); waiting up to 60 s/);
    expect(r.stderr).toMatch(/^costs: ok, /m);
    expect(r.stderr).toMatch(/source-openai-costs sync: 1\/1 streams loaded/);
  });

  it('given the lock file of a running sync when syncing with --wait-lock then it waits for it, and runs once it is gone', async () => {
    const db = join(dir, 'lockfile.duckdb');
    const holder = await holdOpen(join(dir, 'other.duckdb')); // a live process to stand for the other sync
    try {
      writeFileSync(`${db}.lock`, JSON.stringify({ pid: holder.pid, host: hostname(), started: '2026-01-01T00:00:00Z' }));
      const refused = await sync(db, ['--wait-lock', '1']);
      expect(refused.code).toBe(3);
      expect(lines(refused.stderr)).toEqual([
        `source-openai-costs sync: another sync is using '${db}' (pid ${holder.pid} on ${hostname()}, since 2026-01-01T00:00:00Z); waiting up to 1 s for it to finish`,
        `source-openai-costs sync: Another sync is still using '${db}' after waiting 1 s (pid ${holder.pid} on ${hostname()}, since 2026-01-01T00:00:00Z); not starting a second one. If no sync is running, delete '${db}.lock'.`,
      ]);
      const r = await sync(db, ['--wait-lock', '60'], {
        killWhen: (line) => {
          if (line.includes('waiting up to 60 s for it to finish')) unlinkSync(`${db}.lock`);
          return false;
        },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^costs: ok, /m);
      expect(existsSync(`${db}.lock`)).toBe(false);
    } finally {
      holder.close();
      await holder.closed;
    }
  });

  it('given the file open in another process when writing a report then exit 3 at once, and with --wait-lock released during the wait the page is written', async () => {
    const db = join(dir, 'report.duckdb');
    expect((await sync(db)).code).toBe(0);
    const out = join(dir, 'report.html');
    const holder = await holdOpen(db);
    const refused = await runCli(BINS.openai, ['report', '--db', db, '--out', out]);
    expect(refused.code).toBe(3);
    expect(lines(refused.stderr)).toHaveLength(1);
    expect(lines(refused.stderr)[0]).toMatch(
      new RegExp(
        `^source-openai-costs report: Database '.*report\\.duckdb' is open in another process \\(\\S+, pid ${holder.pid}\\): a sync, the DuckDB shell or a BI tool;`,
      ),
    );
    expect(existsSync(out)).toBe(false);
    const r = await runCli(BINS.openai, ['report', '--db', db, '--out', out, '--wait-lock', '60'], {
      killWhen: (line) => {
        if (line.includes('waiting up to 60 s')) holder.close();
        return false;
      },
    });
    await holder.closed;
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('given a bad --wait-lock when syncing or reporting then one line says what to fix, exit 2', async () => {
    const db = join(dir, 'bad.duckdb');
    for (const [cmd, args] of [
      ['sync', ['sync', '--config', config, '--db', db, '--wait-lock', '1.5']],
      ['report', ['report', '--db', db, '--wait-lock', 'soon']],
    ] as const) {
      const r = await runCli(BINS.openai, [...args]);
      expect(r.code).toBe(2);
      expect(lines(r.stderr)[0]).toMatch(
        new RegExp(`^source-openai-costs ${cmd}: --wait-lock must be a whole number of seconds between 0 and 86400, got '(1\\.5|soon)'\\.$`),
      );
    }
    expect(existsSync(db)).toBe(false);
  });
});
