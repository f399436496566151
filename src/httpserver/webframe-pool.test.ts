import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { pino } from 'pino';
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

describe('WebframePool', () => {
  test('a webframe that says GOAWAY right after HELLO: one fresh connection, then a 502 naming it', async () => {
    const webframe = await listenRaw((c) => {
      c.hello();
      c.goAway(0, 0, 'shutting down');
    });
    const { pool } = poolOn(webframe.port);
    await assert.rejects(pool.session(), (err: Error & { status?: number }) => {
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
    const session = await pool.session();
    assert.equal(session.available, true);
    assert.equal(webframe.connections.length, 2);
    pool.close();
    await webframe.close();
  });

  test('a HELLO with an out-of-range limit is named in the 502 and the log line, not as a timeout', async () => {
    const webframe = await listenRaw((c: RawConnection) => c.hello({ maxStreams: 0 }));
    const { pool, lines } = poolOn(webframe.port, { connectTimeout: 30_000 });
    await assert.rejects(pool.session(), (err: Error & { status?: number }) => {
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
