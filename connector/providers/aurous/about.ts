import type { ProviderAbout } from '../../connectors.js';

/** What the rest of the repository knows of this provider, found through its registry line (connector/connectors.ts). */
export const about: ProviderAbout = {
  displayName: 'Aurous Labs',
  source: async () => (await import('./index.js')).aurousSource,
  settle: {
    streams: ['spend', 'usage'],
    hours: 24,
    why: "today's usage is partial; arrival latency is undocumented",
  },
};
