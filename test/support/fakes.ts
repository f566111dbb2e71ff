import { createServer } from 'node:net';
import { CONNECTORS, type Provider } from '../../connector/connectors.js';
import { kitsOf, type ProviderFake } from './kit.js';

/** One fake per registered provider (connector/connectors.ts), by provider. */
export type ProviderFakes = Record<Provider, ProviderFake>;

const KITS = await kitsOf(CONNECTORS);

/**
 * Every registered provider's small fake (its test kit's `fake`) over the same days, each taking its
 * own key (default: its kit's fake-api key), all on the clock `now` when given (support/clock.ts).
 */
export function providerFakes(o: { firstDay: number; days: number; keys: Partial<Record<Provider, string>>; now?: () => number }): ProviderFakes {
  return Object.fromEntries(
    KITS.map(({ connector, kit }) => [
      connector.provider,
      kit.fake({ firstDay: o.firstDay, days: o.days, key: o.keys[connector.provider] ?? kit.fakeApi.key, ...(o.now ? { now: o.now } : {}) }),
    ]),
  ) as ProviderFakes;
}

export const startFakes = async (f: ProviderFakes): Promise<void> => {
  await Promise.all(Object.values<ProviderFake>(f).map((x) => x.start()));
};
export const stopFakes = async (f: ProviderFakes): Promise<void> => {
  await Promise.all(Object.values<ProviderFake>(f).map((x) => x.stop()));
};

/** A port nothing listens on: bound, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
