import { type CommandDecl, UsageError, helpOf, infoRequest, parseCommand, str, usageOf } from '../../connector/cli/commands.js';
import { CONNECTORS } from '../../connector/connectors.js';
import { VERSION } from '../../connector/version.js';
import { kitsOf, type FakeApiKit } from '../support/kit.js';
import { FakeOrganizations, type FakeServer, PortInUseError } from './server.js';

/**
 * Run a fake provider API by hand (`npm run fake-api -- --help`). Its command line is declared
 * like the connectors' (connector/cli/commands.ts): the parser and --help read the same list.
 */
const PROG = 'npm run fake-api --';
const DAY = 86_400;
/** Every registered provider's fake, from its test kit (test/fake/<provider>-kit.ts); the first is the default. */
const PROVIDERS = new Map<string, FakeApiKit>((await kitsOf(CONNECTORS)).map(({ connector, kit }) => [connector.provider, kit.fakeApi]));
const NAMES = [...PROVIDERS.keys()];
const listed = (xs: readonly string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : (xs[0] ?? ''));
const portOf = (name: string): number => PROVIDERS.get(name)?.port ?? 0;

export const FAKE_API: CommandDecl = {
  word: '',
  summary:
    'Serve a fake provider API on 127.0.0.1 with a seeded organization of --days days up to today, for trying the connectors without an account (the examples/ configs use its keys). Ctrl-C stops it.',
  flags: [
    { name: 'provider', value: 'NAME', help: listed([`${NAMES[0]} (default)`, ...NAMES.slice(1)]) },
    {
      name: 'port',
      value: 'N',
      help: `the port: ${NAMES.map((n, i) => (i === 0 ? `${portOf(n)} for ${n}` : `${portOf(n)} ${n}`)).join(', ')} by default; 0 for any free port`,
    },
    { name: 'days', value: 'N', help: 'days of data up to today (default 90)' },
    { name: 'projects', value: 'N', help: 'OpenAI projects (default 5; openai only)' },
    { name: 'line-items', value: 'N', help: 'OpenAI cost line items (default 8; openai only)' },
    {
      name: 'orgs',
      value: 'N',
      help: 'organizations served on the one port (default 1), each with its own data and key: the key, then the key with -org2, -org3... appended',
    },
    {
      name: 'key',
      value: 'KEY',
      help: `the key it accepts (default: ${[...PROVIDERS.values()].map((p) => p.key).join(', ')})`,
    },
  ],
  notes: ['Exit: 0 when stopped (Ctrl-C, SIGTERM) or after --help/--version; 2 bad command line or port in use.'],
};

const fail = (message: string, usage = true): never => {
  process.stderr.write(`fake-api: ${message}\n${usage ? usageOf(PROG, FAKE_API) : ''}`);
  process.exit(2);
};

/** A whole number option within bounds, or a usage error naming it. */
function whole(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (text.trim() === '' || !Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${text}'.`);
  return n;
}

const argv = process.argv.slice(2);
const info = infoRequest(argv);
if (info === 'help') {
  process.stdout.write(helpOf(PROG, FAKE_API));
  process.exit(0);
}
if (info === 'version') {
  process.stdout.write(`fake-api ${VERSION}\n`);
  process.exit(0);
}

interface Options {
  provider: FakeApiKit;
  port: number;
  days: number;
  projects: number;
  lineItems: number;
  orgs: number;
  key: string;
}

/** The command line's options, or exit 2 with the one line and the usage. */
function options(args: readonly string[]): Options {
  try {
    const { values } = parseCommand(FAKE_API, args);
    const name = str(values, 'provider') ?? NAMES[0] ?? '';
    const provider = PROVIDERS.get(name);
    if (!provider) throw new UsageError(`Unknown --provider '${name}': use ${NAMES.join(', ')}.`);
    return {
      provider,
      port: whole('port', str(values, 'port'), provider.port, 0, 65535),
      days: whole('days', str(values, 'days'), 90, 1, 3660),
      projects: whole('projects', str(values, 'projects'), 5, 0, 1000),
      lineItems: whole('line-items', str(values, 'line-items'), 8, 1, 1000),
      orgs: whole('orgs', str(values, 'orgs'), 1, 1, 20),
      key: str(values, 'key') ?? provider.key,
    };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    return fail(err.message);
  }
}

const o = options(argv);
const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
const firstDay = today - (o.days - 1) * DAY;
/** Organization i (from 1): its key, seed and identity; the first is the one --orgs 1 serves. */
const orgKey = (i: number): string => (i === 1 ? o.key : `${o.key}-org${i}`);
const organization = (i: number): FakeServer => {
  const key = orgKey(i);
  const seed = i === 1 ? undefined : 1000 + i;
  const one = o.provider.make({ firstDay, today, days: o.days, key, projects: o.projects, lineItems: o.lineItems, ...(seed === undefined ? {} : { seed }) });
  if (i > 1) one.organization = { id: `0f6e2b4c-5d3a-4e1f-9a8b-${String(i).padStart(12, '0')}`, name: `Fake Organization ${i}` };
  return one;
};
const fake: FakeServer =
  o.orgs === 1 ? organization(1) : new FakeOrganizations(Array.from({ length: o.orgs }, (_, i) => ({ key: orgKey(i + 1), fake: organization(i + 1) })));
const keys = Array.from({ length: o.orgs }, (_, i) => orgKey(i + 1)).join(', ');
// A port in use (PortInUseError) names the port and how to pick another: one line, exit 2, no stack.
const url = await fake
  .start(o.port)
  .catch((err: Error) =>
    fail(err instanceof PortInUseError ? `${err.message}; pick another with --port N, or --port 0 for any free port` : err.message, false),
  );
process.stderr.write(`${o.provider.banner({ url, keys, orgs: o.orgs })}\n`);
const stop = (): void => void fake.stop().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
