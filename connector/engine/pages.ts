import { z } from 'zod';
import type { Page } from './stream.js';

/**
 * The cursor fields of a page, both required by every provider's spec (OpenAI UsageResponse,
 * Anthropic's report responses, Aurous' list): `next_page` may be null, never absent. A page
 * without them is malformed, not "no more pages".
 */
export const pageCursorFields = { has_more: z.boolean(), next_page: z.string().nullable() };

/**
 * The bucketed report envelope all three providers share, with their own names:
 * {data:[{<start>, <end>, <results>}], has_more, next_page}. Every field is required (a bucket
 * without its results is malformed, not empty). `time` parses a bucket boundary into unix
 * seconds (OpenAI sends integers, Anthropic and Aurous RFC 3339). The output is the engine's Page.
 */
export function bucketPageSchema(
  names: { start: string; end: string; results: string },
  time: z.ZodType<number>,
): z.ZodType<Page> {
  const bucket = z.looseObject({ [names.start]: time, [names.end]: time, [names.results]: z.array(z.unknown()) });
  return z
    .looseObject({ data: z.array(bucket), ...pageCursorFields })
    .transform((p) => ({
      buckets: p.data.map((b) => {
        const fields = b as Record<string, unknown>;
        return { start: fields[names.start] as number, end: fields[names.end] as number, results: fields[names.results] as unknown[] };
      }),
      hasMore: p.has_more,
      nextPage: p.next_page,
    }));
}
