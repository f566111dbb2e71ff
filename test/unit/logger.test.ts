import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runtime } from '../../connector/cli/main.js';
import { singerRuntime } from '../../connector/cli/singer/main.js';
import { syncLogger } from '../../connector/cli/sync.js';
import { createLogger, type Logger } from '../../connector/engine/logger.js';
import { REDACTED, Secrets } from '../../connector/protocol/secrets.js';
import { Lines, Progress, type Terminal } from '../../connector/warehouse/summary.js';

const KEY = 'sk-admin-LOGGED-3f9a1c7e5b2d';
/** Not a registered secret (another key): only the logger's key-named field paths can mask it. */
const OTHER_KEY = 'sk-admin-OTHER-8d2e4f6a';

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  return { stream, text: () => text };
}

/** Everything a logger can be handed: the key in the text, in a field, nested, and another key in a key-named field. */
function logEverything(logger: Logger): void {
  logger.error(`request failed: Incorrect API key provided: ${KEY}`);
  logger.warn('retrying', { body: `{"error":"bad key ${KEY}"}`, attempt: 2 });
  logger.info('request', { headers: { authorization: `Bearer ${KEY}` } });
  logger.debug('config', { config: { admin_api_key: OTHER_KEY, start_date: '2025-09-01' } });
}

function expectScrubbed(text: string): void {
  expect(text).not.toContain(KEY);
  expect(text).not.toContain(KEY.slice(9));
  expect(text).not.toContain(OTHER_KEY);
  // Each of the four lines arrived, masked, with its fields.
  expect(text.split(REDACTED).length - 1).toBe(4);
  expect(text).toContain('"attempt":2');
  expect(text).toContain('"start_date":"2025-09-01"');
}

describe('logger redaction in every mode', () => {
  it('given a sink that writes what it gets when logging a secret in the text and in fields then the logger has already masked it, and below the level nothing is logged', () => {
    const lines: string[] = [];
    const secrets = new Secrets();
    secrets.add(KEY);
    logEverything(createLogger('info', (level, message) => lines.push(`${level} ${message}`), secrets));
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['ERROR', 'WARN', 'INFO']);
    expect(lines.join('\n')).not.toContain(KEY);
    expect(lines.join('\n').split(REDACTED).length - 1).toBe(3);
  });

  it('given a secret in a log message and in logged fields when logging in Airbyte mode then every LOG message on stdout carries a mask instead', async () => {
    const out = capture();
    const { writer, logger } = runtime(true, out.stream);
    writer.secrets.add(KEY);
    logEverything(logger);
    await writer.close();
    const logs = out
      .text()
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; log: { level: string; message: string } });
    expect(logs.map((m) => [m.type, m.log.level])).toEqual([
      ['LOG', 'ERROR'],
      ['LOG', 'WARN'],
      ['LOG', 'INFO'],
      ['LOG', 'DEBUG'],
    ]);
    expect(out.text()).not.toContain(KEY);
    expectScrubbed(logs.map((m) => m.log.message).join('\n'));
  });

  it('given a secret in a log message and in logged fields when logging in Singer mode then stderr carries a mask instead and stdout nothing', async () => {
    const out = capture();
    const err = capture();
    const { writer, logger } = singerRuntime(true, out.stream, err.stream);
    writer.secrets.add(KEY);
    logEverything(logger);
    await writer.close();
    expect(out.text()).toBe('');
    expect(
      err
        .text()
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual(['ERROR', 'WARN', 'INFO', 'DEBUG']);
    expectScrubbed(err.text());
  });

  it('given a secret in a log message and in logged fields when logging in sync then its stderr lines carry a mask instead', () => {
    let text = '';
    const term: Terminal = { write: (t) => void (text += t), isTTY: false };
    const secrets = new Secrets();
    secrets.add(KEY);
    logEverything(syncLogger('debug', new Lines(term, new Progress(term, secrets.scrub), secrets.scrub), secrets));
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => l.split(':')[0]),
    ).toEqual(['error', 'warn', 'info', 'debug']);
    expectScrubbed(text);
  });
});
