import { join } from 'node:path';
import { CONNECTORS as REGISTRY, type Provider } from '../../connector/connectors.js';
import { BINS, CONTRACTS } from '../support/cli.js';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { FakeOpenAi } from '../fake/openai.js';

/**
 * The connectors the acceptance suite (acceptance.test.ts) and the image smoke test
 * (scripts/test-image.sh via serve.ts) run against: every connector of the registry
 * (connector/connectors.ts), with how to start its fake API and the inputs CAT would take from
 * acceptance-test-config.yml (config, future state, empty streams).
 */
export interface Harness {
  /** A config that reads the fake's data; dates fixed in the past so reads are reproducible. */
  config: Record<string, unknown>;
  /** The same config with a key the fake refuses. */
  badKeyConfig: Record<string, unknown>;
  /** Values that must never appear in any output. */
  secrets: string[];
  stop(): Promise<void>;
}

export interface AcceptanceConnector {
  /** Executable, image and metadata name. */
  name: string;
  /** dist/providers/<provider>/main.js */
  provider: Provider;
  bin: string;
  /** The committed spec the `spec` output must equal (CAT spec_path). */
  specFile: string;
  /** The committed stream schemas. */
  schemaDir: string;
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

const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

/** What only the tests know about a connector: its fake API and CAT's inputs. The registry gives the rest. */
type Fixture = Omit<AcceptanceConnector, 'name' | 'provider' | 'bin' | 'specFile' | 'schemaDir'>;

const openai: Fixture = {
  apiHost: 'api.openai.com',
  keyField: 'admin_api_key',
  emptyStreams: [],
  smokeStreams: [
    { name: 'costs', mode: 'incremental' },
    { name: 'usage_completions', mode: 'incremental' },
    { name: 'projects', mode: 'full_refresh' },
  ],
  futureState: farFuture,
  async start(port = 0) {
    const key = 'sk-admin-acceptance-4f3e2d1c0b';
    const fake = new FakeOpenAi({ firstDay: day('2025-10-01'), days: 40, projects: 2, lineItems: 2, adminKey: key, extraProjects: 2, users: 3 });
    await fake.start(port);
    // 10-day windows: four checkpoints per report stream for test_read_sequential_slices.
    const config = { admin_api_key: key, start_date: '2025-10-01', end_date: '2025-11-09', base_url: fake.baseUrl, max_window_days: 10 };
    return { config, badKeyConfig: { ...config, admin_api_key: 'sk-admin-not-the-fake-key-42' }, secrets: [key], stop: () => fake.stop() };
  },
};

const anthropic: Fixture = {
  apiHost: 'api.anthropic.com',
  keyField: 'admin_api_key',
  emptyStreams: [],
  smokeStreams: [
    { name: 'cost_report', mode: 'incremental' },
    { name: 'workspaces', mode: 'full_refresh' },
  ],
  futureState: farFuture,
  async start(port = 0) {
    const key = 'sk-ant-admin01-acceptance-8e7d6c5b4a';
    // Relative to today: the analytics streams are served only for the last 365 days and from
    // 2026-01-01 on. 40 finished days, the last one yesterday (the same for every read of a run).
    const today = Math.floor(Date.now() / 86_400_000) * 86_400;
    const first = today - 40 * 86_400;
    const fake = new FakeAnthropic({ firstDay: first, days: 40, adminKey: key });
    await fake.start(port);
    const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
    const config = { admin_api_key: key, start_date: iso(first), end_date: iso(today - 86_400), base_url: fake.baseUrl };
    return { config, badKeyConfig: { ...config, admin_api_key: 'sk-ant-admin01-not-the-fake-key' }, secrets: [key], stop: () => fake.stop() };
  },
};

const aurous: Fixture = {
  apiHost: 'api.aurous-labs.com',
  keyField: 'api_key',
  emptyStreams: [],
  smokeStreams: [{ name: 'usage', mode: 'incremental' }],
  futureState: farFuture,
  async start(port = 0) {
    const key = 'al_live_acceptance_6b5a4c3d2e1f';
    const first = day('2026-06-01');
    // 120 days: the engine plans four windows, so four checkpoints for test_read_sequential_slices.
    const fake = new FakeAurous({ firstTime: first, endTime: first + 120 * 86_400, apiKey: key, users: 4, models: 2 });
    await fake.start(port);
    // The spend stream prices credits in USD: without a rate it fails as a config_error by design.
    const config = { api_key: key, start_date: '2026-06-01', end_date: '2026-09-28', base_url: fake.baseUrl, focus: { credit_usd_rate: '0.01' } };
    return { config, badKeyConfig: { ...config, api_key: 'al_live_refused_key_000000' }, secrets: [key], stop: () => fake.stop() };
  },
};

/** One fixture per registered provider: a connector added to the registry without one does not compile. */
const FIXTURES: Record<Provider, Fixture> = { openai, anthropic, aurous };

export const CONNECTORS: readonly AcceptanceConnector[] = REGISTRY.map((c) => ({
  name: c.name,
  provider: c.provider,
  bin: BINS[c.provider],
  specFile: join(CONTRACTS[c.provider], 'spec.json'),
  schemaDir: join(CONTRACTS[c.provider], 'schemas'),
  ...FIXTURES[c.provider],
}));

export function connectorByName(name: string): AcceptanceConnector {
  const c = CONNECTORS.find((x) => x.name === name);
  if (!c) throw new Error(`unknown connector '${name}': ${CONNECTORS.map((x) => x.name).join(', ')}`);
  return c;
}
