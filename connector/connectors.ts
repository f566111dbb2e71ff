import type { SourceDefinition } from './engine/source.js';

/**
 * The one list of this repository's connectors. Everything that enumerates connectors or providers
 * takes them from here: package.json "bin" and the Dockerfile's CONNECTOR case (written by `npm run
 * generate`), the generated connectors/<name>/spec.json and schemas/, the report (each provider's
 * name and settle rule, from its about.ts), the test support (test/support/cli.ts BINS, the fakes,
 * golden ids) and the acceptance suite (each provider's test kit, test/fake/<provider>-kit.ts);
 * test/unit/contracts.test.ts fails when any of them disagrees, and test/unit/registry.test.ts when
 * a provider is named outside its own files. A new provider is its folder connector/providers/<provider>/,
 * its fake, fixtures and docs, plus one line here (docs/adding-a-provider.md).
 */

/** What the rest of the repository knows of a provider: connector/providers/<provider>/about.ts. Loads no provider code. */
export interface ProviderAbout {
  /** How the report names the provider: the ServiceProviderName (ProviderName) of its spend rows. */
  readonly displayName: string;
  /** Loads the definition (index.ts) on demand. */
  readonly source: () => Promise<SourceDefinition<unknown>>;
  /**
   * When a day of its data is final, for the report's month to date, comparison and forecast
   * (docs/warehouse.md, "Complete through"): the streams whose cursor says what was read (first found
   * wins: spend, else the cost stream(s) of a sync before the spend stream), the hours after a UTC
   * day ends before its data counts as final, and why.
   */
  readonly settle: { readonly streams: readonly string[]; readonly hours: number; readonly why: string };
  /**
   * Its monthly invoices, when it has some: the report sets each month's invoiced subtotal against the
   * sum of its daily spend (docs/warehouse.md, "Invoices against daily usage"). Absent: no such table.
   */
  readonly invoices?: InvoiceTable;
}

/** Where a provider's invoices are and which columns the report reads (each must exist, else no table is shown). */
export interface InvoiceTable {
  /** The table, by its logical name in the connector's schema (as `sync` writes it). */
  readonly table: string;
  /** The billing cycle: its year and its month (1-12). Rows without them (not monthly) are left out. */
  readonly year: string;
  readonly month: string;
  /** The subtotal (before tax) in integer cents: the report moves the decimal point, never a float. */
  readonly subtotalCents: string;
  /** The invoice's status (PENDING, PAID, ...), shown as it is. */
  readonly status: string;
  /** The currency of the cents; the daily spend of the same currency is summed against them. */
  readonly currency: string;
  /** Why an invoice and its month's daily spend differ, for the page (the rounding gap). */
  readonly gap: string;
}

/** One line of the registry: what is needed before any of the provider's modules loads. */
export interface RegistryLine<P extends string = string> {
  /** Executable, image and metadata name (connectors/<name>/); the definition's `name` equals it. */
  readonly name: string;
  /** Its folder connector/providers/<provider>/ (index.ts the definition, main.ts the executable), its DuckDB schema and the name of its test kit. */
  readonly provider: P;
  /** Loads its about.ts (on demand: listing the connectors loads no provider). */
  readonly about: () => Promise<{ readonly about: ProviderAbout }>;
}

/** A registry line with its about.ts and definition one call away. */
export interface Connector<P extends string = string> {
  readonly name: string;
  readonly provider: P;
  readonly about: () => Promise<ProviderAbout>;
  /** Loads the definition on demand, so listing the connectors loads no provider. */
  readonly source: () => Promise<SourceDefinition<unknown>>;
}

/** One line per connector. */
const LIST = [
  { name: 'source-openai-costs', provider: 'openai', about: () => import('./providers/openai/about.js') },
  { name: 'source-anthropic-costs', provider: 'anthropic', about: () => import('./providers/anthropic/about.js') },
  { name: 'source-aurous-usage', provider: 'aurous', about: () => import('./providers/aurous/about.js') },
  { name: 'source-openrouter-costs', provider: 'openrouter', about: () => import('./providers/openrouter/about.js') },
  { name: 'source-xai-costs', provider: 'xai', about: () => import('./providers/xai/about.js') },
] as const satisfies readonly RegistryLine[];

/** A line as a Connector (tests build one for a scratch provider the same way). */
export function connectorOf<P extends string>(line: RegistryLine<P>): Connector<P> {
  const about = async (): Promise<ProviderAbout> => (await line.about()).about;
  return { name: line.name, provider: line.provider, about, source: async () => (await about()).source() };
}

/** The registered provider folders, as a type: a map keyed by it (test/support/cli.ts BINS) must name every connector. */
export type Provider = (typeof LIST)[number]['provider'];
export const CONNECTORS: ReadonlyArray<Connector<Provider>> = LIST.map((line) => connectorOf<Provider>(line));

/** The executable of a connector, relative to the package root (package.json "bin", the image's main.js). */
export const entryOf = (c: Pick<Connector, 'provider'>): string => `dist/providers/${c.provider}/main.js`;

/** Where a connector's metadata.yaml and generated contracts (spec.json, schemas/<stream>.json) live. */
export const contractsDirOf = (c: Pick<Connector, 'name'>): string => `connectors/${c.name}`;
