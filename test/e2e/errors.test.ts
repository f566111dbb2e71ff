import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, CONTRACTS, ROOT, catalog, errors, files, ofType, run, statuses, type RunResult } from '../support/cli.js';
import { closedPort, providerFakes, startFakes, stopFakes } from '../support/fakes.js';
import { assertProtocol } from '../support/invariants.js';
import { kitsOf } from '../support/kit.js';
import { runCli, type CliResult } from '../support/warehouse.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/** Every registered connector, by provider; its specifics come from its test kit (test/fake/<provider>-kit.ts). */
type Provider = (typeof CONNECTORS)[number]['provider'];
const KITS = await kitsOf(CONNECTORS);
const byProvider = <T>(f: (k: (typeof KITS)[number]) => T): Record<Provider, T> =>
  Object.fromEntries(KITS.map((k) => [k.connector.provider, f(k)])) as Record<Provider, T>;

/**
 * Errors that name the fix ("Real-API fidelity", point 9), for every connector where they apply:
 * a 404 that a missing (or doubled) /v1 in base_url explains, a refused connection or a failed
 * DNS lookup (and how long check takes over them), a refused Admin key, a key of the wrong kind,
 * and an unknown config field. Each through the built CLI: check (FAILED, exit 0), read (TRACE
 * ERROR, exit 1), sync (one line) and Singer where the path differs. No output holds a key. What every
 * connector must do runs for every registered one; the messages that name a provider's own keys are
 * in that provider's describes.
 */
const FIRST = Date.UTC(2026, 0, 1) / 1000;
const DAYS = 10;
const KEYS = byProvider(({ kit }) => kit.e2e.key('e2e-errors'));
const outputs: Array<{ stdout: string; stderr: string }> = [];
/** Keys the tests send that must never be printed either. */
const sent = new Set<string>(Object.values(KEYS));

const fakes = providerFakes({ firstDay: FIRST, days: DAYS, keys: KEYS, now: testClock() });

beforeAll(() => startFakes(fakes));
afterAll(async () => {
  await stopFakes(fakes);
  for (const o of outputs) for (const key of sent) expect(o.stdout + o.stderr).not.toContain(key);
});

const KEY_FIELD = byProvider(({ kit }) => kit.acceptance.keyField);
const STREAM = byProvider(({ kit }) => kit.e2e.dailyStream);
const NAME = byProvider(({ connector }) => connector.name);
const SETTINGS = byProvider(({ kit }) => kit.e2e.settings);
/** What each API answers a path it does not know with. */
const NOT_FOUND = byProvider(({ kit }) => kit.e2e.notFoundBody);
const PROVIDERS: Provider[] = CONNECTORS.map((c) => c.provider);
/** base_url as the fake's, on a port nothing listens on. */
const closed = (p: Provider, port: number): string => fakes[p].baseUrl.replace(fakes[p].url, `http://127.0.0.1:${port}`);

const config = (p: Provider, extra: Record<string, unknown> = {}): Record<string, unknown> => {
  const key = extra[KEY_FIELD[p]];
  if (typeof key === 'string') sent.add(key);
  return { [KEY_FIELD[p]]: KEYS[p], ...SETTINGS[p], start_date: '2026-01-01', end_date: '2026-01-05', base_url: fakes[p].baseUrl, ...extra };
};

/** The published config fields (spec.json), in order: what an unknown-field message must list. */
function specFields(p: Provider, nested?: string): string[] {
  const spec = JSON.parse(readFileSync(join(CONTRACTS[p], 'spec.json'), 'utf8')) as {
    connectionSpecification: { properties: Record<string, { properties?: Record<string, unknown> }> };
  };
  const props = spec.connectionSpecification.properties;
  return Object.keys(nested ? (props[nested]?.properties ?? {}) : props);
}

async function cli(p: Provider, args: string[]): Promise<RunResult> {
  const r = await run(BINS[p], args, { env: AS_OF_ENV });
  outputs.push(r);
  return r;
}

/** `check`: exit 0, valid protocol, exactly one CONNECTION_STATUS, FAILED; its message and the requests it made. */
async function checkFails(p: Provider, cfg: Record<string, unknown>) {
  const before = fakes[p].requests.length;
  const started = Date.now();
  const result = await cli(p, ['check', '--config', files({ 'c.json': cfg })['c.json'] as string]);
  const ms = Date.now() - started;
  expect(result.code).toBe(0);
  assertProtocol(result, { streams: [] });
  const status = ofType(result.messages, 'CONNECTION_STATUS');
  expect(status.map((m) => m.connectionStatus.status)).toEqual(['FAILED']);
  return { message: status[0]?.connectionStatus.message as string, requests: fakes[p].requests.slice(before), ms, result };
}

/** `read` of one stream: exit 1, valid protocol; the TRACE ERRORs and the requests it made. */
async function readFails(p: Provider, cfg: Record<string, unknown>, o: { startsStream?: boolean } = {}) {
  const before = fakes[p].requests.length;
  const f = files({ 'c.json': cfg, 'cat.json': catalog([{ name: STREAM[p], mode: 'full_refresh' }]) });
  const result = await cli(p, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  expect(result.code).toBe(1);
  if (o.startsStream === false) {
    // Refused before the read began: one TRACE ERROR and nothing else.
    assertProtocol(result, { streams: [] });
    expect(result.messages.map((m) => m.type)).toEqual(['TRACE']);
  } else {
    assertProtocol(result, { streams: [STREAM[p]], expectComplete: false });
    expect(statuses(result.messages, STREAM[p]).at(-1)).toBe('INCOMPLETE');
  }
  const errs = errors(result.messages).map((m) => ({ message: m.trace.error.message as string, failureType: m.trace.error.failure_type as string }));
  return { errors: errs, requests: fakes[p].requests.slice(before), result };
}

async function sync(p: Provider, cfg: Record<string, unknown>): Promise<CliResult> {
  const f = files({ 'c.json': cfg });
  const db = join(mkdtempSync(join(tmpdir(), 'errors-')), 'costs.duckdb');
  const r = await runCli(BINS[p], ['sync', '--config', f['c.json'] as string, '--db', db, '--streams', STREAM[p]], { env: AS_OF_ENV });
  outputs.push(r);
  return r;
}

/** Singer mode: a sync of every stream; stdout holds only Singer messages, errors go to stderr. */
async function singer(p: Provider, cfg: Record<string, unknown>): Promise<RunResult> {
  return cli(p, ['--config', files({ 'c.json': cfg })['c.json'] as string]);
}

const retryWarnings = (r: RunResult): string[] =>
  ofType(r.messages, 'LOG')
    .filter((m) => m.log.level === 'WARN' && /; retry \d+ in \d+ ms/.test(m.log.message))
    .map((m) => m.log.message as string);

describe('a 404 that base_url explains', () => {
  // A base_url with or without /v1 is accepted by every connector (test/e2e/base-url.test.ts): no 404 comes of it any more.

  it('given a right base_url when the server answers 404 then the error is that 404, without a base_url hint, and stays a system_error', async () => {
    for (const p of PROVIDERS) {
      fakes[p].fault({ fault: { kind: 'status', status: 404, body: NOT_FOUND[p] }, times: 2 });
      try {
        const check = await checkFails(p, config(p));
        expect(check.message).toMatch(/^HTTP 404 from \/\S+: /);
        expect(check.message).not.toContain('base_url');
        const read = await readFails(p, config(p));
        expect(read.errors.map((e) => e.failureType)).toEqual(['system_error']);
        expect(read.errors[0]?.message).toMatch(/^HTTP 404 from \/\S+: /);
        expect(read.errors[0]?.message).not.toContain('base_url');
      } finally {
        fakes[p].clearFaults();
      }
    }
  });
});

describe('a server that cannot be reached', () => {
  it('given a closed port when checking then FAILED names 127.0.0.1:<port> as refused and says to check base_url, after at most 2 retries and well within 15 s, exit 0', async () => {
    const port = await closedPort();
    await Promise.all(
      PROVIDERS.map(async (p) => {
        const check = await checkFails(p, config(p, { base_url: closed(p, port) }));
        expect(check.message).toBe(`cannot connect to 127.0.0.1:${port} (connection refused) after retries: check base_url and that the server is up`);
        // Retried twice, quietly (DEBUG): a connection not made is said once, in the answer.
        expect(retryWarnings(check.result)).toHaveLength(0);
        // The read budget (8 retries, backoff up to 30 s) would take about a minute.
        expect(check.ms).toBeLessThan(15_000);
      }),
    );
  });

  it('given a closed port when reading then one TRACE ERROR config_error names the host and port, after the short budget of a connection not made (docs/cli.md), exit 1; sync prints it as its one line, exit 2', async () => {
    const port = await closedPort();
    const cfg = config('openai', { base_url: `http://localhost:${port}/v1`, max_retries: 3 });
    const read = await readFails('openai', cfg);
    expect(read.errors).toEqual([
      {
        failureType: 'config_error',
        message: `cannot connect to localhost:${port} (connection refused) after retries: check base_url and that the server is up`,
      },
    ]);
    // Retried quietly (DEBUG): the TRACE ERROR is the one thing said.
    expect(retryWarnings(read.result)).toHaveLength(0);
    const synced = await sync('openai', { ...cfg, max_retries: 1 });
    expect(synced.code).toBe(2);
    expect(synced.stderr).toBe(
      `source-openai-costs sync: cannot connect to localhost:${port} (connection refused) after retries: check base_url and that the server is up\n`,
    );
  });

  it('given a host that does not resolve when checking then FAILED names the host as a DNS failure and says to check base_url, well within 15 s, exit 0', async () => {
    const check = await checkFails('anthropic', config('anthropic', { base_url: 'https://costs-api.invalid' }));
    expect(check.message).toMatch(
      /^cannot resolve host costs-api\.invalid \(DNS lookup failed: (ENOTFOUND|EAI_AGAIN)\) after retries: check the host in base_url and the network$/,
    );
    expect(retryWarnings(check.result).length).toBeLessThanOrEqual(2);
    expect(check.ms).toBeLessThan(15_000);
  });
});

describe('a refused key of the right kind', () => {
  const revoked = (p: 'openai' | 'anthropic', at: string, key: string) =>
    `${p === 'openai' ? 'OpenAI' : 'Anthropic'} refused the ${key}: it is wrong or revoked; check admin_api_key, or create a new one at ${at} (HTTP 401)`;

  it('given a wrong or revoked Admin key (sk-admin-..., sk-ant-admin...) when checking and reading then the message says it is wrong or revoked and where to create one, not that another kind of key is needed', async () => {
    const cases = [
      ['openai', 'sk-admin-revoked-0f1e2d3c4b5a', revoked('openai', 'platform.openai.com/settings/organization/admin-keys', 'Admin key (sk-admin-...)')],
      ['anthropic', 'sk-ant-admin01-revoked-0f1e2d3c4b', revoked('anthropic', 'console.anthropic.com/settings/admin-keys', 'Admin API key (sk-ant-admin...)')],
    ] as const;
    for (const [p, key, message] of cases) {
      const cfg = config(p, { admin_api_key: key });
      const check = await checkFails(p, cfg);
      expect(check.message).toBe(message);
      expect(check.requests).toHaveLength(1);
      const read = await readFails(p, cfg);
      expect(read.errors).toEqual([{ failureType: 'config_error', message }]);
    }
  });

  it('given a right Admin key that the API answers 403 when checking then the message says the key lacks a permission, as a config_error on read', async () => {
    const cases = [
      [
        'openai',
        JSON.stringify({
          error: {
            message: 'You have insufficient permissions for this operation. Missing scopes: api.usage.read.',
            type: 'invalid_request_error',
            param: null,
            code: null,
          },
        }),
        'OpenAI refused the Admin key (sk-admin-...) for this endpoint: it lacks a permission; check the key at platform.openai.com/settings/organization/admin-keys (HTTP 403)',
      ],
      [
        'anthropic',
        JSON.stringify({ type: 'error', error: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' } }),
        'Anthropic refused the Admin API key (sk-ant-admin...) for this endpoint: it lacks a permission; check the key at console.anthropic.com/settings/admin-keys (HTTP 403)',
      ],
    ] as const;
    for (const [p, body, message] of cases) {
      fakes[p].fault({ fault: { kind: 'status', status: 403, body }, times: 2 });
      try {
        expect((await checkFails(p, config(p))).message).toBe(message);
        expect((await readFails(p, config(p))).errors).toEqual([{ failureType: 'config_error', message }]);
      } finally {
        fakes[p].clearFaults();
      }
    }
  });

  it('given a key of neither known shape (a proxy token, an Anthropic OAuth token) when checking then it reaches the API and its 401 says which key is needed', async () => {
    const openai = await checkFails('openai', config('openai', { admin_api_key: 'proxy-token-7a6b5c4d3e2f' }));
    expect(openai.requests).toHaveLength(1);
    expect(openai.message).toBe(
      'OpenAI refused the key: an OpenAI Admin key (sk-admin-...) from an organization Owner is needed, not a project key (HTTP 401)',
    );
    const anthropic = await checkFails('anthropic', config('anthropic', { admin_api_key: 'sk-ant-oat01-e2e-oauth-token-5e4d3c2b1a' }));
    expect(anthropic.requests).toHaveLength(1);
    expect(anthropic.message).toBe(
      'Anthropic refused the key: an Anthropic Admin API key (sk-ant-admin...) from an organization admin is needed, not a regular API key (sk-ant-api...) (HTTP 401)',
    );
  });
});

describe('a key of the wrong kind', () => {
  const OPENAI =
    'Config validation error: admin_api_key: this is a project or user key (sk-...), which cannot read usage and costs; create an Admin key (sk-admin-...) as an organization Owner at platform.openai.com/settings/organization/admin-keys.';
  const ANTHROPIC =
    'Config validation error: admin_api_key: this is a regular API key (sk-ant-api...), which cannot read usage and costs; create an Admin API key (sk-ant-admin...) as an organization admin at console.anthropic.com/settings/admin-keys.';

  it('given an OpenAI project, service-account or user key (sk-proj-, sk-svcacct-, sk-) when checking then FAILED names the Admin key and where to create it, before any request', async () => {
    for (const key of ['sk-proj-e2e-errors-0a1b2c3d4e5f', 'sk-svcacct-e2e-errors-0a1b2c3d4e', 'sk-e2eerrors0a1b2c3d4e5f6a7b8c9d']) {
      const check = await checkFails('openai', config('openai', { admin_api_key: key }));
      expect(check.message).toBe(OPENAI);
      expect(check.requests).toHaveLength(0);
    }
  });

  it('given an OpenAI project key when reading, syncing and running Singer then each refuses it in one line before any request (read: config_error, exit 1; sync: exit 2; Singer: CRITICAL, exit 1)', async () => {
    const cfg = config('openai', { admin_api_key: 'sk-proj-e2e-errors-read-9f8e7d6c' });
    const before = fakes.openai.requests.length;
    const read = await readFails('openai', cfg, { startsStream: false });
    expect(read.errors).toEqual([{ failureType: 'config_error', message: OPENAI }]);
    const synced = await sync('openai', cfg);
    expect(synced.code).toBe(2);
    expect(synced.stderr).toBe(`source-openai-costs sync: ${OPENAI}\n`);
    const tap = await singer('openai', cfg);
    expect(tap.code).toBe(1);
    expect(tap.stdout).toBe('');
    expect(tap.stderr).toBe(`CRITICAL ${OPENAI} (config_error)\n`);
    expect(fakes.openai.requests.length).toBe(before);
  });

  it('given an Anthropic regular API key (sk-ant-api...) when checking and syncing then each refuses it in one line before any request', async () => {
    const cfg = config('anthropic', { admin_api_key: 'sk-ant-api03-e2e-errors-7d6c5b4a3f' });
    const check = await checkFails('anthropic', cfg);
    expect(check.message).toBe(ANTHROPIC);
    expect(check.requests).toHaveLength(0);
    const before = fakes.anthropic.requests.length;
    const synced = await sync('anthropic', cfg);
    expect(synced.code).toBe(2);
    expect(synced.stderr).toBe(`source-anthropic-costs sync: ${ANTHROPIC}\n`);
    expect(fakes.anthropic.requests.length).toBe(before);
  });
});

describe('an unknown config field', () => {
  it('given a misspelt field (stat_date) when checking then every connector answers FAILED in one line naming it and listing the known fields, before any request', async () => {
    for (const p of PROVIDERS) {
      const { start_date: _start, ...rest } = config(p);
      const check = await checkFails(p, { ...rest, stat_date: '2026-01-01' });
      expect(check.message).toBe(`Config has unknown field 'stat_date'; known fields: ${specFields(p).join(', ')}.`);
      expect(check.requests).toHaveLength(0);
    }
  });

  it('given a misspelt field when reading, syncing and running Singer then each refuses it in the same line (read: config_error, exit 1; sync: exit 2; Singer: CRITICAL, exit 1), for every connector', async () => {
    for (const p of PROVIDERS) {
      const cfg = { ...config(p), bucket_witdh: '1h' };
      const message = `Config has unknown field 'bucket_witdh'; known fields: ${specFields(p).join(', ')}.`;
      const read = await readFails(p, cfg, { startsStream: false });
      expect(read.errors).toEqual([{ failureType: 'config_error', message }]);
      expect(read.requests).toHaveLength(0);
      const synced = await sync(p, cfg);
      expect(synced.code).toBe(2);
      expect(synced.stderr).toBe(`${NAME[p]} sync: ${message}\n`);
      const tap = await singer(p, cfg);
      expect(tap.code).toBe(1);
      expect(tap.stderr).toBe(`CRITICAL ${message} (config_error)\n`);
    }
  });

  it('given a misspelt stream name under group_by when checking then FAILED names group_by.<name> and lists the stream names', async () => {
    for (const p of ['openai', 'anthropic'] as const) {
      const check = await checkFails(p, config(p, { group_by: { [STREAM[p]]: [], costz: ['project_id'] } }));
      expect(check.message).toBe(`Config has unknown field 'group_by.costz'; known fields of group_by: ${specFields(p, 'group_by').join(', ')}.`);
      expect(specFields(p, 'group_by')).toContain(STREAM[p]);
    }
  });

  it('given each connector’s shipped example config (its kit’s e2e.exampleConfig) when discovered then it is accepted', async () => {
    for (const { connector, kit } of KITS) {
      const path = kit.e2e.exampleConfig;
      const r = await cli(connector.provider, ['discover', '--config', join(ROOT, path)]);
      expect(r.code, path).toBe(0);
      expect(ofType(r.messages, 'CATALOG')).toHaveLength(1);
    }
  });
});
