import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONNECTORS, contractsDirOf, entryOf, type Provider } from '../../connector/connectors.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const byProvider = <T>(f: (c: (typeof CONNECTORS)[number]) => T): Record<Provider, T> =>
  Object.fromEntries(CONNECTORS.map((c) => [c.provider, f(c)])) as Record<Provider, T>;
/** The built executable of each registered connector (connector/connectors.ts), by provider. */
export const BINS = byProvider((c) => join(ROOT, entryOf(c)));
/** Each connector's generated contracts: connectors/<name>/ (spec.json, schemas/<stream>.json), by provider. */
export const CONTRACTS = byProvider((c) => join(ROOT, contractsDirOf(c)));

/** Every stream of source-openai-costs, written out (not read from the connector), in catalog order. */
export const OPENAI_STREAMS = [
  'costs',
  'spend',
  'usage_completions',
  'usage_embeddings',
  'usage_moderations',
  'usage_images',
  'usage_audio_speeches',
  'usage_audio_transcriptions',
  'usage_vector_stores',
  'usage_code_interpreter_sessions',
  'usage_file_search_calls',
  'usage_web_search_calls',
  'projects',
  'users',
  'project_api_keys',
] as const;

export interface Message {
  type: string;
  [k: string]: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  lines: string[];
  messages: Message[];
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Called with each parsed stdout message as it arrives; return true to send `killWith`. */
  killWhen?: (m: Message, all: Message[]) => boolean;
  killWith?: NodeJS.Signals;
  timeoutMs?: number;
}

/** Spawn the built CLI and collect its output. */
export function run(bin: string, args: string[], o: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let partial = '';
    const seen: Message[] = [];
    let killed = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      partial += chunk;
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        if (!line) continue;
        let m: Message;
        try {
          m = JSON.parse(line) as Message;
        } catch {
          continue;
        }
        seen.push(m);
        if (!killed && o.killWhen?.(m, seen)) {
          killed = true;
          child.kill(o.killWith ?? 'SIGKILL');
        }
      }
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').filter((l) => l.length > 0);
      // A SIGKILLed process may leave a cut last line: keep every whole message.
      const messages = lines.flatMap((l) => {
        try {
          return [JSON.parse(l) as Message];
        } catch {
          return [];
        }
      });
      resolve({ code, signal, stdout, stderr, lines, messages });
    });
  });
}

/** A temp dir with JSON files; returns their paths. */
export function files(contents: Record<string, unknown>): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'conn-'));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(contents)) {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    out[name] = path;
  }
  return out;
}

export const ofType = (messages: Message[], type: string): Message[] => messages.filter((m) => m.type === type);
export const records = (messages: Message[], stream?: string): Array<Record<string, unknown>> =>
  ofType(messages, 'RECORD')
    .filter((m) => !stream || m.record.stream === stream)
    .map((m) => m.record.data as Record<string, unknown>);
export const states = (messages: Message[], stream?: string): Message[] =>
  ofType(messages, 'STATE').filter((m) => !stream || m.state.stream.stream_descriptor.name === stream);
export const statuses = (messages: Message[], stream: string): string[] =>
  ofType(messages, 'TRACE')
    .filter((m) => m.trace.type === 'STREAM_STATUS' && m.trace.stream_status.stream_descriptor.name === stream && !m.trace.stream_status.reasons)
    .map((m) => m.trace.stream_status.status as string);
/** The RECORD and STATE lines of an output as written (bytes, not parsed), emitted_at zeroed: equal for equal reads whatever the clock. */
export const dataLines = (stdout: string): string[] =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{"type":"RECORD"') || l.startsWith('{"type":"STATE"'))
    .map((l) => l.replace(/"emitted_at":\d+\}\}$/, '"emitted_at":0}}'));
export const errors = (messages: Message[]): Message[] => ofType(messages, 'TRACE').filter((m) => m.trace.type === 'ERROR');

export function catalog(streams: Array<{ name: string; mode?: 'full_refresh' | 'incremental' }>): unknown {
  return {
    streams: streams.map((s) => ({
      stream: { name: s.name, json_schema: {}, supported_sync_modes: ['full_refresh', 'incremental'] },
      sync_mode: s.mode ?? 'incremental',
      // append_dedup for an incremental stream: append would re-store the lookback's rows (a WARN, engine/catalog.ts appendWarning).
      destination_sync_mode: (s.mode ?? 'incremental') === 'incremental' ? 'append_dedup' : 'append',
    })),
  };
}

/** The latest state per stream, as the platform would pass it back. */
export function lastStates(messages: Message[]): unknown[] {
  const latest = new Map<string, unknown>();
  for (const m of states(messages)) latest.set(m.state.stream.stream_descriptor.name, m.state.stream.stream_state);
  return [...latest].map(([name, s]) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: s } }));
}
