#!/usr/bin/env node
// The bare node:http contender of bench/static-compare.mjs: reads the site's files into memory at start and
// answers GET /small.css and GET /large.bin with their bytes and the same header fields Tandem's static layer
// sends (Content-Type, Content-Encoding, Accept-Ranges, X-Content-Type-Options, ETag, Last-Modified, Vary for
// CSS, Content-Length); a request whose Accept-Encoding names br (else gzip) gets small.css's precompressed
// sibling, as Tandem sends it; an If-None-Match naming the reply's ETag (exactly) gets a 304 with the
// validators and Vary. No other conditional or range handling, no access log: the limit of one Node process.
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

/**
 * The reply for one file in one coding (`identity`, `br`, `gzip`): the bytes of `name` and the header fields,
 * as Tandem's static layer builds them (a compressed representation's ETag ends in its coding).
 */
function fileReply(file, name, coding) {
  const path = join(values.root, name);
  const stats = statSync(path, { bigint: true });
  const body = readFileSync(path);
  const tag = coding === 'identity' ? '' : `-${coding}`;
  const headers = { 'Content-Type': file.type };
  if (coding !== 'identity') headers['Content-Encoding'] = coding;
  Object.assign(headers, {
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    ETag: `"${stats.size.toString(16)}-${stats.mtimeNs.toString(16)}${tag}"`,
    'Last-Modified': new Date(Number(stats.mtimeNs / 1_000_000_000n) * 1000).toUTCString(),
  });
  // Tandem compresses CSS for clients that ask, so its identity replies say that they vary.
  if (file.type.startsWith('text/')) headers.Vary = 'Accept-Encoding';
  const notModified = { ETag: headers.ETag, 'Last-Modified': headers['Last-Modified'] };
  if (headers.Vary !== undefined) notModified.Vary = headers.Vary;
  headers['Content-Length'] = String(body.length);
  return { body, headers, notModified };
}

/** Replies by path: { identity, br?, gzip? }. */
const replies = new Map([
  [
    `/${SMALL.name}`,
    {
      identity: fileReply(SMALL, SMALL.name, 'identity'),
      br: fileReply(SMALL, SMALL.br, 'br'),
      gzip: fileReply(SMALL, SMALL.gz, 'gzip'),
    },
  ],
  [`/${LARGE.name}`, { identity: fileReply(LARGE, LARGE.name, 'identity') }],
]);

/** The coding to answer with: br, else gzip when the client names it and the file has it, else identity. */
function choose(variants, acceptEncoding) {
  if (acceptEncoding === undefined) return variants.identity;
  if (variants.br !== undefined && /\bbr\b/.test(acceptEncoding)) return variants.br;
  if (variants.gzip !== undefined && /\bgzip\b/.test(acceptEncoding)) return variants.gzip;
  return variants.identity;
}

const server = http.createServer((req, res) => {
  const variants = replies.get(req.url);
  if (variants === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': '10' });
    res.end('Not Found\n');
    return;
  }
  const reply = choose(variants, req.headers['accept-encoding']);
  if (req.headers['if-none-match'] === reply.headers.ETag) {
    res.writeHead(304, reply.notModified);
    res.end();
    return;
  }
  res.writeHead(200, reply.headers);
  res.end(req.method === 'HEAD' ? undefined : reply.body);
});
server.listen(Number(values.port), '127.0.0.1', () => {
  console.error(`node:http static listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
