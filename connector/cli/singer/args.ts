import { parseArgs } from 'node:util';
import { COMMON_FLAGS, SINGER, UsageError, parseCommand, str } from '../commands.js';

/** Singer mode's flags as parseArgs options (declared in connector/cli/commands.ts, SINGER). */
const OPTIONS = Object.fromEntries([...SINGER.flags, ...COMMON_FLAGS].map((f) => [f.name, { type: f.value ? ('string' as const) : ('boolean' as const) }]));

/**
 * Flags only, no command word: Singer mode. Any positional (spec, check, discover, read, or a
 * typo) keeps the Airbyte CLI, which names an unknown command. No arguments at all: Airbyte usage.
 */
export function isSingerInvocation(argv: readonly string[]): boolean {
  if (argv.length === 0) return false;
  const { positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true });
  return positionals.length === 0;
}

export interface Flags {
  config?: string | undefined;
  state?: string | undefined;
  catalog?: string | undefined;
  properties?: string | undefined;
  /** --select: the streams --discover marks selected (names as typed, or 'all'). */
  select?: string[] | undefined;
  discover: boolean;
  about: boolean;
  debug: boolean;
}

/** Singer mode's command line, or a UsageError (connector/cli/commands.ts). */
export function parseFlags(argv: readonly string[]): Flags {
  const { values } = parseCommand(SINGER, argv);
  return {
    config: str(values, 'config'),
    state: str(values, 'state'),
    catalog: str(values, 'catalog'),
    properties: str(values, 'properties'),
    select: selectList(str(values, 'select')),
    discover: values.discover === true,
    about: values.about === true,
    debug: values.debug === true,
  };
}

/** --select's comma-separated names, blanks dropped; a value naming nothing is a usage error. */
function selectList(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  if (names.length === 0) throw new UsageError('--select needs stream names, e.g. --select costs,projects (or --select all).');
  return names;
}
