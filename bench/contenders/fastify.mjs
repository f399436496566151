#!/usr/bin/env node
// The Fastify contender of bench/compare.mjs: GET /hello, GET /json, POST /upload (the body parsed whole as a
// Buffer, answers its length), no logger, no schema.
// Usage: node bench/contenders/fastify.mjs [--port P] [--keep-alive MS]; logs "listening on HOST:PORT".
import Fastify from 'fastify';
import { contenderOptions, HELLO, JSON_OBJECT, JSON_TYPE, TEXT_TYPE } from './payload.mjs';

const { port, keepAlive } = contenderOptions();
const app = Fastify({ logger: false, keepAliveTimeout: keepAlive });

app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.get('/hello', (_req, reply) => reply.type(TEXT_TYPE).send(HELLO));
app.get('/json', (_req, reply) => reply.type(JSON_TYPE).send(JSON.stringify(JSON_OBJECT)));
app.post('/upload', (req, reply) => reply.type(TEXT_TYPE).send(String(req.body.length)));

const address = await app.listen({ port, host: '127.0.0.1' });
console.error(`fastify listening on ${address.replace('http://', '')}`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
