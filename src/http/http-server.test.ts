import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import { createHttpServer } from './http-server.js';

/** Sends raw bytes on a new connection and resolves with everything received until the server closes. */
function exchange(port: number, data: string): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ text, ms: Date.now() - started }));
    if (data.length > 0) socket.write(data);
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
  });
}

function statusOf(text: string): number {
  return Number(text.slice(9, 12));
}

function bodyOf(text: string): string {
  return text.slice(text.indexOf('\r\n\r\n') + 4);
}

describe('createHttpServer', () => {
  let server: Server;
  let port: number;

  before(async () => {
    server = createHttpServer(
      {
        maxHeaderSize: 1024,
        headersTimeout: 200,
        requestTimeout: 2000,
        keepAliveTimeout: 1000,
        sendTimeout: 0,
      },
      (req, res) => {
        res.setHeader('connection', 'close');
        res.end(`hello ${req.url}`);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function assertStillServes(): Promise<void> {
    const { text } = await exchange(port, 'GET /next HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal(statusOf(text), 200);
    assert.equal(bodyOf(text), 'hello /next');
  }

  it('serves a well-formed request', async () => {
    await assertStillServes();
  });

  it('answers a bad header line with 400 naming the llhttp reason', async () => {
    const { text } = await exchange(port, 'GET / HTTP/1.1\r\nHo st: x\r\n\r\n');
    assert.equal(statusOf(text), 400);
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.match(text, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/);
    assert.equal(bodyOf(text), 'Bad request: invalid header token\n');
    await assertStillServes();
  });

  it('answers a bad request line with 400', async () => {
    const { text } = await exchange(port, 'NOT A REQUEST\r\n\r\n');
    assert.equal(statusOf(text), 400);
    assert.match(bodyOf(text), /^Bad request: /);
    await assertStillServes();
  });

  it('answers an oversized head with 431', async () => {
    const { text } = await exchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4096)}\r\n\r\n`);
    assert.equal(statusOf(text), 431);
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.equal(bodyOf(text), 'Request header fields too large\n');
    await assertStillServes();
  });

  it('answers a client that stops sending its head with 408 after the headers timeout', async () => {
    const { text, ms } = await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n');
    assert.equal(statusOf(text), 408);
    assert.match(text, /\r\nConnection: close\r\n/);
    assert.equal(bodyOf(text), 'Request not received within 200 ms\n');
    assert.ok(ms >= 150 && ms < 1500, `took ${ms} ms`);
    await assertStillServes();
  });

  it('closes a connection that sends nothing with 408', async () => {
    const { text } = await exchange(port, '');
    assert.equal(statusOf(text), 408);
  });

  it('never accepts what only the insecure parser would', async () => {
    // A space before the colon is accepted only by insecureHTTPParser.
    const { text } = await exchange(port, 'GET / HTTP/1.1\r\nHost : x\r\n\r\n');
    assert.equal(statusOf(text), 400);
  });

  it('keeps the headers timeout within a shorter request timeout', async () => {
    const s = createHttpServer(
      {
        maxHeaderSize: 1024,
        headersTimeout: 30_000,
        requestTimeout: 100,
        keepAliveTimeout: 1000,
        sendTimeout: 0,
      },
      (_req, res) => res.end(),
    );
    assert.equal(s.headersTimeout, 100);
    assert.equal(s.requestTimeout, 100);
    assert.equal(s.keepAliveTimeout, 1000);
    s.close();
  });
});

describe('the send timeout', () => {
  const SIZE = 16 << 20;
  let server: Server;
  let port: number;
  const cut: string[] = [];

  before(async () => {
    server = createHttpServer(
      {
        maxHeaderSize: 1024,
        headersTimeout: 5000,
        requestTimeout: 0,
        keepAliveTimeout: 1000,
        sendTimeout: 2000,
        onSendTimeout: (socket) => cut.push(String((socket as net.Socket).remotePort)),
      },
      (_req, res) => {
        res.writeHead(200, { 'content-length': SIZE });
        const chunk = Buffer.alloc(1 << 20);
        let left = SIZE / chunk.length;
        const pump = () => {
          while (left > 0) {
            left--;
            if (!res.write(chunk)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    server.close();
    server.closeAllConnections();
  });

  /** A client that asks for the big answer and takes what has arrived every 10 ms; resolves with what it got. */
  function reader(): Promise<{ bytes: number; local: number }> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      let bytes = 0;
      let local = 0;
      socket.pause();
      const timer = setInterval(() => {
        for (let chunk: Buffer | null = socket.read(); chunk !== null; chunk = socket.read()) {
          bytes += chunk.length;
        }
        if (bytes > SIZE) socket.destroy(); // the head and the whole body: done
      }, 10);
      socket.on('connect', () => {
        local = socket.localPort ?? 0;
      });
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ bytes, local });
      });
      socket.on('error', () => {});
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    });
  }

  it('cuts a client that takes no bytes, and says so', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.pause(); // never reads: the answer fills the socket buffers and stops
    socket.on('error', () => {});
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const local = String(socket.localPort);
    await waitFor(() => cut.includes(local), 'onSendTimeout to be told');
    const open = () => new Promise<number>((resolve) => server.getConnections((_e, n) => resolve(n)));
    await waitFor(async () => (await open()) === 0, 'the server to let go of the connection');
    socket.destroy();
  });

  it('never cuts a client that reads slowly but steadily', async () => {
    const { bytes, local } = await reader();
    assert.ok(bytes > SIZE, `the whole answer arrived (${bytes} bytes)`);
    assert.ok(!cut.includes(String(local)));
  });
});
