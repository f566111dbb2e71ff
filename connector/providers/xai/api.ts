import { z } from 'zod';
import type { FailRule } from '../../engine/fetch/responses.js';
import { WHOLE_PAGE } from '../../engine/fetch/pages.js';
import type { Window } from '../../engine/plan/planner.js';
import type { Bucket, BucketApi, Page } from '../../engine/stream.js';
import { DAY, isoTime, parseUtc } from '../../engine/time.js';

/**
 * How xAI's Management API speaks (shared/reference/openrouter-xai-fireworks.md section 2): REST+JSON
 * mirroring the gRPC billing service, in proto3 JSON (lowerCamelCase, int64 as strings, enum names,
 * default-valued fields omitted), on its own host, with the team in the path.
 */
export const XAI_BASE_URL = 'https://management-api.x.ai';

const team = (teamId: string): string => encodeURIComponent(teamId);
export const usagePath = (teamId: string): string => `/v1/billing/teams/${team(teamId)}/usage`;
export const invoicesPath = (teamId: string): string => `/v1/billing/teams/${team(teamId)}/invoices`;
export const apiKeysPath = (teamId: string): string => `/auth/teams/${team(teamId)}/api-keys`;
export const prepaidBalancePath = (teamId: string): string => `/v1/billing/teams/${team(teamId)}/prepaid/balance`;

/**
 * A 404 from any path of a team: the team does not exist or is not the management key's [FIELD], or
 * the path is not one the API serves. Which one the body does not say in a form the engine parses, so
 * it stays what every connector makes of a 404 from a right base_url, a system_error starting `HTTP 404
 * from <path>:` (test/e2e/errors.test.ts), and says which setting to check first. The body may echo
 * account details: it is not quoted (the engine masks the key in any case).
 */
export function teamNotFound<C>(where: (ctx: C) => string): FailRule<C> {
  return {
    when: { status: 404 },
    action: 'fail',
    failureType: 'system_error',
    message: (_e, ctx) =>
      `HTTP 404 from ${where(ctx)}: xAI knows no such team for this management key (or no such path); check team_id: the id of the team the key manages (console.x.ai, Settings, Team), or use a management key of that team.`,
  };
}

/**
 * What the usage series are grouped by: the API key and the billing line's description (`Chat grok-4-0709`:
 * the model and what was billed). Both are the ones seen working (`description` [FIELD], `api_key_id` the
 * proto's filter example [SDK]); one query with both keeps every day's money in one set of additive rows.
 */
export const GROUP_BY = ['api_key_id', 'description'] as const;

/** Days per usage query: the maximum range is [UNKNOWN]; a 400 or a limitReached halves it (down to one day). */
export const WINDOW_DAYS = 31;

/** A time as the proto's TimeRange wants it: `YYYY-MM-DD HH:MM:SS` (in the request's timezone, Etc/UTC). */
const xaiTime = (t: number): string => isoTime(t).replace('T', ' ').replace('Z', '');

/**
 * The AnalyzeBillingItemsRequest of one window, exactly as the proto defines it: daily buckets in UTC,
 * the end exclusive ("not including"), `usd` summed, prefixed enum names, value objects (bare strings
 * are a 400), and `filters` (each `[NOT] field:value`, all combined with AND).
 */
export function usageBody(w: Window, filters: readonly string[]): unknown {
  return {
    analyticsRequest: {
      timeRange: { startTime: xaiTime(w.start), endTime: xaiTime(w.end), timezone: 'Etc/UTC' },
      timeUnit: 'TIME_UNIT_DAY',
      values: [{ name: 'usd', aggregation: 'AGGREGATION_SUM' }],
      groupBy: [...GROUP_BY],
      filters: [...filters],
    },
  };
}

const DataPoint = z.looseObject({
  timestamp: z.string(),
  // One double per requested value (`usd`); proto3 JSON would omit only an empty list, which one value never is.
  values: z.array(z.number()).min(1, 'a data point without values (one was asked for: usd)'),
});

const Series = z.looseObject({
  // proto3 JSON omits empty repeated fields.
  group: z.array(z.string()).optional(),
  groupLabels: z.array(z.string()).optional(),
  dataPoints: z.array(DataPoint).optional(),
});

/**
 * AnalyticsResponse as the engine's Page: one bucket per UTC day named by a data point, holding one
 * result per series with money that day (`{group, groupLabels, values}`). The series are dense (a point
 * for every day of the range, zeros included): a zero is no usage, so it is no result and no record
 * (docs/xai.md). `limitReached: true` (absent: false, proto3's default) means the API returned an
 * arbitrary subset of the series: the page says so as `hasMore` (more exists than it holds), and the
 * usage fetcher discards it and splits the query (usage.ts). There is no cursor.
 */
const UsagePage: z.ZodType<Page> = z.looseObject({ timeSeries: z.array(Series).optional(), limitReached: z.boolean().optional() }).transform((r, ctx) => {
  // No timeSeries is no series (proto3 omits an empty list), but only in an otherwise empty answer: a
  // body with other members and no series (an error or another envelope in a 200) is not "no usage".
  const other = Object.keys(r).filter((k) => k !== 'timeSeries' && k !== 'limitReached');
  if (r.timeSeries === undefined && other.length > 0) {
    ctx.addIssue({ code: 'custom', message: `no timeSeries, but ${other.map((k) => JSON.stringify(k)).join(', ')}: not a usage answer` });
    return z.NEVER;
  }
  const buckets = new Map<number, Bucket>();
  for (const s of r.timeSeries ?? []) {
    for (const p of s.dataPoints ?? []) {
      const start = parseUtc(p.timestamp);
      if (start === null) {
        ctx.addIssue({ code: 'custom', message: `dataPoints timestamp ${JSON.stringify(p.timestamp)} is not an RFC 3339 time` });
        return z.NEVER;
      }
      if (p.values[0] === 0) continue;
      const b = buckets.get(start) ?? { start, end: start + DAY, results: [] };
      buckets.set(start, b);
      b.results.push({ group: s.group ?? [], groupLabels: s.groupLabels ?? [], values: p.values });
    }
  }
  return { buckets: [...buckets.values()].sort((a, b) => a.start - b.start), hasMore: r.limitReached === true, nextPage: null };
});

export const xaiUsageApi: BucketApi = {
  // The query is the POST body (usageBody); the URL carries none.
  windowQuery: () => [],
  nextPageQuery: () => [],
  page: UsagePage,
  shape: WHOLE_PAGE,
};
