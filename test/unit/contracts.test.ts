import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatedFiles } from '../../connector/tools/generate.js';
import { VERSION } from '../../connector/version.js';
import { ROOT } from '../support/cli.js';

describe('generated contracts', () => {
  it('given the zod config and stream declarations when generated then spec.json and schemas/ are identical to the committed files', () => {
    for (const f of generatedFiles()) {
      expect(readFileSync(join(ROOT, f.path), 'utf8'), `${f.path} is stale: run npm run generate`).toBe(f.content);
    }
  });

  it('given package.json when compared then the connector version matches it', () => {
    expect(VERSION).toBe((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
  });
});
