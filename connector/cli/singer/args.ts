import { parseArgs } from 'node:util';

/** The flags of Singer mode (https://github.com/singer-io/getting-started). */
const OPTIONS = {
  config: { type: 'string' },
  state: { type: 'string' },
  catalog: { type: 'string' },
  properties: { type: 'string' },
  discover: { type: 'boolean' },
  about: { type: 'boolean' },
  version: { type: 'boolean' },
  debug: { type: 'boolean' },
} as const;

export const USAGE = (name: string): string =>
  `usage (Singer): ${name} --config FILE --discover | ${name} --config FILE [--state FILE] [--catalog FILE | --properties FILE] [--debug] | ${name} --about | ${name} --version`;

/**
 * Flags only, no command word: Singer mode. Any positional (spec, check, discover, read, or a
 * typo) keeps the Airbyte CLI, which names an unknown command. No arguments at all: Airbyte usage.
 */
export function isSingerInvocation(argv: readonly string[]): boolean {
  if (argv.length === 0) return false;
  const { positionals } = parseArgs({ args: [...argv], options: OPTIONS, strict: false, allowPositionals: true });
  return positionals.length === 0;
}

export const parseFlags = (argv: string[]) => parseArgs({ args: argv, options: OPTIONS, strict: true, allowPositionals: false }).values;
export type Flags = ReturnType<typeof parseFlags>;
