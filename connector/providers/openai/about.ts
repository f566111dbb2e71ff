import type { ProviderAbout } from '../../connectors.js';

/** What the rest of the repository knows of this provider, found through its registry line (connector/connectors.ts). */
export const about: ProviderAbout = {
  displayName: 'OpenAI',
  source: async () => (await import('./index.js')).openAiSource,
  settle: {
    streams: ['spend', 'costs'],
    hours: 24,
    why: "today's bucket is partial and recent days' costs are revised later (latency undocumented; the sync re-reads a trailing window)",
  },
};
