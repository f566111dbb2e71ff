import { VERSION } from '../version.js';
import { commonConfig } from './config.js';
import type { z } from 'zod';
import type { HttpClient } from '../http/client.js';
import type { CommonConfig } from './read.js';
import type { StreamDef } from './stream.js';

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
  http(config: C): { baseUrl: string; headers: Record<string, string>; timeoutMs: number; maxRetries?: number; maxConcurrent?: number; requestsPerMinute?: number | undefined };
  /** Shown on 401/403. */
  authHint: string;
  streams: ReadonlyArray<StreamDef<C>>;
  /** URL of the module that exports this definition (import.meta.url), so decode workers can load it; without it, pages are decoded on the main thread. */
  module?: string;
  /** Worker threads for decoding (config `decode_threads`); undefined: one per CPU, at most the request concurrency. */
  decodeThreads?(config: C): number | undefined;
  /** One cheap authenticated request; throws on failure. */
  check(http: HttpClient, config: C): Promise<void>;
}

const DOCS = 'https://github.com/ai-spend/connectors/blob/main/docs/integrations/sources';

/** What every source derives from its name: version, documentation page, the shared date fields. */
export const sourceIdentity = (name: string) => ({ name, version: VERSION, documentationUrl: `${DOCS}/${name}.md`, common: commonConfig });

/** Headers every request of a source carries besides its key. */
export const standardHeaders = (name: string): Record<string, string> => ({ accept: 'application/json', 'user-agent': `${name}/${VERSION}` });
