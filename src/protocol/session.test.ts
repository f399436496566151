import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import type { Handler } from '../http/handler.js';
import { ClientSession, type ClientStream } from './client-session.js';
import { ErrorCode, encodeFrame, FrameFlag, FrameType, type RequestHead } from './frame-codec.js';
import { listenRaw } from './raw-peer.test-helper.js';
import { type FramesListener, listenFrames } from './serve-frames.test-helper.js';

const head = (method: string, info: string): RequestHead => ({
  method,
  info,
  version: '1.1',
  scheme: 'http',
  client: { address: '127.0.0.1', port: 1 },
  headers: {},
});

/** The targets whose view has begun, in order: a request is in flight once its target is here. */
const began: string[] = [];
const views = (target: string) => began.filter((t) => t === target).length;

const handler: Handler = async (req) => {
  const url = req.target;
  began.push(url);
  if (url === '/hi') return { status: 200, body: 'hi' };
  if (url === '/sha') {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of req.body) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    return { status: 200, body: JSON.stringify({ bytes, sha256: hash.digest('hex') }) };
  }
  if (url.startsWith('/big/')) {
    const size = Number(url.slice(5));
    return { status: 200, body: Buffer.alloc(size, 7) };
  }
  if (url === '/hang') {
    await new Promise((_, reject) =>
      req.signal.addEventListener('abort', () => {
        viewAborted(String(req.signal.reason));
        reject(req.signal.reason);
      }),
    );
  }
  if (url === '/throw') throw new Error('boom');
  return { status: 404, body: 'no' };
};

let viewAborted: (reason: string) => void = () => {};
let server: FramesListener;
let port: number;

before(async () => {
  server = await listenFrames(handler, { initialWindow: 65536, onError: () => {} });
  port = server.port;
});
after(() => server.close());

async function client(options = {}): Promise<ClientSession> {
  const socket = connect(port, '127.0.0.1');
  const session = new ClientSession(socket, { initialWindow: 65536, ...options });
  session.connection.start();
  await session.connection.ready;
  return session;
}

interface Collected {
  status: number;
  body: Buffer;
  stream: ClientStream;
}

function send(session: ClientSession, h: RequestHead, body?: Buffer, consume = true): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let status = 0;
    const stream = session.request(h, body === undefined, {
      onHead(head, end) {
        status = head.status;
        if (head.data !== undefined) chunks.push(Buffer.from(head.data));
        if (end) resolve({ status, body: Buffer.concat(chunks), stream });
      },
      onData(chunk, end) {
        chunks.push(chunk);
        if (consume) stream.consumed(chunk.length);
        if (end) resolve({ status, body: Buffer.concat(chunks), stream });
      },
      onAbort(code, reason) {
        if (code !== ErrorCode.NO_ERROR) reject(new Error(`aborted ${code} ${reason}`));
      },
      onWritable() {
        pump();
      },
    });
    let offset = 0;
    const pump = () => {
      if (body === undefined) return;
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + 16384);
        offset += piece.length;
        if (!stream.write(piece, offset === body.length)) return;
      }
    };
    pump();
  });
}

describe('frame sessions over loopback TCP', () => {
  test('a small response travels inline as data', async () => {
    const c = await client();
    const r = await send(c, head('GET', '/hi'));
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hi');
    c.connection.destroy();
  });

  test('request bodies larger than the window arrive whole with the right hash', async () => {
    const c = await client();
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 'x');
    const r = await send(c, head('POST', '/sha'), body);
    const expected = createHash('sha256').update(body).digest('hex');
    assert.deepEqual(JSON.parse(r.body.toString()), { bytes: body.length, sha256: expected });
    c.connection.destroy();
  });

  test('a stream whose reader stops does not stall the others on the same connection', async () => {
    const c = await client();
    // This stream's consumer never reports consumption: the webframe stops after one window.
    const stalled = new Promise<void>((resolve) => {
      let received = 0;
      c.request(head('GET', `/big/${4 * 1024 * 1024}`), true, {
        onHead() {},
        onData(chunk) {
          received += chunk.length;
          if (received >= 65536) resolve();
        },
        onAbort() {},
      });
    });
    await stalled;
    const results = await Promise.all([1, 2, 3].map(() => send(c, head('GET', `/big/${300_000}`))));
    for (const r of results) assert.equal(r.body.length, 300_000);
    c.connection.destroy();
  });

  test('many concurrent streams on one connection', async () => {
    const c = await client();
    const results = await Promise.all(Array.from({ length: 200 }, () => send(c, head('GET', '/hi'))));
    assert.equal(results.length, 200);
    for (const r of results) assert.equal(r.body.toString(), 'hi');
    c.connection.destroy();
  });

  test('ABORT from the client fires the view signal; a throwing view gives 500', async () => {
    const c = await client();
    const aborted = new Promise<string>((resolve) => {
      viewAborted = resolve;
    });
    const hanging = views('/hang');
    const stream = c.request(head('GET', '/hang'), true, { onHead() {}, onData() {}, onAbort() {} });
    await waitFor(() => views('/hang') > hanging, 'the view to run');
    stream.abort();
    assert.match(await aborted, /stream aborted: CANCEL/);
    const r = await send(c, head('GET', '/throw'));
    assert.equal(r.status, 500);
    // the aborted stream does not answer, the connection keeps serving
    assert.equal((await send(c, head('GET', '/hi'))).body.toString(), 'hi');
    c.connection.destroy();
  });

  test('PING is answered', async () => {
    const c = await client();
    const rtt = await c.connection.ping();
    assert.ok(rtt >= 0);
    c.connection.destroy();
  });

  test('a PING still waiting when the connection closes rejects, and so does one after', async () => {
    const c = await client();
    const waiting = c.connection.ping();
    c.connection.destroy();
    await assert.rejects(waiting, /PING unanswered: .*connection lost/);
    await assert.rejects(c.connection.ping(), /closed connection/);
  });

  test('malformed frames close that connection only, with GOAWAY naming the problem', async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ['over maxFrameSize', Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0, 0, 1]), /exceeds maxFrameSize/],
      ['unknown type', encodeFrame(42, 0, 1), /unknown frame type 42/],
      [
        'bad JSON',
        encodeFrame(FrameType.HEAD, FrameFlag.END_STREAM, 1, Buffer.from('{nope')),
        /not valid JSON/,
      ],
      ['unknown stream', encodeFrame(FrameType.DATA, 0, 99, Buffer.from('x')), /never opened/],
    ];
    for (const [name, bytes, pattern] of cases) {
      const raw: Socket = connect(port, '127.0.0.1');
      const hello = encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"protocol":"tandem","version":1}'));
      raw.write(Buffer.concat([hello, bytes]));
      const received: Buffer[] = [];
      raw.on('data', (d) => received.push(d));
      await new Promise((resolve) => raw.on('close', resolve));
      const all = Buffer.concat(received).toString('latin1');
      assert.match(all, pattern, name);
    }
    const c = await client();
    assert.equal((await send(c, head('GET', '/hi'))).body.toString(), 'hi');
    c.connection.destroy();
  });

  test('GOAWAY from the webframe: open streams finish, the connection then closes', async () => {
    const c = await client();
    const closed = new Promise<void>((resolve) => {
      c.connection.onClose = () => resolve();
    });
    const hashing = views('/sha');
    const pending = send(c, head('POST', '/sha'), Buffer.alloc(200_000, 1));
    await waitFor(() => views('/sha') > hashing, 'the view to run: the stream is open');
    server.frames.drain?.();
    const r = await pending;
    assert.equal(JSON.parse(r.body.toString()).bytes, 200_000);
    await closed;
    assert.equal(c.available, false);
  });
});

/** A listener of its own, for tests that need other options; `close` ends it. */
const serve = (h: Handler, options: Parameters<typeof listenFrames>[1] = {}) =>
  listenFrames(h, { initialWindow: 65536, ...options });

describe('a session that cannot take a stream refuses it at once', () => {
  test('request() after the webframe went away, or after close, hears REFUSED_STREAM and sends nothing', async () => {
    const webframe = await listenRaw((raw) => {
      raw.hello();
      raw.goAway(0, 0, 'shutting down');
    });
    const c = new ClientSession(connect(webframe.port, '127.0.0.1'));
    c.connection.start();
    await c.connection.ready;
    while (!c.connection.goingAway) await c.connection.ping().catch(() => {});
    const refused = (session: ClientSession) =>
      new Promise<number>((resolve) =>
        session.request(head('GET', '/hi'), true, {
          onHead() {},
          onData() {},
          onAbort: resolve,
        }),
      );
    assert.equal(await refused(c), ErrorCode.REFUSED_STREAM);
    const closed = await client();
    const gone = new Promise((resolve) => {
      closed.connection.onClose = resolve;
    });
    closed.connection.destroy();
    await gone;
    assert.equal(await refused(closed), ErrorCode.REFUSED_STREAM);
    assert.equal(
      webframe.connections[0]?.frames.some((f) => f.type === FrameType.HEAD),
      false,
    );
    await webframe.close();
  });
});

describe('one stream failing costs only that stream', () => {
  test('a ResponseEvents callback that throws aborts its stream; the others on the connection complete', async () => {
    const reported: unknown[] = [];
    const c = await client({ onError: (error: unknown) => reported.push(error) });
    const others = Array.from({ length: 10 }, () => send(c, head('GET', `/big/${300_000}`)));
    const heard: Array<[string, number]> = [];
    const throwing = (where: 'onHead' | 'onData') =>
      new Promise<void>((resolve) => {
        c.request(head('GET', where === 'onHead' ? '/hi' : `/big/${300_000}`), true, {
          onHead() {
            if (where === 'onHead') throw new Error('onHead failed on purpose');
          },
          onData() {
            throw new Error('onData failed on purpose');
          },
          onAbort(code) {
            heard.push([where, code]);
            resolve();
          },
        });
      });
    await Promise.all([throwing('onHead'), throwing('onData')]);
    const results = await Promise.all(others);
    for (const r of results) assert.equal(r.body.length, 300_000);
    assert.deepEqual(heard.sort(), [
      ['onData', ErrorCode.INTERNAL_ERROR],
      ['onHead', ErrorCode.INTERNAL_ERROR],
    ]);
    assert.deepEqual(reported.map((e) => (e as Error).message).sort(), [
      'onData failed on purpose',
      'onHead failed on purpose',
    ]);
    assert.equal((await send(c, head('GET', '/hi'))).body.toString(), 'hi');
    c.connection.destroy();
  });

  test('an onAbort that throws during a lost connection does not keep the other streams from hearing it', async () => {
    const c = await client({ onError: () => {} });
    const heard: number[] = [];
    for (let i = 0; i < 3; i++) {
      c.request(head('GET', '/hang'), true, {
        onHead() {},
        onData() {},
        onAbort(code) {
          heard.push(code);
          if (i === 0) throw new Error('onAbort failed on purpose');
        },
      });
    }
    await c.connection.ping();
    const closed = new Promise<void>((resolve) => {
      c.connection.onClose = () => resolve();
    });
    c.connection.destroy();
    await closed;
    assert.equal(heard.length, 3);
  });

  test('a webframe whose error reporter throws still answers that stream 500 and keeps the others', async () => {
    const srv = await serve(
      async (req) => {
        if (req.target === '/throw') throw new Error('view failed on purpose');
        return { status: 200, body: Buffer.alloc(200_000, 1) };
      },
      {
        onError: () => {
          throw new Error('reporter failed on purpose');
        },
      },
    );
    const socket = connect(srv.port, '127.0.0.1');
    const c = new ClientSession(socket, { initialWindow: 65536 });
    c.connection.start();
    await c.connection.ready;
    const others = Array.from({ length: 5 }, () => send(c, head('GET', '/ok')));
    const failed = await send(c, head('GET', '/throw'));
    assert.equal(failed.status, 500);
    for (const r of await Promise.all(others)) assert.equal(r.body.length, 200_000);
    c.connection.destroy();
    srv.close();
  });
});

describe('a peer that does not read cannot grow the other end', () => {
  const HELLO = encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"protocol":"tandem","version":1}'));
  const floods: Array<[string, (i: number) => Buffer, number]> = [
    ['PINGs', () => encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8)), 32 << 20],
    [
      'HEADs',
      (i) =>
        encodeFrame(
          FrameType.HEAD,
          FrameFlag.END_STREAM,
          2 * i + 1,
          Buffer.from(JSON.stringify(head('GET', '/text'))),
        ),
      4 << 20,
    ],
  ];
  for (const [name, frame, total] of floods) {
    test(`a flood of ${name} whose replies are never read: the webframe stops reading, its backlog stays bounded`, async () => {
      // Each /text reply is ten times the size of its request, so the replies outgrow any socket buffer.
      const srv = await serve(async () => ({ status: 200, body: 'r'.repeat(1000) }), {
        maxWriteBacklog: 256 * 1024,
      });
      const raw = connect(srv.port, '127.0.0.1');
      raw.on('error', () => {});
      raw.pause(); // never reads a reply
      await new Promise((resolve) => raw.once('connect', resolve));
      raw.write(HELLO);
      let sent = 0;
      let i = 0;
      const paused = () => srv.sockets[0]?.isPaused() === true;
      while (sent < total && !paused()) {
        const batch: Buffer[] = [];
        for (let n = 0; n < 256; n++) batch.push(frame(i++));
        const bytes = Buffer.concat(batch);
        sent += bytes.length;
        if (!raw.write(bytes)) {
          await new Promise<void>((resolve) => {
            const check = setInterval(() => {
              if (paused()) done();
            }, 10);
            const done = () => {
              clearInterval(check);
              raw.off('drain', done);
              resolve();
            };
            raw.once('drain', done);
          });
        }
      }
      await waitFor(
        () => paused() || (srv.sockets[0]?.bytesRead ?? 0) >= sent + HELLO.length,
        'the webframe to read all of it or stop reading',
      );
      const socket = srv.sockets[0] as Socket;
      assert.ok(socket.isPaused(), `the webframe read all ${sent} bytes and kept every reply`);
      assert.ok(
        socket.writableLength < 1 << 20,
        `${socket.writableLength} bytes of replies queued for a peer that does not read`,
      );
      raw.destroy();
      srv.close();
    });
  }
});

test('a fake webframe flooding PINGs it never reads the answers of: httpserver stops reading it', async () => {
  let flooding = true;
  const webframe = await listenRaw((raw) => {
    raw.hello();
    raw.socket.pause();
    const batch = Buffer.concat(
      Array.from({ length: 4096 }, () => encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8))),
    );
    const flood = () => {
      while (flooding && raw.socket.write(batch)) {}
      if (flooding) raw.socket.once('drain', flood);
    };
    flood();
  });
  const socket = connect(webframe.port, '127.0.0.1');
  const c = new ClientSession(socket, { maxWriteBacklog: 256 * 1024 });
  c.connection.start();
  await c.connection.ready;
  // Before the fix this end read on for ever.
  await waitFor(() => socket.isPaused(), 'this end to stop reading the flood');
  assert.ok(socket.writableLength < 1 << 20, `${socket.writableLength} bytes of PING ACKs queued`);
  flooding = false;
  c.connection.destroy();
  await webframe.close();
});

describe('streams that make no progress time out on the webframe end', () => {
  test('a request body that never comes, and a response whose credit never comes: ABORT TIMEOUT', {
    timeout: 10_000,
  }, async () => {
    const viewSaw: string[] = [];
    const srv = await serve(
      async (req) => {
        if (req.target === '/upload') {
          req.signal.addEventListener('abort', () => viewSaw.push('signal'));
          try {
            for await (const _ of req.body);
          } catch (err) {
            viewSaw.push((err as Error).message);
            throw err;
          }
          return { status: 200, body: 'read it all' };
        }
        return { status: 200, body: Buffer.alloc(300_000, 1) };
      },
      { streamIdleTimeout: 300 },
    );
    const c = new ClientSession(connect(srv.port, '127.0.0.1'), { initialWindow: 65536 });
    c.connection.start();
    await c.connection.ready;
    const aborted = (h: RequestHead, end: boolean) =>
      new Promise<[number, string]>((resolve) =>
        c.request(h, end, { onHead() {}, onData() {}, onAbort: (code, reason) => resolve([code, reason]) }),
      );
    // The body is announced (no END_STREAM) and never sent; the download is never consumed past one window.
    const [upload, download] = await Promise.all([
      aborted(head('POST', '/upload'), false),
      aborted(head('GET', '/download'), true),
    ]);
    assert.deepEqual(upload, [ErrorCode.TIMEOUT, 'no progress within 300 ms']);
    assert.deepEqual(download, [ErrorCode.TIMEOUT, 'no progress within 300 ms']);
    assert.deepEqual(viewSaw.sort(), ['signal', 'stream aborted: TIMEOUT: no progress within 300 ms']);
    c.connection.destroy();
    srv.close();
  });

  test('a body that keeps coming, however slowly, and a view that takes its time are not timed out', {
    timeout: 10_000,
  }, async () => {
    const srv = await serve(
      async (req) => {
        let bytes = 0;
        for await (const chunk of req.body) bytes += chunk.length;
        await new Promise((resolve) => setTimeout(resolve, 1000)); // the view's own time is not the peer's
        return { status: 200, body: String(bytes) };
      },
      { streamIdleTimeout: 400 },
    );
    const c = new ClientSession(connect(srv.port, '127.0.0.1'), { initialWindow: 65536 });
    c.connection.start();
    await c.connection.ready;
    const answer = new Promise<string>((resolve, reject) => {
      const s = c.request(head('POST', '/slow'), false, {
        onHead: (h) => resolve(String(h.data)),
        onData() {},
        onAbort: (code, reason) => reject(new Error(`aborted ${code} ${reason}`)),
      });
      let sent = 0;
      const tick = setInterval(() => {
        sent++;
        s.write(Buffer.from('x'), sent === 15);
        if (sent === 15) clearInterval(tick);
      }, 40);
    });
    assert.equal(await answer, '15');
    c.connection.destroy();
    srv.close();
  });
});
