import type { z } from 'zod';
import type { HttpClient, Query } from '../http/client.js';
import type { Window } from './planner.js';
import type { FailRule, IgnoreRule, RestartRule } from './responses.js';

export type JsonSchema = Record<string, unknown>;
export type Row = Record<string, unknown>;

/** RECORD lines serialised off the main thread: UTF-8, one line per record, each ending in a newline. */
export interface EncodedRecords {
  count: number;
  bytes: Uint8Array;
}

/** One time bucket of a bucketed report, as the engine sees it. */
export interface Bucket {
  start: number;
  end: number;
  results: unknown[];
  /** Set by a decode worker: the bucket's records, already mapped and serialised (results is then empty). */
  encoded?: EncodedRecords;
}

export interface Page {
  buckets: Bucket[];
  hasMore: boolean;
  nextPage: string | null;
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
  /**
   * The cursor pages through the records of a bucket (Anthropic claude_code: one day, many
   * records): keep following it while has_more, appending results to the same bucket. Such a
   * window is one bucket, present (maybe empty) whatever the pages hold.
   */
  recordsPaginated?: boolean;
}

/** What a provider-specific window fetcher may use: validated pages of `path`, counted as responses. */
export interface WindowIo {
  get(query: Query): Promise<Page>;
  debug(msg: string): void;
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
  /** Grouped queries never follow a cursor (OpenAI's is broken for them). */
  grouped: boolean;
  /**
   * Optional: what particular error responses mean for this report (engine/responses.ts). 'fail': a
   * refusal no smaller window would fix (a grouping the API will not serve for this range, Anthropic's
   * group_by[] cap, Aurous's dimensions) fails the stream at once, the window not halved; 'restart':
   * a refused cursor, for a fetchWindow that follows one (Aurous's page_token).
   */
  responses?: ReadonlyArray<FailRule<Window> | RestartRule>;
  /** Whether the bucket holding `now` may be requested (false for reports that refuse unfinished days). */
  includeCurrentBucket: boolean;
  /**
   * Optional: fetch every bucket of a window with provider-specific paging (Aurous's token-only
   * cursor and group splits). The engine still checks coverage, order and repeats.
   */
  fetchWindow?: (io: WindowIo, window: Window, buckets: number) => Promise<Bucket[]>;
  /** Validates one result and turns it into a complete record (including its id). */
  toRecord(bucket: Bucket, result: unknown, index: number): Row;
}

interface StreamBase {
  name: string;
  schema: JsonSchema;
  primaryKey: string[][];
  /** One-line description for docs. */
  description: string;
}

export interface BucketStream<C> extends StreamBase {
  kind: 'buckets';
  cursorField: string;
  plan(config: C): BucketPlan;
}

/** What a list stream's responses may say (engine/responses.ts); the message context is the request path. */
export type ListResponseRule = FailRule<string> | IgnoreRule;

export interface ListContext {
  http: HttpClient;
  log: (msg: string) => void;
  onResponse: () => void;
  /** The stream's `responses`, applied by listPages. */
  responses?: readonly ListResponseRule[] | undefined;
}

/** A full-refresh list (projects, users, keys): pages of records. */
export interface ListStream<C> extends StreamBase {
  kind: 'list';
  pages(ctx: ListContext, config: C): AsyncIterable<Row[]>;
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
