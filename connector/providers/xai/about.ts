import type { ProviderAbout } from '../../connectors.js';

/** What the rest of the repository knows of this provider, found through its registry line (connector/connectors.ts). */
export const about: ProviderAbout = {
  displayName: 'xAI',
  source: async () => (await import('./index.js')).xaiSource,
  settle: {
    streams: ['spend', 'usage'],
    hours: 72,
    why: "today's usage is partial, and how late xAI's usage analytics settle is undocumented (UNKNOWN): a day counts as final three days after it ends",
  },
};
