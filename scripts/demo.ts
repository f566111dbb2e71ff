/**
 * npm run demo: the whole warehouse job in under a minute, with no API key.
 *
 * 1. Starts the fake OpenAI admin API (test/fake) on 127.0.0.1 with a seeded organization:
 *    6 projects, 15 line items, 120 days of spend up to today, users and API keys.
 * 2. `source-openai-costs sync` loads every stream into demo.duckdb.
 * 3. The same sync again: only the lookback days are re-read and nothing is duplicated.
 * 4. `source-openai-costs report` writes demo-report.html.
 *
 * Both outputs are gitignored. The commands it runs are printed, so they can be rerun by hand.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAY, FakeOpenAi } from '../test/fake/openai.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'dist/providers/openai/main.js');
const DB = join(ROOT, 'demo.duckdb');
const HTML = join(ROOT, 'demo-report.html');
const DAYS = 120;

const bold = process.stderr.isTTY === true;
const say = (text: string): void => void process.stderr.write(bold ? `\n\x1b[1m${text}\x1b[0m\n` : `\n${text}\n`);
/** A path as typed from the current directory when it is under it, else absolute. */
const shown = (p: string): string => {
  const r = relative(process.cwd(), p);
  return r === '' || r.startsWith('..') ? p : r;
};

function cli(args: string[]): Promise<number> {
  process.stderr.write(`$ source-openai-costs ${args.map((a) => (a.startsWith('/') ? shown(a) : a)).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
const firstDay = today - (DAYS - 1) * DAY;
const fake = new FakeOpenAi({ firstDay, days: DAYS, projects: 6, lineItems: 15, seed: 2025, emptyEvery: 0, users: 40 });
const started = Date.now();
await fake.start();
try {
  const dir = mkdtempSync(join(tmpdir(), 'demo-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ admin_api_key: fake.org.adminKey, start_date: new Date(firstDay * 1000).toISOString().slice(0, 10), base_url: fake.baseUrl }, null, 2),
  );
  for (const f of [DB, `${DB}.wal`, `${DB}.lock`, HTML]) rmSync(f, { force: true });
  say(
    `1/3 Fake OpenAI admin API on ${fake.baseUrl}: ${fake.org.projects.length} projects, ${fake.org.lineItems.length} line items, ${DAYS} days up to today (config: ${config})`,
  );
  say('2/3 sync every stream into demo.duckdb, then again (incremental: only the lookback days are re-read)');
  for (let i = 0; i < 2; i++) {
    const code = await cli(['sync', '--config', config, '--db', DB]);
    if (code !== 0) throw new Error(`sync exited with ${code}`);
  }
  say('3/3 report');
  const code = await cli(['report', '--db', DB, '--out', HTML]);
  if (code !== 0) throw new Error(`report exited with ${code}`);
  say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Open ${shown(HTML)} in a browser; query ${shown(DB)} with DuckDB, e.g.`);
  process.stderr.write(
    `  SELECT "date", sum(CAST(CAST(amount_value AS VARCHAR) AS DECIMAL(38,12))) AS usd FROM openai.costs GROUP BY 1 ORDER BY 1 DESC LIMIT 7;\n`,
  );
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await fake.stop();
}
