// Open-loop PutRecord latency, and put -> seen by a tight GetRecords reader, against a Kinesis endpoint.
//
//   node load-tests/put-latency.mjs [--rate 1000] [--seconds 20] [--warmup 5] [--connections 32] [--no-reader]
//                                   [--pid SERVER_PID] [--endpoint http://127.0.0.1:4567]
//
// A light driver (plain Node, no SDK, one thread) so that at 1,000 requests/s the driver is not what is measured:
// PutRecord requests of 100 B are sent on a schedule (rate per second; a 1 ms timer sends all that are due), whether
// or not earlier ones were answered, so a stall of the server is never hidden (no coordinated omission); latency
// counts from the moment a request is issued (the timer's own lateness, up to about a millisecond, is left out).
// Each record carries its issue time; one reader loops GetRecords on the stream's only shard (each call as soon as
// the last answered) and measures put -> seen. Creates a stream of one shard, warms
// up, measures, prints percentiles, deletes the stream. With --pid, also the server's CPU over the measured window.
import http from 'node:http';
import fs from 'node:fs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => {
  if (a.startsWith('--')) pairs.push([a.slice(2), all[i + 1] && !all[i + 1].startsWith('--') ? all[i + 1] : 'true']);
  return pairs;
}, []));
const rate = Number(args.rate ?? 1000);
const seconds = Number(args.seconds ?? 20);
const warmup = Number(args.warmup ?? 5);
const connections = Number(args.connections ?? 32);
const reader = args['no-reader'] === undefined;
const endpoint = new URL(args.endpoint ?? 'http://127.0.0.1:4567');
const stream = `latency-${process.pid}-${Date.now()}`;
const agent = new http.Agent({ keepAlive: true, maxSockets: connections + 2 });

function call(action, body) {
  const payload = Buffer.from(JSON.stringify(body));
  const date = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: endpoint.hostname, port: endpoint.port, method: 'POST', path: '/', agent,
      headers: {
        'Content-Type': 'application/x-amz-json-1.1', 'Content-Length': payload.length,
        'X-Amz-Target': `Kinesis_20131202.${action}`, 'X-Amz-Date': date,
        Authorization: `AWS4-HMAC-SHA256 Credential=AKIDLATENCY/${date.slice(0, 8)}/us-east-1/kinesis/aws4_request, `
          + 'SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=0',
      },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`${action}: ${res.statusCode} ${text}`));
        else resolve(text ? JSON.parse(text) : {});
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function cpuSeconds(pid) {
  if (!pid) return NaN;
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, clock ticks of 1/100 s
}

function percentiles(name, nanos) {
  const sorted = Float64Array.from(nanos).sort();
  const at = (q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] / 1e6 : NaN);
  const max = sorted.length ? sorted[sorted.length - 1] / 1e6 : NaN;
  console.log(`>>> ${name}: n=${sorted.length} p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, `
    + `p99.9 ${at(0.999).toFixed(2)} ms, max ${max.toFixed(2)} ms`);
}

await call('CreateStream', { StreamName: stream, ShardCount: 1 });
for (;;) {
  const d = await call('DescribeStreamSummary', { StreamName: stream });
  if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break;
  await new Promise((r) => setTimeout(r, 50));
}

const start = process.hrtime.bigint();
const measureFrom = start + BigInt(warmup * 1e9);
const end = measureFrom + BigInt(seconds * 1e9);
const putLatency = [];
const seenLatency = [];
let sent = 0;
let failed = 0;
let cpuStart = NaN;

let reading = reader;
const readerDone = reader ? (async () => {
  const it = await call('GetShardIterator', { StreamName: stream, ShardId: 'shardId-000000000000',
    ShardIteratorType: 'LATEST' });
  let iterator = it.ShardIterator;
  while (reading) {
    const r = await call('GetRecords', { ShardIterator: iterator, Limit: 10000 });
    const now = process.hrtime.bigint();
    for (const record of r.Records) {
      const issued = BigInt(Buffer.from(record.Data, 'base64').toString().trim());
      if (issued >= measureFrom && issued < end) seenLatency.push(Number(now - issued));
    }
    iterator = r.NextShardIterator;
  }
})() : Promise.resolve();

const pending = new Set();
await new Promise((resolve) => {
  const tick = () => {
    const now = process.hrtime.bigint();
    if (Number.isNaN(cpuStart) && now >= measureFrom) cpuStart = cpuSeconds(args.pid);
    const dueCount = Math.min(Number(((now - start) * BigInt(rate)) / 1000000000n), rate * (warmup + seconds));
    while (sent < dueCount) {
      const issued = process.hrtime.bigint();
      sent += 1;
      const data = Buffer.from(issued.toString().padEnd(100, ' ')).toString('base64');
      const p = call('PutRecord', { StreamName: stream, PartitionKey: `k${sent}`, Data: data }).then(() => {
        if (issued >= measureFrom && issued < end) putLatency.push(Number(process.hrtime.bigint() - issued));
      }, () => { failed += 1; });
      pending.add(p);
      p.finally(() => pending.delete(p));
    }
    if (now >= end) resolve();
    else setTimeout(tick, 1);
  };
  tick();
});
const cpu = cpuSeconds(args.pid) - cpuStart;
await Promise.all(pending);
const readerDeadline = Date.now() + 5000; // the reader takes the last puts too, if it can
while (reader && seenLatency.length < putLatency.length && Date.now() < readerDeadline) {
  await new Promise((r) => setTimeout(r, 10));
}
reading = false;
await readerDone;
await call('DeleteStream', { StreamName: stream, EnforceConsumerDeletion: true });
agent.destroy();

const measured = putLatency.length;
console.log(`>>> PutRecord at ${rate}/s for ${seconds} s (after ${warmup} s warm-up), ${connections} connections: `
  + `${measured} measured, ${failed} failed`);
percentiles('put latency', putLatency);
if (reader) percentiles('put -> seen by GetRecords', seenLatency);
if (!Number.isNaN(cpu)) console.log(`>>> server CPU while measuring: ${cpu.toFixed(2)} s = ${(measured / cpu).toFixed(0)} requests per CPU-second`);
