import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONNECTORS, contractsDirOf, entryOf } from '../../connector/connectors.js';
import { generatedFiles } from '../../connector/tools/generate.js';
import { VERSION } from '../../connector/version.js';
import { CONNECTORS as ACCEPTANCE } from '../acceptance/connectors.js';
import { BINS, CONTRACTS, ROOT } from '../support/cli.js';

const text = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

describe('generated contracts', () => {
  it('given the registry, zod configs and stream declarations when generated then every spec.json, schemas/, package.json bin and the Dockerfile case are identical to the committed files', async () => {
    const files = await generatedFiles();
    expect(files.map((f) => f.path)).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'Dockerfile']));
    for (const f of files) {
      expect(text(f.path), `${f.path} is stale: run npm run generate`).toBe(f.content);
    }
  });

  it('given package.json when compared then the connector version matches it', () => {
    expect(VERSION).toBe((JSON.parse(text('package.json')) as { version: string }).version);
  });
});

describe('one list of connectors (connector/connectors.ts)', () => {
  const names = CONNECTORS.map((c) => c.name);

  it('given the registry when package.json bin, the lock file, the Dockerfile case, the test support and the acceptance suite are read then each lists exactly its connectors', () => {
    const pkg = JSON.parse(text('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual(Object.fromEntries(CONNECTORS.map((c) => [c.name, entryOf(c)])));
    const lock = JSON.parse(text('package-lock.json')) as { packages: Record<string, { bin?: Record<string, string> }> };
    expect(lock.packages['']?.bin).toEqual(pkg.bin);
    const cases = [...text('Dockerfile').matchAll(/^ {6}(source-[a-z-]+)\) provider=([a-z0-9-]+) ;;/gm)].map((m) => [m[1], m[2]]);
    expect(cases).toEqual(CONNECTORS.map((c) => [c.name, c.provider]));
    expect(BINS).toEqual(Object.fromEntries(CONNECTORS.map((c) => [c.provider, join(ROOT, entryOf(c))])));
    expect(CONTRACTS).toEqual(Object.fromEntries(CONNECTORS.map((c) => [c.provider, join(ROOT, contractsDirOf(c))])));
    expect(ACCEPTANCE.map((c) => [c.name, c.provider, c.bin])).toEqual(CONNECTORS.map((c) => [c.name, c.provider, join(ROOT, entryOf(c))]));
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(CONNECTORS.map((c) => c.provider)).size).toBe(names.length);
  });

  it('given each registered connector when loaded then its definition has the registered name, its folder has a main.ts running that definition, and it has metadata.yaml and a docs page', async () => {
    for (const c of CONNECTORS) {
      const source = await c.source();
      expect(source.name).toBe(c.name);
      const main = text(`connector/providers/${c.provider}/main.ts`);
      expect(main, c.name).toMatch(/import \{ main \} from '\.\.\/\.\.\/cli\/main\.js';/);
      expect(main, c.name).toMatch(/from '\.\/index\.js';/);
      expect(existsSync(join(ROOT, contractsDirOf(c), 'metadata.yaml')), c.name).toBe(true);
      expect(existsSync(join(ROOT, 'docs/integrations/sources', `${c.name}.md`)), c.name).toBe(true);
    }
  });
});
