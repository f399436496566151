import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
import { waitFor } from '../../test/support/wait-for.js';
import type { ClientSession } from '../protocol/client-session.js';
import { FrameType, type RequestHead } from '../protocol/frame-codec.js';
import { answerEverything, listenRaw, type RawConnection } from '../protocol/raw-peer.test-helper.js';
import { WebframePool, type WebframePoolOptions } from './webframe-pool.js';

/** A pool on `port` whose log lines are kept in `lines`. */
function poolOn(port: number, options: Partial<WebframePoolOptions> = {}) {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  const pool = new WebframePool({ host: '127.0.0.1', port, log: pino({}, sink), ...options });
  return { pool, lines };
}

const request: RequestHead = {
  method: 'GET',
  info: '/',
  version: '1.1',
  scheme: 'http',
  client: { address: '127.0.0.1', port: 1 },
  headers: {},
};
const ignore = { onHead() {}, onData() {}, onAbort() {} };

/** The connection the pool hands out next, without opening a stream on it. */
function sessionOf(pool: WebframePool): Promise<ClientSession> {
  return new Promise((resolve, reject) => pool.acquire({ onSession: resolve, onUnavailable: reject }));
}

describe('WebframePool', () => {
  test('two requests in one turn are not both handed the last free stream of a connection', async () => {
    const webframe = await listenRaw((c) => answerEverything(c, { maxStreams: 1 }));
    const { pool } = poolOn(webframe.port, { connections: 1 });
    await sessionOf(pool); // connected, its one stream free
    const answers = [1, 2].map(
      () =>
        new Promise<number>((resolve, reject) => {
          pool.acquire({
            onSession: (s) =>
              s.request(request, true, {
                onHead: (head) => resolve(head.status),
                onData() {},
                onAbort: (code, reason) => reject(new Error(`aborted ${code} ${reason}`)),
              }),
            onUnavailable: reject,
          });
        }),
    );
    assert.deepEqual(await Promise.all(answers), [200, 200]);
    assert.equal(webframe.connections.length, 1);
    pool.close();
    await webframe.close();
  });

  test('a webframe that comes back after failures is probed and used without waiting for the backoff', async () => {
    let up = false;
    const webframe = await listenRaw((c) => (up ? answerEverything(c) : c.socket.destroy()));
    const { pool } = poolOn(webframe.port);
    // Five failed attempts: the backoff has grown to its cap.
    await waitFor(async () => {
      await sessionOf(pool).then(
        () => assert.fail('the webframe is down'),
        () => {},
      );
      return webframe.connections.length >= 5;
    }, 'five failed attempts to connect');
    up = true;
    const attempts = webframe.connections.length;
    // Refused by the backoff (no attempt is made for it), but it tells the pool that requests are waiting.
    // (On a machine slow enough for the backoff to have passed already, it connects at once instead.)
    await sessionOf(pool).catch((err: Error) => assert.match(err.message, /is unreachable/));
    await waitFor(() => webframe.connections.length > attempts, 'the probe once the backoff ends');
    await waitFor(
      () => pool.size === 1 && webframe.connections.at(-1)?.frames.length === 1,
      'the probe to be a session',
    );
    const session = await sessionOf(pool);
    assert.equal(session.available, true);
    assert.equal(webframe.connections.length, attempts + 1);
    pool.close();
    await webframe.close();
  });

  test('never more than `connections` connections: requests beyond every maxStreams wait for a stream', async () => {
    const webframe = await listenRaw((c) => c.hello({ maxStreams: 2 })); // and never answers
    const heads = (c: RawConnection) => c.frames.filter((f) => f.type === FrameType.HEAD);
    const allHeads = () => webframe.connections.reduce((n, c) => n + heads(c).length, 0);
    const { pool } = poolOn(webframe.port, { connections: 2 });
    for (let i = 0; i < 10; i++) {
      const [sent, waiting] = [allHeads(), pool.waiting];
      pool.acquire({
        onSession: (s) => s.request(request, true, ignore),
        onUnavailable() {}, // the ones still waiting get 502 at close
      });
      // Sent on a connection, or (once both connections carry maxStreams streams) waiting in line.
      await waitFor(
        () => allHeads() > sent || (pool.waiting > waiting && allHeads() === 4),
        'the request to be sent or to wait',
      );
    }
    assert.equal(webframe.connections.length, 2);
    for (const c of webframe.connections) assert.equal(heads(c).length, 2);
    assert.equal(pool.waiting, 6);
    // One answer frees one stream: the first request in line takes it.
    const first = webframe.connections[0] as RawConnection;
    first.answer(heads(first)[0]?.stream ?? 0, 200, 'ok');
    await waitFor(() => heads(first).length === 3, 'three HEADs on the first connection');
    assert.equal(pool.waiting, 5);
    assert.equal(webframe.connections.length, 2);
    pool.close();
    await webframe.close();
  });

  test('a request that gives up (forget) leaves the line and hears nothing more', async () => {
    const webframe = await listenRaw((c) => c.hello({ maxStreams: 1 })); // and never answers
    const { pool } = poolOn(webframe.port, { connections: 1 });
    pool.acquire({ onSession: (s) => s.request(request, true, ignore), onUnavailable() {} });
    await waitFor(
      () => webframe.connections[0]?.frames.some((f) => f.type === FrameType.HEAD) === true,
      'a HEAD on the connection',
    );
    const served: string[] = [];
    const waiter = (name: string) => ({
      onSession: () => served.push(name),
      onUnavailable: () => served.push(`${name}: 502`),
    });
    const gaveUp = waiter('gave up');
    pool.acquire(gaveUp);
    pool.acquire(waiter('next'));
    assert.equal(pool.waiting, 2);
    pool.forget(gaveUp);
    assert.equal(pool.waiting, 1);
    pool.close();
    assert.deepEqual(served, ['next: 502']);
    await webframe.close();
  });

  test('a webframe that says GOAWAY right after HELLO: one fresh connection, then a 502 naming it', async () => {
    const webframe = await listenRaw((c) => {
      c.hello();
      c.goAway(0, 0, 'shutting down');
    });
    const { pool } = poolOn(webframe.port);
    await assert.rejects(sessionOf(pool), (err: Error & { status?: number }) => {
      assert.equal(err.status, 502);
      assert.match(err.message, /closed the connection right after HELLO \(GOAWAY NO_ERROR: shutting down\)/);
      return true;
    });
    assert.equal(webframe.connections.length, 2);
    pool.close();
    await webframe.close();
  });

  test('a webframe whose first connection goes away right after HELLO is used on the next one', async () => {
    const webframe = await listenRaw((c) => {
      if (webframe.connections.length === 1) {
        c.hello();
        c.goAway();
      } else answerEverything(c);
    });
    const { pool } = poolOn(webframe.port);
    const session = await sessionOf(pool);
    assert.equal(session.available, true);
    assert.equal(webframe.connections.length, 2);
    pool.close();
    await webframe.close();
  });

  test('a HELLO with an out-of-range limit is named in the 502 and the log line, not as a timeout', async () => {
    const webframe = await listenRaw((c: RawConnection) => c.hello({ maxStreams: 0 }));
    const { pool, lines } = poolOn(webframe.port, { connectTimeout: 30_000 });
    await assert.rejects(sessionOf(pool), (err: Error & { status?: number }) => {
      assert.equal(err.status, 502);
      assert.match(err.message, /HELLO maxStreams must be an integer from 1 to 2147483647/);
      return true;
    });
    const logged = lines.find((l) => l.msg === 'webframe connection failed');
    assert.match(String(logged?.error), /HELLO maxStreams must be an integer from 1 to 2147483647/);
    pool.close();
    await webframe.close();
  });
});
