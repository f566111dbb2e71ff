import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { usageTraceWanted } from '../../connector/cli/main.js';
import { BINS, run } from '../support/cli.js';

/**
 * A usage error on a terminal (issue 25, point 12): a person reads it, so only the human line and
 * the usage, no JSON TRACE line before them; piped (Airbyte, a script) stdout still gets its TRACE
 * ERROR config_error. Exit 2 either way (docs/cli.md, Usage errors).
 */

/** Run a command on a pseudo-terminal (util-linux `script`): stdout and stderr are a TTY, merged. */
function onTerminal(argv: string[]): Promise<{ code: number | null; output: string }> {
  const quoted = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qec', `stty cols 300; ${quoted}`, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const HUMAN = [
  "source-openai-costs read: Unknown option '--stat' for read; did you mean --state?",
  'usage: source-openai-costs read --config FILE --catalog FILE [--state FILE] [--state-out FILE] [--dry-run] [--debug]',
  "Run 'source-openai-costs read --help' for what each option does.",
];

describe('usage errors on a terminal', () => {
  it('given stdout a terminal or not when deciding then the TRACE ERROR is written only when it is not', () => {
    expect([true, false, undefined].map(usageTraceWanted)).toEqual([false, true, true]);
  });

  it('given a mistyped option on a terminal when run then only the human lines are printed, no JSON, exit 2; piped, stdout holds one TRACE ERROR config_error', async () => {
    const tty = await onTerminal([process.execPath, BINS.openai, 'read', '--stat', 'x']);
    expect(tty.code).toBe(2);
    expect(tty.output.replace(/\r\n/g, '\n')).toBe(`${HUMAN.join('\n')}\n`);
    const piped = await run(BINS.openai, ['read', '--stat', 'x']);
    expect(piped.code).toBe(2);
    expect(piped.stderr).toBe(`${HUMAN.join('\n')}\n`);
    expect(piped.messages.map((m) => [m.type, m.trace?.error?.failure_type])).toEqual([['TRACE', 'config_error']]);
  });
});
