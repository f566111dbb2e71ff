import type { z } from 'zod';
import type { HttpClient, Query, Transport } from '../http/client.js';
import type { Window } from './plan/planner.js';
import type { CommonConfig } from './read.js';
import type { NoticeSink } from './notices.js';
import type { FailRule, HalveRule, IgnoreRule, RestartRule } from './fetch/responses.js';
import type { PageShape } from './fetch/pages.js';

export type JsonSchema = Record<string, unknown>;
export type Row = Record<string, unknown>;

/**
 * Records encoded for the output (engine/decode/decode.ts RecordFormat), on a decode worker or on this
 * thread: serialised lines (UTF-8, one per record, each ending in a newline), or rows with the
 * time they were read.
 */
export type EncodedRecords = { count: number; lines: Uint8Array } | { count: number; rows: Row[]; emittedAt: number };

/** One time bucket of a bucketed report, as the engine sees it. */
export interface Bucket {
  start: number;
  end: number;
  results: unknown[];
  /** Set once decoded: the bucket's records, mapped and encoded for the output (results is then empty). */
  encoded?: EncodedRecords;
  /** The ids of `encoded`, when asked for (records paging checks them across pages). */
  ids?: unknown[];
  /**
   * Set while the bucket's results are mapped, for a plan with a join (BucketPlan.join): the
   * companion report's records of the same bucket (maybe none), read whole before this bucket.
   */
  joined?: readonly Row[];
}

export interface Page {
  buckets: Bucket[];
  hasMore: boolean;
  nextPage: string | null;
  /** What the mapping of this page's records reported (engine/notices.ts), each once; the read logs them. */
  notices?: string[];
}

/**
 * How a provider's bucketed report endpoints speak: query names and time
 * formats, how a cursor is followed, and the envelope of a page.
 */
export interface BucketApi {
  windowQuery(window: Window, limit: number): Query;
  /** The query for the page after `first`: OpenAI re-sends everything plus `page`, Aurous sends only the token. */
  nextPageQuery(first: Query, token: string): Query;
  /** Envelope schema; its output is a Page. Validation errors name the JSON path. */
  page: z.ZodType<Page>;
  /** How a page's bytes are laid out (engine/fetch/pages.ts PageShape): bucketPage(...).shape, or WHOLE_PAGE. */
  shape: PageShape;
}

/** What a provider-specific window fetcher may use: decoded pages of `path`, counted as responses. */
export interface WindowIo {
  get(query: Query): Promise<Page>;
  /** A page of `path` asked for by a POST of `body` (JSON): an API whose query is a request body (xAI's usage analytics, OpenRouter's analytics). */
  post(query: Query, body: unknown): Promise<Page>;
  /**
   * The JSON of a GET of another path of the same API (a list the fetcher splits a query by: xAI's
   * API keys), counted as a response of the stream, received and parsed on a decode worker when the
   * read has them (as a list stream's pages).
   */
  json(path: string, query: Query): Promise<unknown>;
  debug(msg: string): void;
}

/**
 * What a custom fetcher hands back: the buckets its pages held (each at most once, inside the
 * window), and whether those pages were complete (the API said there was no more). The engine
 * checks them like any page: alignment, coverage, and (only when complete) a bucket not
 * mentioned is an empty bucket.
 */
export interface FetchedWindow {
  buckets: Bucket[];
  complete: boolean;
  /**
   * Optional: the buckets come from disjoint partial queries (a query split by a filter), so the
   * records of one bucket from several of them add up instead of repeating each other.
   */
  parts?: boolean;
  /** Optional, with complete false: why the window was not read whole (the engine halves it, saying so). */
  why?: string;
}

/**
 * How the pages of a window are read:
 * - `single`: one page covers the window; its cursor is never followed (OpenAI's is broken for
 *   grouped queries), a page short of the window makes the engine halve it;
 * - `cursor`: follow the cursor while buckets are missing (Anthropic's reports, ungrouped OpenAI);
 * - `records`: the cursor pages through the records of the window (Anthropic claude_code: one
 *   day, many records; Anthropic analytics: rows of many buckets ranked by a metric): follow it
 *   while has_more, appending each record to its bucket; every bucket of the window is present
 *   (maybe empty) whatever the pages hold, and no record is handed on before the last page;
 *   a record outside the window fails the read (it would be dropped or read twice otherwise);
 * - `custom`: the provider pages through the window itself (Aurous: token-only cursor, group splits).
 */
type Paging =
  | { kind: 'single' }
  | { kind: 'cursor' }
  | {
      kind: 'records';
      /**
       * Optional: how many times a window may start again from its first page when the API
       * refuses its cursor (a 'restart' rule of BucketPlan.responses matches: an expired cursor, a
       * cursor the API no longer ties to the query). The rows read so far are dropped; past the
       * bound the stream fails. Without it a refused cursor fails the stream at once.
       */
      restarts?: number;
    }
  | {
      kind: 'custom';
      fetchWindow: (io: WindowIo, window: Window) => Promise<FetchedWindow>;
      /**
       * The fetcher may return `parts` of a split query (FetchedWindow.parts, xAI): the engine then
       * computes every record's id so that overlapping parts fail as duplicates. Without it no id is
       * computed for the check (a cost per record a plan that never splits need not pay).
       */
      parts?: true;
    };

/**
 * A companion report read for the same window before a plan's records are mapped (Anthropic
 * spend: the token counts of the usage APIs for the cost rows of the same days). The engine reads
 * the companion window whole with `plan` (its own paging, checks and halving), groups its records
 * by the bucket their `bucketField` (an RFC 3339 time) names, and hands each bucket's records to
 * toRecord as Bucket.joined. A plan with a join is read and mapped on the main thread (no decode
 * worker), and a window counts (records emitted, state advanced) only once both reads completed.
 */
export interface PlanJoin {
  plan: BucketPlan;
  bucketField: string;
}

/** A bucketed report bound to one config: everything the engine needs to read it. */
export interface BucketPlan {
  path: string;
  api: BucketApi;
  /** Query parameters other than the window, limit and page (group_by, filters, width). */
  params: Query;
  bucketSeconds: number;
  /** Most buckets one page may hold: the window size that needs no second page. */
  maxBuckets: number;
  paging: Paging;
  /**
   * Optional: what particular error responses mean for this report (engine/fetch/responses.ts), the
   * first matching rule deciding. 'fail': a refusal no smaller window would fix (a grouping the API
   * will not serve for this range, Anthropic's group_by[] cap, Aurous's dimensions) fails the stream
   * at once, the window not halved; 'halve': the window is more than one request may ask for (a 400
   * for a range or limit cap, HALVE_ON_400) and is read as two halves; 'restart': a refused cursor
   * (records paging's restarts, a fetchWindow that follows one: Aurous's page_token). An error no rule
   * matches fails the read (a page short of its window is halved whatever the rules).
   */
  responses?: ReadonlyArray<FailRule<Window> | RestartRule | HalveRule>;
  /** Optional headers on every request of this report only (Anthropic's analytics beta header). */
  headers?: Record<string, string>;
  /**
   * Optional: the earliest time the API serves, given now (unix seconds). A read that would start
   * before it starts there and says so once (engine/read.ts FloorNotice): never a request the API
   * refuses, never a state claiming days before it, never a silent gap.
   */
  earliest?: { at: (nowS: number) => number; why: string };
  /** Whether the bucket holding `now` may be requested (false for reports that refuse unfinished days). */
  includeCurrentBucket: boolean;
  /** Optional: a companion report read for each window first, its records handed to toRecord (PlanJoin). */
  join?: PlanJoin;
  /**
   * Validates one result and turns it into a complete record (including its id). `notice`: where
   * the mapping reports what the run should log once (engine/notices.ts); absent outside a read.
   */
  toRecord(bucket: Bucket, result: unknown, index: number, notice?: NoticeSink): Row;
  /** The record field that is its key (the stream's primary key); default `id`. */
  idField?: string;
}

interface StreamBase {
  name: string;
  schema: JsonSchema;
  primaryKey: string[][];
  /** One-line description for docs. */
  description: string;
}

/**
 * One part of a bucketed stream's days, served by its own plan (BucketStream.segments): from
 * `from(now)` (inclusive; the first segment has none: it serves everything before the next one)
 * until the next segment's start.
 */
export interface PlanSegment {
  /** Where this segment starts, given now (unix seconds; a bucket boundary of both plans). Absent on the first segment only. */
  from?: (nowS: number) => number;
  plan: BucketPlan;
}

export interface BucketStream<C> extends StreamBase {
  kind: 'buckets';
  cursorField: string;
  /** The plan of every day, or of the first segment's days when the stream has segments. */
  plan(config: C): BucketPlan;
  /**
   * Optional: the stream's days are served by different plans by date (Anthropic spend:
   * cost_report before the analytics API's floor, analytics_cost from it). In time order, the
   * first one's plan being plan(config). The read cuts its windows at each segment's start and
   * reads each window with its segment's plan; the state and checkpoints stay the stream's own,
   * contiguous across segments. Without it, plan(config) serves every day.
   */
  segments?(config: C): PlanSegment[];
}

/** What a list stream's responses may say (engine/fetch/responses.ts); the message context is the request path. */
type ListResponseRule = FailRule<string> | IgnoreRule;

export interface ListContext {
  http: HttpClient;
  log: (msg: string) => void;
  onResponse: () => void;
  /** The stream's `responses`, applied by listPages. */
  responses?: readonly ListResponseRule[] | undefined;
  /** Where a read's list pages are received and parsed (a decode worker, engine/decode/decode-pool.ts); without it, on this thread. */
  transport?: Transport<unknown>;
}

/** A full-refresh list (projects, users, keys): pages of records. */
export interface ListStream<C> extends StreamBase {
  kind: 'list';
  /** `common`: the run's dates (a list that takes a date filter, xAI's invoices, starts at common.start). */
  pages(ctx: ListContext, config: C, common: CommonConfig): AsyncIterable<Row[]>;
  /** Optional: what particular error responses mean for this list ('ignore': a listed thing gone since). */
  responses?: readonly ListResponseRule[];
}

export type StreamDef<C> = BucketStream<C> | ListStream<C>;

/**
 * The record schema every stream of this repository emits: draft-07, additionalProperties
 * true (Airbyte's acceptance rule), the listed fields required, all others as given.
 */
export function recordSchema(title: string, description: string, properties: Record<string, JsonSchema>, required: readonly string[]): JsonSchema {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    description,
    type: 'object',
    additionalProperties: true,
    required: [...required],
    properties,
  };
}
