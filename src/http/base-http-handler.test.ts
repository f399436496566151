import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { rawExchange } from '../../test/support/http-client.js';
import { errors } from '../errors/catalogue.js';
import { handlerModule } from '../net/handler-module.js';
import { NetServer } from '../net/net-server.js';
import type { HandlerSource, ModelSpec } from '../net/types.js';
import { BaseHTTPRequestHandler, connectionHandlerFromClass } from './base-http-handler.js';

const logged: string[] = [];

class TestHandler extends BaseHTTPRequestHandler {
  override logMessage(fmt: string, ...args: unknown[]): void {
    logged.push(`${fmt} ${args.join(' ')}`);
  }

  GET(): void {
    switch (this.path) {
      case '/throw':
        throw new Error('GET fails on purpose');
      case '/forbidden':
        throw errors.HTTP_FORBIDDEN(this.path);
      case '/teapot':
        this.sendError(418, 'Short <and> stout');
        return;
      case '/silent':
        return;
      case '/latin1':
        this.sendResponse(200);
        this.sendHeader('X-Name', 'café');
        this.sendHeader('Content-Length', 4);
        this.endHeaders();
        this.wfile.end('body');
        return;
      case '/latin1-end':
        this.sendResponse(200);
        this.sendHeader('X-Name', 'naïve');
        this.wfile.end('é');
        return;
      case '/chunked':
        this.sendResponse(200);
        this.sendHeader('Content-Type', 'text/plain');
        this.endHeaders();
        this.wfile.write('one,');
        this.wfile.write('two');
        return; // the dispatcher ends the response
    }
    const body = JSON.stringify({
      command: this.command,
      path: this.path,
      version: this.requestVersion,
      header: this.headers['x-test'] ?? null,
      client: this.clientAddress,
      options: this.options ?? null,
    });
    this.sendResponse(200, 'Fine');
    this.sendHeader('Content-Type', 'application/json');
    this.sendHeader('Set-Cookie', 'a=1');
    this.sendHeader('Set-Cookie', 'b=2');
    this.sendHeader('Content-Length', Buffer.byteLength(body));
    this.endHeaders();
    this.wfile.end(body);
  }

  HEAD(): void {
    this.GET();
  }

  async POST(): Promise<void> {
    const body = await this.readBody(16);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.sendResponse(201);
    this.sendHeader('Content-Type', 'text/plain');
    this.endHeaders();
    this.wfile.end(`got ${body.length} bytes: ${body.toString()}`);
  }

  PROPFIND(): void {
    this.sendResponse(207);
    this.wfile.end('propfind');
  }

  // llhttp knows no BREW: the parser answers 501 before any class sees it.
  BREW(): void {
    this.sendResponse(418);
    this.wfile.end('brewed');
  }

  // Not a verb: must never be reachable as one.
  secret(): void {
    this.sendResponse(200);
    this.wfile.end('secret');
  }
}

async function start(model: ModelSpec, handler: HandlerSource) {
  const server = new NetServer({ transport: { kind: 'tcp', host: '127.0.0.1', port: 0 }, model, handler });
  const address = await server.listen();
  return { server, base: `http://127.0.0.1:${address.port}`, port: address.port };
}

describe('BaseHTTPRequestHandler on the event model', () => {
  let running: Awaited<ReturnType<typeof start>>;
  before(async () => {
    running = await start({ kind: 'event' }, connectionHandlerFromClass(TestHandler, { greeting: 'hi' }));
  });
  after(() => running.server.close());

  test('GET dispatches to GET() with the request members filled in', async () => {
    const res = await fetch(`${running.base}/a/b?x=1`, { headers: { 'X-Test': 'yes' } });
    assert.equal(res.status, 200);
    assert.equal(res.statusText, 'Fine');
    assert.match(res.headers.get('server') ?? '', /^Tandem\/\S+ Node\//);
    assert.deepEqual(res.headers.getSetCookie(), ['a=1', 'b=2']);
    const body = (await res.json()) as Record<string, unknown>;
    assert.equal(body.command, 'GET');
    assert.equal(body.path, '/a/b?x=1');
    assert.equal(body.version, 'HTTP/1.1');
    assert.equal(body.header, 'yes');
    assert.deepEqual(body.options, { greeting: 'hi' });
    const client = body.client as { address: string; port: number };
    assert.equal(client.address, '127.0.0.1');
    assert.ok(client.port > 0);
    assert.ok(logged.some((line) => line.includes('GET /a/b?x=1 HTTP/1.1') && line.includes('200')));
  });

  test('HEAD gets the head of GET and no body', async () => {
    const res = await fetch(`${running.base}/`, { method: 'HEAD' });
    assert.equal(res.status, 200);
    assert.ok(Number(res.headers.get('content-length')) > 0);
    assert.equal(await res.text(), '');
  });

  test('POST reads the body through rfile (async method)', async () => {
    const res = await fetch(`${running.base}/echo`, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 201);
    assert.equal(await res.text(), 'got 5 bytes: hello');
  });

  test('a body over the readBody limit gets 413', async () => {
    const res = await fetch(`${running.base}/echo`, { method: 'POST', body: 'x'.repeat(100) });
    assert.equal(res.status, 413);
    assert.match(await res.text(), /larger than the limit of 16 bytes/);
  });

  test('a verb the class lacks gets 501 naming it; a non-verb method is not reachable', async () => {
    const res = await fetch(`${running.base}/`, { method: 'DELETE' });
    assert.equal(res.status, 501);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
    assert.match(await res.text(), /Unsupported method \(&quot;DELETE&quot;\)/);
    const reply = await rawExchange(running.port, 'secret / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.doesNotMatch(reply, /secret$/);
    assert.match(reply, /^HTTP\/1\.1 501 /);
  });

  test('a verb Node knows reaches the class; one llhttp cannot parse is 501 listing the verbs that work', async () => {
    const found = await rawExchange(
      running.port,
      'PROPFIND / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(found, /^HTTP\/1\.1 207 /);
    assert.match(found, /propfind$/);
    const brew = await rawExchange(running.port, 'BREW / HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(brew, /^HTTP\/1\.1 501 /);
    assert.match(brew, /\r\nDate: /);
    assert.match(brew, /knows only the methods ACL, BIND, .*GET, HEAD, .*PROPFIND, .*UNSUBSCRIBE\n$/);
    assert.doesNotMatch(brew, /brewed/);
  });

  test('header values go out as latin-1, as http.server sends them', async () => {
    const reply = await rawExchange(
      running.port,
      'GET /latin1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(reply, /\r\nX-Name: caf\xe9\r\n/);
    assert.match(reply, /\r\n\r\nbody$/);
    const ended = await rawExchange(
      running.port,
      'GET /latin1-end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(ended, /\r\nX-Name: na\xefve\r\n/);
    assert.match(ended, /\r\n\r\n(2\r\n)?\xc3\xa9/, 'the body stays UTF-8');
  });

  test('sendError sends an escaped HTML page with the code and message', async () => {
    const res = await fetch(`${running.base}/teapot`);
    assert.equal(res.status, 418);
    const text = await res.text();
    assert.match(text, /Error code: 418/);
    assert.match(text, /Message: Short &lt;and&gt; stout/);
    assert.equal(res.headers.get('content-length'), String(Buffer.byteLength(text)));
  });

  test('a TandemError with a status becomes that status', async () => {
    const res = await fetch(`${running.base}/forbidden`);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /Forbidden: \/forbidden/);
  });

  test('a method that sends nothing gets 500; an unended response is ended for it', async () => {
    assert.equal((await fetch(`${running.base}/silent`)).status, 500);
    const res = await fetch(`${running.base}/chunked`);
    assert.equal(res.headers.get('transfer-encoding'), 'chunked');
    assert.equal(await res.text(), 'one,two');
  });

  test('a method that throws gets 500 and the same connection serves the next request', async () => {
    const reply = await rawExchange(
      running.port,
      'GET /throw HTTP/1.1\r\nHost: x\r\n\r\nGET /after HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    const statuses = [...reply.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => m[1]);
    assert.deepEqual(statuses, ['500', '200']);
    assert.match(reply, /"path":"\/after"/);
    assert.ok(logged.some((line) => line.includes('GET fails on purpose')));
  });

  test('a log message cannot forge lines: control characters and backslash are escaped', async () => {
    const lines: string[] = [];
    class Quiet extends BaseHTTPRequestHandler {
      GET(): void {
        this.sendError(404);
      }
    }
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => lines.push(chunk) > 0) as typeof process.stderr.write;
    try {
      const handler = new Quiet({
        request: {
          method: 'GET',
          target: '/a\nFAKE\\x1b',
          version: '1.1',
          headers: {},
          client: { address: '10.0.0.1', port: 1 },
        } as never,
        options: undefined,
      });
      handler.logRequest(200);
    } finally {
      process.stderr.write = write;
    }
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] ?? '',
      /^10\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4} \d\d:\d\d:\d\d\] "GET \/a\\x0aFAKE\\x5cx1b HTTP\/1\.1" 200 -\n$/,
    );
  });
});

/** One request on its own connection (Connection: close, so the loop model moves on at once). */
async function request(port: number, method: string, path: string, body = '', type = 'text/plain') {
  const reply = await rawExchange(
    port,
    `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${type}\r\n` +
      `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
  const split = reply.indexOf('\r\n\r\n');
  return {
    status: Number(reply.slice(9, 12)),
    head: reply.slice(0, split),
    body: reply.slice(split + 4),
  };
}

describe('a handler class served as a handler module (examples/http-handler)', () => {
  const helloHandler = handlerModule<typeof import('../../examples/http-handler/hello-handler.js')>(
    new URL('../../examples/http-handler/hello-handler.js', import.meta.url),
  );
  const models: ModelSpec[] = [
    { kind: 'loop' },
    { kind: 'event' },
    { kind: 'prefork', workers: 2 },
    { kind: 'thread', workers: 2 },
  ];
  for (const model of models) {
    test(`the ${model.kind} model serves hello-handler.ts; close ends an idle connection`, async () => {
      const { server, port } = await start(model, helloHandler.with());
      const hello = await request(port, 'GET', '/');
      assert.equal(hello.status, 200);
      assert.match(hello.body, /^Hello from Tandem! \(pid \d+, thread \d+\)\n$/);
      const echo = await request(port, 'POST', '/echo', 'ping', 'text/x-ping');
      assert.match(echo.head, /\r\ncontent-type: text\/x-ping\r\n/i);
      assert.equal(echo.body, 'ping');
      assert.equal((await request(port, 'GET', '/nope')).status, 404);
      assert.equal((await request(port, 'PUT', '/')).status, 501);
      // A kept-alive connection left idle: close() must end it rather than wait for the client.
      const idle = connect(port, '127.0.0.1');
      idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      await new Promise((resolve) => idle.once('data', resolve));
      const ended = new Promise((resolve) => idle.once('close', resolve));
      const started = Date.now();
      await server.close();
      await ended;
      assert.ok(Date.now() - started < 2000, `close took ${Date.now() - started} ms`);
    });
  }
});
