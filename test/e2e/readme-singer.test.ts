import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { ROOT } from '../support/cli.js';
import { errorsText } from '../support/protocol.js';
import { validateSingerCatalog, validateSingerMessage } from '../support/singer.js';

/**
 * The README's Singer recipe (section "Meltano and Singer"), run line by line as written, by bash,
 * under a minimal environment (`env -i` with PATH holding the binary and /usr/bin:/bin), in an empty
 * directory holding the reader's config.json (the fake's key and address where the reader puts theirs).
 * `source-openai-costs` on PATH is a shim to the built CLI, as `npm link` would make (issue 25, point 1).
 */
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const KEY = 'sk-admin-readme-singer-5e4d3c2b1a';
const DAYS = 20;
const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
const FIRST = today - (DAYS - 1) * DAY;

/** The first sh block of the README's "Meltano and Singer" section: the recipe. */
function singerRecipe(md: string): string[] {
  const section = md.split(/^## /m).find((s) => s.startsWith('Meltano and Singer\n'));
  const block = section?.match(/```sh\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README has no sh block under "## Meltano and Singer"');
  return block.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#'));
}

let fake: FakeOpenAi;
let base: string;
let bin: string;

function fresh(): string {
  const dir = mkdtempSync(join(base, 'work-'));
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ admin_api_key: KEY, start_date: new Date(FIRST * 1000).toISOString().slice(0, 10), base_url: fake.baseUrl }),
  );
  return dir;
}

function bash(line: string, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/env', ['-i', `PATH=${bin}:/usr/bin:/bin`, `HOME=${cwd}`, 'bash', '-euo', 'pipefail', '-c', line], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString('utf8');
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

type Line = { type: string; stream?: string; record?: Record<string, unknown>; value?: { bookmarks: Record<string, { cursor?: number }> } };
const lines = (text: string): Line[] =>
  text
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Line);

beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 3, adminKey: KEY });
  await fake.start();
  base = mkdtempSync(join(tmpdir(), 'readme-singer-'));
  bin = join(base, 'bin');
  mkdirSync(bin);
  const shim = join(bin, 'source-openai-costs');
  writeFileSync(shim, `#!/bin/sh\nexec node ${JSON.stringify(join(ROOT, 'dist/providers/openai/main.js'))} "$@"\n`);
  chmodSync(shim, 0o755);
}, 60_000);
afterAll(async () => {
  await fake?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

describe('the README Singer recipe, as written', () => {
  it('given the README when its Singer recipe runs line by line under env -i then the catalog selects costs and projects, the sync emits exactly those two streams, and the second sync resumes from the saved STATE', async () => {
    const recipe = singerRecipe(README);
    expect(recipe).toHaveLength(4);
    const dir = fresh();
    for (const line of recipe) {
      const r = await bash(line, dir);
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
      expect(r.stderr, line).not.toMatch(/WARN|ERROR|CRITICAL/);
    }
    const catalog = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as {
      streams: Array<{ stream: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }>;
    };
    expect(validateSingerCatalog(catalog), errorsText(validateSingerCatalog)).toBe(true);
    const selected = catalog.streams.filter((s) => s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata.selected === true).map((s) => s.stream);
    expect(selected).toEqual(['costs', 'projects']);

    const first = lines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
    for (const m of first) expect(validateSingerMessage(m), errorsText(validateSingerMessage)).toBe(true);
    expect(first.filter((m) => m.type === 'SCHEMA').map((m) => m.stream)).toEqual(['costs', 'projects']);
    expect([...new Set(first.filter((m) => m.type === 'RECORD').map((m) => m.stream))].sort()).toEqual(['costs', 'projects']);
    const firstCosts = first.filter((m) => m.type === 'RECORD' && m.stream === 'costs').map((m) => m.record?.start_time as number);
    expect(Math.min(...firstCosts)).toBe(FIRST);

    const state = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as Line;
    expect(state.type).toBe('STATE');
    const cursor = state.value?.bookmarks.costs?.cursor;
    expect(cursor).toBe(today);

    // The second sync starts from the state: only the lookback (3 days) before the cursor is read again.
    const second = lines(readFileSync(join(dir, 'out2.jsonl'), 'utf8'));
    for (const m of second) expect(validateSingerMessage(m), errorsText(validateSingerMessage)).toBe(true);
    expect(second.filter((m) => m.type === 'SCHEMA').map((m) => m.stream)).toEqual(['costs', 'projects']);
    const secondCosts = second.filter((m) => m.type === 'RECORD' && m.stream === 'costs').map((m) => m.record?.start_time as number);
    expect(secondCosts.length).toBeGreaterThan(0);
    expect(Math.min(...secondCosts)).toBe(today - 3 * DAY);
  }, 120_000);

  it('given the catalog --discover prints without --select when synced then it is a one-line CRITICAL error naming --select, exit 1, nothing on stdout and no request', async () => {
    const dir = fresh();
    const discovered = await bash('source-openai-costs --config config.json --discover > catalog.json', dir);
    expect(discovered.code, discovered.stderr).toBe(0);
    const before = fake.requests.length;
    const r = await bash('source-openai-costs --config config.json --catalog catalog.json', dir);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'CRITICAL Catalog selects no stream: mark streams "selected": true in their metadata (breadcrumb []), or print such a catalog with --discover --select costs,spend (or --select all). (config_error)\n',
    );
    expect(fake.requests.length).toBe(before);
  }, 60_000);

  it('given --select all when discovering then every stream is selected, and a sync of that catalog emits a SCHEMA for every stream', async () => {
    const dir = fresh();
    const r = await bash('source-openai-costs --config config.json --discover --select all > catalog.json', dir);
    expect(r.code, r.stderr).toBe(0);
    const catalog = JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as {
      streams: Array<{ metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }>;
    };
    expect(catalog.streams.length).toBe(15);
    expect(catalog.streams.every((s) => s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata.selected === true)).toBe(true);
  }, 60_000);

  it.each([
    [
      'an unknown stream',
      '--discover --select costs,cost',
      "source-openai-costs: --select names no stream 'cost'; the streams are costs, spend, usage_completions,",
    ],
    ['no stream name', '--discover --select ,', 'source-openai-costs: --select needs stream names, e.g. --select costs,projects (or --select all).'],
    [
      '--select without --discover',
      '--select costs',
      'source-openai-costs: --select goes with --discover: it marks streams selected in the catalog --discover prints.',
    ],
  ])('given %s when run then it is a usage error: one line naming what to fix, then the usage, exit 2, nothing on stdout', async (_what, args, line) => {
    const dir = fresh();
    const r = await bash(`source-openai-costs --config config.json ${args}`, dir);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]?.startsWith(line), r.stderr).toBe(true);
    expect(r.stderr).toContain('--discover [--select NAME,NAME]');
  });
  it("given examples/meltano/meltano.yml when its select and metadata are matched against the tap's --discover then every selected stream and replication key exists, so Meltano's catalog selects streams", async () => {
    const yml = parse(readFileSync(join(ROOT, 'examples/meltano/meltano.yml'), 'utf8')) as {
      plugins: { extractors: Array<{ executable: string; select: string[]; metadata: Record<string, Record<string, unknown>> }> };
    };
    const tap = yml.plugins.extractors[0];
    expect(tap?.executable).toBe('source-openai-costs');
    const dir = fresh();
    const r = await bash('source-openai-costs --config config.json --discover', dir);
    expect(r.code, r.stderr).toBe(0);
    const streams = new Map(
      (
        JSON.parse(r.stdout) as { streams: Array<{ stream: string; metadata: Array<{ breadcrumb: string[]; metadata: Record<string, unknown> }> }> }
      ).streams.map((s) => [s.stream, s.metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {}]),
    );
    const selected = (tap?.select ?? []).map((pattern) => pattern.replace(/\.\*$/, ''));
    expect(selected.length).toBeGreaterThan(0);
    for (const name of selected) expect([...streams.keys()], name).toContain(name);
    for (const [name, meta] of Object.entries(tap?.metadata ?? {})) {
      expect(streams.get(name)?.['valid-replication-keys'], name).toEqual([meta['replication-key']]);
    }
  }, 60_000);
});
