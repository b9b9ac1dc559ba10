// The disk alone, without Millrace: 4 KiB writes + fdatasync into a file already written (as Millrace's segments
// are ahead of their records), at up to 1,000 per second for a number of seconds, one after the other:
//
//   node load-tests/fsync-probe.mjs [seconds] [directory]
//
// Prints the percentiles of one write + fdatasync. A stall shows in the max (the probe waits it out: the writes due
// meanwhile are not counted, so the percentiles understate what an open-loop producer would see).
import fs from 'node:fs';
import path from 'node:path';

const seconds = Number(process.argv[2] ?? 10);
const file = path.join(process.argv[3] ?? '/tmp', `fsync-probe-${process.pid}.dat`);
const span = 64 << 20;
const fd = fs.openSync(file, 'w+');
fs.writeSync(fd, Buffer.alloc(span));
fs.fdatasyncSync(fd);
const block = Buffer.alloc(4096, 'x');
const nanos = [];
const start = process.hrtime.bigint();
for (let i = 0; process.hrtime.bigint() - start < BigInt(seconds * 1e9); i++) {
  const t = process.hrtime.bigint();
  fs.writeSync(fd, block, 0, block.length, (i * 4096) % span);
  fs.fdatasyncSync(fd);
  nanos.push(Number(process.hrtime.bigint() - t));
  const next = start + BigInt(Math.round((i + 1) * 1e6));
  while (process.hrtime.bigint() < next) { /* pace at 1,000 per second */ }
}
fs.closeSync(fd);
fs.unlinkSync(file);
nanos.sort((a, b) => a - b);
const at = (q) => (nanos[Math.min(nanos.length - 1, Math.floor(q * nanos.length))] / 1e6).toFixed(2);
console.log(`>>> 4 KiB write + fdatasync: n=${nanos.length} p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, `
  + `p99.9 ${at(0.999)} ms, max ${(nanos[nanos.length - 1] / 1e6).toFixed(2)} ms`);
