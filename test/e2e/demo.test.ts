import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { anthropicFigureChecks } from '../support/warehouse.js';

/**
 * `npm run demo` (issue 16's done-when): both fakes synced into one file, focus_spend equal to each
 * provider's own total, a report of both. Run as the script itself (npm run demo = build + this; the
 * build is npm test's first step, and rebuilding dist/ here would race the other test files).
 */
let demoStderr = '';

/** A command line in a sandbox holding links to the checkout (as test/e2e/readme.test.ts does). */
function sh(line: string, cwd: string): ChildProcess {
  return spawn('bash', ['-euo', 'pipefail', '-c', line], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}
function finished(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.stdout?.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('npm run demo', () => {
  it('given no API key when the demo runs then it syncs OpenAI and Anthropic into one file, focus_spend equals each provider total exactly, and the report shows both with every Anthropic figure agreeing with every other over the same days', async () => {
    // Its own TMPDIR, so what it leaves in the temporary directory can be seen (issue 25: nothing).
    const tmp = mkdtempSync(join(tmpdir(), 'demo-test-'));
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], {
        cwd: ROOT,
        env: { ...process.env, TMPDIR: tmp },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
    // tsx (which runs the script) keeps its compile cache there, in tsx-<uid>; nothing else may stay.
    expect(readdirSync(tmp).filter((n) => !/^tsx-\d+$/.test(n))).toEqual([]);
    rmSync(tmp, { recursive: true, force: true });
    demoStderr = r.stderr;
    const checks = [...r.stderr.matchAll(/^ {2}(OpenAI|Anthropic): focus_spend (\S+) USD, own table (\S+) USD: (\w+)$/gm)];
    expect(checks.map((m) => m[1])).toEqual(['OpenAI', 'Anthropic']);
    for (const m of checks) {
      expect(m[2]).toBe(m[3]);
      expect(m[4]).toBe('equal');
      expect(Number(m[2])).toBeGreaterThan(0);
    }
    expect(r.stderr).toMatch(/report: wrote .*demo-report\.html: focus_spend, .*\(Anthropic, OpenAI\)/);
    expect(existsSync(join(ROOT, 'demo-report.html'))).toBe(true);

    // Issue 23's done-when: every Anthropic figure on the page agrees with every other over the same
    // days, exactly: its "By provider" row (last 90 days, month to date over its complete days, the
    // previous month's same days, the forecast) with the provider chart's CSV, and its cost by API key
    // and by person (every row, the cost_report days included) with that headline.
    const html = readFileSync(join(ROOT, 'demo-report.html'), 'utf8');
    const figures = anthropicFigureChecks(html);
    expect(figures.breakdowns).toEqual(['by-api-key', 'by-actor']);
    expect(figures.checks.length).toBeGreaterThanOrEqual(4 + 2 * 3);
    for (const c of figures.checks) expect(c.page, c.what).toBe(c.derived);
  }, 180_000);
  it('given the demo has run when the commands it prints to do the same by hand are run then the fakes start and both syncs and the report succeed', async () => {
    expect(demoStderr, 'the demo test above must pass first').not.toBe('');
    const lines =
      demoStderr
        .split(/\nThe same by hand[^\n]*\n/)[1]
        ?.split('\n')
        .filter((l) => l.startsWith('  '))
        .map((l) => l.trim()) ?? [];
    expect(lines).toEqual([
      'npm run fake-api',
      'npm run fake-api -- --provider anthropic',
      'node dist/providers/openai/main.js sync --config examples/config.json --db fake.duckdb',
      'node dist/providers/anthropic/main.js sync --config examples/anthropic/config.json --db fake.duckdb',
      'node dist/providers/openai/main.js report --db fake.duckdb --out report.html',
    ]);
    // The README shows the same lines (section "Try it without a key"), comments aside.
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.split(/^## /m).find((t) => t.startsWith('Try it without a key'));
    const shown = [...(section ?? '').matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '').find((b) => b.includes('--provider anthropic'));
    expect(
      shown
        ?.split('\n')
        .map((l) => l.replace(/#.*$/, '').trim())
        .filter((l) => l !== ''),
    ).toEqual(lines);
    // A sandbox of links to the checkout, with its own examples/: the one substitution is the fakes'
    // port (--port 0, any free one, written into the examples' base_url), since other tests may hold
    // 8787 and 8788 while this runs.
    const base = mkdtempSync(join(tmpdir(), 'demo-by-hand-'));
    const work = join(base, 'checkout');
    mkdirSync(work);
    for (const name of readdirSync(ROOT))
      if (!['.git', 'examples', 'fake.duckdb', 'report.html'].includes(name)) symlinkSync(join(ROOT, name), join(work, name));
    mkdirSync(join(work, 'examples', 'anthropic'), { recursive: true });
    const fakes: ChildProcess[] = [];
    try {
      for (const [line, example] of [
        [lines[0], 'config.json'],
        [lines[1], 'anthropic/config.json'],
      ] as const) {
        const child = sh(`exec ${line}${line?.includes(' -- ') ? '' : ' --'} --port 0`, work);
        fakes.push(child);
        child.stdout?.resume();
        const url = await new Promise<string>((resolve, reject) => {
          let err = '';
          child.stderr?.on('data', (b: Buffer) => {
            err += b.toString('utf8');
            const m = err.match(/ on (http:\/\/127\.0\.0\.1:\d+(?:\/v1)?) /);
            if (m) resolve(m[1] as string);
          });
          child.on('close', (code) => reject(new Error(`${line} exited ${code}: ${err}`)));
        });
        const config = JSON.parse(readFileSync(join(ROOT, 'examples', example), 'utf8')) as Record<string, unknown>;
        writeFileSync(join(work, 'examples', example), JSON.stringify({ ...config, base_url: url }));
      }
      for (const line of lines.slice(2)) {
        const r = await finished(sh(line, work));
        expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      }
      expect(existsSync(join(work, 'report.html'))).toBe(true);
      expect(existsSync(join(ROOT, 'fake.duckdb'))).toBe(false);
    } finally {
      for (const f of fakes) if (f.pid) process.kill(-f.pid, 'SIGTERM');
      rmSync(base, { recursive: true, force: true });
    }
  }, 180_000);
});
