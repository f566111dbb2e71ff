import { WindowReader } from '../../connector/engine/fetch/buckets.js';
import type { BucketPlan } from '../../connector/engine/stream.js';
import { type FetchLike, HttpClient } from '../../connector/http/client.js';
import { RateLimiter } from '../../connector/http/rate-limit.js';

/**
 * A WindowReader of `plan` over an HttpClient that sends every request to `fetch` (a frozen clock,
 * no sleeping, no logging), for unit tests of the reader; records as rows.
 */
export function testWindowReader(
  plan: BucketPlan,
  o: {
    fetch: FetchLike;
    stream: string;
    headers?: Record<string, string>;
    maxRetries?: number;
    warn?: (message: string) => void;
  },
): WindowReader {
  const time = { now: () => 0 };
  const sleep = async () => undefined;
  const http = new HttpClient({
    baseUrl: 'https://api.example.com',
    headers: o.headers ?? {},
    fetch: o.fetch,
    sleep,
    clock: time,
    limiter: new RateLimiter(time, sleep),
    logger: { debug: () => undefined, warn: () => undefined },
    redact: (t) => t,
    ...(o.maxRetries === undefined ? {} : { maxRetries: o.maxRetries }),
  });
  return new WindowReader(plan, {
    http,
    stream: o.stream,
    format: { kind: 'rows' },
    debug: () => undefined,
    warn: o.warn ?? (() => undefined),
    hooks: {},
    onResponse: () => undefined,
    clock: time,
  });
}
