#!/usr/bin/env node
// The bare node:http contender of bench/static-compare.mjs: reads the site's two files into memory at start
// and answers GET /small.css and GET /large.bin with their bytes and the same header fields Tandem's static
// layer sends (Content-Type, Accept-Ranges, X-Content-Type-Options, ETag, Last-Modified, Vary for CSS,
// Content-Length), no conditional or range handling, no access log: the limit of one Node process.
// Usage: node bench/static-contenders/node-static.mjs --root DIR [--port P]; logs "listening on HOST:PORT".
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LARGE, SMALL } from './site.mjs';

const { values } = parseArgs({
  options: { root: { type: 'string' }, port: { type: 'string', default: '0' } },
});
if (values.root === undefined) throw new Error('--root DIR is required');

/** The reply for one file: its bytes and the header fields, as Tandem's static layer builds them. */
function fileReply(file) {
  const path = join(values.root, file.name);
  const stats = statSync(path, { bigint: true });
  const body = readFileSync(path);
  const headers = {
    'Content-Type': file.type,
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    ETag: `"${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}"`,
    'Last-Modified': new Date(Number(stats.mtimeNs / 1_000_000_000n) * 1000).toUTCString(),
  };
  // Tandem compresses CSS for clients that ask, so its identity replies say that they vary.
  if (file.type.startsWith('text/')) headers.Vary = 'Accept-Encoding';
  headers['Content-Length'] = String(body.length);
  return { body, headers };
}

const replies = new Map([SMALL, LARGE].map((f) => [`/${f.name}`, fileReply(f)]));

const server = http.createServer((req, res) => {
  const reply = replies.get(req.url);
  if (reply === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '10' });
    res.end('Not Found\n');
    return;
  }
  res.writeHead(200, reply.headers);
  res.end(req.method === 'HEAD' ? undefined : reply.body);
});
server.listen(Number(values.port), '127.0.0.1', () => {
  console.error(`node:http static listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
