import { multiplyDecimal } from '../decimal.js';
import type { ListPriceEntry } from '../engine/focus/prices.js';

/**
 * The providers' published list prices (FOCUS ListUnitPrice), one entry per price point, each
 * with the page it was read from and the day. A model missing here gets no ListUnitPrice (and a
 * LOG line; docs/focus.md), never a guessed price. Keep entries sorted by provider, model, meter.
 */
const OPENAI_PRICES: readonly ListPriceEntry[] = [
  // OpenAI: USD per 1M tokens, standard and Batch API (`batch api | ` line items), by the model id the
  // costs API names in its line items. OpenAI's own page is https://developers.openai.com/api/docs/pricing;
  // each `source` is the page the figure was read from (pages that quote it), on `asOf`. Sorted by
  // model, meter, tier (batch before standard).
  {
    provider: 'OpenAI',
    model: 'gpt-4.1-2025-04-14',
    meter: 'input',
    tier: 'batch',
    usdPerUnit: '1.00',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/gpt-4.1-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4.1-2025-04-14',
    meter: 'input',
    usdPerUnit: '2.00',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/gpt-4.1-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4.1-2025-04-14',
    meter: 'output',
    tier: 'batch',
    usdPerUnit: '4.00',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/gpt-4.1-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4.1-2025-04-14',
    meter: 'output',
    usdPerUnit: '8.00',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/gpt-4.1-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-2024-08-06',
    meter: 'cached input',
    usdPerUnit: '1.25',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-2024-08-06',
    meter: 'input',
    tier: 'batch',
    usdPerUnit: '1.25',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-2024-08-06',
    meter: 'input',
    usdPerUnit: '2.50',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-2024-08-06',
    meter: 'output',
    tier: 'batch',
    usdPerUnit: '5.00',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-2024-08-06',
    meter: 'output',
    usdPerUnit: '10.00',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-mini-2024-07-18',
    meter: 'cached input',
    usdPerUnit: '0.075',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-mini-2024-07-18',
    meter: 'input',
    tier: 'batch',
    usdPerUnit: '0.075',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-mini-2024-07-18',
    meter: 'input',
    usdPerUnit: '0.15',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-mini-2024-07-18',
    meter: 'output',
    tier: 'batch',
    usdPerUnit: '0.30',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'gpt-4o-mini-2024-07-18',
    meter: 'output',
    usdPerUnit: '0.60',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'o3-2025-04-16',
    meter: 'input',
    usdPerUnit: '2.00',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/openai-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'o3-2025-04-16',
    meter: 'output',
    usdPerUnit: '8.00',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/openai-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'o4-mini-2025-04-16',
    meter: 'input',
    usdPerUnit: '1.10',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/openai-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'o4-mini-2025-04-16',
    meter: 'output',
    usdPerUnit: '4.40',
    unit: '1000000 Tokens',
    source: 'https://deploybase.ai/articles/openai-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'text-embedding-3-small',
    meter: 'input',
    tier: 'batch',
    usdPerUnit: '0.01',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
  {
    provider: 'OpenAI',
    model: 'text-embedding-3-small',
    meter: 'input',
    usdPerUnit: '0.02',
    unit: '1000000 Tokens',
    source: 'https://chatgptpricing-akr.pages.dev/api-pricing',
    asOf: '2026-12-05',
  },
];

// Anthropic
// ---------------------------------------------------------------------------------------------
// Per model, the five token prices of its page (USD per million tokens), read 2026-12-05. Each
// is expanded, exactly (decimal arithmetic, no float), into every price point the cost report can
// name: service tier (batch: "50% discount on input and output", the Batch API line of each model
// page), context window (0-200k, and 200k-1M for the models whose page gives one price for the
// whole 1M-token window: no long-context premium), inference geo (`us`: "A 1.1x pricing
// multiplier applies" for US-only inference, on Opus 4.6 and later; data-residency page). Meters
// are the API's token_type names; web search is per 1000 requests.

const ANTHROPIC_AS_OF = '2026-12-05';
const ANTHROPIC_PRICING_PAGE = 'https://platform.claude.com/docs/en/about-claude/pricing';
const ANTHROPIC_US_GEO_PAGE = 'https://docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html';
const ANTHROPIC_BATCH = '0.5';
const ANTHROPIC_US_GEO = '1.1';

interface AnthropicModelPrices {
  model: string;
  source: string;
  /** USD per million tokens, per token_type. */
  perMTok: Record<
    | 'uncached_input_tokens'
    | 'cache_creation.ephemeral_5m_input_tokens'
    | 'cache_creation.ephemeral_1h_input_tokens'
    | 'cache_read_input_tokens'
    | 'output_tokens',
    string
  >;
  /** The whole 1M-token window at one price (200k-1M priced as 0-200k). */
  longContext: boolean;
  /** US-only inference (inference_geo `us`) is offered, at 1.1x. */
  usGeo: boolean;
}

const ANTHROPIC_MODELS: readonly AnthropicModelPrices[] = [
  {
    model: 'claude-haiku-4-5',
    source: ANTHROPIC_PRICING_PAGE,
    perMTok: {
      uncached_input_tokens: '1',
      'cache_creation.ephemeral_5m_input_tokens': '1.25',
      'cache_creation.ephemeral_1h_input_tokens': '2',
      cache_read_input_tokens: '0.10',
      output_tokens: '5',
    },
    longContext: false,
    usGeo: false,
  },
  {
    model: 'claude-opus-5',
    source: 'https://platform.claude.com/docs/about-claude/models/whats-new-opus-5',
    perMTok: {
      uncached_input_tokens: '5',
      'cache_creation.ephemeral_5m_input_tokens': '6.25',
      'cache_creation.ephemeral_1h_input_tokens': '10',
      cache_read_input_tokens: '0.50',
      output_tokens: '25',
    },
    longContext: true,
    usGeo: true,
  },
  {
    model: 'claude-sonnet-5',
    source: 'https://platform.claude.com/docs/zh-CN/models/sonnet-5/overview',
    perMTok: {
      uncached_input_tokens: '2',
      'cache_creation.ephemeral_5m_input_tokens': '2.50',
      'cache_creation.ephemeral_1h_input_tokens': '4',
      cache_read_input_tokens: '0.20',
      output_tokens: '10',
    },
    longContext: true,
    usGeo: true,
  },
];

function anthropicEntries(m: AnthropicModelPrices): ListPriceEntry[] {
  const out: ListPriceEntry[] = [];
  for (const [meter, price] of Object.entries(m.perMTok)) {
    for (const tier of ['standard', 'batch']) {
      for (const context of m.longContext ? ['0-200k', '200k-1M'] : ['0-200k']) {
        for (const geo of m.usGeo ? [undefined, 'us'] : [undefined]) {
          let usd = tier === 'batch' ? multiplyDecimal(price, ANTHROPIC_BATCH) : price;
          if (geo === 'us') usd = multiplyDecimal(usd, ANTHROPIC_US_GEO);
          out.push({
            provider: 'Anthropic',
            model: m.model,
            meter,
            tier,
            context,
            ...(geo ? { geo } : {}),
            usdPerUnit: usd,
            unit: '1000000 Tokens',
            source: geo ? `${m.source} (US-only inference 1.1x: ${ANTHROPIC_US_GEO_PAGE})` : m.source,
            asOf: ANTHROPIC_AS_OF,
          });
        }
      }
    }
  }
  return out;
}

/** Anthropic's price points: every model's tokens, then web search ($10 per 1000 searches, whatever the model). */
const ANTHROPIC_PRICES: readonly ListPriceEntry[] = [
  ...ANTHROPIC_MODELS.flatMap(anthropicEntries),
  {
    provider: 'Anthropic',
    model: '*',
    meter: 'web_search',
    usdPerUnit: '10',
    unit: '1000 Requests',
    source: 'https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool',
    asOf: ANTHROPIC_AS_OF,
  },
].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : a.meter < b.meter ? -1 : a.meter > b.meter ? 1 : 0));

export const LIST_PRICES: readonly ListPriceEntry[] = [...ANTHROPIC_PRICES, ...OPENAI_PRICES];
