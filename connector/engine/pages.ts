import { z } from 'zod';
import type { Page } from './stream.js';

/**
 * The bucketed report envelope all three providers share, with their own names:
 * {data:[{<start>, <end>, <results>}], has_more, next_page}. `time` parses a
 * bucket boundary into unix seconds (OpenAI sends integers, Anthropic and Aurous
 * RFC 3339). The output is the engine's Page.
 */
export function bucketPageSchema(
  names: { start: string; end: string; results: string },
  time: z.ZodType<number>,
): z.ZodType<Page> {
  const bucket = z.looseObject({ [names.start]: time, [names.end]: time, [names.results]: z.array(z.unknown()).nullish() });
  return z
    .looseObject({
      data: z.array(bucket),
      has_more: z.boolean().nullish(),
      next_page: z.string().nullish(),
    })
    .transform((p) => ({
      buckets: p.data.map((b) => {
        const fields = b as Record<string, unknown>;
        return { start: fields[names.start] as number, end: fields[names.end] as number, results: (fields[names.results] as unknown[] | null | undefined) ?? [] };
      }),
      hasMore: p.has_more === true,
      nextPage: p.next_page ?? null,
    }));
}
