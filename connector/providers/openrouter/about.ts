import type { ProviderAbout } from '../../connectors.js';

/** What the rest of the repository knows of this provider, found through its registry line (connector/connectors.ts). */
export const about: ProviderAbout = {
  displayName: 'OpenRouter',
  source: async () => (await import('./index.js')).openrouterSource,
  settle: {
    streams: ['spend', 'activity'],
    hours: 1,
    why: 'OpenRouter buckets activity by request start; a UTC day is final about 30 minutes after midnight (an earlier reference text): 1 hour',
  },
};
