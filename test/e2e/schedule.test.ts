import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { ROOT } from '../support/cli.js';
import { query } from '../support/warehouse.js';

/**
 * The README's "Run it on a schedule" recipes, run as written (issue 25, point 4). The package is
 * installed the README's way (`npm config set prefix ~/.local`, then `npm install -g .` in the
 * checkout) into a temporary HOME, and each recipe's command runs in the environment its scheduler
 * gives: cron's `env -i HOME=... PATH=/usr/bin:/bin`, the command through `sh -c`; systemd's Exec
 * lines split into words (no shell), `%h` replaced by HOME, `Environment=` applied, on the same
 * bare PATH. The only substitution is the one a reader makes: the config gets the fake's key and
 * address where the real key goes.
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const KEY = 'sk-admin-fake-0123456789abcdef';
const BARE_PATH = '/usr/bin:/bin'; // cron's PATH (and less than systemd's default)

/** The text of the README section `## title`, up to the next `## `. */
function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(0);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end);
}

/** The fenced blocks of `lang` in `text`. */
const blocks = (text: string, lang: string): string[] => [...text.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((m) => m[1] as string);

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `env -i HOME=<home> PATH=/usr/bin:/bin [VAR=value...] <argv>`: nothing of this process's environment. */
const bare = (home: string, argv: string[], vars: string[] = []): Promise<Ran> =>
  exec('/usr/bin/env', ['-i', `HOME=${home}`, `PATH=${BARE_PATH}`, ...vars, ...argv], { cwd: home, env: {} });

let fake: FakeOpenAi;
let base: string;
let home: string;

beforeAll(async () => {
  const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
  fake = new FakeOpenAi({ firstDay: today - 29 * DAY, days: 30, projects: 2, lineItems: 3, adminKey: KEY });
  await fake.start(0);
  base = mkdtempSync(join(tmpdir(), 'schedule-'));
  home = join(base, 'home');
  mkdirSync(home);
  // The README's install, in its words: an npm prefix the user owns, then the global install from the checkout.
  const prefixLine = README.match(/`(npm config set prefix ~\/\.local)`/)?.[1];
  expect(prefixLine).toBe('npm config set prefix ~/.local');
  const install = blocks(section('OpenAI spend into a warehouse in 5 minutes'), 'sh')[0]?.split('\n') ?? [];
  expect(install).toContain('npm install -g .');
  // npm's own settings from this process (npm run, npx) would override the user's ~/.npmrc: left out.
  const withNpm = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), HOME: home };
  for (const line of [prefixLine as string, 'npm install -g .']) {
    const r = await exec('sh', ['-c', line], { cwd: ROOT, env: withNpm });
    expect(r.code, `${line}\n${r.stderr}`).toBe(0);
  }
  expect(existsSync(join(home, '.local', 'bin', 'source-openai-costs'))).toBe(true);
  // Step 2 of the README with the key filled in, as a reader does; base_url points at the fake.
  mkdirSync(join(home, 'spend'));
  const template = JSON.parse(readFileSync(join(ROOT, 'examples', 'production', 'openai.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(home, 'spend', 'openai.json'), JSON.stringify({ ...template, admin_api_key: KEY, base_url: `${fake.url}/v1` }), { mode: 0o600 });
}, 120_000);

afterAll(async () => {
  await fake?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

/** What the run loaded: rows per table of the OpenAI schema that the costs and spend streams fill. */
async function loaded(): Promise<{ costs: number; spend: number }> {
  const db = join(home, 'spend', 'spend.duckdb');
  const [row] = await query(db, 'SELECT (SELECT count(*) FROM openai.costs) AS costs, (SELECT count(*) FROM focus_spend) AS spend');
  return { costs: Number(row?.costs), spend: Number(row?.spend) };
}

function fresh(): void {
  for (const f of ['spend.duckdb', 'report.html']) rmSync(join(home, 'spend', f), { force: true });
}

describe('the README schedule recipes under a scheduler environment', () => {
  it('given the README install (npm prefix ~/.local) when a bare cron environment runs the binary by name then it is not found (exit 127): the recipes must say where it is', async () => {
    const r = await bare(home, ['sh', '-c', 'source-openai-costs --version']);
    expect(r.code).toBe(127);
  });

  it('given the crontab line of the README when cron runs it (sh -c, HOME and PATH=/usr/bin:/bin only) then it exits 0, loads rows and writes the report', async () => {
    const cron = blocks(section('Run it on a schedule'), 'cron');
    expect(cron).toHaveLength(1);
    const lines = (cron[0] as string).split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines).toHaveLength(1);
    const m = (lines[0] as string).match(/^(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+(.+)$/);
    expect(m?.[1]).toBe('15 6 * * *');
    const command = m?.[2] as string;
    // cron turns an unescaped % into a newline (the rest becomes stdin): the line must have none.
    expect(command).not.toContain('%');
    fresh();
    fake.requests.length = 0;
    const r = await bare(home, ['sh', '-c', command], ['SHELL=/bin/sh', 'LOGNAME=cron']);
    expect(r.code, r.stderr).toBe(0);
    expect(fake.count()).toBeGreaterThan(0);
    const rows = await loaded();
    expect(rows.costs).toBeGreaterThan(0);
    expect(rows.spend).toBeGreaterThan(0);
    expect(readFileSync(join(home, 'spend', 'report.html'), 'utf8')).toContain('<html');
  }, 300_000);

  it('given the systemd service of the README when its Exec lines run as systemd would (no shell, %h and Environment= applied, bare PATH) then both exit 0, load rows and write the report', async () => {
    const units = blocks(section('Run it on a schedule'), 'ini');
    const service = units.find((u) => u.startsWith('# spend-sync.service')) as string;
    const timer = units.find((u) => u.startsWith('# spend-sync.timer')) as string;
    expect(service).toBeDefined();
    // The timer names its zone, so it fires at 06:15 UTC whatever the machine's zone.
    expect(timer).toMatch(/^OnCalendar=\*-\*-\* 06:15:00 UTC$/m);
    const value = (line: string) => line.slice(line.indexOf('=') + 1).replaceAll('%h', home);
    const settings = service.split('\n');
    const vars = settings.filter((l) => l.startsWith('Environment=')).map(value);
    const execs = settings.filter((l) => /^ExecStart(Post)?=/.test(l)).map(value);
    expect(execs).toHaveLength(2);
    for (const e of execs) expect(e, 'systemd needs an absolute path or a plain word: no shell syntax').not.toMatch(/[$;&|"'<>~]/);
    fresh();
    for (const e of execs) {
      const argv = e.split(/\s+/);
      expect(argv[0]?.startsWith('/'), e).toBe(true);
      const r = await bare(home, argv, vars);
      expect(r.code, `${e}\n${r.stderr}`).toBe(0);
    }
    const rows = await loaded();
    expect(rows.costs).toBeGreaterThan(0);
    expect(rows.spend).toBeGreaterThan(0);
    expect(existsSync(join(home, 'spend', 'report.html'))).toBe(true);
  }, 300_000);
});
