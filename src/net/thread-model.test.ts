import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { waitFor } from '../../test/support/wait-for.js';
import { errors, isError } from '../errors/catalogue.js';
import { handlerModule } from './handler-module.js';
import { datagramAsk, startEchoServer, streamClient } from './models.case.js';
import { NetServer } from './net-server.js';
import { PoolModel } from './pool-model.js';
import type { ModelSpec } from './types.js';

const PIPE = handlerModule<typeof import('./fixtures/pipe-handler.js')>(
  new URL('./fixtures/pipe-handler.js', import.meta.url),
);
const HTTP = handlerModule<typeof import('./fixtures/http-handler.js')>(
  new URL('./fixtures/http-handler.js', import.meta.url),
);
const LIFECYCLE = handlerModule<typeof import('./fixtures/lifecycle-handler.js')>(
  new URL('./fixtures/lifecycle-handler.js', import.meta.url),
);
const thread: ModelSpec = { kind: 'thread', workers: 2 };
const dir = mkdtempSync(join(tmpdir(), 'tandem-thread-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Opens `count` connections at once, asks each `line`, and closes them; resolves with the answers. */
async function askAtOnce(address: Parameters<typeof streamClient>[0], line: string, count: number) {
  const clients = Array.from({ length: count }, () => streamClient(address));
  const answers = await Promise.all(clients.map((c) => c.ask(line)));
  for (const c of clients) c.socket.end();
  await Promise.all(clients.map((c) => c.closed));
  return answers;
}

/** What the echo handler noted of two connections each asking `busy ms` at the same moment: its starts and ends. */
async function twoBusy(model: ModelSpec, ms: number): Promise<string[]> {
  const { server, address, logged } = await startEchoServer(model, 'tcp4');
  const clients = [streamClient(address), streamClient(address)];
  await Promise.all(clients.map((c) => c.ask('echo warm')));
  assert.deepEqual(await Promise.all(clients.map((c) => c.ask(`busy ${ms}`))), ['done', 'done']);
  for (const c of clients) c.socket.end();
  await server.close();
  return logged().filter((line) => line.endsWith(` busy ${ms}`));
}

describe('thread model', () => {
  test('start refuses a handler object: the threads need a module to load', async () => {
    const model = new PoolModel('thread', { workers: 1 }, () => {});
    await assert.rejects(model.start({ handle() {} }), (err) =>
      isError(err, errors.NET_HANDLER_MODULE_REQUIRED),
    );
    await model.close();
  });

  test('start rejects when the handler module cannot be loaded, and leaves no thread behind', async () => {
    const model = new PoolModel('thread', { workers: 2 }, () => {});
    const missing = handlerModule<typeof import('./fixtures/echo-handler.js')>(
      pathToFileURL(join(dir, 'missing.ts')),
    );
    await assert.rejects(model.start(missing.with()), (err: Error) => err.message.includes('missing.ts'));
    assert.equal(model.active, 0);
    await model.close();
  });

  test('connections are spread over the worker threads, none of them the main thread', async () => {
    const { server, address } = await startEchoServer(thread, 'tcp4');
    const answers = await askAtOnce(address, 'who', 4);
    const threads = new Set(answers.map((a) => a.split(':')[1]));
    assert.equal(threads.size, 2, `answers: ${answers.join(', ')}`);
    assert.ok(!threads.has('0'));
    for (const a of answers) assert.equal(a.split(':')[0], String(process.pid));
    await server.close();
  });

  test('datagrams are served in the worker threads too', async () => {
    const { server, address } = await startEchoServer(thread, 'udp');
    const answer = await datagramAsk(address, 'who');
    assert.ok(answer !== undefined && answer.split(':')[1] !== '0', `answer: ${answer}`);
    await server.close();
  });

  test('two CPU-bound requests run in parallel, where the event model runs them one after the other', async () => {
    // In parallel: the second starts before the first ends, however slow the machine is.
    const one = ['start busy 300', 'end busy 300'];
    assert.deepEqual(await twoBusy({ kind: 'event' }, 300), [...one, ...one]);
    assert.deepEqual(await twoBusy(thread, 300), ['start busy 300', ...one, 'end busy 300']);
  });

  test('20 MB echoed through a worker arrive intact', async () => {
    const server = new NetServer({
      transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      model: thread,
      handler: PIPE.with(),
      report: (error) => assert.fail(String(error)),
    });
    const address = await server.listen();
    const data = randomBytes(20 * 1024 * 1024);
    const socket = connect(address.port, address.host);
    const hash = createHash('sha256');
    let received = 0;
    socket.on('data', (chunk: Buffer) => {
      received += chunk.byteLength;
      hash.update(chunk);
    });
    for (let offset = 0; offset < data.byteLength; offset += 256 * 1024) {
      if (!socket.write(data.subarray(offset, offset + 256 * 1024))) {
        await new Promise((resolve) => socket.once('drain', resolve));
      }
    }
    socket.end();
    await new Promise((resolve) => socket.once('close', resolve));
    assert.equal(received, data.byteLength);
    assert.equal(hash.digest('hex'), createHash('sha256').update(data).digest('hex'));
    await server.close();
  });

  test('Node http.Server parses HTTP inside a worker, over the port Duplex', async () => {
    const server = new NetServer({
      transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      model: thread,
      handler: HTTP.with(),
      report: (error) => assert.fail(String(error)),
    });
    const address = await server.listen();
    const base = `http://127.0.0.1:${address.port}`;
    const get = await (await fetch(`${base}/hello?x=1`)).json();
    assert.equal(get.method, 'GET');
    assert.equal(get.url, '/hello?x=1');
    assert.equal(get.remoteAddress, '127.0.0.1');
    assert.notEqual(get.threadId, 0);
    const body = randomBytes(3 * 1024 * 1024);
    const post = await (await fetch(`${base}/upload`, { method: 'POST', body })).json();
    assert.equal(post.received, body.byteLength);
    // The keep-alive connection fetch leaves open is closed by the graceful close (drain in each worker).
    await server.close();
  });

  test('a worker that dies is reported, its connection closed, and a new thread takes its place', async () => {
    const reports: string[] = [];
    const server = new NetServer({
      transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      model: thread,
      handler: LIFECYCLE.with({ log: join(dir, 'crash.log') }),
      report: (error, context) => reports.push(`${context}: ${(error as Error).message}`),
    });
    const address = await server.listen();
    const before = new Set(await askAtOnce(address, 'who', 2));
    assert.equal(before.size, 2);
    const doomed = streamClient(address);
    doomed.socket.write('crash\n');
    await doomed.closed;
    assert.ok(
      reports.some((r) => r.includes('crashes its thread on purpose')),
      reports.join('\n'),
    );
    await waitFor(
      async () => (await askAtOnce(address, 'who', 2)).some((id) => !before.has(id)),
      'a new worker thread to serve connections',
    );
    await server.close();
  });

  test('close drains and closes the handler in every worker, after the connection in flight', async () => {
    const log = join(dir, 'close.log');
    writeFileSync(log, '');
    const server = new NetServer({
      transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      model: thread,
      handler: LIFECYCLE.with({ log }),
      report: (error) => assert.fail(String(error)),
    });
    const address = await server.listen();
    const client = streamClient(address);
    const id = await client.ask('who');
    const closing = server.close();
    const drained = () => readFileSync(log, 'utf8').match(/^drain /gm)?.length ?? 0;
    await waitFor(() => drained() === 2, 'both workers to be told to drain');
    assert.equal(server.model.active, 1, 'the open connection keeps its worker');
    assert.equal(await client.ask('who'), id);
    client.socket.end();
    await closing;
    const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
    assert.equal(lines.filter((l) => l.startsWith('drain ')).length, 2);
    assert.equal(lines.filter((l) => l.startsWith('close ')).length, 2);
    assert.ok(lines.includes(`close ${id}`));
    assert.equal(server.model.active, 0);
  });
});
