import type { ProviderAbout } from '../../connector/connectors.js';

/**
 * A scratch provider for test/unit/registry.test.ts, laid out as a real one: this folder stands for
 * connector/providers/toy/ (about.ts, index.ts), test/fake/toy.ts is its fake and
 * test/fake/toy-kit.ts its test kit. Never in the registry: the test adds its line to a copy.
 */
export const about: ProviderAbout = {
  displayName: 'Toy Cloud',
  source: async () => (await import('./index.js')).toySource,
  settle: { streams: ['spend', 'items'], hours: 6, why: 'the toy API settles six hours after a day ends' },
};
