import { join } from 'node:path';
import { type Connector, CONNECTORS as REGISTRY, contractsDirOf, entryOf } from '../../connector/connectors.js';
import { ROOT } from '../support/cli.js';
import { type AcceptanceKit, kitsOf } from '../support/kit.js';

export type { Harness } from '../support/kit.js';

/**
 * The connectors the acceptance suite (acceptance.test.ts) and the image smoke test
 * (scripts/test-image.sh via serve.ts) run against: every connector of the registry
 * (connector/connectors.ts), with how to start its fake API and the inputs CAT would take from
 * acceptance-test-config.yml (config, future state, empty streams), from its test kit
 * (test/fake/<provider>-kit.ts, test/support/kit.ts).
 */
export interface AcceptanceConnector extends AcceptanceKit {
  /** Executable, image and metadata name. */
  name: string;
  /** Its folder connector/providers/<provider>/. */
  provider: string;
  /** dist/providers/<provider>/main.js */
  bin: string;
  /** The committed spec the `spec` output must equal (CAT spec_path). */
  specFile: string;
  /** The committed stream schemas. */
  schemaDir: string;
}

/** The acceptance inputs of every connector of `registry`: what the registry says, and the rest from its test kit. */
export async function acceptanceConnectors(registry: readonly Connector[]): Promise<AcceptanceConnector[]> {
  return (await kitsOf(registry)).map(({ connector: c, kit }) => ({
    name: c.name,
    provider: c.provider,
    bin: join(ROOT, entryOf(c)),
    specFile: join(ROOT, contractsDirOf(c), 'spec.json'),
    schemaDir: join(ROOT, contractsDirOf(c), 'schemas'),
    ...kit.acceptance,
  }));
}

export const CONNECTORS: readonly AcceptanceConnector[] = await acceptanceConnectors(REGISTRY);

export function connectorByName(name: string): AcceptanceConnector {
  const c = CONNECTORS.find((x) => x.name === name);
  if (!c) throw new Error(`unknown connector '${name}': ${CONNECTORS.map((x) => x.name).join(', ')}`);
  return c;
}
