import { readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { errorsText, validateMessage } from '../support/protocol.js';

/**
 * For scripts/test-image.sh: checks what one container run printed. Every stdout line must be an
 * AirbyteMessage valid against ../shared/specs/airbyte_protocol.json (Singer checks: the Singer
 * shapes), the exit code must be the expected one, and no secret may appear in stdout or stderr.
 *
 *   tsx test/image/check-output.ts KIND DIR EXIT_CODE        (reads DIR/KIND.out and DIR/KIND.err)
 *   tsx test/image/check-output.ts image CONFIG_JSON CONNECTOR (the image's config vs metadata.yaml)
 *
 * KIND: spec | check | discover | read | read-fail | singer-discover | singer-sync | sync
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const ROOT = new URL('../../', import.meta.url).pathname;
const [kind, dir, third] = process.argv.slice(2);
const failures: string[] = [];
const fail = (m: string): void => void failures.push(m);
const check = (ok: boolean, m: string): void => (ok ? undefined : fail(m));

function finish(what: string): never {
  if (failures.length > 0) {
    writeSync(1, `FAIL ${what}:\n${failures.map((f) => `  - ${f}`).join('\n')}\n`);
    process.exit(1);
  }
  writeSync(1, `ok   ${what}\n`);
  process.exit(0);
}

if (kind === 'image') {
  const config = JSON.parse(readFileSync(dir as string, 'utf8')) as Json;
  const connector = third as string;
  const meta = (parse(readFileSync(join(ROOT, 'connectors', connector, 'metadata.yaml'), 'utf8')) as { data: Json }).data;
  const env = Object.fromEntries((config.Env as string[]).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const entry = (config.Entrypoint ?? []) as string[];
  check(env.AIRBYTE_ENTRYPOINT === entry.join(' '), `AIRBYTE_ENTRYPOINT '${env.AIRBYTE_ENTRYPOINT}' differs from ENTRYPOINT ${JSON.stringify(entry)}`);
  check(entry[0] === 'node', `ENTRYPOINT ${JSON.stringify(entry)} does not run node`);
  check(
    config.Labels?.['io.airbyte.name'] === meta.dockerRepository,
    `label io.airbyte.name '${config.Labels?.['io.airbyte.name']}' != dockerRepository '${meta.dockerRepository}'`,
  );
  check(
    config.Labels?.['io.airbyte.version'] === meta.dockerImageTag,
    `label io.airbyte.version '${config.Labels?.['io.airbyte.version']}' != dockerImageTag '${meta.dockerImageTag}'`,
  );
  check(config.User === 'node', `runs as '${config.User}', not the non-root user node`);
  finish(`${connector} image: labels, AIRBYTE_ENTRYPOINT, user`);
}

const out = readFileSync(join(dir as string, `${kind}.out`), 'utf8');
const err = readFileSync(join(dir as string, `${kind}.err`), 'utf8');
const code = Number(third);
const secrets = readFileSync(join(dir as string, 'secrets.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);
const streams = readFileSync(join(dir as string, 'streams.txt'), 'utf8')
  .split('\n')
  .filter(Boolean);
for (const s of secrets) check(!out.includes(s) && !err.includes(s), 'a secret was printed');
const lines = out.split('\n').filter((l) => l.length > 0);

/** Every stdout line as JSON, each line that is not JSON a failure. */
function parsedLines(): Array<{ line: string; m: Json }> {
  const parsed: Array<{ line: string; m: Json }> = [];
  for (const line of lines) {
    try {
      parsed.push({ line, m: JSON.parse(line) as Json });
    } catch {
      fail(`not JSON on stdout: ${line.slice(0, 100)}`);
    }
  }
  return parsed;
}

if (kind === 'sync') {
  // DuckDB is an optional dependency pruned from the image: sync says in one line how to get it, exit 2 (usage).
  check(code === 2, `exit ${code}, expected 2 (DuckDB is not in the image)`);
  check(out === '', `sync printed to stdout: ${out.slice(0, 100)}`);
  check(
    /^source-[a-z-]+ sync: DuckDB is not installed: [^\n]*npm install @duckdb\/node-api[^\n]*\n$/.test(err),
    `expected the one-line DuckDB message, got: ${err.slice(0, 300)}`,
  );
  finish('sync without DuckDB (one line, exit 2)');
}

if (kind === 'singer-discover') {
  check(code === 0, `exit ${code}, expected 0`);
  let catalog: Json = {};
  try {
    catalog = JSON.parse(out) as Json;
  } catch {
    fail('stdout is not one JSON document');
  }
  const entries = (catalog.streams ?? []) as Json[];
  check(entries.length > 0, 'no stream in the Singer catalog');
  for (const s of entries) {
    check(
      typeof s.tap_stream_id === 'string' && typeof s.stream === 'string' && typeof s.schema === 'object',
      `stream without tap_stream_id/stream/schema: ${JSON.stringify(s).slice(0, 100)}`,
    );
    const top = ((s.metadata ?? []) as Json[]).find((m) => Array.isArray(m.breadcrumb) && m.breadcrumb.length === 0);
    check(Array.isArray(top?.metadata?.['table-key-properties']), `${s.stream}: no table-key-properties`);
  }
  finish(`singer --discover (${entries.length} streams)`);
}

if (kind === 'singer-sync') {
  check(code === 0, `exit ${code}, expected 0: ${err.slice(-500)}`);
  const announced = new Set<string>();
  let recordsSeen = 0;
  let lastState: Json | undefined;
  for (const { m } of parsedLines()) {
    check(['SCHEMA', 'RECORD', 'STATE'].includes(m.type), `unexpected Singer message type ${m.type}`);
    if (m.type === 'SCHEMA') announced.add(m.stream);
    if (m.type === 'RECORD') {
      recordsSeen += 1;
      check(announced.has(m.stream), `RECORD of ${m.stream} before its SCHEMA`);
    }
    if (m.type === 'STATE') lastState = m.value;
  }
  check(recordsSeen > 0, 'no RECORD');
  check(lastState !== undefined && typeof lastState.bookmarks === 'object', 'no STATE {bookmarks}');
  finish(`singer sync (${recordsSeen} records)`);
}

const messages: Json[] = [];
for (const { line, m } of parsedLines()) {
  if (!validateMessage(m)) fail(`invalid AirbyteMessage ${line.slice(0, 120)}: ${errorsText(validateMessage)}`);
  check(!/[\u2028\u2029\u0085]/.test(line), 'raw U+2028/2029/0085 in a line');
  messages.push(m);
}
const ofType = (t: string): Json[] => messages.filter((m) => m.type === t);

switch (kind) {
  case 'spec':
    check(code === 0, `exit ${code}, expected 0`);
    check(messages.length === 1 && messages[0]?.type === 'SPEC', `expected exactly one SPEC, got ${messages.map((m) => m.type).join(',')}`);
    break;
  case 'check': {
    check(code === 0, `exit ${code}, expected 0`);
    const statuses = ofType('CONNECTION_STATUS').map((m) => m.connectionStatus.status as string);
    check(statuses.length === 1 && statuses[0] === 'SUCCEEDED', `expected one CONNECTION_STATUS SUCCEEDED, got ${JSON.stringify(ofType('CONNECTION_STATUS'))}`);
    break;
  }
  case 'discover': {
    check(code === 0, `exit ${code}, expected 0`);
    const catalogs = ofType('CATALOG');
    check(catalogs.length === 1, `expected one CATALOG, got ${catalogs.length}`);
    const names = ((catalogs[0]?.catalog.streams ?? []) as Json[]).map((s) => s.name as string);
    for (const s of streams) check(names.includes(s), `stream ${s} not discovered`);
    break;
  }
  case 'read': {
    check(code === 0, `exit ${code}, expected 0: ${JSON.stringify(ofType('TRACE').filter((m) => m.trace.type === 'ERROR'))}`);
    for (const s of streams) {
      const recs = ofType('RECORD').filter((m) => m.record.stream === s).length;
      check(recs > 0, `no RECORD for ${s}`);
      check(
        ofType('STATE').some((m) => m.state.type === 'STREAM' && m.state.stream.stream_descriptor.name === s),
        `no STATE for ${s}`,
      );
      const st = ofType('TRACE')
        .filter((m) => m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === s)
        .map((m) => m.trace.stream_status.status as string);
      check(st[0] === 'STARTED' && st.at(-1) === 'COMPLETE' && st.length >= 3, `statuses of ${s}: ${st.join(',')}`);
    }
    break;
  }
  case 'read-fail':
    check(code !== 0, 'exit 0 for an invalid catalog');
    check(
      ofType('TRACE').some((m) => m.trace.type === 'ERROR'),
      'no TRACE ERROR for an invalid catalog',
    );
    break;
  default:
    fail(`unknown kind '${kind}'`);
}
finish(`${kind} (${messages.length} messages, exit ${code})`);
