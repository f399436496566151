#!/usr/bin/env node
// The node:http contender of bench/compare.mjs: one JS process, no framework, the limit of what a single
// Node process answers. GET /hello, GET /json, POST /upload (reads the whole body, answers its length).
// Usage: node bench/contenders/node-http.mjs [--port P] [--keep-alive MS]; logs "listening on HOST:PORT".
import http from 'node:http';
import { contenderOptions, HELLO, JSON_OBJECT, JSON_TYPE, TEXT_TYPE } from './payload.mjs';

const { port, keepAlive } = contenderOptions();

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/hello') return send(res, 200, TEXT_TYPE, HELLO);
  if (req.method === 'GET' && req.url === '/json')
    return send(res, 200, JSON_TYPE, JSON.stringify(JSON_OBJECT));
  if (req.method === 'POST' && req.url === '/upload') {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => send(res, 200, TEXT_TYPE, String(Buffer.concat(chunks).length)));
    return;
  }
  send(res, 404, TEXT_TYPE, 'Not Found');
});
server.keepAliveTimeout = keepAlive;
server.listen(port, '127.0.0.1', () => {
  console.error(`node:http listening on 127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => process.exit(0));
