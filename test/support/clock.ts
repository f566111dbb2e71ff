import { AS_OF_VARIABLE } from '../../connector/cli/runtime.js';

/**
 * The instant the date-pinned tests run as. Those tests read fixed days (2025-12-20 on), and some
 * APIs serve only days relative to now (OpenRouter the last 365, Anthropic's analytics the last 365
 * and from 2026-01-01, xAI's invoices up to the current month), so on the real clock their output
 * would change, then fail, as the days age. The connector runs as of this instant through
 * AI_SPEND_NOW (cli/runtime.ts runClock), and the fakes through `now`: the same inputs give the
 * same output on any day. It is when the output fixtures were written (test/fixtures/output).
 */
export const TEST_NOW = '2026-12-05T12:00:00Z';

/** The environment of a CLI run as of TEST_NOW. */
export const AS_OF_ENV: Readonly<Record<string, string>> = { [AS_OF_VARIABLE]: TEST_NOW };

/** A fake's clock as of TEST_NOW (milliseconds): it starts there when called and runs at real speed, as the connector's does. */
export function testClock(): () => number {
  const offset = Date.parse(TEST_NOW) - Date.now();
  return () => Date.now() + offset;
}
