#!/usr/bin/env node
// The sirv contender of bench/static-compare.mjs: `sirv(dir, { etag: true, brotli: true, gzip: true })`
// (production mode: the folder is walked once at start and each file's headers kept; every request streams the
// file from disk, its precompressed `.br` / `.gz` sibling for a client that accepts that coding) as the only
// request listener of a node:http server, no access log.
// Usage: node bench/static-contenders/sirv-server.mjs --root DIR [--port P]; logs "listening on HOST:PORT".
import http from 'node:http';
import { parseArgs } from 'node:util';
import sirv from 'sirv';

const { values } = parseArgs({
  options: { root: { type: 'string' }, port: { type: 'string', default: '0' } },
});
if (values.root === undefined) throw new Error('--root DIR is required');

const serve = sirv(values.root, { etag: true, brotli: true, gzip: true });
const server = http.createServer((req, res) => serve(req, res));
server.listen(Number(values.port), '127.0.0.1', () => {
  console.error(`sirv listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
