import type { Connector } from '../../connector/connectors.js';
import type { FakeServer } from '../fake/server.js';

/**
 * What only the tests know about a provider: its test kit, test/fake/<provider>-kit.ts (beside its
 * fake), exporting `kit`. It is found through the registry (connector/connectors.ts) by the
 * provider's name, so the acceptance suite (test/acceptance/connectors.ts), the golden ids
 * (test/support/golden-ids.ts) and the fakes of the cross-provider tests (test/support/fakes.ts)
 * take every registered provider without naming one.
 */
export interface TestKit {
  /** The inputs CAT would take from acceptance-test-config.yml, and how to start the fake for them. */
  acceptance: AcceptanceKit;
  /** The least config the connector accepts (dates and key only): the golden ids map their cases with it. */
  minimalConfig: Record<string, unknown>;
  /**
   * A small fake over `days` days from `firstDay` (unix seconds) that takes `key` (not started); `now`
   * (milliseconds) its clock, for a test that runs as of a fixed instant (support/clock.ts), else Date.now.
   */
  fake(o: { firstDay: number; days: number; key: string; now?: () => number }): ProviderFake;
  /** `npm run fake-api -- --provider <provider>` (test/fake/cli.ts). */
  fakeApi: FakeApiKit;
  /** What the cross-provider end-to-end tests take (test/e2e/{base-url,errors,fail-fast,templates,focus-rules,all-connectors}.test.ts). */
  e2e: E2eKit;
}

/**
 * The provider specifics of the tests that assert what every connector does (test/e2e/base-url,
 * errors, fail-fast, templates, focus-rules, all-connectors): they iterate the registry and take
 * these, so a new provider is in them with no edit of theirs.
 */
export interface E2eKit {
  /** A key of the shape the connector's config accepts, a different one for each `tag` (a fake made with one refuses the others). */
  key(tag: string): string;
  /** A report stream with records on the days of `fake` (read full_refresh by the base_url and error tests). */
  dailyStream: string;
  /** The path every endpoint of the API starts with ('/v1'): base_url is accepted with or without it (and a trailing slash). */
  apiPath: string;
  /** Config fields beyond key, dates and base_url that a user sets for every stream to read: {} when none (a credit rate, say). */
  settings: Record<string, unknown>;
  /** The body the API answers a path it does not know with (HTTP 404). */
  notFoundBody: string;
  /** The config in examples/ that reads `npm run fake-api` (its fakeApi port and key), relative to the repository root. */
  exampleConfig: string;
  /**
   * A spend read for the FOCUS rules and the one-warehouse sync: a fake (not started) taking `key`, whose
   * days give Usage rows (and Credit rows where the API has credits), and the config that reads its spend
   * once it is started.
   */
  spend(key: string): SpendCase;
  /**
   * Optional: which of this provider's spend rows carry no count because its API gives none
   * (docs/focus.md "Where the APIs give no count"): the FOCUS rules that need a count are not held
   * on them, every other rule is. Absent: every row has its count (Anthropic's known gaps are
   * test/support/focus-rules.ts apiGivesNoCount).
   */
  noCount?: (row: Record<string, unknown>) => boolean;
}

/** A provider's fake with the config that reads its spend stream (call `config` once the fake listens). */
export interface SpendCase {
  fake: ProviderFake;
  config(): Record<string, unknown>;
  /**
   * Whether the API sends negative amounts (credits, refunds) that spend maps to Credit rows. true: the
   * fake sends some over these days and the FOCUS rules' Credit branch is checked on them; false (an API
   * with no credits): every spend row must be a Usage row.
   */
  credits: boolean;
}

/** How `npm run fake-api` serves a provider by hand: seeded data of `days` days up to today, kind (no planted amounts). */
export interface FakeApiKit {
  /** The default port (the examples/ configs use it). */
  port: number;
  /** The key it accepts by default (the examples/ configs use it). */
  key: string;
  /** One organization's fake: `seed` absent for the first. `projects` and `lineItems` are for a provider that has them. */
  make(o: { firstDay: number; today: number; days: number; key: string; seed?: number; projects: number; lineItems: number }): FakeServer;
  /** The line printed once it listens: what it serves, where, and with which key(s). */
  banner(o: { url: string; keys: string; orgs: number }): string;
}

/** A provider's fake API as the cross-provider tests use it. */
export type ProviderFake = FakeServer & { readonly baseUrl: string };

/** A started fake with the configs that read it. */
export interface Harness {
  /** A config that reads the fake's data; dates fixed in the past so reads are reproducible. */
  config: Record<string, unknown>;
  /** The same config with a key the fake refuses. */
  badKeyConfig: Record<string, unknown>;
  /** Values that must never appear in any output. */
  secrets: string[];
  stop(): Promise<void>;
}

export interface AcceptanceKit {
  /** The provider's API host (metadata allowedHosts). */
  apiHost: string;
  /** Config field holding the secret key. */
  keyField: string;
  /** Streams with no records against this fake (CAT empty_streams). */
  emptyStreams: string[];
  /** A short read for the image smoke test (scripts/test-image.sh): a few streams and their modes. */
  smokeStreams: ReadonlyArray<{ name: string; mode: 'full_refresh' | 'incremental' }>;
  /** CAT future_state_path: a state far in the future for every incremental stream. */
  futureState(incrementalStreams: readonly string[]): unknown[];
  /** Start the fake API on 127.0.0.1 (port 0: any free port). */
  start(port?: number): Promise<Harness>;
}

const FAR_FUTURE = Date.UTC(2100, 0, 1) / 1000;
/** Our per-stream state ({"version":2,"covered_from":0,"cursor":...}): everything read up to 2100-01-01, for each stream. */
export const farFuture = (streams: readonly string[]): unknown[] =>
  streams.map((name) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: { version: 2, covered_from: 0, cursor: FAR_FUTURE } } }));

/**
 * A config template (examples/production/<provider>.json) as a user fills it: each placeholder (a
 * string with REPLACE) that `settings` (a kit's `e2e.settings`) gives at the same place takes its
 * value; the rest stays as it is (the key is the caller's to set).
 */
export function fillTemplate(template: unknown, settings: unknown): unknown {
  if (typeof template === 'string') return template.includes('REPLACE') && settings !== undefined ? settings : template;
  if (typeof template !== 'object' || template === null || Array.isArray(template)) return template;
  const given = typeof settings === 'object' && settings !== null ? (settings as Record<string, unknown>) : {};
  return Object.fromEntries(Object.entries(template).map(([k, v]) => [k, fillTemplate(v, given[k])]));
}

/** "2025-10-01" -> unix seconds of its start (UTC). */
export const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

/** The test kit module of a provider: test/fake/<provider>-kit.ts. */
export const kitPath = (provider: string): string => `test/fake/${provider}-kit.ts`;

/** The test kit of a registered provider, or an error naming the file to write. */
export async function kitOf(c: Pick<Connector, 'name' | 'provider'>): Promise<TestKit> {
  let module: { kit?: TestKit };
  // The .ts file itself: vitest and tsx load it (a computed specifier, so no bundler rewrites it).
  const url = new URL(`../../${kitPath(c.provider)}`, import.meta.url).href;
  try {
    module = await import(url);
  } catch (err) {
    throw new Error(`${c.name}: no test kit: write ${kitPath(c.provider)} exporting \`kit: TestKit\` (test/support/kit.ts; docs/adding-a-provider.md)`, {
      cause: err,
    });
  }
  if (!module.kit) throw new Error(`${c.name}: ${kitPath(c.provider)} exports no \`kit\` (a TestKit, test/support/kit.ts)`);
  return module.kit;
}

/** The test kit of each connector of `registry`, by provider, in the registry's order. */
export async function kitsOf<P extends string>(registry: ReadonlyArray<Connector<P>>): Promise<Array<{ connector: Connector<P>; kit: TestKit }>> {
  return Promise.all(registry.map(async (connector) => ({ connector, kit: await kitOf(connector) })));
}
