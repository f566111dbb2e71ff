import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, normalize } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';

/**
 * The report test's browser: the headless Chromium that the npm package @sparticuz/chromium ships
 * (a devDependency, no install script, no download), unpacked once per version into the temp
 * directory. Nothing comes from apt: the binary's own shared libraries (NSS, NSPR, expat, packed by
 * the package for Amazon Linux 2023, glibc 2.34) go on its LD_LIBRARY_PATH, so it starts on a bare
 * Debian bookworm (node:22-bookworm-slim) as well as here; its fonts get a fontconfig file of their own.
 */
export interface Browser {
  executablePath: string;
  /** Environment for the browser process (LD_LIBRARY_PATH, FONTCONFIG_FILE added to this process's). */
  env: Record<string, string>;
  version: string;
}

const require = createRequire(import.meta.url);

/** The package's root: its entry is build/cjs/index.cjs (package.json is not exported). */
function packageRoot(): string {
  return join(dirname(require.resolve('@sparticuz/chromium')), '..', '..');
}

/** Regular files and directories of a tar archive (ustar; all these archives hold), written under `to`. */
function untar(tar: Buffer, to: string): void {
  let at = 0;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, len: number) =>
      header
        .subarray(from, from + len)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const prefix = field(345, 155);
    const name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100);
    const size = Number.parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const path = normalize(join(to, name));
    if (!path.startsWith(to)) throw new Error(`tar entry outside its directory: ${name}`);
    at += 512;
    if (type === '5') mkdirSync(path, { recursive: true });
    else if (type === '0' || type === '\0') {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, tar.subarray(at, at + size), { mode: 0o755 });
    } else throw new Error(`tar entry of type ${type} not supported: ${name}`);
    at += Math.ceil(size / 512) * 512;
  }
}

/** Unpacks into `to`, which will be renamed to `final` (the path fonts.conf names). */
async function unpack(bin: string, to: string, final: string): Promise<void> {
  await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(to, 'chromium'), { mode: 0o755 }));
  // SwiftShader (libGLESv2.so etc.) beside the binary, where Chromium looks for it.
  untar(brotliDecompressSync(readFileSync(join(bin, 'swiftshader.tar.br'))), to);
  untar(brotliDecompressSync(readFileSync(join(bin, 'al2023.tar.br'))), to); // lib/
  untar(brotliDecompressSync(readFileSync(join(bin, 'fonts.tar.br'))), join(to, 'fonts'));
  // The package's fonts.conf names /tmp/fonts; this one names where the fonts are.
  writeFileSync(
    join(to, 'fonts.conf'),
    `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${join(final, 'fonts', 'fonts')}</dir>\n  <cachedir>${join(final, 'fonts-cache')}</cachedir>\n</fontconfig>\n`,
  );
  writeFileSync(join(to, 'complete'), '');
}

/** Unpacks (once: the directory appears complete by a rename, or not at all) and returns how to launch it. */
export async function bundledChromium(): Promise<Browser> {
  const root = packageRoot();
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version as string;
  const dir = join(tmpdir(), `ai-spend-chromium-${version}`);
  if (!existsSync(join(dir, 'complete'))) {
    const staging = mkdtempSync(join(tmpdir(), `ai-spend-chromium-${version}-`));
    try {
      await unpack(join(root, 'bin'), staging, dir);
      try {
        renameSync(staging, dir);
      } catch (e) {
        if (!existsSync(join(dir, 'complete'))) throw e; // another process won the race: use its copy
      }
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
  }
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  env.LD_LIBRARY_PATH = [join(dir, 'lib'), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  env.FONTCONFIG_FILE = join(dir, 'fonts.conf');
  return { executablePath: join(dir, 'chromium'), env, version };
}
