import { COSTS_MAX_BUCKETS, USAGE_LIMITS } from './api.js';
import { col, type Column } from '../../engine/columns/columns.js';
import type { ReportDecl } from './reports.js';

/** GET /organization/costs: spend per day; reconciles with the invoice. */
export const COSTS: ReportDecl = {
  name: 'costs',
  path: '/organization/costs',
  description: 'Daily spend in USD per project and line item (GET /organization/costs). Reconciles with the invoice.',
  resultObject: 'organization.costs.result',
  dimensions: ['project_id', 'line_item', 'api_key_id'],
  defaultGroupBy: ['project_id', 'line_item'],
  // The spec allows it, but the live API refuses it before 2025-12-06 (langwatch/langwatch#7579)
  // or on costs altogether (PostHog/posthog#71784): a refusal fails the stream, never a silent gap.
  contestedGroupBy: ['api_key_id'],
  metrics: [
    col('amount_value', 'number', 'Cost in amount_currency, exactly as the API sent it.', { from: ['amount', 'value'] }),
    col('amount_currency', 'string', 'Lowercase ISO-4217 currency, e.g. usd.', { from: ['amount', 'currency'] }),
    col('quantity', 'number', 'Billed quantity (when grouped by line_item).'),
    col('quantity_unit', 'string', 'Unit of quantity, e.g. tokens.'),
  ],
  filters: ['project_ids', 'api_key_ids'],
  maxBuckets: { '1d': COSTS_MAX_BUCKETS },
};

/*
 * GET /organization/usage/{endpoint}: one stream per endpoint. Metrics, group_by
 * dimensions and filters are those of the OpenAPI excerpt
 * (shared/specs/openai-admin-usage-costs.openapi.yaml, Usage*Result schemas).
 * Every usage endpoint accepts bucket_width 1d/1h/1m; a page holds at most
 * USAGE_LIMITS[width].max buckets. Usage does not reconcile with the invoice:
 * use `costs` for money.
 */
const USAGE_MAX_BUCKETS = { '1d': USAGE_LIMITS['1d'].max, '1h': USAGE_LIMITS['1h'].max, '1m': USAGE_LIMITS['1m'].max } as const;

const int = (name: string, description: string): Column => col(name, 'integer', description);
/** A metric the spec's result schema lists as required ("Metric fields (required first)"). */
const required = (name: string, description: string): Column => col(name, 'integer', description, { required: true });
const NUM_MODEL_REQUESTS = required('num_model_requests', 'The count of requests made to the model.');
const PER_MODEL_DIMS = ['project_id', 'user_id', 'api_key_id', 'model'] as const;
const PER_MODEL_FILTERS = ['project_ids', 'user_ids', 'api_key_ids', 'models'] as const;

const USAGE_COMPLETIONS: ReportDecl = {
  name: 'usage_completions',
  path: '/organization/usage/completions',
  description:
    'Completions usage (tokens and requests) per time bucket (GET /organization/usage/completions). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.completions.result',
  dimensions: [...PER_MODEL_DIMS, 'batch', 'service_tier'],
  dimensionTypes: { batch: 'boolean' },
  defaultGroupBy: [...PER_MODEL_DIMS, 'batch', 'service_tier'],
  metrics: [
    required('input_tokens', 'Input tokens, including cached and cache-write tokens (text, audio and image).'),
    required('output_tokens', 'Output tokens (text, audio and image).'),
    NUM_MODEL_REQUESTS,
    int('input_cached_tokens', 'Cached input tokens (text, audio and image).'),
    int('input_cache_write_tokens', 'Input tokens written to the cache.'),
    int('input_uncached_tokens', 'Uncached input tokens, excluding cache-write tokens.'),
    int('input_text_tokens', 'Uncached text input tokens, excluding cache-write tokens.'),
    int('output_text_tokens', 'Text output tokens.'),
    int('input_cached_text_tokens', 'Cached text input tokens.'),
    int('input_audio_tokens', 'Uncached audio input tokens.'),
    int('input_cached_audio_tokens', 'Cached audio input tokens.'),
    int('output_audio_tokens', 'Audio output tokens.'),
    int('input_image_tokens', 'Uncached image input tokens.'),
    int('input_cached_image_tokens', 'Cached image input tokens.'),
    int('output_image_tokens', 'Image output tokens.'),
  ],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_EMBEDDINGS: ReportDecl = {
  name: 'usage_embeddings',
  path: '/organization/usage/embeddings',
  description: 'Embeddings usage per time bucket (GET /organization/usage/embeddings). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.embeddings.result',
  dimensions: [...PER_MODEL_DIMS],
  defaultGroupBy: [...PER_MODEL_DIMS],
  metrics: [required('input_tokens', 'Input tokens.'), NUM_MODEL_REQUESTS],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_MODERATIONS: ReportDecl = {
  name: 'usage_moderations',
  path: '/organization/usage/moderations',
  description: 'Moderations usage per time bucket (GET /organization/usage/moderations). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.moderations.result',
  dimensions: [...PER_MODEL_DIMS],
  defaultGroupBy: [...PER_MODEL_DIMS],
  metrics: [required('input_tokens', 'Input tokens.'), NUM_MODEL_REQUESTS],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_IMAGES: ReportDecl = {
  name: 'usage_images',
  path: '/organization/usage/images',
  description: 'Image generation usage per time bucket (GET /organization/usage/images). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.images.result',
  dimensions: [...PER_MODEL_DIMS, 'size', 'source'],
  defaultGroupBy: [...PER_MODEL_DIMS, 'size', 'source'],
  metrics: [required('images', 'Images processed.'), NUM_MODEL_REQUESTS],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_AUDIO_SPEECHES: ReportDecl = {
  name: 'usage_audio_speeches',
  path: '/organization/usage/audio_speeches',
  description: 'Text-to-speech usage per time bucket (GET /organization/usage/audio_speeches). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.audio_speeches.result',
  dimensions: [...PER_MODEL_DIMS],
  defaultGroupBy: [...PER_MODEL_DIMS],
  metrics: [required('characters', 'Characters processed.'), NUM_MODEL_REQUESTS],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_AUDIO_TRANSCRIPTIONS: ReportDecl = {
  name: 'usage_audio_transcriptions',
  path: '/organization/usage/audio_transcriptions',
  description: 'Transcription usage per time bucket (GET /organization/usage/audio_transcriptions). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.audio_transcriptions.result',
  dimensions: [...PER_MODEL_DIMS],
  defaultGroupBy: [...PER_MODEL_DIMS],
  metrics: [required('seconds', 'Seconds of audio processed.'), NUM_MODEL_REQUESTS],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_VECTOR_STORES: ReportDecl = {
  name: 'usage_vector_stores',
  path: '/organization/usage/vector_stores',
  description: 'Vector store storage per time bucket (GET /organization/usage/vector_stores). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.vector_stores.result',
  dimensions: ['project_id'],
  defaultGroupBy: ['project_id'],
  metrics: [required('usage_bytes', 'Vector stores usage in bytes.')],
  filters: ['project_ids'],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_CODE_INTERPRETER_SESSIONS: ReportDecl = {
  name: 'usage_code_interpreter_sessions',
  path: '/organization/usage/code_interpreter_sessions',
  description:
    'Code interpreter sessions per time bucket (GET /organization/usage/code_interpreter_sessions). Does not reconcile with the invoice; use costs for money.',
  resultObject: 'organization.usage.code_interpreter_sessions.result',
  dimensions: ['project_id'],
  defaultGroupBy: ['project_id'],
  metrics: [required('num_sessions', 'Code interpreter sessions.')],
  filters: ['project_ids'],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_FILE_SEARCH_CALLS: ReportDecl = {
  name: 'usage_file_search_calls',
  path: '/organization/usage/file_search_calls',
  description: 'File search tool calls per time bucket (GET /organization/usage/file_search_calls). Does not reconcile with the invoice; use costs for money.',
  // The result object is named after "file_searches", not the path.
  resultObject: 'organization.usage.file_searches.result',
  dimensions: ['project_id', 'user_id', 'api_key_id', 'vector_store_id'],
  defaultGroupBy: ['project_id', 'user_id', 'api_key_id', 'vector_store_id'],
  metrics: [required('num_requests', 'File search calls.')],
  filters: ['project_ids', 'user_ids', 'api_key_ids'],
  maxBuckets: USAGE_MAX_BUCKETS,
};

const USAGE_WEB_SEARCH_CALLS: ReportDecl = {
  name: 'usage_web_search_calls',
  path: '/organization/usage/web_search_calls',
  description: 'Web search tool calls per time bucket (GET /organization/usage/web_search_calls). Does not reconcile with the invoice; use costs for money.',
  // The result object is named after "web_searches", not the path.
  resultObject: 'organization.usage.web_searches.result',
  dimensions: [...PER_MODEL_DIMS, 'context_level'],
  defaultGroupBy: [...PER_MODEL_DIMS, 'context_level'],
  metrics: [required('num_model_requests', 'Model requests.'), required('num_requests', 'Web search calls.')],
  filters: [...PER_MODEL_FILTERS],
  maxBuckets: USAGE_MAX_BUCKETS,
};

export const USAGE_REPORTS: readonly ReportDecl[] = [
  USAGE_COMPLETIONS,
  USAGE_EMBEDDINGS,
  USAGE_MODERATIONS,
  USAGE_IMAGES,
  USAGE_AUDIO_SPEECHES,
  USAGE_AUDIO_TRANSCRIPTIONS,
  USAGE_VECTOR_STORES,
  USAGE_CODE_INTERPRETER_SESSIONS,
  USAGE_FILE_SEARCH_CALLS,
  USAGE_WEB_SEARCH_CALLS,
];

export const REPORTS: readonly ReportDecl[] = [COSTS, ...USAGE_REPORTS];
