import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { serveHttp } from '../http/serve-http.js';
import { NetServer } from '../net/net-server.js';
import { HOP_BY_HOP, requestHeadersForUpstream, responseHeadersForClient } from './proxy.js';

/** Sends a raw request head to a real server and resolves with the upstream headers computed for it. */
async function upstreamHeadersFor(head: string, scheme: 'http' | 'https' = 'http') {
  let seen: Record<string, string | string[]> | undefined;
  const server = new NetServer({
    transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    model: { kind: 'event' },
    handler: serveHttp((req) => {
      seen = requestHeadersForUpstream({ headers: req.headers, client: req.client, scheme });
      return { status: 204 };
    }),
  });
  const { port } = await server.listen();
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(`${head}\r\n`));
    socket.on('data', () => socket.end());
    socket.on('close', () => resolve());
    socket.on('error', reject);
  });
  await server.close();
  assert.ok(seen, 'the server saw the request');
  return seen;
}

describe('requestHeadersForUpstream', () => {
  it('drops hop-by-hop headers and those the Connection header names', async () => {
    const headers = await upstreamHeadersFor(
      'GET / HTTP/1.1\r\nHost: example.com\r\nConnection: keep-alive, Foo , BAR\r\nFoo: 1\r\nBar: 2\r\n' +
        'Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Connection: x\r\n' +
        'Accept: text/html\r\nCookie: a=1\r\n',
    );
    for (const name of ['connection', 'foo', 'bar', 'keep-alive', 'te', 'upgrade', 'proxy-connection']) {
      assert.equal(headers[name], undefined, name);
    }
    assert.equal(headers.accept, 'text/html');
    assert.equal(headers.cookie, 'a=1');
    assert.equal(headers.host, 'example.com');
  });

  it('sets x-forwarded-for, -proto and -host', async () => {
    const headers = await upstreamHeadersFor('GET / HTTP/1.1\r\nHost: example.com:8080\r\n', 'https');
    assert.equal(headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(headers['x-forwarded-proto'], 'https');
    assert.equal(headers['x-forwarded-host'], 'example.com:8080');
  });

  it('appends the client address to an existing x-forwarded-for, joining repeated lines', async () => {
    const headers = await upstreamHeadersFor(
      'GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\n',
    );
    assert.equal(headers['x-forwarded-for'], '10.0.0.1, 10.0.0.2, 127.0.0.1');
  });

  it('replaces x-forwarded-proto and -host sent by the client', async () => {
    const headers = await upstreamHeadersFor(
      'GET / HTTP/1.0\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\n',
    );
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-host'], undefined);
  });

  it('drops transfer-encoding from a chunked request', async () => {
    const headers = await upstreamHeadersFor(
      'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n0\r\n',
    );
    assert.equal(headers['transfer-encoding'], undefined);
    assert.equal(headers.trailer, undefined);
  });
});

describe('responseHeadersForClient', () => {
  it('drops hop-by-hop headers in any case and those named in Connection', () => {
    const out = responseHeadersForClient({
      'Content-Type': 'text/plain',
      Connection: 'close, X-Internal',
      'x-internal': 'secret',
      'Keep-Alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'set-cookie': ['a=1', 'b=2'],
    });
    assert.deepEqual(out, { 'Content-Type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] });
  });

  it('reads a Connection header given as an array', () => {
    const out = responseHeadersForClient({ connection: ['foo', 'bar'], foo: '1', bar: '2', baz: '3' });
    assert.deepEqual(out, { baz: '3' });
  });

  it('returns an empty object for no headers', () => {
    assert.deepEqual(responseHeadersForClient(undefined), {});
  });

  it('lists exactly the hop-by-hop headers', () => {
    assert.deepEqual([...HOP_BY_HOP].sort(), [
      'connection',
      'keep-alive',
      'proxy-connection',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
    ]);
  });
});
