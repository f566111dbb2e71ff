// The throughput floor, in a fresh process of its own (so the bench process's heap, which holds
// the fake and its cached replies, cannot slow or speed it): reads the response bodies from the
// files named on the command line, then times JSON.parse of every body plus JSON.stringify of a
// RECORD message per result, nothing else, `repeats` times. Prints one JSON line per repeat.
import { readFileSync } from 'node:fs';

const [repeats, ...files] = process.argv.slice(2);
const bodies = files.map((f) => readFileSync(f, 'utf8'));
for (let i = 0; i < Number(repeats); i++) {
  const t0 = performance.now();
  let records = 0;
  let bytes = 0;
  for (const text of bodies) {
    const page = JSON.parse(text);
    for (const b of page.data) {
      for (const r of b.results) {
        bytes += JSON.stringify({
          type: 'RECORD',
          record: { stream: 'costs', data: { start_time: b.start_time, end_time: b.end_time, ...r }, emitted_at: 0 },
        }).length;
        records += 1;
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0, records, bytes })}\n`);
}
