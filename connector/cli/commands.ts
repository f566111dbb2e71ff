import { parseArgs } from 'node:util';

/**
 * Every command line of the connectors, declared once: the parser reads its flags from here and
 * `--help` prints them from here, so the two cannot drift. One declaration per command word
 * (spec, check, discover, read, sync, report) and one for Singer mode (flags without a command
 * word); test/fake/cli.ts declares `npm run fake-api` the same way.
 *
 * A usage error (an unknown option, an option without its value, a value given to a switch, a
 * stray argument, an unknown or missing command, a required option left out) is a UsageError:
 * the CLI prints one line naming it, then the command's usage, on stderr, and exits 2 (Airbyte
 * commands also write it as a TRACE ERROR config_error on stdout, see connector/cli/main.ts).
 * --help/-h and --version/-v are accepted by every command and print to stdout, exit 0.
 */
export interface FlagDecl {
  /** The long name, without dashes. */
  readonly name: string;
  readonly short?: string;
  /** What the value is (FILE, N, NAME,NAME); absent for a switch. */
  readonly value?: string;
  /** May be given more than once (values are collected in order). */
  readonly multiple?: boolean;
  /** The command refuses to run without it (a usage error). */
  readonly required?: boolean;
  readonly help: string;
}

export interface CommandDecl {
  /** The command word; '' for a command line of flags only (Singer mode, the fake API). */
  readonly word: string;
  /** What it does, one sentence. */
  readonly summary: string;
  readonly flags: readonly FlagDecl[];
  /** Synopses (after the program name) where flags exclude each other; generated from `flags` when absent. */
  readonly synopses?: readonly string[];
  /** Lines printed after the options (exit codes, where output goes). */
  readonly notes?: readonly string[];
}

export const HELP_FLAG: FlagDecl = { name: 'help', short: 'h', help: 'print this help and exit' };
export const VERSION_FLAG: FlagDecl = { name: 'version', short: 'v', help: 'print the version and exit' };
/** Accepted by every command, whatever else is on the line. */
export const COMMON_FLAGS: readonly FlagDecl[] = [HELP_FLAG, VERSION_FLAG];

const CONFIG: FlagDecl = { name: 'config', value: 'FILE', required: true, help: "the connector's config (JSON); its fields: the `spec` command" };
const DEBUG: FlagDecl = { name: 'debug', help: 'log at debug level (also LOG_LEVEL=debug)' };

const AIRBYTE_OUTPUT = 'Output: Airbyte protocol messages on stdout, one JSON object a line.';
const AIRBYTE_EXITS = 'Exit: 0 done; 1 failed (a TRACE ERROR says why and whether it is config_error, system_error or transient_error); 2 bad command line.';

export const SPEC: CommandDecl = {
  word: 'spec',
  summary: "Print the connector's specification: the config schema (one SPEC message).",
  flags: [],
  notes: [AIRBYTE_OUTPUT],
};

export const CHECK: CommandDecl = {
  word: 'check',
  summary: 'Check the config and the credentials with one request (one CONNECTION_STATUS message).',
  flags: [CONFIG, DEBUG],
  notes: [AIRBYTE_OUTPUT, 'Exit: 0 with status SUCCEEDED or FAILED (the message says what to fix); 2 bad command line.'],
};

export const DISCOVER: CommandDecl = {
  word: 'discover',
  summary: 'List the streams with their JSON schemas, sync modes and primary keys (one CATALOG message).',
  flags: [CONFIG, DEBUG],
  notes: [AIRBYTE_OUTPUT, AIRBYTE_EXITS],
};

export const READ: CommandDecl = {
  word: 'read',
  summary: "Read the catalog's streams: RECORD messages, a STATE after each completed window, stream statuses.",
  flags: [
    CONFIG,
    { name: 'catalog', value: 'FILE', required: true, help: 'the configured catalog (JSON): the streams to read and their sync modes' },
    { name: 'state', value: 'FILE', help: 'the last STATE message(s) of a previous read (JSON): read incrementally from there' },
    {
      name: 'state-out',
      value: 'FILE',
      help: "after the read, write every stream's last STATE there, in the form --state takes (also when a stream failed)",
    },
    { name: 'dry-run', help: "send nothing: list each stream's windows and the request of each as LOG messages, exit 0" },
    DEBUG,
  ],
  notes: [AIRBYTE_OUTPUT, AIRBYTE_EXITS],
};

export const SYNC: CommandDecl = {
  word: 'sync',
  summary: 'Read into a local DuckDB file: one table per stream merged by primary key, the state stored with the rows.',
  flags: [
    CONFIG,
    { name: 'db', value: 'FILE', help: 'the DuckDB file to create or update (default costs.duckdb)' },
    { name: 'streams', value: 'NAME,NAME', help: 'only these streams (default: every stream)' },
    { name: 'reset', value: 'NAME,NAME', multiple: true, help: "drop these streams' rows and state first, then re-read them from start_date" },
    { name: 'reset-all', help: 'reset every stream this sync reads' },
    {
      name: 'new-key',
      help: "the config's key replaces the one its account was loaded with (a rotated key of the same organization): accept it",
    },
    { name: 'verbose', help: 'a line per committed window' },
    {
      name: 'wait-lock',
      value: 'SECONDS',
      help: 'when another process has the database open (a sync, the DuckDB shell, a BI tool), retry for up to SECONDS, 0 to 86400 (default 0: exit 3 at once)',
    },
    DEBUG,
  ],
  notes: [
    'Output: progress and one summary line per stream on stderr; nothing on stdout. Needs @duckdb/node-api (an optional dependency).',
    'Exit: 0 every stream loaded; 1 a stream failed or interrupted (the next sync resumes); 2 bad command line or config; 3 database open in another process (a sync, the DuckDB shell, a BI tool), nothing changed; 4 database error.',
  ],
};

export const REPORT: CommandDecl = {
  word: 'report',
  summary: 'Write a static HTML spend report (no script, nothing fetched) from a database that sync wrote.',
  flags: [
    { name: 'db', value: 'FILE', help: 'the DuckDB file to read, read-only (default costs.duckdb)' },
    { name: 'out', value: 'FILE', help: 'the page to write (default report.html)' },
    { name: 'days', value: 'N', help: 'days shown, 1 to 3660 (default 90)' },
    {
      name: 'wait-lock',
      value: 'SECONDS',
      help: 'when another process has the database open (a sync, the DuckDB shell, a BI tool), retry for up to SECONDS, 0 to 86400 (default 0: exit 3 at once)',
    },
  ],
  notes: [
    'Exit: 0 page written; 2 bad command line or no such database; 3 database open for writing in another process (a sync, the DuckDB shell, a BI tool); 4 database error.',
  ],
};

/** The command words of the Airbyte CLI, in the order help lists them. */
export const COMMANDS: readonly CommandDecl[] = [SPEC, CHECK, DISCOVER, READ, SYNC, REPORT];

/** Singer mode (https://github.com/singer-io/getting-started): the same binary with flags and no command word. */
export const SINGER: CommandDecl = {
  word: '',
  summary: 'Singer mode (a tap for Meltano and Singer targets): flags and no command word.',
  flags: [
    { name: 'config', value: 'FILE', help: "the connector's config (JSON); required but with --about" },
    { name: 'discover', help: 'print the Singer catalog of every stream and exit' },
    { name: 'select', value: 'NAME,NAME', help: 'with --discover: mark these streams (or all) selected in the catalog it prints' },
    { name: 'catalog', value: 'FILE', help: 'the streams to sync: a Singer catalog whose streams are marked selected' },
    { name: 'properties', value: 'FILE', help: 'the same as --catalog (the older name); not both' },
    { name: 'state', value: 'FILE', help: 'the last Singer STATE value of a previous sync: sync incrementally from there' },
    { name: 'about', help: 'print name, version, capabilities and config schema as JSON and exit' },
    DEBUG,
  ],
  synopses: ['--config FILE --discover [--select NAME,NAME]', '--config FILE [--catalog FILE | --properties FILE] [--state FILE] [--debug]', '--about'],
  notes: [
    'Output: SCHEMA, RECORD and STATE messages on stdout; logs on stderr.',
    'Exit: 0 done; 1 failed (a CRITICAL line on stderr says why); 2 bad command line.',
  ],
};

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The synopses of a command, each after `prog`. */
export function synopses(prog: string, cmd: CommandDecl): string[] {
  const head = cmd.word ? `${prog} ${cmd.word}` : prog;
  if (cmd.synopses) return cmd.synopses.map((s) => `${head} ${s}`);
  const parts = cmd.flags.map((f) => {
    const text = f.value ? `--${f.name} ${f.value}` : `--${f.name}`;
    return f.required ? text : f.multiple ? `[${text}]...` : `[${text}]`;
  });
  return [[head, ...parts].join(' ')];
}

/** What a usage error prints after its one line: the synopses and where the rest is. */
export function usageOf(prog: string, cmd: CommandDecl): string {
  const lines = synopses(prog, cmd);
  const more = cmd.word ? `${prog} ${cmd.word} --help` : `${prog} --help`;
  return `usage: ${lines.join(`\n       `)}\nRun '${more}' for what each option does.\n`;
}

const flagLabel = (f: FlagDecl): string => `${f.short ? `-${f.short}, ` : ''}--${f.name}${f.value ? ` ${f.value}` : ''}`;

/** Two columns: labels padded to the longest (at most 28), text after. */
function table(rows: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.min(28, Math.max(...rows.map(([l]) => l.length)));
  return rows.map(([l, t]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${t}` : `  ${l.padEnd(width)}  ${t}`)).join('\n');
}

/** The options of a command, its own then --help and --version, as a two-column table. */
export function optionsTable(cmd: CommandDecl): string {
  return table([...cmd.flags, ...COMMON_FLAGS].map((f) => [flagLabel(f), `${f.help}${f.required ? ' (required)' : ''}`] as const));
}

/** The full help of one command. */
export function helpOf(prog: string, cmd: CommandDecl): string {
  const lines = synopses(prog, cmd);
  const parts = [`usage: ${lines.join('\n       ')}`, '', cmd.summary, '', 'options:', optionsTable(cmd)];
  if (cmd.notes?.length) parts.push('', ...cmd.notes);
  return `${parts.join('\n')}\n`;
}

/** Words joined by ', ', wrapped to lines of at most `width` characters, each indented by `indent`. */
function wrap(words: readonly string[], indent: string, width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const [i, w] of words.entries()) {
    const piece = `${w}${i < words.length - 1 ? ',' : ''}`;
    if (line && indent.length + line.length + 1 + piece.length > width) {
      lines.push(`${indent}${line}`);
      line = piece;
    } else line = line ? `${line} ${piece}` : piece;
  }
  if (line) lines.push(`${indent}${line}`);
  return lines;
}

/**
 * The help of a connector binary: every command with its synopsis and what it does, then Singer
 * mode's options in full (it has no command word to ask for help on).
 */
export function programHelp(prog: string, version: string, streams: readonly string[]): string {
  const parts = [
    `${prog} ${version}: an Airbyte and Singer source, and a loader into a local DuckDB file.`,
    `Streams (${streams.length}):`,
    ...wrap(streams, '  '),
    '',
    `usage: ${prog} COMMAND [OPTIONS]`,
    `       ${prog} --config FILE [OPTIONS]    (Singer mode)`,
    '',
    'commands:',
    ...COMMANDS.flatMap((c) => [`  ${synopses(prog, c)[0]?.slice(prog.length + 1) ?? c.word}`, `      ${c.summary}`]),
    '',
    `Run '${prog} COMMAND --help' for what each option of a command does.`,
    '',
    SINGER.summary,
    ...synopses(prog, SINGER).map((s) => `  ${s}`),
    '',
    'Singer options:',
    optionsTable(SINGER),
    '',
    ...(SINGER.notes ?? []),
  ];
  return `${parts.join('\n')}\n`;
}

/** `--help`/`-h` or `--version`/`-v` anywhere before a `--`: what the command line asks for instead of running. */
export function infoRequest(argv: readonly string[]): 'help' | 'version' | null {
  const end = argv.indexOf('--');
  const args = end === -1 ? argv : argv.slice(0, end);
  if (args.some((a) => a === '--help' || a === '-h')) return 'help';
  if (args.some((a) => a === '--version' || a === '-v')) return 'version';
  return null;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The closest of `known` to `word`, if it is a likely typo of it. */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of known) {
    const d = distance(word, name);
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (best === undefined || d < best.d)) best = { name, d };
  }
  return best?.name;
}

export type Values = Record<string, string | boolean | string[] | undefined>;

/**
 * Parse `argv` against a declaration: the option values and the positional arguments (at most
 * `positionals` of them). Throws a UsageError with a one-line message. --help and --version are
 * expected to be handled before (infoRequest); here they are accepted and ignored.
 */
export function parseCommand(cmd: CommandDecl, argv: readonly string[], positionals = 0): { values: Values; positionals: string[] } {
  const flags = [...cmd.flags, ...COMMON_FLAGS];
  const byName = new Map<string, FlagDecl>();
  for (const f of flags) {
    byName.set(f.name, f);
    if (f.short) byName.set(f.short, f);
  }
  const options = Object.fromEntries(
    flags.map((f) => [f.name, { type: f.value ? ('string' as const) : ('boolean' as const), ...(f.short ? { short: f.short } : {}) }]),
  );
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Values = {};
  const rest: string[] = [];
  const where = cmd.word ? ` for ${cmd.word}` : '';
  for (const t of tokens) {
    if (t.kind === 'positional') {
      if (rest.length >= positionals) {
        const only = cmd.flags.length > 0 ? 'options only' : 'no arguments';
        const hint = cmd.word ? `; ${cmd.word} takes ${only}` : '; options only, no command word here';
        throw new UsageError(`Unexpected argument '${t.value}'${hint}.`);
      }
      rest.push(t.value);
      continue;
    }
    if (t.kind !== 'option') continue;
    const f = byName.get(t.name);
    if (!f) {
      const guess = closest(
        t.name,
        flags.map((x) => x.name),
      );
      throw new UsageError(`Unknown option '${t.rawName}'${where}${guess ? `; did you mean --${guess}?` : '.'}`);
    }
    if (f.value) {
      const v = t.value;
      if (v === undefined || (!t.inlineValue && v.startsWith('-') && v !== '-')) {
        throw new UsageError(`Option --${f.name} needs a value: --${f.name} ${f.value}.`);
      }
      if (f.multiple) values[f.name] = [...((values[f.name] as string[] | undefined) ?? []), v];
      else values[f.name] = v;
    } else {
      if (t.inlineValue) throw new UsageError(`Option --${f.name} takes no value (got '${t.rawName}=${t.value ?? ''}').`);
      values[f.name] = true;
    }
  }
  for (const f of cmd.flags) {
    if (f.required && values[f.name] === undefined) throw new UsageError(`--${f.name}${f.value ? ` ${f.value}` : ''} is required.`);
  }
  return { values, positionals: rest };
}

/** The value of a string option. */
export const str = (values: Values, name: string): string | undefined => {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
};
