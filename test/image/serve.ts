import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectorByName } from '../acceptance/connectors.js';
import { PortInUseError } from '../fake/server.js';

/**
 * For scripts/test-image.sh: start a connector's fake API on 127.0.0.1 (the container reaches it
 * with --network host) and write the inputs of the smoke test into DIR, readable by the image's
 * non-root user: config.json, catalog.json (a short read), bad-catalog.json (CAT's invalid
 * catalog), secrets.txt (what must never be printed), then `ready`. Runs until SIGTERM/SIGINT.
 *
 *   tsx test/image/serve.ts source-openai-costs DIR [PORT]
 */
const [name, dir, port] = process.argv.slice(2);
if (!name || !dir) {
  process.stderr.write('usage: tsx test/image/serve.ts CONNECTOR DIR [PORT]\n');
  process.exit(2);
}
if (port !== undefined && !/^\d+$/.test(port)) {
  process.stderr.write(`serve: PORT must be a number, got '${port}'\nusage: tsx test/image/serve.ts CONNECTOR DIR [PORT]\n`);
  process.exit(2);
}
const connector = connectorByName(name);
// A port in use (PortInUseError) is one line naming it and how to pick another (0: any free port), exit 2.
const harness = await connector.start(Number(port ?? 0)).catch((err: Error) => {
  process.stderr.write(`serve: ${err.message}${err instanceof PortInUseError ? '; pick another PORT, or 0 for any free port' : ''}\n`);
  process.exit(2);
});
mkdirSync(dir, { recursive: true });
const write = (file: string, value: unknown): void => {
  const path = join(dir, file);
  writeFileSync(path, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  chmodSync(path, 0o644);
};
chmodSync(dir, 0o755);
const stream = (name: string, mode: string) => ({
  stream: { name, json_schema: {}, supported_sync_modes: mode === 'incremental' ? ['full_refresh', 'incremental'] : ['full_refresh'] },
  sync_mode: mode,
  destination_sync_mode: 'append',
});
write('config.json', harness.config);
write('catalog.json', { streams: connector.smokeStreams.map((s) => stream(s.name, s.mode)) });
write('bad-catalog.json', { streams: [{ ...stream('__AIRBYTE__stream_that_does_not_exist', 'INVALID'), destination_sync_mode: 'INVALID' }] });
write('secrets.txt', `${harness.secrets.join('\n')}\n`);
write('streams.txt', `${connector.smokeStreams.map((s) => s.name).join('\n')}\n`);
write('ready', `${String(harness.config.base_url)}\n`);
process.stderr.write(`fake API for ${name} at ${String(harness.config.base_url)}; inputs in ${dir}\n`);
const stop = (): void => void harness.stop().then(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
