import { RollingPacer } from '../../http/rate-limit.js';

/**
 * OpenRouter rate-limits POST /analytics/query to 64 requests per minute [DOC skill
 * openrouter-analytics-query: "Rate-limited to 64 requests per minute"]. A long backfill of a large
 * account splits truncated answers in halves (activity.ts fetchAnalytics), and the activity and spend
 * streams each read analytics, so one run can send more than that: the connector paces its own analytics
 * queries to at most ANALYTICS_PER_MINUTE starts per rolling minute, below the limit by a margin for the
 * two clocks' difference. A 429 (another client of the account) is still waited out by the HTTP client
 * (Retry-After when sent, else backoff). Other endpoints' limits are UNKNOWN and are not paced here (the
 * shared requests_per_minute setting paces every request).
 */
export const ANALYTICS_PER_MINUTE = 60;

/** The pacer of every analytics query of this process (both streams share it). */
export const analyticsPacer = new RollingPacer(ANALYTICS_PER_MINUTE, 60_000);
