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
  invoices: {
    table: 'invoices',
    year: 'billing_cycle_year',
    month: 'billing_cycle_month',
    subtotalCents: 'subtotal_cents',
    status: 'invoice_status',
    currency: 'USD',
    gap: "xAI's invoice rounds each line's month to the cent (docs/xai.md, the rounding gap), while the daily usage is summed exactly: a complete month differs by a few cents (up to half a cent per invoice line when each line is rounded once; how xAI rounds is TO-CHECK-LIVE)",
  },
};
