import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { recordLineWriter } from '../../connector/protocol/lines.js';
import { NdjsonWriter } from '../../connector/protocol/writer.js';

/** A message as one output line should read: JSON, with the line breakers Python splits on escaped (written here, not the writer's). */
const serialize = (message: unknown): string =>
  JSON.stringify(message).replace(/[\u2028\u2029\u0085]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
const recordLine = (stream: string, data: unknown, emittedAt: number): string => recordLineWriter(stream, emittedAt)(data);

async function collect(write: (w: NdjsonWriter) => void, chunkBytes?: number): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString('utf8')));
  const w = new NdjsonWriter(out, chunkBytes);
  write(w);
  await w.close();
  return text;
}

describe('NdjsonWriter', () => {
  it('given strings with U+2028, U+2029 and U+0085 when written then they are escaped and the line stays one line', async () => {
    const text = await collect((w) => {
      w.write({ s: 'a\u2028b\u2029c\u0085d' });
      w.write({ s: 'plain' });
    });
    expect(text).toBe('{"s":"a\\u2028b\\u2029c\\u0085d"}\n{"s":"plain"}\n');
    expect(JSON.parse(text.split('\n')[0] as string)).toEqual({ s: 'a\u2028b\u2029c\u0085d' });
  });

  it('given many messages and a small chunk size when closed then every message is written once, in order', async () => {
    const text = await collect((w) => {
      for (let i = 0; i < 1000; i++) w.write({ i });
    }, 100);
    expect(
      text
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { i: number }).i),
    ).toEqual([...Array(1000).keys()]);
  });

  it('given a registered secret when a message contains it then the output carries a mask instead', async () => {
    const text = await collect((w) => {
      w.secrets.add('sk-admin-supersecret');
      w.write({ message: 'bad key sk-admin-supersecret echoed' });
    });
    expect(text).not.toContain('sk-admin-supersecret');
    expect(text).toContain('**********');
  });
});

describe('NdjsonWriter RECORD lines', () => {
  it('given RECORD lines built by recordLineWriter (the decode path) when written then each line is byte for byte the serialised message', async () => {
    const messages = [
      { type: 'RECORD', record: { stream: 'costs', data: { id: 'a', v: 1.5, s: 'x"y\u2028' }, emitted_at: 1 } },
      { type: 'RECORD', record: { stream: 'we"ird', data: { n: null }, emitted_at: 2 } },
      { type: 'RECORD', record: { stream: 'costs', data: {}, emitted_at: 3, namespace: 'ns' } },
    ];
    const text = await collect((w) =>
      messages.forEach((m) =>
        Object.keys(m.record).length === 3
          ? w.writeLines(new TextEncoder().encode(`${recordLine(m.record.stream, m.record.data, m.record.emitted_at)}\n`))
          : w.write(m),
      ),
    );
    expect(text.trimEnd().split('\n')).toEqual(messages.map((m) => serialize(m)));
  });
});

describe('NdjsonWriter serialised lines (from decode workers)', () => {
  const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
  const record = (data: unknown, emittedAt = 1) => ({ type: 'RECORD', record: { stream: 'costs', data, emitted_at: emittedAt } });

  it('given lines between buffered messages when closed then everything comes out in the order written', async () => {
    const text = await collect((w) => {
      w.write({ n: 1 });
      w.writeLines(utf8(`${recordLine('costs', { n: 2 }, 1)}\n${recordLine('costs', { n: 3 }, 1)}\n`));
      w.write({ n: 4 });
    });
    expect(text).toBe(`${serialize({ n: 1 })}\n${serialize(record({ n: 2 }))}\n${serialize(record({ n: 3 }))}\n${serialize({ n: 4 })}\n`);
  });

  it('given lines holding U+2028, U+2029, U+0085 and text outside ASCII when written then they are escaped exactly like any message', async () => {
    const data = { s: 'café a\u2028b\u2029c\u0085d 🚀' };
    const text = await collect((w) => w.writeLines(utf8(`${recordLine('costs', data, 1)}\n`)));
    expect(text).toBe(`${serialize(record(data))}\n`);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
  });

  it('given lines holding a registered secret when written then the output carries a mask instead', async () => {
    const text = await collect((w) => {
      w.secrets.add('sk-admin-supersecret');
      w.writeLines(utf8(`${recordLine('costs', { echoed: 'sk-admin-supersecret' }, 1)}\n`));
    });
    expect(text).not.toContain('sk-admin-supersecret');
    expect(text).toBe(`${serialize(record({ echoed: '**********' }))}\n`);
  });
});
