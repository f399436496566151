import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawExchange } from '../../test/support/http-client.js';
import { RawHttpConnection } from '../../test/support/raw-http-connection.js';
import { waitFor } from '../../test/support/wait-for.js';
import { errors } from '../errors/catalogue.js';
import { NetServer } from '../net/net-server.js';
import type { AccessLogEntry } from './access-log.js';
import type { Handler, HttpRequest } from './handler.js';
import type { ServeHttpOptions } from './http-engine.js';
import { serveHttp } from './serve-http.js';

async function start(handler: Handler, options: ServeHttpOptions = {}) {
  const server = new NetServer({
    transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    model: { kind: 'event' },
    handler: serveHttp(handler, options),
  });
  const { port } = await server.listen();
  return { server, port, base: `http://127.0.0.1:${port}` };
}

describe('serveHttp', () => {
  const log: AccessLogEntry[] = [];
  const failures: unknown[] = [];
  let seen: HttpRequest | undefined;
  let dir: string;
  let pulled = false;
  let waiting = false;
  let running: Awaited<ReturnType<typeof start>>;
  const routes: Record<string, Handler> = {
    '/text': () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'hello' }),
    '/bytes': async () => ({ status: 200, body: new Uint8Array([1, 2, 3]) }),
    '/none': () => ({ status: 302, headers: { location: '/text' } }),
    '/empty': () => ({ status: 204, body: 'dropped' }),
    '/chunks': () => ({
      status: 200,
      body: (async function* () {
        pulled = true;
        yield Buffer.from('a');
        yield Buffer.from('b');
      })(),
    }),
    '/file': () => ({ status: 206, body: { path: join(dir, 'f.txt'), start: 2, end: 4 } }),
    '/refused': () => {
      throw errors.HTTP_FORBIDDEN('/refused');
    },
    '/broken': async () => {
      throw new Error('boom');
    },
    '/echo': async (req) => {
      seen = req;
      const parts: Buffer[] = [];
      for await (const chunk of req.body) parts.push(Buffer.from(chunk));
      return { status: 200, body: `${req.method} ${req.target} ${Buffer.concat(parts).toString()}` };
    },
    '/wait': (req) => {
      waiting = true;
      return new Promise((resolve) =>
        req.signal.addEventListener('abort', () => resolve({ status: 200, body: 'too late' })),
      );
    },
  };
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'serve-http-'));
    await writeFile(join(dir, 'f.txt'), '0123456789');
    running = await start((req) => routes[req.target.split('?')[0]!]?.(req) ?? null, {
      maxBodySize: 10,
      accessLog: (entry) => log.push(entry),
      onError: (err) => failures.push(err),
    });
  });
  after(async () => {
    await running.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a body in memory gets its content-length; HEAD and 204 get none', async () => {
    const text = await fetch(`${running.base}/text`);
    assert.deepEqual(
      [text.status, text.headers.get('content-length'), await text.text()],
      [200, '5', 'hello'],
    );
    const bytes = await fetch(`${running.base}/bytes`);
    assert.deepEqual([...new Uint8Array(await bytes.arrayBuffer())], [1, 2, 3]);
    const head = await rawExchange(
      running.port,
      'HEAD /text HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\ncontent-length: 5\r\n/i);
    assert.ok(head.endsWith('\r\n\r\n'), head);
    const empty = await rawExchange(
      running.port,
      'GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(empty, /^HTTP\/1\.1 204 /);
    assert.ok(empty.endsWith('\r\n\r\n'), empty);
  });

  test('a reply without a body is sent with content-length 0, not chunked', async () => {
    const raw = await rawExchange(running.port, 'GET /none HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(raw, /^HTTP\/1\.1 302 /);
    assert.match(raw, /\r\ncontent-length: 0\r\n/i);
    assert.doesNotMatch(raw, /transfer-encoding/i);
  });

  test('chunks stream; for HEAD they are never pulled', async () => {
    const res = await fetch(`${running.base}/chunks`);
    assert.equal(await res.text(), 'ab');
    pulled = false;
    const head = await rawExchange(
      running.port,
      'HEAD /chunks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.ok(head.endsWith('\r\n\r\n'), head);
    assert.equal(pulled, false);
  });

  test('a file range is sent from disk with its length', async () => {
    const res = await fetch(`${running.base}/file`);
    assert.deepEqual([res.status, res.headers.get('content-length'), await res.text()], [206, '3', '234']);
  });

  test('null is a 404, a TandemError its own status, anything else a 500 that is reported', async () => {
    const missing = await fetch(`${running.base}/nothing?x=1`);
    assert.deepEqual([missing.status, await missing.text()], [404, 'Not found: /nothing\n']);
    const browser = await fetch(`${running.base}/refused`, { headers: { accept: 'text/html' } });
    assert.equal(browser.status, 403);
    assert.equal(browser.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await browser.text(), /<h1>403 Forbidden<\/h1>/);
    const broken = await fetch(`${running.base}/broken`);
    assert.equal(broken.status, 500);
    assert.match(await broken.text(), /^Internal server error/);
    assert.match(String((failures.at(-1) as Error).message), /boom/);
  });

  test('the request carries method, target, version, headers, client and body', async () => {
    const res = await fetch(`${running.base}/echo?q=1`, {
      method: 'POST',
      body: 'hi',
      headers: { 'x-a': 'b' },
    });
    assert.equal(await res.text(), 'POST /echo?q=1 hi');
    assert.equal(seen?.version, '1.1');
    assert.equal(seen?.headers['x-a'], 'b');
    assert.equal(seen?.client.address, '127.0.0.1');
    assert.ok((seen?.client.port ?? 0) > 0);
  });

  test('a body over maxBodySize is a 413 that closes the connection, declared, chunked or after 100-continue', async () => {
    const declared = await rawExchange(
      running.port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n01234567890',
    );
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assert.match(declared, /\r\nconnection: close\r\n/i);
    const chunked = await rawExchange(
      running.port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\n6\r\n678901\r\n0\r\n\r\n',
    );
    assert.match(chunked, /^HTTP\/1\.1 413 /);
    const before = log.length;
    const expect = await rawExchange(
      running.port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n',
    );
    assert.match(expect, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(expect, /100 Continue/);
    await waitFor(() => log.length > before, 'the access-log entry');
    const entry = log.at(-1)!;
    assert.deepEqual([entry.method, entry.status], ['POST', 413]);
    assert.ok(entry.bytes > 0);
    const ok = await rawExchange(
      running.port,
      'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\nConnection: close\r\n\r\nhi',
    );
    assert.match(ok, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  });

  test('CONNECT gets a 501 and an access-log line', async () => {
    const before = log.length;
    const raw = await rawExchange(
      running.port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    assert.match(raw, /^HTTP\/1\.1 501 /);
    await waitFor(() => log.length > before, 'the access-log entry');
    assert.deepEqual([log.at(-1)?.method, log.at(-1)?.status], ['CONNECT', 501]);
  });

  test('one access-log entry per request, with the body bytes sent; 499 when the client left first', async () => {
    const before = log.length;
    await (await fetch(`${running.base}/text`, { headers: { 'user-agent': 'ua', referer: 'r' } })).text();
    await waitFor(() => log.length > before, 'the access-log entry');
    const entry = log.at(-1)!;
    assert.deepEqual(
      [
        entry.remote,
        entry.method,
        entry.target,
        entry.version,
        entry.status,
        entry.bytes,
        entry.referer,
        entry.userAgent,
      ],
      ['127.0.0.1', 'GET', '/text', '1.1', 200, 5, 'r', 'ua'],
    );
    const count = log.length;
    const socket = connect(running.port, '127.0.0.1');
    socket.write('GET /wait HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => waiting, 'the request to reach its handler');
    socket.destroy();
    await waitFor(() => log.length > count, 'the access-log entry');
    assert.deepEqual([log.at(-1)?.target, log.at(-1)?.status], ['/wait', 499]);
  });
});

test('closeEachConnection closes every connection after its response', async () => {
  const running = await start(() => ({ status: 200, body: 'x' }), { closeEachConnection: true });
  try {
    const connection = await RawHttpConnection.open(running.port);
    connection.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const [reply] = await connection.responsesThenClose(1);
    connection.destroy();
    assert.equal(reply?.headers.connection, 'close');
  } finally {
    await running.server.close();
  }
});
