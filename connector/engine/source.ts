import { VERSION } from '../version.js';
import { baseUrlVersionHint, commonConfig, httpTuning, type VersionIn } from './config.js';
import type { ErrorContext } from './errors.js';
import type { z } from 'zod';
import type { HttpClient } from '../http/client.js';
import type { CommonConfig } from './read.js';
import type { Clock } from './run.js';
import type { StreamDef } from './stream.js';
import { withFocusAccount, type FocusSettings } from './focus/focus.js';
import type { NamesSpec } from './focus/names.js';

/** Everything the CLI needs to know about one connector. Providers export one of these. */
export interface SourceDefinition<C> {
  /** Executable and image name, e.g. source-openai-costs. */
  name: string;
  version: string;
  documentationUrl: string;
  /** zod is the source of truth for the config; spec.json is generated from it. */
  configSchema: z.ZodType<C>;
  /** Shared date fields, checked (start <= end, start not after today by `nowMs`) and resolved to unix seconds. */
  common(config: C, nowMs: number): CommonConfig;
  /** Values to scrub from every output. */
  secrets(config: C): string[];
  http(config: C): HttpSettings;
  /** Shown on 401/403, by status; `config` is undefined when the error came before the config was read. */
  authHint(config: C | undefined, status: number | undefined): string;
  /** Where the API version goes (base_url or paths), so a 404 caused by a missing or doubled /v1 names the fix. */
  versionIn: VersionIn;
  streams: ReadonlyArray<StreamDef<C>>;
  /** URL of the module that exports this definition (import.meta.url): decode workers load it (a definition without it is refused when a read starts its workers). */
  module: string;
  /** Worker threads for decoding (config `decode_threads`); undefined: one per CPU, at most the request concurrency. */
  decodeThreads?(config: C): number | undefined;
  /**
   * One cheap authenticated request; throws on failure. `common`: the run's dates; `clock`: the run's
   * clock (engine/run.ts), for a check of a recent day (time.ts yesterday), never Date.now.
   */
  check(http: HttpClient, config: C, common: CommonConfig, clock: Clock): Promise<void>;
  /**
   * The account (organization, team) the config's key reads: the key of its rows and state in a
   * warehouse (sync), and the default BillingAccountId/Name of its spend rows. Resolved once per
   * run, before any stream (runtime.ts resolveAccount). Without it, every config is account 'default'.
   */
  account?: AccountSpec<C>;
  /**
   * The names of the ids of the spend rows (engine/focus/names.ts): read once per run, before the read,
   * only when spend is read (runtime.ts resolveNames). Without it, SubAccountName and the x_ name
   * columns are null.
   */
  names?: NamesSpec<C>;
}

/** What the HTTP client of a run is built with (SourceDefinition.http; resolved once per run, engine/run.ts). */
export interface HttpSettings {
  baseUrl: string;
  headers: Record<string, string>;
  timeoutMs: number;
  maxRetries?: number;
  maxConcurrent?: number;
  requestsPerMinute?: number | undefined;
}

/** The account a run reads: its id, its name where known, and where the id came from. */
export interface Account {
  id: string;
  name: string | null;
  /** api: the provider said so (trusted across keys); config: the user's field; default: neither (one account per file). */
  from: 'api' | 'config' | 'default';
}

/** How a source learns its account. */
export interface AccountSpec<C> {
  /** The config field that names the account ('organization_id'), for messages; null when only the API names it. */
  field: string | null;
  /** Where the id comes from, for messages: 'GET /v1/organizations/me', 'config organization_id'. */
  origin: string;
  /** At most one request; a failure is a ConnectorError. */
  resolve(http: HttpClient, config: C): Promise<Account>;
  /** The config with the account applied (the spend stream's default BillingAccountId and BillingAccountName). */
  apply(config: C, account: Account): C;
}

/**
 * The account of a provider whose API reveals none: the config `field` when set, else `fallback`
 * (the id every config without the field shares, so the warehouse refuses a second key under it).
 */
export function configAccount<C extends { focus: FocusSettings }>(field: string, fallback: string, value: (config: C) => string | undefined): AccountSpec<C> {
  return {
    field,
    origin: `config ${field}`,
    resolve: async (_http, config) => {
      const id = value(config);
      return id === undefined ? { id: fallback, name: null, from: 'default' } : { id, name: null, from: 'config' };
    },
    apply: withFocusAccount,
  };
}

const DOCS = 'https://github.com/ai-spend/connectors/blob/main/docs/integrations/sources';

/** The fields every config has (engine/config.ts sourceConfigSchema) that defineSource reads: the dates and the tuning. */
interface SharedConfig {
  start_date?: string | undefined;
  end_date?: string | undefined;
  lookback_days: number;
  request_timeout_seconds: number;
  max_retries: number;
  max_concurrent_requests: number;
  requests_per_minute?: number | undefined;
  decode_threads?: number | undefined;
}

/** What a provider declares itself: all of SourceDefinition but what defineSource derives, and its key's headers rather than the HTTP settings. */
export type ProviderSource<C> = Omit<SourceDefinition<C>, 'version' | 'documentationUrl' | 'common' | 'http' | 'decodeThreads' | 'module'> & {
  /** Where requests go and the headers that carry the key (and the API version); the standard headers and the tuning are added. */
  http(config: C): { baseUrl: string; headers: Record<string, string> };
  /** import.meta.url of the module that exports the definition, so decode workers can load it. */
  module: string;
};

/**
 * A source definition from what is the provider's own. What every source derives the same way
 * is filled in here, once: the version, the documentation page (from the name), the shared date
 * fields (commonConfig), the standard headers (accept, user-agent), the HTTP tuning and the decode
 * threads (from the tuning fields).
 */
export function defineSource<C extends SharedConfig>(p: ProviderSource<C>): SourceDefinition<C> {
  const standard = { accept: 'application/json', 'user-agent': `${p.name}/${VERSION}` };
  return {
    ...p,
    version: VERSION,
    documentationUrl: `${DOCS}/${p.name}.md`,
    common: commonConfig,
    http: (c) => {
      const own = p.http(c);
      return { baseUrl: own.baseUrl, headers: { ...own.headers, ...standard }, ...httpTuning(c) };
    },
    decodeThreads: (c) => c.decode_threads,
  };
}

/**
 * How the errors of a run name their fix: the provider's key hint, and the base_url check on a 404
 * (from the run's HTTP settings). Without a config (it failed to parse): the key hint alone.
 */
export function errorContext<C>(source: SourceDefinition<C>, config?: C, http?: HttpSettings): ErrorContext {
  return {
    authHint: (status) => source.authHint(config, status),
    notFoundHint: http === undefined ? undefined : baseUrlVersionHint(http.baseUrl, source.versionIn),
  };
}

/**
 * The 401/403 hint of a provider whose endpoints need an Admin key. A key that looks like one
 * was refused because it is wrong or revoked (401), or lacks a permission (403); any other key
 * (a proxy's, a test's) gets `needed`, which says what kind of key the endpoints take.
 */
export function adminKeyHint(o: { provider: string; prefix: string; key: string; createAt: string; needed: string }) {
  return (key: string | undefined, status: number | undefined): string => {
    if (!key?.startsWith(o.prefix)) return o.needed;
    if (status === 403) return `${o.provider} refused the ${o.key} for this endpoint: it lacks a permission; check the key at ${o.createAt}`;
    return `${o.provider} refused the ${o.key}: it is wrong or revoked; check admin_api_key, or create a new one at ${o.createAt}`;
  };
}
