import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { ROOT } from '../support/cli.js';
import { errorsText, validateMessage } from '../support/protocol.js';

/**
 * The README's commands, run as written (issue 17). Every fenced block the README marks with
 * `<!-- test-readme: run -->` (or `run with-fake`, `sql`, `node`) is executed in order, by bash, in a
 * sandbox: HOME and the npm global prefix are temporary directories, and the working directory holds
 * links to the checkout's files, so nothing is written into the checkout. Two substitutions, both
 * stated here: `npm ci` and `npm run build` are not re-run (`npm test` has just done both in this
 * checkout, and `npm ci` would delete the node_modules this test runs from), and the production
 * config gets the fake's key and base_url where a reader puts their real key.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const FAKE_PORT = 8787; // examples/config.json's base_url
const KEY = 'sk-admin-fake-0123456789abcdef'; // examples/config.json's key

interface Block {
  kind: string;
  lang: string;
  code: string;
}

/** The marked blocks, in README order. */
function markedBlocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /<!-- test-readme: ([a-z -]+?) -->\s*\n```(\w+)\n([\s\S]*?)```/g;
  for (let m = re.exec(md); m; m = re.exec(md)) out.push({ kind: (m[1] as string).trim(), lang: m[2] as string, code: m[3] as string });
  return out;
}

const SKIPPED = new Set(['npm ci', 'npm run build']);

let fake: FakeOpenAi;
let work: string;
let home: string;
let prefix: string;
const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  HOME: home,
  NPM_CONFIG_PREFIX: prefix,
  npm_config_prefix: prefix,
  PATH: `${join(prefix, 'bin')}:${process.env.PATH}`,
});

/** Runs one README line in bash (asynchronously: the fake API answers from this process meanwhile). */
function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd: work, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  fake = new FakeOpenAi({ firstDay: today - 59 * DAY, days: 60, projects: 3, lineItems: 4, adminKey: KEY });
  try {
    await fake.start(FAKE_PORT);
  } catch (err) {
    throw new Error(`port ${FAKE_PORT} is in use (the README's examples point at it): stop what listens there and run again (${(err as Error).message})`);
  }
  const base = mkdtempSync(join(tmpdir(), 'readme-'));
  work = join(base, 'checkout');
  home = join(base, 'home');
  prefix = join(base, 'npm-prefix');
  for (const d of [work, home, prefix]) mkdirSync(d);
  // The checkout's files as links: commands run "in the checkout" but what they write lands here.
  for (const name of readdirSync(ROOT)) if (!['.git', 'state.json', 'spend.duckdb'].includes(name)) symlinkSync(join(ROOT, name), join(work, name));
}, 60_000);
afterAll(async () => {
  await fake?.stop();
  if (work) rmSync(join(work, '..'), { recursive: true, force: true });
});

describe('the README, as written', () => {
  const blocks = markedBlocks(README);

  it('given the README when its marked blocks are listed then there are the fake-API walk-through (first: a newcomer without a key meets it first), the quick start, the SQL and the Node example', () => {
    expect(blocks.map((b) => b.kind)).toEqual(['run with-fake', 'run', 'run', 'run', 'run', 'sql', 'node']);
  });

  it('given a machine with the checkout when the README commands run in order then every one succeeds and the warehouse, report, queries and state come out', async () => {
    let ran = 0;
    for (const b of blocks) {
      if (b.kind === 'sql') {
        // The five queries, each run against the file the quick start loaded, through the bundled DuckDB.
        const queries = b.code
          .split(/;\s*\n/)
          .map((q) => q.trim())
          .filter((q) => q.replace(/--.*$/gm, '').trim() !== '');
        expect(queries.length).toBe(5);
        const script = `import { DuckDBInstance } from '@duckdb/node-api';
const db = await (await DuckDBInstance.create(${JSON.stringify(join(home, 'spend', 'spend.duckdb'))})).connect();
for (const q of ${JSON.stringify(queries)}) { const r = await db.runAndReadAll(q); if (r.getRows().length === 0) throw new Error('no rows: ' + q); }`;
        writeFileSync(join(work, 'readme-sql.mjs'), script);
        const r = await bash('node readme-sql.mjs');
        expect(r.stderr).toBe('');
        expect(r.code).toBe(0);
        ran++;
        continue;
      }
      if (b.kind === 'node') {
        writeFileSync(join(work, 'readme-node.mjs'), b.code);
        const r = await bash(`cd ~/spend && node ${join(work, 'readme-node.mjs')}`);
        expect(r.code, r.stderr).toBe(0);
        expect(r.stdout).toMatch(/usd/);
        ran++;
        continue;
      }
      const lines = b.code.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
      for (const line of lines) {
        if (SKIPPED.has(line.trim())) continue;
        const r = await bash(line);
        expect(r.code, `${line}\n${r.stderr}`).toBe(0);
        if (/ (spec|check|discover|read) /.test(`${line} `)) {
          // Every stdout line of an Airbyte command is one valid AirbyteMessage.
          for (const out of r.stdout.trim().split('\n')) expect(validateMessage(JSON.parse(out)), errorsText(validateMessage)).toBe(true);
        }
        if (/ check /.test(line)) expect(r.stdout).toContain('"status":"SUCCEEDED"');
        ran++;
        // Where the reader puts their own key, the test puts the fake's (and its address).
        if (line.startsWith('install -m 600 examples/production/openai.json')) {
          const file = join(home, 'spend', 'openai.json');
          const cfg = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
          expect(cfg).not.toHaveProperty('base_url');
          writeFileSync(file, JSON.stringify({ ...cfg, admin_api_key: KEY, base_url: `${fake.url}/v1` }));
        }
      }
    }
    expect(ran).toBeGreaterThanOrEqual(12);
    expect(existsSync(join(home, 'spend', 'report.html'))).toBe(true);
    const state = JSON.parse(readFileSync(join(work, 'state.json'), 'utf8')) as Record<string, unknown>;
    expect(state).toBeTruthy();
  }, 600_000);
});
