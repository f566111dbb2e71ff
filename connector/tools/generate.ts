import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { specification } from '../cli/spec.js';
import type { SourceDefinition } from '../engine/source.js';
import { anthropicSource } from '../providers/anthropic/index.js';
import { aurousSource } from '../providers/aurous/index.js';
import { openAiSource } from '../providers/openai/index.js';

/**
 * Writes the generated contract files: spec.json (from the zod config) and
 * schemas/<stream>.json (from the stream declarations). A test fails when the
 * committed files differ from what this produces.
 */
interface GeneratedFile {
  path: string;
  content: string;
}

const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export function generatedFiles(): GeneratedFile[] {
  const sources: Array<[SourceDefinition<never>, string]> = [
    [openAiSource as unknown as SourceDefinition<never>, ''],
    [anthropicSource as unknown as SourceDefinition<never>, 'connectors/source-anthropic-costs'],
    [aurousSource as unknown as SourceDefinition<never>, 'connectors/source-aurous-usage'],
  ];
  const files: GeneratedFile[] = [];
  for (const [source, dir] of sources) {
    files.push({ path: join(dir, 'spec.json'), content: json(specification(source)) });
    for (const s of source.streams) files.push({ path: join(dir, 'schemas', `${s.name}.json`), content: json(s.schema) });
  }
  return files;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  for (const f of generatedFiles()) {
    mkdirSync(dirname(f.path) || '.', { recursive: true });
    writeFileSync(f.path, f.content);
    process.stderr.write(`wrote ${f.path}\n`);
  }
}
