import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

/**
 * `npm run demo` (issue 16's done-when): both fakes synced into one file, focus_spend equal to each
 * provider's own total, a report of both. Run as the script itself (npm run demo = build + this; the
 * build is npm test's first step, and rebuilding dist/ here would race the other test files).
 */
describe('npm run demo', () => {
  it('given no API key when the demo runs then it syncs OpenAI and Anthropic into one file, focus_spend equals each provider total exactly, and the report shows both', async () => {
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
  }, 180_000);
});
