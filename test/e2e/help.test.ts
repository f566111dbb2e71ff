import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, ROOT, errors, run, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';

/**
 * Help and usage errors of every binary, command and mode, and of `npm run fake-api`, through the
 * built CLIs. The flags each command takes are written out here (not read from
 * connector/cli/commands.ts): the help must list exactly them, and the parser must take every flag
 * the help lists and refuse one it does not.
 */
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const BOTH = ['--help', '--version'];
/** Each command's flags (a value placeholder after a flag that takes one), --help and --version aside. */
const FLAGS: Record<string, Record<string, string | null>> = {
  spec: {},
  check: { '--config': 'FILE', '--debug': null },
  discover: { '--config': 'FILE', '--debug': null },
  read: { '--config': 'FILE', '--catalog': 'FILE', '--state': 'FILE', '--state-out': 'FILE', '--dry-run': null, '--debug': null },
  sync: {
    '--config': 'FILE',
    '--db': 'FILE',
    '--streams': 'NAME,NAME',
    '--reset': 'NAME,NAME',
    '--reset-all': null,
    '--new-key': null,
    '--verbose': null,
    '--wait-lock': 'SECONDS',
    '--debug': null,
  },
  report: { '--db': 'FILE', '--out': 'FILE', '--days': 'N', '--wait-lock': 'SECONDS' },
  // Singer mode: flags without a command word; its flags are in the binary's own help.
  '': {
    '--config': 'FILE',
    '--discover': null,
    '--select': 'NAME,NAME',
    '--catalog': 'FILE',
    '--properties': 'FILE',
    '--state': 'FILE',
    '--about': null,
    '--debug': null,
  },
};
const COMMAND_WORDS = Object.keys(FLAGS).filter((c) => c !== '');
const NAMES = CONNECTORS.map((c) => [c.name, BINS[c.provider]] as const);
const NOT_A_FLAG = '--zz-not-a-flag';

/** The long flags an options table lists (lines "  [-x, ]--name [VALUE]  text"). */
function listedFlags(help: string, section = 'options:'): string[] {
  const from = help.indexOf(`\n${section}\n`);
  expect(from, `no "${section}" section in:\n${help}`).toBeGreaterThan(-1);
  const lines = help.slice(from + section.length + 2).split('\n');
  const end = lines.findIndex((l) => !l.startsWith('  '));
  return lines
    .slice(0, end === -1 ? undefined : end)
    .map((l) => /^ {2}(?:-[a-z], )?(--[a-z-]+)/.exec(l)?.[1])
    .filter((f): f is string => f !== undefined);
}

/** A usage error: exit 2, first stderr line `<prog>[ <command>]: <message>`, then usage lines, no stack. */
function expectUsageError(r: RunResult, prefix: string, message: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const [first, ...rest] = r.stderr.trimEnd().split('\n');
  expect(first).toMatch(new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
  expect(first).toMatch(message);
  expect(rest[0]).toMatch(/^usage: /);
  expect(rest.at(-1)).toMatch(/^Run '.* --help' for /);
  expect(r.stderr).not.toMatch(/^\s+at |node:internal|Error: |TypeError/m);
}

describe('--help and --version on every binary and command', () => {
  it.each(NAMES)('given %s --help or -h with no command when run then it lists every command and every Singer flag on stdout, exit 0', async (name, bin) => {
    for (const flag of ['--help', '-h']) {
      const r = await run(bin, [flag]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout.split('\n')[0]).toBe(`${name} ${VERSION}: an Airbyte and Singer source, and a loader into a local DuckDB file.`);
      for (const c of COMMAND_WORDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}( |$)`, 'm'));
      expect(listedFlags(r.stdout, 'Singer options:')).toEqual([...Object.keys(FLAGS['']!), ...BOTH]);
      for (const [f, v] of Object.entries(FLAGS['']!)) expect(r.stdout).toContain(v ? `${f} ${v}` : f);
    }
  });

  it.each(NAMES)('given %s COMMAND --help or -h when run then each command prints its usage and exactly its flags on stdout, exit 0', async (name, bin) => {
    const results = await Promise.all(
      COMMAND_WORDS.flatMap((c) => [
        run(bin, [c, '--help']).then((r) => ({ c, r })),
        // anywhere on the line, even after a flag that needs a value
        run(bin, [c, '--config', 'missing.json', '-h']).then((r) => ({ c, r })),
      ]),
    );
    for (const { c, r } of results) {
      expect(r.code, `${c}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^usage: ${name} ${c}( |\n)`));
      expect(listedFlags(r.stdout)).toEqual([...Object.keys(FLAGS[c]!), ...BOTH]);
      for (const [f, v] of Object.entries(FLAGS[c]!)) expect(r.stdout).toContain(v ? `${f} ${v}` : f);
      expect(r.stdout).toContain('-h, --help');
      expect(r.stdout).toContain('-v, --version');
    }
  });

  it.each(NAMES)(
    'given %s --version or -v, alone, on each command and in Singer mode, when run then it prints "<name> <version>" and exits 0',
    async (name, bin) => {
      const lines = [[], ...COMMAND_WORDS.map((c) => [c]), ['--config', 'missing.json']].flatMap((pre) => [
        [...pre, '--version'],
        [...pre, '-v'],
      ]);
      const results = await Promise.all(lines.map((argv) => run(bin, argv).then((r) => ({ argv, r }))));
      for (const { argv, r } of results) {
        expect({ argv, code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ argv, code: 0, stdout: `${name} ${VERSION}\n`, stderr: '' });
      }
    },
  );

  it('given every flag the help lists when parsed then the parser takes it (the error names a flag after it instead), for every command and Singer mode', async () => {
    const bin = BINS.openai;
    const cases = Object.entries(FLAGS).flatMap(([c, flags]) =>
      Object.entries(flags).map(([f, v]) => [...(c ? [c] : ['--config', 'c.json']), f, ...(v ? ['x'] : []), NOT_A_FLAG]),
    );
    const results = await Promise.all(cases.map((argv) => run(bin, argv).then((r) => ({ argv, r }))));
    for (const { argv, r } of results) {
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0], argv.join(' ')).toContain(`Unknown option '${NOT_A_FLAG}'`);
    }
  });
});

describe('usage errors: one line, the usage, exit 2, never a stack trace', () => {
  it.each(NAMES)(
    'given %s with an unknown flag, a flag without its value, a switch with a value or a stray argument on an Airbyte command when run then stderr has the line and the usage, stdout one TRACE ERROR config_error, exit 2',
    async (name, bin) => {
      const cases: Array<[string[], string, RegExp]> = [
        [['check', '--confg', 'c.json'], 'check', /Unknown option '--confg' for check; did you mean --config\?$/],
        [['discover', '--config'], 'discover', /Option --config needs a value: --config FILE\.$/],
        [['read', '--config', '--catalog', 'cat.json'], 'read', /Option --config needs a value: --config FILE\.$/],
        [['read', '--config', 'c.json', '--catalog', 'k.json', '--debug=yes'], 'read', /Option --debug takes no value/],
        [['spec', 'now'], 'spec', /Unexpected argument 'now'; spec takes no arguments\.$/],
        [['spec', '--config', 'c.json'], 'spec', /Unknown option '--config' for spec\.$/],
        [['read', '--config', 'c.json'], 'read', /--catalog FILE is required\.$/],
        [['check'], 'check', /--config FILE is required\.$/],
      ];
      for (const [argv, command, message] of cases) {
        const r = await run(bin, argv);
        expectUsageError(r, `${name} ${command}`, message);
        expect(r.stderr.split('\n')[1]).toMatch(new RegExp(`^usage: ${name} ${command}`));
        assertProtocol(r, { streams: [] });
        expect(r.messages).toHaveLength(1);
        expect(errors(r.messages)[0]?.trace.error.failure_type).toBe('config_error');
        expect(errors(r.messages)[0]?.trace.error.message).toMatch(message.source.endsWith('$') ? new RegExp(message.source.slice(0, -1)) : message);
      }
    },
  );

  it.each(NAMES)(
    "given %s with an unknown or no command when run then one line naming the commands (or the likely one), every command's usage, a TRACE ERROR, exit 2",
    async (name, bin) => {
      const typo = await run(bin, ['reed', '--config', 'c.json']);
      expectUsageError(typo, name, /Unknown command 'reed'; did you mean read\?$/);
      const unknown = await run(bin, ['upload']);
      expectUsageError(unknown, name, /Unknown command 'upload'; the commands are spec, check, discover, read, sync, report\.$/);
      const none = await run(bin, []);
      expectUsageError(none, name, /Missing command: one of spec, check, discover, read, sync, report\.$/);
      for (const r of [typo, unknown, none]) {
        for (const c of COMMAND_WORDS) expect(r.stderr).toMatch(new RegExp(`^(usage:| ) +${name} ${c}( |\n)`, 'm'));
        assertProtocol(r, { streams: [] });
        expect(errors(r.messages)).toHaveLength(1);
        expect(errors(r.messages)[0]?.trace.error.failure_type).toBe('config_error');
      }
      // --help on an unknown command is the same usage error, not a help page
      expectUsageError(await run(bin, ['reed', '--help']), name, /Unknown command 'reed'/);
    },
  );

  it('given sync and report with a bad command line when run then one line and the usage on stderr, nothing on stdout, exit 2', async () => {
    const name = 'source-openai-costs';
    const cases: Array<[string[], string, RegExp]> = [
      [['sync', '--config', 'c.json', '--catalog', 'x'], 'sync', /Unknown option '--catalog' for sync\.$/],
      [['sync', '--config', 'c.json', '--strems', 'costs'], 'sync', /Unknown option '--strems' for sync; did you mean --streams\?$/],
      [['sync', '--db', 'x.duckdb'], 'sync', /--config FILE is required\.$/],
      [['sync', '--config', 'c.json', '--db'], 'sync', /Option --db needs a value: --db FILE\.$/],
      [['report', '--days', 'ninety'], 'report', /--days must be a whole number of days between 1 and 3660, got 'ninety'\.$/],
      [['report', 'costs.duckdb'], 'report', /Unexpected argument 'costs\.duckdb'; report takes options only\.$/],
      [['report', '--days', '7', '--out'], 'report', /Option --out needs a value: --out FILE\.$/],
    ];
    for (const [argv, command, message] of cases) {
      const r = await run(BINS.openai, argv);
      expectUsageError(r, `${name} ${command}`, message);
      expect(r.stderr.split('\n')[1]).toMatch(new RegExp(`^usage: ${name} ${command}`));
      expect(r.stdout).toBe('');
    }
  });

  it('given Singer mode with a bad command line when run then one line and the Singer usage on stderr, nothing on stdout, exit 2', async () => {
    const name = 'source-anthropic-costs';
    const cases: Array<[string[], RegExp]> = [
      [['--config', 'c.json', '--dicsover'], /Unknown option '--dicsover'; did you mean --discover\?$/],
      [['--config', 'c.json', '--state'], /Option --state needs a value: --state FILE\.$/],
      [['--discover'], /--config FILE is required\.$/],
      [['--config', 'c.json', '--catalog', 'a.json', '--properties', 'b.json'], /Pass either --catalog or --properties, not both\.$/],
    ];
    for (const [argv, message] of cases) {
      const r = await run(BINS.anthropic, argv);
      expectUsageError(r, name, message);
      expect(r.stderr.split('\n')[1]).toBe(`usage: ${name} --config FILE --discover [--select NAME,NAME]`);
      expect(r.stdout).toBe('');
    }
  });
});

/** `npm run fake-api -- ARGS` (npm's own lines go to stdout before the script's). */
function fakeApi(args: string[], o: { npm?: boolean; until?: RegExp } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = o.npm
      ? spawn('npm', ['run', '--silent', 'fake-api', '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(join(ROOT, 'node_modules/.bin/tsx'), ['test/fake/cli.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      stderr += c;
      if (o.until?.test(stderr)) child.kill('SIGTERM');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const FAKE_FLAGS = ['--provider', '--port', '--days', '--projects', '--line-items', '--orgs', '--key', ...BOTH];

describe('npm run fake-api', () => {
  it('given --help, -h, --version or -v when run (through npm) then the usage with every flag, or the version, on stdout and exit 0', async () => {
    const viaNpm = await fakeApi(['--help'], { npm: true });
    expect(viaNpm.code, viaNpm.stderr).toBe(0);
    expect(viaNpm.stdout).toMatch(/^usage: npm run fake-api -- \[--provider NAME\] \[--port N\]/);
    expect(listedFlags(viaNpm.stdout)).toEqual(FAKE_FLAGS);
    const short = await fakeApi(['-h']);
    expect(short).toEqual({ code: 0, stdout: viaNpm.stdout, stderr: '' });
    for (const flag of ['--version', '-v']) expect(await fakeApi([flag])).toEqual({ code: 0, stdout: `fake-api ${VERSION}\n`, stderr: '' });
  });

  it('given a port that is in use when started then one line names the port and how to pick another, exit 2, no stack', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const r = await fakeApi(['--provider', 'anthropic', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `fake-api: port ${port} on 127.0.0.1 is in use (another fake API still running?); pick another with --port N, or --port 0 for any free port\n`,
      );
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });

  it('given bad flags when started then one line and the usage, exit 2; given --port 0 then it serves on a free port until SIGTERM, exit 0', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--porte', '1'], /^fake-api: Unknown option '--porte'; did you mean --port\?$/],
      [['--port'], /^fake-api: Option --port needs a value: --port N\.$/],
      [['--port', 'eighty'], /^fake-api: --port must be a whole number from 0 to 65535, got 'eighty'\.$/],
      // Every registered provider, in the registry's order.
      [['--provider', 'gemini'], new RegExp(`^fake-api: Unknown --provider 'gemini': use ${CONNECTORS.map((c) => c.provider).join(', ')}\\.$`)],
      [['openai'], /^fake-api: Unexpected argument 'openai'; options only, no command word here\.$/],
    ];
    for (const [argv, message] of cases) {
      const r = await fakeApi(argv);
      expect(r.code, r.stderr).toBe(2);
      const [first, second] = r.stderr.split('\n');
      expect(first).toMatch(message);
      expect(second).toMatch(/^usage: npm run fake-api -- /);
      expect(r.stderr).not.toMatch(/^\s+at |node:internal/m);
    }
    const served = await fakeApi(['--port', '0', '--days', '3'], { until: /Ctrl-C to stop\n/ });
    expect(served.stderr).toMatch(/^fake OpenAI admin API on http:\/\/127\.0\.0\.1:\d+\/v1 \(admin key sk-admin-fake-0123456789abcdef\); Ctrl-C to stop\n$/);
    expect(served.code).toBe(0);
  });
});
