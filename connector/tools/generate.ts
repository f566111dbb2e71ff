import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { specification } from '../cli/spec.js';
import { type Connector, CONNECTORS, contractsDirOf, entryOf } from '../connectors.js';

/**
 * Writes the files derived from the registry (connector/connectors.ts): each connector's
 * connectors/<name>/spec.json (from its zod config) and schemas/<stream>.json (from its stream
 * declarations), package.json "bin" (and the lock file's copy of it) and the Dockerfile's
 * CONNECTOR case, and the root spec.json and schemas/ of the design card's layout (the first
 * connector's, the Dockerfile's default). A test fails when the committed files differ from what this produces, so a
 * connector is added by one registry line and `npm run generate`, never by hand in those files.
 */
interface GeneratedFile {
  path: string;
  content: string;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
const committed = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** package.json, or the lock file's root package, with "bin" from the registry (key order otherwise kept). */
function withBin(text: string, lock: boolean, connectors: readonly Connector[]): string {
  const pkg = JSON.parse(text) as { packages: Record<string, Record<string, unknown>> } & Record<string, unknown>;
  const bin = Object.fromEntries(connectors.map((c) => [c.name, entryOf(c)]));
  // npm keeps the lock file's bin sorted by name; package.json keeps the registry's order.
  const root = lock ? pkg.packages[''] : pkg;
  if (!root) throw new Error('package-lock.json has no root package');
  root.bin = lock ? Object.fromEntries(Object.entries(bin).sort(([a], [b]) => a.localeCompare(b))) : bin;
  return json(pkg);
}

/** The Dockerfile with its CONNECTOR -> provider case written from the registry. */
function withConnectorCase(text: string, connectors: readonly Connector[]): string {
  const names = connectors.map((c) => c.name);
  const alternatives = `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
  const cases = [
    ...connectors.map((c) => `      ${c.name}) provider=${c.provider} ;; \\`),
    `      *) echo "unknown CONNECTOR '$CONNECTOR': use ${alternatives}" >&2; exit 1 ;; \\`,
  ];
  const block = /^(RUN case "\$CONNECTOR" in \\\n)(?:.*\n)*?( {4}esac \\\n)/m;
  if (!block.test(text)) throw new Error('Dockerfile: no `RUN case "$CONNECTOR" in ... esac` block to generate');
  return text
    .replace(block, (_all, head: string, tail: string) => `${head}${cases.join('\n')}\n${tail}`)
    .replace(/^ARG CONNECTOR=.*$/m, `ARG CONNECTOR=${names[0]}`);
}

/** The files `connectors` (the registry; a test passes a copy with a scratch provider) generate. */
export async function generatedFiles(connectors: readonly Connector[] = CONNECTORS): Promise<GeneratedFile[]> {
  const files: GeneratedFile[] = [];
  for (const c of connectors) {
    const source = await c.source();
    const dir = contractsDirOf(c);
    files.push({ path: join(dir, 'spec.json'), content: json(specification(source)) });
    for (const s of source.streams) files.push({ path: join(dir, 'schemas', `${s.name}.json`), content: json(s.schema) });
    // The design card's top-level spec.json and schemas/: the contracts of the image `docker build .`
    // makes without a CONNECTOR argument (the first connector), generated, never a hand-kept copy.
    if (c === connectors[0]) {
      files.push({ path: 'spec.json', content: json(specification(source)) });
      for (const s of source.streams) files.push({ path: join('schemas', `${s.name}.json`), content: json(s.schema) });
    }
  }
  files.push({ path: 'package.json', content: withBin(committed('package.json'), false, connectors) });
  files.push({ path: 'package-lock.json', content: withBin(committed('package-lock.json'), true, connectors) });
  files.push({ path: 'Dockerfile', content: withConnectorCase(committed('Dockerfile'), connectors) });
  return files;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  for (const f of await generatedFiles()) {
    mkdirSync(dirname(join(ROOT, f.path)), { recursive: true });
    writeFileSync(join(ROOT, f.path), f.content);
    process.stderr.write(`wrote ${f.path}\n`);
  }
}
