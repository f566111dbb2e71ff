import type { SourceDefinition } from './engine/source.js';

/**
 * The one list of this repository's connectors. Everything that enumerates connectors takes them
 * from here: package.json "bin" and the Dockerfile's CONNECTOR case (written by `npm run generate`),
 * the generated connectors/<name>/spec.json and schemas/, the test support (test/support/cli.ts BINS)
 * and the acceptance suite; test/unit/contracts.test.ts fails when any of them disagrees.
 * A new provider is its own folder connector/providers/<provider>/ plus one line here
 * (docs/adding-a-provider.md).
 */
export interface Connector<P extends string = string> {
  /** Executable, image and metadata name (connectors/<name>/); the definition's `name` equals it. */
  readonly name: string;
  /** Its folder connector/providers/<provider>/: index.ts exports the definition, main.ts is the executable. */
  readonly provider: P;
  /** Loads the definition on demand, so listing the connectors loads no provider. */
  readonly source: () => Promise<SourceDefinition<unknown>>;
}

/** One line per connector. */
const LIST = [
  { name: 'source-openai-costs', provider: 'openai', source: async () => (await import('./providers/openai/index.js')).openAiSource },
  { name: 'source-anthropic-costs', provider: 'anthropic', source: async () => (await import('./providers/anthropic/index.js')).anthropicSource },
  { name: 'source-aurous-usage', provider: 'aurous', source: async () => (await import('./providers/aurous/index.js')).aurousSource },
] as const satisfies readonly Connector[];

export const CONNECTORS: ReadonlyArray<Connector<Provider>> = LIST;
/** The registered provider folders, as a type: a map keyed by it (the acceptance fixtures, the golden ids' configs) must name every connector. */
export type Provider = (typeof LIST)[number]['provider'];

/** The executable of a connector, relative to the package root (package.json "bin", the image's main.js). */
export const entryOf = (c: Pick<Connector, 'provider'>): string => `dist/providers/${c.provider}/main.js`;

/** Where a connector's metadata.yaml and generated contracts (spec.json, schemas/<stream>.json) live. */
export const contractsDirOf = (c: Pick<Connector, 'name'>): string => `connectors/${c.name}`;
