import { describe, expect, it } from 'vitest';
import { READ, SINGER, SYNC, UsageError, closest, helpOf, infoRequest, parseCommand, synopses } from '../../connector/cli/commands.js';

const usageError = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('no UsageError');
};

describe('command lines (connector/cli/commands.ts)', () => {
  it('given values inline, separate, repeated or a lone dash when parsed then each flag gets its value, in order', () => {
    expect(parseCommand(READ, ['read', '--config=c.json', '--catalog', 'k.json', '--state', '-'], 1)).toEqual({
      values: { config: 'c.json', catalog: 'k.json', state: '-' },
      positionals: ['read'],
    });
    expect(parseCommand(SYNC, ['--config', 'c.json', '--reset', 'a,b', '--reset=c', '--reset-all', '--verbose']).values).toEqual({
      config: 'c.json',
      reset: ['a,b', 'c'],
      'reset-all': true,
      verbose: true,
    });
    // a value that starts with a dash is taken only inline
    expect(parseCommand(READ, ['--config=-c.json', '--catalog=k.json']).values.config).toBe('-c.json');
    expect(usageError(() => parseCommand(READ, ['--config', '-c.json', '--catalog', 'k.json']))).toBe('Option --config needs a value: --config FILE.');
  });

  it('given a bad command line when parsed then a UsageError whose one line names the flag and the likely one', () => {
    expect(usageError(() => parseCommand(READ, ['--stat', 's.json']))).toBe("Unknown option '--stat' for read; did you mean --state?");
    expect(usageError(() => parseCommand(READ, ['-x']))).toBe("Unknown option '-x' for read.");
    expect(usageError(() => parseCommand(SINGER, ['--config', 'c', '--catalgo', 'k']))).toBe("Unknown option '--catalgo'; did you mean --catalog?");
    expect(usageError(() => parseCommand(SYNC, ['--config', 'c', '--verbose=1']))).toBe("Option --verbose takes no value (got '--verbose=1').");
    expect(usageError(() => parseCommand(SYNC, ['--db', 'x']))).toBe('--config FILE is required.');
    expect(usageError(() => parseCommand(SYNC, ['--config', 'c', 'extra']))).toBe("Unexpected argument 'extra'; sync takes options only.");
    expect(usageError(() => parseCommand(READ, ['--config', 'c', '--catalog', 'k', '--', '--state']))).toBe(
      "Unexpected argument '--state'; read takes options only.",
    );
  });

  it('given --help or --version anywhere before -- when asked then help wins over version; after -- they are arguments', () => {
    expect(infoRequest(['read', '--config', 'c', '-h'])).toBe('help');
    expect(infoRequest(['-v', '--help'])).toBe('help');
    expect(infoRequest(['sync', '-v'])).toBe('version');
    expect(infoRequest(['--', '--help'])).toBeNull();
    expect(infoRequest(['--helpful'])).toBeNull();
  });

  it('given a typo when matched then the closest name within a third of its length, else none', () => {
    expect(closest('confg', ['config', 'catalog', 'state'])).toBe('config');
    expect(closest('reed', ['spec', 'check', 'discover', 'read', 'sync', 'report'])).toBe('read');
    expect(closest('upload', ['spec', 'check', 'discover', 'read', 'sync', 'report'])).toBeUndefined();
  });

  it('given a declaration when its usage and help are written then the synopsis has each flag once and the options table every flag with --help and --version', () => {
    expect(synopses('x', READ)).toEqual(['x read --config FILE --catalog FILE [--state FILE] [--state-out FILE] [--dry-run] [--debug]']);
    expect(synopses('x', SYNC)[0]).toBe(
      'x sync --config FILE [--db FILE] [--streams NAME,NAME] [--reset NAME,NAME]... [--reset-all] [--new-key] [--verbose] [--wait-lock SECONDS] [--debug]',
    );
    expect(synopses('x', SINGER)).toEqual([
      'x --config FILE --discover [--select NAME,NAME]',
      'x --config FILE [--catalog FILE | --properties FILE] [--state FILE] [--debug]',
      'x --about',
    ]);
    const help = helpOf('x', READ);
    for (const flag of ['--config FILE', '--catalog FILE', '--state FILE', '--debug', '-h, --help', '-v, --version']) expect(help).toContain(`\n  ${flag}`);
  });
});
