#!/usr/bin/env node
// Uploads SIZE bytes (default 1 GiB) through httpserver to the demo site's POST /upload and reports the
// answer, the sha256 computed here, the throughput and the peak RSS of each server process.
// Usage: npm run build && node bench/upload-memory.mjs [SIZE_MIB]
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { rssMiB, startTandem } from './lib.mjs';

const size = Number(process.argv[2] ?? 1024) * 1024 * 1024;

const webframe = await startTandem(['webframe', 'examples/site', '--port', '0']);
const front = await startTandem(['httpserver', '--port', '0', '--webframe', `127.0.0.1:${webframe.port}`]);
const peak = { webframe: 0, httpserver: 0 };
const sampler = setInterval(() => {
  peak.webframe = Math.max(peak.webframe, rssMiB(webframe.proc.pid));
  peak.httpserver = Math.max(peak.httpserver, rssMiB(front.proc.pid));
}, 50);

const block = randomBytes(1024 * 1024);
const hash = createHash('sha256');
const started = performance.now();
const answer = await new Promise((resolve, reject) => {
  const req = http.request(
    {
      port: front.port,
      host: '127.0.0.1',
      method: 'POST',
      path: '/upload',
      headers: { 'content-length': size },
    },
    (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    },
  );
  req.on('error', reject);
  let sent = 0;
  const pump = () => {
    while (sent < size) {
      const piece = block.subarray(0, Math.min(block.length, size - sent));
      // Vary the data so a wrong order or a lost chunk changes the hash.
      piece[0] = (sent / block.length) & 0xff;
      hash.update(piece);
      sent += piece.length;
      if (!req.write(Buffer.from(piece))) return req.once('drain', pump);
    }
    req.end();
  };
  pump();
});
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
const expected = hash.digest('hex');
const got = JSON.parse(answer.body);
console.log(
  `status ${answer.status}, bytes ${got.bytes} of ${size}, sha256 ${got.sha256 === expected ? 'matches' : `MISMATCH ${got.sha256} != ${expected}`}`,
);
console.log(`${(size / 1024 / 1024 / seconds).toFixed(0)} MiB/s over ${seconds.toFixed(1)} s`);
console.log(
  `peak RSS: httpserver ${peak.httpserver.toFixed(0)} MiB, webframe ${peak.webframe.toFixed(0)} MiB`,
);
webframe.proc.kill('SIGTERM');
front.proc.kill('SIGTERM');
process.exit(got.sha256 === expected && got.bytes === size ? 0 : 1);
