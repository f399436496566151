import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import {
  type ClientHttp2Session,
  connect as connectHttp2,
  constants,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
} from 'node:http2';
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { waitFor } from '../../test/support/wait-for.js';
import type { ConnectionHandler } from '../net/types.js';
import { createTestCa, writeTempFiles } from '../tls/test-ca.test-helper.js';
import type { AccessLogEntry } from './access-log.js';
import type { Handler, HttpRequest } from './handler.js';
import { type ServeHttp2Options, serveHttp2 } from './serve-http.js';

const run = promisify(execFile);

/** A plain TCP server handing each socket to the engine: h2c with prior knowledge. */
async function startH2c(engine: ConnectionHandler): Promise<{ server: Server; port: number }> {
  const server = createNetServer({ pauseOnConnect: true }, (socket: Socket) => {
    engine.serve?.(socket, info(socket), () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

function info(socket: Socket) {
  return {
    transport: 'tcp' as const,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
  };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One request on `session`; the answer read whole. */
function request(
  session: ClientHttp2Session,
  headers: OutgoingHttpHeaders,
  body?: string | Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request(headers, { endStream: body === undefined });
    if (body !== undefined) stream.end(body);
    const parts: Buffer[] = [];
    let head: IncomingHttpHeaders = {};
    stream.on('response', (h) => (head = h));
    stream.on('data', (chunk: Buffer) => parts.push(chunk));
    stream.on('end', () =>
      resolve({ status: Number(head[':status']), headers: head, body: Buffer.concat(parts) }),
    );
    stream.on('error', reject);
  });
}

/** Chunks of `size` bytes, `count` of them, counting what has been pulled. */
function chunks(count: number, size: number, pulled: { bytes: number }): AsyncIterable<Uint8Array> {
  return (async function* () {
    for (let i = 0; i < count; i++) {
      pulled.bytes += size;
      yield Buffer.alloc(size, 97 + (i % 26));
    }
  })();
}

describe('serveHttp2', () => {
  const log: AccessLogEntry[] = [];
  const failures: unknown[] = [];
  let seen: HttpRequest | undefined;
  let dir: string;
  let release: () => void = () => {};
  let aborted = false;
  let slowStarted = 0;
  let unread: Promise<void> | undefined;
  const pulled = { bytes: 0 };
  const routes: Record<string, Handler> = {
    '/text': (req) => {
      seen = req;
      return {
        status: 200,
        headers: { 'content-type': 'text/plain', connection: 'keep-alive', 'transfer-encoding': 'chunked' },
        body: 'hello',
      };
    },
    '/echo': async (req) => {
      const parts: Buffer[] = [];
      for await (const chunk of req.body) parts.push(Buffer.from(chunk));
      return { status: 200, body: `${req.method} ${Buffer.concat(parts).toString()}` };
    },
    '/big': () => ({ status: 200, body: chunks(128, 64 * 1024, { bytes: 0 }) }),
    '/endless': () => ({ status: 200, body: chunks(1024, 64 * 1024, pulled) }),
    '/file': () => ({ status: 206, body: { path: join(dir, 'f.bin'), start: 1000, end: 300_999 } }),
    '/broken': async () => {
      throw new Error('boom');
    },
    '/slow': () =>
      new Promise((resolve) => {
        slowStarted++;
        release = () => resolve({ status: 200, body: 'late' });
      }),
    '/abortable': (req) =>
      new Promise((resolve) => {
        req.signal.addEventListener('abort', () => {
          aborted = true;
          resolve({ status: 200, body: 'gone' });
        });
      }),
    '/unread': (req) => {
      // Holds the request body unread until released; then reads it all.
      unread = new Promise((resolve) => (release = resolve));
      return unread.then(async () => {
        let n = 0;
        for await (const chunk of req.body) n += chunk.length;
        return { status: 200, body: String(n) };
      });
    },
  };
  const handler: Handler = (req) => routes[req.target]?.(req) ?? null;
  const options: ServeHttp2Options = {
    accessLog: (e) => log.push(e),
    onError: (err) => failures.push(err),
    limits: { sendTimeout: 2000 },
  };
  let engine: ConnectionHandler;
  let h2c: { server: Server; port: number };
  const clients: ClientHttp2Session[] = [];
  const open = (port = h2c.port, settings = {}) => {
    const session = connectHttp2(`http://127.0.0.1:${port}`, { settings });
    session.on('error', () => {});
    clients.push(session);
    return session;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-h2-'));
    const file = Buffer.alloc(400_000);
    for (let i = 0; i < file.length; i++) file[i] = i % 251;
    await writeFile(join(dir, 'f.bin'), file);
    engine = serveHttp2(handler, options);
    h2c = await startH2c(engine);
  });

  after(async () => {
    for (const c of clients) c.destroy();
    h2c.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('GET: the request as a Handler sees it, hop-by-hop fields dropped, one log entry', async () => {
    const session = open();
    const answer = await request(session, { ':path': '/text', 'user-agent': 'ua' });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.toString(), 'hello');
    assert.equal(answer.headers['content-length'], '5');
    assert.equal(answer.headers.connection, undefined);
    assert.equal(answer.headers['transfer-encoding'], undefined);
    assert.ok(seen);
    assert.equal(seen.version, '2.0');
    assert.equal(seen.scheme, 'http');
    assert.equal(seen.method, 'GET');
    assert.equal(seen.target, '/text');
    assert.equal(seen.headers.host, `127.0.0.1:${h2c.port}`);
    assert.equal(seen.headers['user-agent'], 'ua');
    assert.ok(Object.keys(seen.headers).every((name) => !name.startsWith(':')));
    await waitFor(() => log.some((e) => e.target === '/text'), 'the access-log entry');
    const entry = log.find((e) => e.target === '/text');
    assert.deepEqual(
      { status: entry?.status, bytes: entry?.bytes, version: entry?.version, ua: entry?.userAgent },
      { status: 200, bytes: 5, version: '2.0', ua: 'ua' },
    );
  });

  test('HEAD has the length and no body; POST bodies reach the handler', async () => {
    const session = open();
    const head = await request(session, { ':method': 'HEAD', ':path': '/text' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], '5');
    assert.equal(head.body.length, 0);
    const post = await request(session, { ':method': 'POST', ':path': '/echo' }, 'payload');
    assert.equal(post.body.toString(), 'POST payload');
  });

  test('a large reply of chunks, a file range, a 404 and a 500 page', async () => {
    const session = open();
    const big = await request(session, { ':path': '/big' });
    assert.equal(big.body.length, 128 * 64 * 1024);
    assert.equal(big.headers['content-length'], undefined);
    const file = await request(session, { ':path': '/file' });
    assert.equal(file.status, 206);
    assert.equal(file.headers['content-length'], '300000');
    assert.equal(file.body.length, 300_000);
    assert.ok(file.body.every((byte, i) => byte === (i + 1000) % 251));
    const missing = await request(session, { ':path': '/nowhere', accept: 'text/plain' });
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /nowhere/);
    const broken = await request(session, { ':path': '/broken' });
    assert.equal(broken.status, 500);
    assert.ok(failures.some((err) => (err as Error).message === 'boom'));
  });

  test('many concurrent streams on one connection', async () => {
    const session = open();
    const answers = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        request(session, { ':method': 'POST', ':path': '/echo' }, `n${i}`),
      ),
    );
    assert.deepEqual(
      answers.map((a) => a.body.toString()),
      answers.map((_, i) => `POST n${i}`),
    );
  });

  test('the signal aborts when the client resets its stream', async () => {
    aborted = false;
    const session = open();
    const stream = session.request({ ':path': '/abortable' });
    stream.on('error', () => {});
    await new Promise((resolve) => stream.once('ready', resolve));
    // Give the server the HEADERS before the reset: a ping round trip follows them on the wire.
    await new Promise((resolve) => session.ping(resolve));
    stream.close(constants.NGHTTP2_CANCEL);
    await waitFor(() => aborted, 'the handler told of the reset');
  });

  test('rapid reset: the connection gets GOAWAY ENHANCE_YOUR_CALM, others are served', async () => {
    const session = open();
    let goaway: number | undefined;
    session.on('goaway', (code) => (goaway = code));
    await new Promise((resolve) => session.ping(resolve));
    for (let i = 0; i < 400 && !session.destroyed && goaway === undefined; i++) {
      const stream = session.request({ ':path': '/slow' });
      stream.on('error', () => {});
      stream.close(constants.NGHTTP2_CANCEL);
      if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor(() => goaway !== undefined || session.destroyed, 'the GOAWAY');
    assert.equal(goaway, constants.NGHTTP2_ENHANCE_YOUR_CALM);
    await waitFor(() => session.destroyed || session.closed, 'the connection closed');
    const answer = await request(open(), { ':path': '/text' });
    assert.equal(answer.status, 200);
  });

  test('a client that never reads holds only its own stream, within the windows', async () => {
    pulled.bytes = 0;
    const reader = open();
    const stalled = reader.request({ ':path': '/endless' });
    stalled.on('error', () => {});
    stalled.pause();
    await new Promise((resolve) => stalled.once('response', resolve));
    // Others go on, on their own connections and on this one.
    assert.equal((await request(open(), { ':path': '/text' })).status, 200);
    assert.equal((await request(reader, { ':path': '/text' })).status, 200);
    // The client's windows (64 KiB) and the stream's buffer bound what the body was pulled for.
    assert.ok(pulled.bytes < 1024 * 1024, `pulled ${pulled.bytes} bytes`);
    stalled.close(constants.NGHTTP2_CANCEL);
  });

  test('a window of 0: the stream is cut by the send timeout, others served', async () => {
    let cut = 0;
    const limits = { sendTimeout: 300, onSendTimeout: () => cut++ };
    const timed = await startH2c(serveHttp2(handler, { ...options, limits }));
    try {
      const zero = open(timed.port, { initialWindowSize: 0 });
      const stream = zero.request({ ':path': '/big' });
      stream.on('error', () => {});
      let code: number | undefined;
      stream.on('close', () => (code = stream.rstCode));
      await new Promise((resolve) => stream.once('response', resolve));
      assert.equal((await request(open(timed.port), { ':path': '/text' })).status, 200);
      await waitFor(() => code !== undefined, 'the stalled stream reset');
      assert.equal(code, constants.NGHTTP2_CANCEL);
      assert.equal(cut, 1);
      assert.equal((await request(zero, { ':path': '/text' })).status, 200);
    } finally {
      timed.server.close();
    }
  });

  test('the connection window is 1 MiB; a body over maxBodySize gets 413', async () => {
    const session = open();
    await new Promise((resolve) => session.ping(resolve));
    await waitFor(() => session.state.remoteWindowSize === 1024 * 1024, 'the WINDOW_UPDATE');
    const small = await startH2c(serveHttp2(handler, { ...options, maxBodySize: 4 }));
    try {
      const limited = open(small.port);
      const declared = await request(
        limited,
        { ':method': 'POST', ':path': '/echo', 'content-length': '7' },
        'payload',
      );
      assert.equal(declared.status, 413);
      const undeclared = await request(limited, { ':method': 'POST', ':path': '/echo' }, 'payload');
      assert.equal(undeclared.status, 413);
    } finally {
      small.server.close();
    }
  });

  test('a request body is read only as fast as the handler reads it', async () => {
    const session = open();
    const stream = session.request({ ':method': 'POST', ':path': '/unread' });
    stream.on('error', () => {});
    let written = 0;
    const total = 4 * 1024 * 1024;
    const chunk = Buffer.alloc(16 * 1024, 1);
    const answer = new Promise<string>((resolve) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: Buffer) => parts.push(c));
      stream.on('end', () => resolve(Buffer.concat(parts).toString()));
    });
    const write = () => {
      while (written < total) {
        written += chunk.length;
        if (written >= total) return void stream.end(chunk);
        if (!stream.write(chunk)) return void stream.once('drain', write);
      }
    };
    write();
    await waitFor(() => unread !== undefined, 'the handler');
    // A round trip on another connection, then on this one: the body has had time to pile up if it could.
    assert.equal((await request(open(), { ':path': '/text' })).status, 200);
    await new Promise((resolve) => session.ping(resolve));
    const sent = written - stream.writableLength;
    assert.ok(sent < 1024 * 1024, `the client got ${sent} bytes out`);
    release();
    assert.equal(await answer, String(total));
  });

  test('drain: GOAWAY to every connection, the open stream finishes, no new stream', async () => {
    const drainEngine = serveHttp2(handler, options);
    const drainServer = await startH2c(drainEngine);
    try {
      const other = open(drainServer.port);
      let otherGoaway: number | undefined;
      other.on('goaway', (code) => (otherGoaway = code));
      const started = slowStarted;
      const pending = request(other, { ':path': '/slow' });
      await waitFor(() => slowStarted > started, 'the slow handler');
      await new Promise((resolve) => other.ping(resolve));
      drainEngine.drain?.();
      await waitFor(() => otherGoaway !== undefined, 'the GOAWAY');
      assert.equal(otherGoaway, constants.NGHTTP2_NO_ERROR);
      await assert.rejects(request(other, { ':path': '/text' }));
      release();
      assert.equal((await pending).body.toString(), 'late');
      await waitFor(() => other.closed || other.destroyed, 'the drained connection closed');
    } finally {
      drainServer.server.close();
    }
  });

  test('a request body not sent within requestTimeout gets 408', async () => {
    const timed = await startH2c(serveHttp2(handler, { ...options, limits: { requestTimeout: 200 } }));
    try {
      const session = open(timed.port);
      const stream = session.request({ ':method': 'POST', ':path': '/echo' });
      stream.on('error', () => {});
      stream.write('part');
      const [head] = (await once(stream, 'response')) as [IncomingHttpHeaders];
      assert.equal(head[':status'], 408);
    } finally {
      timed.server.close();
    }
  });

  test('an idle connection is closed with GOAWAY after keepAliveTimeout', async () => {
    const idleEngine = serveHttp2(handler, { ...options, limits: { keepAliveTimeout: 200 } });
    const idle = await startH2c(idleEngine);
    try {
      const session = open(idle.port);
      let goaway: number | undefined;
      session.on('goaway', (code) => (goaway = code));
      assert.equal((await request(session, { ':path': '/text' })).status, 200);
      await waitFor(() => goaway !== undefined, 'the GOAWAY');
      assert.equal(goaway, constants.NGHTTP2_NO_ERROR);
    } finally {
      idle.server.close();
    }
  });

  test('curl --http2-prior-knowledge', async () => {
    const { stdout } = await run('curl', [
      '-s',
      '--http2-prior-knowledge',
      '-w',
      ' %{http_version} %{response_code}',
      `http://127.0.0.1:${h2c.port}/text`,
    ]);
    assert.equal(stdout, 'hello 2 200');
  });
});

describe('serveHttp2 over TLS (ALPN h2)', () => {
  let seen: HttpRequest | undefined;
  let server: ReturnType<typeof createTlsServer>;
  let port: number;
  let caFile: string;
  const handler: Handler = (req) => {
    seen = req;
    return { status: 200, body: `hello ${req.scheme}` };
  };

  before(async () => {
    const ca = await createTestCa();
    const leaf = await issueLeaf(ca);
    caFile = writeTempFiles({ 'ca.pem': ca.cert })['ca.pem'] as string;
    const engine = serveHttp2(handler);
    server = createTlsServer({ ALPNProtocols: ['h2'], cert: leaf.chain, key: leaf.key });
    // The TLS layer's way: the handshake done, the h2 preface not yet read.
    let connections = 0;
    server.on('secureConnection', (socket: TLSSocket) => {
      // Every other one handed paused, as a concurrency model hands a socket.
      if (++connections % 2 === 0) socket.pause();
      engine.serve?.(socket, info(socket), () => socket.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  after(() => server.close());

  test("Node's http2 client: scheme https", async () => {
    const session = connectHttp2(`https://localhost:${port}`, { ca: await readFile(caFile) });
    try {
      const answer = await request(session, { ':path': '/x' });
      assert.equal(answer.body.toString(), 'hello https');
      assert.equal(seen?.scheme, 'https');
      assert.equal(seen?.headers.host, `localhost:${port}`);
    } finally {
      session.destroy();
    }
  });

  test('curl --http2 over TLS', async () => {
    const { stdout } = await run('curl', [
      '-s',
      '--http2',
      '--cacert',
      caFile,
      '-w',
      ' %{http_version} %{response_code}',
      `https://localhost:${port}/x`,
    ]);
    assert.equal(stdout, 'hello https 2 200');
  });
});

async function issueLeaf(ca: Awaited<ReturnType<typeof createTestCa>>) {
  return ca.issue({ names: ['localhost', '127.0.0.1'] });
}
