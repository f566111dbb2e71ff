import { createServer } from 'node:net';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';

export type Provider = 'openai' | 'anthropic' | 'aurous';
export interface ThreeFakes {
  openai: FakeOpenAi;
  anthropic: FakeAnthropic;
  aurous: FakeAurous;
}

/** The three providers' fakes over the same days, small (OpenAI: two projects, two line items), each taking its own key. */
export function threeFakes(o: { firstDay: number; days: number; keys: Record<Provider, string> }): ThreeFakes {
  return {
    openai: new FakeOpenAi({ firstDay: o.firstDay, days: o.days, projects: 2, lineItems: 2, adminKey: o.keys.openai }),
    anthropic: new FakeAnthropic({ firstDay: o.firstDay, days: o.days, adminKey: o.keys.anthropic }),
    aurous: new FakeAurous({ firstTime: o.firstDay, endTime: o.firstDay + o.days * DAY, apiKey: o.keys.aurous }),
  };
}

export const startFakes = async (f: ThreeFakes): Promise<void> => {
  await Promise.all([f.openai.start(), f.anthropic.start(), f.aurous.start()]);
};
export const stopFakes = async (f: ThreeFakes): Promise<void> => {
  await Promise.all([f.openai.stop(), f.anthropic.stop(), f.aurous.stop()]);
};

/** A port nothing listens on: bound, then closed. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
