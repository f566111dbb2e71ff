import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { anthropicFigureChecks } from '../support/warehouse.js';

/**
 * `npm run demo` (issue 16's done-when): both fakes synced into one file, focus_spend equal to each
 * provider's own total, a report of both. Run as the script itself (npm run demo = build + this; the
 * build is npm test's first step, and rebuilding dist/ here would race the other test files).
 */
describe('npm run demo', () => {
  it('given no API key when the demo runs then it syncs OpenAI and Anthropic into one file, focus_spend equals each provider total exactly, and the report shows both with every Anthropic figure agreeing with every other over the same days', async () => {
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
      const child = spawn(join(ROOT, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stderr }));
    });
    expect(r.code, r.stderr).toBe(0);
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
});
