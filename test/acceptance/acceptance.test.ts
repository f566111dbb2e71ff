import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT, files, run, type Message, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { errorsText, recordValidator, validateMessage } from '../support/protocol.js';
import { validateSingerCatalog, validateSingerMessage } from '../support/singer.js';
import {
  additionalPropertiesNotTrue,
  arrayItems,
  checkpoints,
  configErrors,
  cursorSeconds,
  draft7Errors,
  duplicateEnums,
  emptyObjects,
  forbiddenKeywords,
  isCanonicalLine,
  oneOfViolations,
  pkViolations,
  propertyAt,
  recordsDiffer,
  refs,
  sampled,
  secretMarking,
  strictValueErrors,
  typeArrays,
  uiKeywords,
} from './cat.js';
import { CONNECTORS, type AcceptanceConnector, type Harness } from './connectors.js';

/**
 * Airbyte's Connector Acceptance Tests, once, for every connector of connectors.ts: TestSpec,
 * TestConnection, TestDiscovery, TestBasicRead, TestFullRefresh, TestIncremental (two sequential
 * reads, sequential slices, abnormally large state), plus what CAT leaves out and we assert:
 * exit codes, framing of every line, secrets never printed, metadata.yaml, docs and Dockerfile.
 */
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Stream {
  name: string;
  json_schema: Json;
  supported_sync_modes: string[];
  source_defined_cursor?: boolean;
  default_cursor_field?: string[];
  source_defined_primary_key?: string[][];
  is_resumable?: boolean;
}

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const records = (r: RunResult, stream?: string): Json[] =>
  r.messages.filter((m) => m.type === 'RECORD' && (!stream || m.record.stream === stream)).map((m) => m.record.data as Json);
const ofType = (r: RunResult, type: string): Message[] => r.messages.filter((m) => m.type === type);
const statesOf = (r: RunResult, stream?: string): Message[] => ofType(r, 'STATE').filter((m) => !stream || m.state.stream.stream_descriptor.name === stream);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Run `fn` over `items`, at most `n` at a time (reads are child processes). */
async function pool<T, R>(items: readonly T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
    }),
  );
  return out;
}

function configured(streams: readonly Stream[], mode: (s: Stream) => string): Json {
  return {
    streams: streams.map((s) => ({
      stream: s,
      sync_mode: mode(s),
      destination_sync_mode: 'append',
      ...(s.default_cursor_field ? { cursor_field: s.default_cursor_field } : {}),
      ...(s.source_defined_primary_key ? { primary_key: s.source_defined_primary_key } : {}),
    })),
  };
}

/** The latest state of each stream, as the platform passes it back. */
function latestStates(r: RunResult): Json[] {
  const latest = new Map<string, unknown>();
  for (const m of statesOf(r)) latest.set(m.state.stream.stream_descriptor.name, m.state.stream.stream_state);
  return [...latest].map(([name, s]) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: s } }));
}

const pkOf =
  (s: Stream) =>
  (r: Json): string =>
    JSON.stringify((s.source_defined_primary_key ?? [['id']]).map((p) => p.reduce<unknown>((v, k) => (v as Json | undefined)?.[k], r)));

describe.each(CONNECTORS)('$name', (c: AcceptanceConnector) => {
  let h: Harness;
  beforeAll(async () => {
    h = await c.start();
  });
  afterAll(() => h.stop());

  /** Every run: each stdout line a canonical, schema-valid AirbyteMessage, and no secret anywhere. */
  async function cli(args: string[]): Promise<RunResult> {
    const r = await run(c.bin, args);
    for (const line of r.lines) {
      expect(line).not.toMatch(/[\u2028\u2029\u0085]/);
      expect(isCanonicalLine(line), `non-canonical line ${line.slice(0, 200)}`).toBe(true);
      if (!validateMessage(JSON.parse(line))) throw new Error(`invalid AirbyteMessage ${line.slice(0, 200)}: ${errorsText(validateMessage)}`);
    }
    expect(r.messages.length, 'only JSON on stdout').toBe(r.lines.length);
    for (const s of h.secrets) expect(r.stdout + r.stderr, 'a secret was printed').not.toContain(s);
    return r;
  }
  const cfgFile = (cfg: Json = h.config): string => files({ 'config.json': cfg })['config.json'] as string;
  async function read(catalog: Json, state?: unknown, cfg: Json = h.config): Promise<RunResult> {
    const f = files({ 'config.json': cfg, 'catalog.json': catalog, ...(state ? { 'state.json': state } : {}) });
    return cli([
      'read',
      '--config',
      f['config.json'] as string,
      '--catalog',
      f['catalog.json'] as string,
      ...(state ? ['--state', f['state.json'] as string] : []),
    ]);
  }

  let specRun: Promise<RunResult> | undefined;
  const spec = () => (specRun ??= cli(['spec']));
  let discoverRun: Promise<RunResult> | undefined;
  const discover = () => (discoverRun ??= cli(['discover', '--config', cfgFile()]));
  const streams = async (): Promise<Stream[]> => (await discover()).messages[0]?.catalog.streams as Stream[];
  const incremental = async (): Promise<Stream[]> => (await streams()).filter((s) => s.supported_sync_modes.includes('incremental'));
  let basicRun: Promise<RunResult> | undefined;
  /** TestBasicRead's read: every stream, sync_mode = supported_sync_modes[0] (full_refresh first). */
  const basicRead = async () => (basicRun ??= read(configured(await streams(), (s) => s.supported_sync_modes[0] as string)));
  let incRun: Promise<RunResult> | undefined;
  const incrementalRead = async () => (incRun ??= read(configured(await incremental(), () => 'incremental')));

  describe('TestSpec', () => {
    it('spec: exactly one SPEC, equal to the committed spec file, a valid draft-07 schema the test config satisfies; exit 0', async () => {
      const r = await spec();
      expect(r.code).toBe(0);
      expect(r.messages).toHaveLength(1);
      expect(r.messages[0]?.type).toBe('SPEC');
      const s = r.messages[0]?.spec as Json;
      expect(s).toEqual(JSON.parse(readFileSync(c.specFile, 'utf8')));
      expect(draft7Errors(s.connectionSpecification)).toEqual([]);
      expect(configErrors(s.connectionSpecification, { ...h.config, _comment: 'ignored' })).toEqual([]);
      expect(() => new URL(s.documentationUrl as string)).not.toThrow();
    });

    it('spec: enums, oneOf, types, objects, arrays, forbidden keywords, $ref, additionalProperties, order/group/display_type', async () => {
      const s = (await spec()).messages[0]?.spec.connectionSpecification as Json;
      expect(duplicateEnums(s), 'test_enum_usage').toEqual([]);
      expect(oneOfViolations(s), 'test_oneof_usage').toEqual([]);
      expect(typeArrays(s), 'test_property_type_is_not_array').toEqual([]);
      expect(emptyObjects(s), 'test_object_not_empty').toEqual([]);
      expect(arrayItems(s), 'test_array_type').toEqual([]);
      expect(forbiddenKeywords(s), 'test_forbidden_complex_types').toEqual([]);
      expect(refs(s), 'test_defined_refs_exist_in_json_spec_file').toEqual([]);
      expect(additionalPropertiesNotTrue(s), 'test_additional_properties_is_true').toEqual([]);
      expect(uiKeywords(s), 'test_duplicate_order / test_nested_group / test_display_type').toEqual([]);
    });

    it('spec: the key is marked airbyte_secret and nothing else that should not be is', async () => {
      const s = (await spec()).messages[0]?.spec.connectionSpecification as Json;
      expect(secretMarking(s), 'test_secret_is_properly_marked').toEqual([]);
      expect(s.properties[c.keyField].airbyte_secret).toBe(true);
      expect(s.required).toContain(c.keyField);
    });
  });

  describe('TestConnection', () => {
    it('check: the fake key gives exactly one CONNECTION_STATUS SUCCEEDED, exit 0', async () => {
      const r = await cli(['check', '--config', cfgFile()]);
      expect(r.code).toBe(0);
      expect(ofType(r, 'CONNECTION_STATUS').map((m) => m.connectionStatus.status)).toEqual(['SUCCEEDED']);
    });

    it('check: a refused key or a config failing the spec gives exactly one CONNECTION_STATUS FAILED with a message, exit 0', async () => {
      const [bad, invalid] = await Promise.all([
        cli(['check', '--config', cfgFile(h.badKeyConfig)]),
        cli(['check', '--config', cfgFile(Object.fromEntries(Object.entries(h.config).filter(([k]) => k !== c.keyField)))]),
      ]);
      for (const r of [bad, invalid]) {
        expect(r.code).toBe(0);
        const statuses = ofType(r, 'CONNECTION_STATUS');
        expect(statuses.map((m) => m.connectionStatus.status)).toEqual(['FAILED']);
        expect(statuses[0]?.connectionStatus.message).toBeTruthy();
      }
      expect(ofType(invalid, 'CONNECTION_STATUS')[0]?.connectionStatus.message).toMatch(/^Config validation error/);
    });
  });

  describe('TestDiscovery', () => {
    it('discover: exactly one CATALOG with unique, non-empty stream names; exit 0', async () => {
      const r = await discover();
      expect(r.code).toBe(0);
      expect(ofType(r, 'CATALOG')).toHaveLength(1);
      expect(r.messages).toHaveLength(1);
      const names = (await streams()).map((s) => s.name);
      expect(names.length).toBeGreaterThan(0);
      expect(new Set(names).size).toBe(names.length);
      expect(names.every((n) => n.length > 0)).toBe(true);
    });

    it('discover: valid draft-07 schemas (equal to the committed ones) without $ref, allOf, not; additionalProperties true', async () => {
      for (const s of await streams()) {
        expect(draft7Errors(s.json_schema), s.name).toEqual([]);
        expect(s.json_schema).toEqual(JSON.parse(readFileSync(join(c.schemaDir, `${s.name}.json`), 'utf8')));
        expect(refs(s.json_schema), s.name).toEqual([]);
        expect(forbiddenKeywords(s.json_schema, ['allOf', 'not']), s.name).toEqual([]);
        expect(additionalPropertiesNotTrue(s.json_schema), s.name).toEqual([]);
      }
    });

    it('discover: sync modes listed with full_refresh first; cursors and primary keys exist and keys are scalars; incremental streams are source-defined and resumable', async () => {
      for (const s of await streams()) {
        expect(s.supported_sync_modes.length, s.name).toBeGreaterThan(0);
        expect(s.supported_sync_modes[0], s.name).toBe('full_refresh');
        expect(s.source_defined_primary_key?.length, `${s.name} has a primary key`).toBeGreaterThan(0);
        for (const pk of s.source_defined_primary_key ?? []) {
          const prop = propertyAt(s.json_schema, pk);
          expect(prop, `${s.name} primary key ${pk.join('.')}`).toBeDefined();
          const types = [prop?.type].flat();
          expect(types.includes('object') || types.includes('array'), `${s.name} key type`).toBe(false);
        }
        if (s.supported_sync_modes.includes('incremental')) {
          expect(s.source_defined_cursor, s.name).toBe(true);
          expect(s.is_resumable, s.name).toBe(true);
          expect(propertyAt(s.json_schema, s.default_cursor_field ?? []), `${s.name} cursor ${s.default_cursor_field}`).toBeDefined();
        }
      }
    });
  });

  describe('TestBasicRead', () => {
    it('read: records in every stream, valid against their schemas with strict integers and date-times, keys non-null scalars; exit 0', async () => {
      const r = await basicRead();
      expect(r.code, r.stderr).toBe(0);
      const all = await streams();
      const names = all.map((s) => s.name);
      const schemas = Object.fromEntries(all.map((s) => [s.name, s.json_schema]));
      assertProtocol(r, { streams: names, schemas });
      expect(records(r).length).toBeGreaterThan(0);
      for (const m of ofType(r, 'RECORD')) expect(names).toContain(m.record.stream);
      for (const s of all) {
        const rows = records(r, s.name);
        if (!c.emptyStreams.includes(s.name)) expect(rows.length, `records of ${s.name}`).toBeGreaterThan(0);
        const strict = recordValidator(s.json_schema);
        for (const row of rows) {
          if (!strict(row)) throw new Error(`${s.name}: ${errorsText(strict)}`);
          expect(strictValueErrors(s.json_schema, row), s.name).toEqual([]);
          expect(pkViolations(row, s.source_defined_primary_key ?? []), s.name).toEqual([]);
        }
      }
    });

    it('read: statuses STARTED, RUNNING..., COMPLETE for exactly the configured streams; per-stream STATEs with sourceStats, at least one a stream', async () => {
      const r = await basicRead();
      const names = (await streams()).map((s) => s.name);
      const traced = new Set(
        ofType(r, 'TRACE')
          .filter((m) => m.trace.type === 'STREAM_STATUS')
          .map((m) => m.trace.stream_status.stream_descriptor.name as string),
      );
      expect([...traced].sort()).toEqual([...names].sort());
      for (const name of names) {
        const st = ofType(r, 'TRACE')
          .filter((m) => m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === name)
          .map((m) => m.trace.stream_status.status as string);
        expect(st.length, name).toBeGreaterThanOrEqual(3);
        expect(st[0]).toBe('STARTED');
        expect(st.at(-1)).toBe('COMPLETE');
        expect(
          st.slice(1, -1).every((x) => x === 'RUNNING'),
          name,
        ).toBe(true);
      }
      const states = statesOf(r);
      expect(states.length).toBeGreaterThanOrEqual(names.length);
      for (const m of states) {
        expect(m.state.type).toBe('STREAM');
        expect(typeof m.state.sourceStats?.recordCount).toBe('number');
        expect(names).toContain(m.state.stream.stream_descriptor.name);
      }
    });

    it('test_airbyte_trace_message_on_failure: an unknown stream with sync_mode INVALID gives a TRACE ERROR and a non-zero exit', async () => {
      const catalog = {
        streams: [
          {
            stream: {
              name: '__AIRBYTE__stream_that_does_not_exist',
              json_schema: { type: 'object', properties: { f: { type: 'string' } } },
              supported_sync_modes: ['full_refresh'],
            },
            sync_mode: 'INVALID',
            destination_sync_mode: 'INVALID',
          },
        ],
      };
      const r = await read(catalog);
      expect(r.code).not.toBe(0);
      expect(ofType(r, 'TRACE').filter((m) => m.trace.type === 'ERROR').length).toBeGreaterThanOrEqual(1);
      expect(records(r)).toHaveLength(0);
    });
  });

  describe('TestFullRefresh', () => {
    it('test_sequential_reads: two full-refresh reads 0.1 s apart: emitted_at strictly after, read-1 records a subset of read-2 by primary key; exit 0', async () => {
      const all = await streams();
      const first = await basicRead();
      await sleep(100);
      const second = await read(configured(all, () => 'full_refresh'));
      expect(first.code).toBe(0);
      expect(second.code).toBe(0);
      expect(records(first).length).toBeGreaterThan(0);
      expect(records(second).length).toBeGreaterThan(0);
      const at = (r: RunResult): number[] => ofType(r, 'RECORD').map((m) => m.record.emitted_at as number);
      expect(Math.max(...at(first))).toBeLessThan(Math.min(...at(second)));
      for (const s of all) {
        const key = pkOf(s);
        const later = new Map(records(second, s.name).map((row) => [key(row), row]));
        for (const row of records(first, s.name)) expect(later.get(key(row)), `${s.name} ${key(row)}`).toEqual(row);
      }
    });
  });

  describe('TestIncremental', () => {
    it('test_two_sequential_reads: read 2 from the latest states returns a different record set, none older than read 1 max cursor minus the lookback; exit 0', async () => {
      const inc = await incremental();
      expect(inc.length).toBeGreaterThan(0);
      const first = await incrementalRead();
      expect(first.code, first.stderr).toBe(0);
      assertProtocol(first, { streams: inc.map((s) => s.name) });
      expect(statesOf(first).length).toBeGreaterThanOrEqual(1);
      expect(records(first).length).toBeGreaterThanOrEqual(1);
      const second = await read(
        configured(inc, () => 'incremental'),
        latestStates(first),
      );
      expect(second.code, second.stderr).toBe(0);
      assertProtocol(second, { streams: inc.map((s) => s.name) });
      expect(recordsDiffer(records(first), records(second))).toBe(true);
      const lookback = ((h.config.lookback_days as number | undefined) ?? 3) * 86_400;
      for (const s of inc) {
        const field = (s.default_cursor_field ?? [])[0] as string;
        const before = records(first, s.name).map((r) => cursorSeconds(r[field]));
        if (before.length === 0) continue;
        const floor = Math.max(...before) - lookback;
        for (const r of records(second, s.name)) expect(cursorSeconds(r[field]), `${s.name} ${field}`).toBeGreaterThanOrEqual(floor);
      }
    });

    it('test_read_sequential_slices: a read from each sampled checkpoint returns at least the records after it (sourceStats), differs from read 1, and loses nothing', async () => {
      const inc = await incremental();
      const first = await incrementalRead();
      expect(first.code).toBe(0);
      const jobs = inc.flatMap((s) => {
        const own = records(first, s.name);
        if (own.length === 0) return [];
        const cps = checkpoints(first.messages, s.name);
        return sampled(cps).map(({ item, index, last }) => ({ s, cp: item, index, last, of: cps.length, own }));
      });
      expect(jobs.length, 'checkpoints to read from').toBeGreaterThan(0);
      expect(
        jobs.some((j) => !j.last),
        'at least one stream has intermediate checkpoints',
      ).toBe(true);
      await pool(jobs, 2, async ({ s, cp, index, last, of, own }) => {
        const r = await read(
          configured([s], () => 'incremental'),
          [{ type: 'STREAM', stream: { stream_descriptor: { name: s.name }, stream_state: cp.state } }],
        );
        expect(r.code, r.stderr).toBe(0);
        const again = records(r, s.name);
        const what = `${s.name} checkpoint ${index + 1}/${of} ${JSON.stringify(cp.state)}`;
        if (!last) expect(again.length, what).toBeGreaterThanOrEqual(cp.expected);
        expect(recordsDiffer(own, again), what).toBe(true);
        // Crash after this checkpoint and resume: what came before it plus the re-read covers read 1.
        const key = pkOf(s);
        const before = first.messages
          .slice(0, cp.at)
          .filter((m) => m.type === 'RECORD' && m.record.stream === s.name)
          .map((m) => key(m.record.data));
        const covered = new Set([...before, ...again.map(key)]);
        expect(
          own.filter((row) => !covered.has(key(row))),
          `${what}: records lost`,
        ).toEqual([]);
      });
    }, 180_000); // one CLI read per sampled checkpoint of every incremental stream (12 for OpenAI, spend included): slow on a shared machine

    it('test_state_with_abnormally_large_values: the future state gives no records, a STATE and COMPLETE for every stream; exit 0', async () => {
      const inc = await incremental();
      const names = inc.map((s) => s.name);
      const r = await read(
        configured(inc, () => 'incremental'),
        c.futureState(names),
      );
      expect(r.code, r.stderr).toBe(0);
      expect(records(r)).toHaveLength(0);
      assertProtocol(r, { streams: names });
      for (const n of names) expect(statesOf(r, n).length, n).toBeGreaterThanOrEqual(1);
    });
  });

  describe('Singer mode (same binary, no command word)', () => {
    async function singer(args: string[]): Promise<RunResult> {
      const r = await run(c.bin, args);
      for (const s of h.secrets) expect(r.stdout + r.stderr, 'a secret was printed').not.toContain(s);
      return r;
    }
    /** Every stdout line a Singer message; SCHEMA before a stream's RECORDs; the last STATE's bookmarks. */
    function singerMessages(r: RunResult): { byStream: Map<string, Json[]>; bookmarks: Json } {
      expect(r.messages.length, 'only JSON on stdout').toBe(r.lines.length);
      const byStream = new Map<string, Json[]>();
      let bookmarks: Json = {};
      for (const m of r.messages) {
        if (!validateSingerMessage(m)) throw new Error(`invalid Singer message: ${errorsText(validateSingerMessage)}`);
        if (m.type === 'SCHEMA') {
          expect(byStream.has(m.stream), `second SCHEMA for ${m.stream}`).toBe(false);
          byStream.set(m.stream, []);
        } else if (m.type === 'RECORD') {
          expect(byStream.has(m.stream), `RECORD of ${m.stream} before its SCHEMA`).toBe(true);
          byStream.get(m.stream)?.push(m.record as Json);
        } else {
          expect(m.type).toBe('STATE');
          bookmarks = m.value.bookmarks as Json;
        }
      }
      return { byStream, bookmarks };
    }

    it('--discover: a Singer catalog of every stream, valid against the Singer catalog schema; exit 0', async () => {
      const r = await singer(['--config', cfgFile(), '--discover']);
      expect(r.code).toBe(0);
      const catalog = JSON.parse(r.stdout) as Json;
      if (!validateSingerCatalog(catalog)) throw new Error(errorsText(validateSingerCatalog));
      expect((catalog.streams as Json[]).map((s) => s.tap_stream_id)).toEqual((await streams()).map((s) => s.name));
    });

    it('sync without a catalog emits the same records as the Airbyte read; a resume from its last STATE re-reads only the lookback; exit 0', async () => {
      const first = await singer(['--config', cfgFile()]);
      expect(first.code, first.stderr).toBe(0);
      const one = singerMessages(first);
      const basic = await basicRead();
      for (const s of await streams()) {
        const key = pkOf(s);
        expect((one.byStream.get(s.name) ?? []).map(key).sort(), s.name).toEqual(records(basic, s.name).map(key).sort());
      }
      expect(Object.keys(one.bookmarks).sort()).toEqual((await streams()).map((s) => s.name).sort());
      const f = files({ 'state.json': { bookmarks: one.bookmarks } });
      const second = await singer(['--config', cfgFile(), '--state', f['state.json'] as string]);
      expect(second.code, second.stderr).toBe(0);
      const two = singerMessages(second);
      for (const s of await incremental()) {
        const before = one.byStream.get(s.name) ?? [];
        const after = two.byStream.get(s.name) ?? [];
        if (before.length > 0) expect(after.length, `${s.name} re-read after resume`).toBeLessThan(before.length);
        expect(two.bookmarks[s.name], s.name).toEqual(one.bookmarks[s.name]);
      }
    });
  });

  describe('Packaging (test_image_labels inputs, TestConnectorAttributes, TestConnectorDocumentation)', () => {
    const metaPath = join(ROOT, 'connectors', c.name, 'metadata.yaml');
    const docPath = join(ROOT, 'docs/integrations/sources', `${c.name}.md`);

    it('metadata.yaml: the Airbyte fields, the image tag equal to the package version, the API host allowed', async () => {
      const meta = parse(readFileSync(metaPath, 'utf8')) as { metadataSpecVersion: string; data: Json };
      expect(meta.metadataSpecVersion).toBe('1.0');
      const d = meta.data;
      expect(d).toMatchObject({
        name: expect.any(String),
        connectorType: 'source',
        connectorSubtype: 'api',
        releaseStage: 'alpha',
        license: 'MIT',
        supportLevel: 'community',
        dockerImageTag: VERSION,
      });
      expect(d.definitionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(d.dockerRepository.split('/').at(-1)).toBe(c.name);
      expect(d.githubIssueLabel).toBe(c.name);
      expect(() => new URL(d.documentationUrl)).not.toThrow();
      expect(d.documentationUrl).toContain(`docs/integrations/sources/${c.name}.md`);
      expect(d.tags).toContain('language:typescript');
      expect(d.allowedHosts.hosts).toContain(c.apiHost);
      const base = ((await spec()).messages[0]?.spec.connectionSpecification.properties.base_url?.default ?? '') as string;
      expect(d.allowedHosts.hosts).toContain(new URL(base).hostname);
    });

    it('docs page: Airbyte template headings in order, every stream and the required fields named, the version in the changelog', async () => {
      expect(existsSync(docPath), docPath).toBe(true);
      const text = readFileSync(docPath, 'utf8');
      const headings = text.split('\n').filter((l) => /^#{1,2} /.test(l));
      expect(headings[0]).toMatch(/^# \S/);
      expect(headings.slice(1).map((l) => l.replace(/^## /, ''))).toEqual([
        'Prerequisites',
        'Setup guide',
        'Supported sync modes',
        'Supported streams',
        'Changelog',
      ]);
      const section = (name: string): string => text.split(/^## /m).find((s) => s.startsWith(name)) ?? '';
      for (const s of await streams()) expect(section('Supported streams'), s.name).toContain(`\`${s.name}\``);
      const props = (await spec()).messages[0]?.spec.connectionSpecification as Json;
      for (const req of props.required as string[]) expect(section('Prerequisites'), req).toContain(props.properties[req].title as string);
      expect(section('Changelog')).toContain(VERSION);
    });

    it('Dockerfile: builds this connector by name, labels from the build args, AIRBYTE_ENTRYPOINT equal to the ENTRYPOINT', () => {
      const docker = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
      expect(docker).toMatch(new RegExp(`${c.name}\\)\\s*provider=${c.provider}\\s*;;`));
      expect(docker).toMatch(new RegExp(`^ARG VERSION=${VERSION.replace(/\./g, '\\.')}$`, 'm'));
      const entry = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(docker)?.[1] ?? '[]') as string[];
      expect(entry[0]).toBe('node');
      expect(/^ENV AIRBYTE_ENTRYPOINT="(.*)"$/m.exec(docker)?.[1]).toBe(entry.join(' '));
      const meta = parse(readFileSync(metaPath, 'utf8')) as { data: Json };
      expect(meta.data.dockerRepository).toBe(`ai-spend/${c.name}`);
      expect(docker).toMatch(/LABEL io\.airbyte\.name="ai-spend\/\$\{CONNECTOR\}"/);
      expect(docker).toMatch(/io\.airbyte\.version="\$\{VERSION\}"/);
    });
  });
});
