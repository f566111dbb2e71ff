import { parseConfig } from './config.js';
import type { ErrorContext } from './errors.js';
import type { CommonConfig } from './read.js';
import { errorContext, type Account, type HttpSettings, type SourceDefinition } from './source.js';
import type { BucketStream, PlanSegment, StreamDef } from './stream.js';

/** The injected clock: the CLI passes the run's (cli/runtime.ts runClock), unit tests a fixed one. */
export interface Clock {
  now(): number;
  /** The instant the run started as, when it is not the real time (AI_SPEND_NOW); said in a LOG line. */
  readonly asOf?: string;
}

/** The account of a run before (or without) SourceDefinition.account: every config shares it. */
export const DEFAULT_ACCOUNT: Account = { id: 'default', name: null, from: 'default' };

/**
 * One run of `check`, `read`, `sync` or Singer mode: everything the config decides, resolved once
 * at the start (startRun) and passed down. The read loop, the planner and the HTTP client take
 * their values from here; no layer parses the config or derives the dates, the HTTP settings or a
 * stream's plans again (docs/architecture.md, Following start_date).
 *
 * The account and the spend rows' names take requests, so they are resolved after the start
 * (cli/runtime.ts resolveAccount, resolveNames): each gives a new Run whose `config` has them
 * applied (withConfig). They only fill the config's `focus` defaults, so the dates, HTTP settings
 * and error context stay the ones resolved at the start; the plans are derived again from the new
 * config, once per stream.
 */
export interface Run<C> {
  /** The parsed config; with the account and names applied once they are resolved. */
  readonly config: C;
  /** The shared date fields, checked and in unix seconds (SourceDefinition.common). */
  readonly common: CommonConfig;
  /** What the HTTP client is built with (SourceDefinition.http): base URL, headers, tuning. */
  readonly httpSettings: HttpSettings;
  readonly clock: Clock;
  /** How the errors of this run name their fix (the key hint, the base_url check on a 404). */
  readonly errorContext: ErrorContext;
  readonly streams: ReadonlyArray<StreamDef<C>>;
  /** Requests in flight at once, and the windows and streams read at once. */
  readonly concurrency: number;
  /** Decode worker threads asked for (config decode_threads); undefined: the default. */
  readonly decodeThreads: number | undefined;
  /** The account the key reads; DEFAULT_ACCOUNT until resolved. */
  readonly account: Account;
  /** The plans of a bucketed stream by date (BucketStream.segments, else its one plan), from `config`, once per stream. */
  segments(def: BucketStream<C>): readonly PlanSegment[];
  /** The same run with the account (and names) applied to its config. */
  withConfig(config: C, account?: Account): Run<C>;
}

/** The parts of a run; what is not given takes its default (a run without HTTP, in tests of the planner). */
export interface RunParts<C> {
  config: C;
  common: CommonConfig;
  clock: Clock;
  streams: ReadonlyArray<StreamDef<C>>;
  httpSettings?: HttpSettings;
  errorContext?: ErrorContext;
  decodeThreads?: number | undefined;
  account?: Account;
}

const NO_HTTP: HttpSettings = { baseUrl: 'http://127.0.0.1', headers: {}, timeoutMs: 60_000 };
const NO_HINTS: ErrorContext = { authHint: () => 'the key was refused' };

/** A run from its parts, resolved already. */
export function runOf<C>(p: RunParts<C>): Run<C> {
  const http = p.httpSettings ?? NO_HTTP;
  const plans = new Map<string, readonly PlanSegment[]>();
  return {
    config: p.config,
    common: p.common,
    httpSettings: http,
    clock: p.clock,
    errorContext: p.errorContext ?? NO_HINTS,
    streams: p.streams,
    concurrency: http.maxConcurrent ?? 1,
    decodeThreads: p.decodeThreads,
    account: p.account ?? DEFAULT_ACCOUNT,
    segments(def) {
      let found = plans.get(def.name);
      if (!found) {
        found = def.segments?.(p.config) ?? [{ plan: def.plan(p.config) }];
        plans.set(def.name, found);
      }
      return found;
    },
    withConfig(config, account) {
      return runOf({ ...p, config, ...(account ? { account } : {}) });
    },
  };
}

/**
 * The start of every run: the config parsed against the source's schema (`raw`: the --config
 * file's JSON, `file` its path for messages), its dates checked against the clock, the HTTP
 * settings and the error context derived, each once. The config's secrets go to `secrets` (the
 * list every output scrubs) as soon as it parses. Throws a config_error that says what to fix.
 */
export function startRun<C>(
  source: SourceDefinition<C>,
  raw: unknown,
  o: { clock: Clock; file?: string | undefined; secrets?: { add(secret: string): void } },
): Run<C> {
  const config = parseConfig(source.configSchema, raw, o.file);
  for (const s of source.secrets(config)) o.secrets?.add(s);
  const http = source.http(config);
  return runOf({
    config,
    common: source.common(config, o.clock.now()),
    clock: o.clock,
    streams: source.streams,
    httpSettings: http,
    errorContext: errorContext(source, config, http),
    decodeThreads: source.decodeThreads?.(config),
  });
}
