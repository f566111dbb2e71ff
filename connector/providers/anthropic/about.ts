import type { ProviderAbout } from '../../connectors.js';

/** What the rest of the repository knows of this provider, found through its registry line (connector/connectors.ts). */
export const about: ProviderAbout = {
  displayName: 'Anthropic',
  source: async () => (await import('./index.js')).anthropicSource,
  settle: {
    streams: ['spend', 'analytics_cost', 'cost_report'],
    hours: 24,
    why: 'the cost report never holds today and lags about a day; the analytics API lands data within 4 hours, at most 24',
  },
};
