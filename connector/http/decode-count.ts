import { writeFileSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';

/**
 * How many 2xx bodies the main thread decoded since a read started its decode workers
 * (engine/decode/decode-pool.ts calls countFromNow): with workers on there should be none.
 * Test-only surface: with AI_SPEND_TEST_MAIN_THREAD_DECODES naming a file, the count is written
 * there when the process exits (test/e2e/decode-threads.test.ts asserts 0 over every stream of
 * every connector).
 */
let count = 0;
const file = process.env.AI_SPEND_TEST_MAIN_THREAD_DECODES;
if (file && isMainThread) process.on('exit', () => writeFileSync(file, String(count)));

/** A 2xx body is being decoded on this thread (fetchTransport). */
export function decodingOnThisThread(): void {
  if (isMainThread) count += 1;
}

/** Count from zero (decode workers start: what the main thread decoded before, the account and names, is not a stream's). */
export function countFromNow(): void {
  count = 0;
}
