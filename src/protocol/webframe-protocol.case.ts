import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import {
  ErrorCode,
  encodeCodeFrame,
  encodeFrame,
  encodeJsonFrame,
  errorCodeName,
  FRAME_NAMES,
  type Frame,
  FrameFlag,
  FrameType,
} from './frame-codec.js';
import { connectRaw, type RawConnection } from './raw-peer.test-helper.js';

/** A webframe the suite talks to: where it listens, and how to stop it. */
export interface SuiteWebframe {
  port: number;
  stop(): Promise<unknown>;
}

/** How long one condition (a frame, a close) may take on a busy machine. */
const PATIENCE = 20_000;

/** A request head as httpserver sends it (docs/protocol.md §4.2). */
function requestHead(method: string, info: string) {
  return {
    method,
    info,
    version: '1.1',
    scheme: 'http',
    client: { address: '127.0.0.1', port: 40000 },
    headers: { host: '127.0.0.1', 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' },
  };
}

function headFrame(id: number, method: string, info: string, end: boolean): Buffer {
  return encodeJsonFrame(FrameType.HEAD, end ? FrameFlag.END_STREAM : 0, id, requestHead(method, info));
}

function dataFrame(id: number, payload: Uint8Array | string, end = false): Buffer {
  const bytes = typeof payload === 'string' ? Buffer.from(payload) : payload;
  return encodeFrame(FrameType.DATA, end ? FrameFlag.END_STREAM : 0, id, bytes);
}

/** The frames received so far, one line, for assertion messages. */
function received(c: RawConnection): string {
  return c.frames
    .map((f) => {
      const name = FRAME_NAMES[f.type] ?? `type ${f.type}`;
      if (f.type === FrameType.GOAWAY || f.type === FrameType.ABORT) {
        const code = f.payload.readUInt32BE(f.type === FrameType.GOAWAY ? 4 : 0);
        const text = f.payload.toString('utf8', f.type === FrameType.GOAWAY ? 8 : 4);
        return `${name} s=${f.stream} ${errorCodeName(code)} "${text}"`;
      }
      return `${name} s=${f.stream} flags=${f.flags} ${f.payload.length}B`;
    })
    .join(', ');
}

function goAwayOf(c: RawConnection): Frame | undefined {
  return c.frames.find((f) => f.type === FrameType.GOAWAY);
}

function onStream(c: RawConnection, id: number, type: number): Frame[] {
  return c.frames.filter((f) => f.stream === id && f.type === type);
}

/** The body of stream `id` received so far, as DATA payloads. */
function dataOf(c: RawConnection, id: number): Buffer {
  return Buffer.concat(onStream(c, id, FrameType.DATA).map((f) => f.payload));
}

interface Answer {
  status: number;
  body: Buffer;
}

/** The whole response on stream `id`: a HEAD with END_STREAM (inline `data` or none), or HEAD, DATA … END_STREAM. */
function answerOf(c: RawConnection, id: number): Answer | undefined {
  const head = onStream(c, id, FrameType.HEAD)[0];
  if (head === undefined) return undefined;
  const json = JSON.parse(head.payload.toString('utf8')) as { status: string | number; data?: string };
  const status = Number(json.status);
  if ((head.flags & FrameFlag.END_STREAM) !== 0) return { status, body: Buffer.from(json.data ?? '') };
  const data = onStream(c, id, FrameType.DATA);
  if (!data.some((f) => (f.flags & FrameFlag.END_STREAM) !== 0)) return undefined;
  return { status, body: dataOf(c, id) };
}

/** True once the connection ended, or a GOAWAY said it will on an error (a graceful one lets streams finish). */
function failed(c: RawConnection): boolean {
  const goAway = goAwayOf(c);
  return (
    c.socket.destroyed || (goAway !== undefined && goAway.payload.readUInt32BE(4) !== ErrorCode.NO_ERROR)
  );
}

/** Waits for the whole response on stream `id`; fails at once, naming what came, on its ABORT or a failure. */
async function answer(c: RawConnection, id: number): Promise<Answer> {
  const stopped = () => failed(c) || onStream(c, id, FrameType.ABORT).length > 0;
  await waitFor(() => answerOf(c, id) !== undefined || stopped(), `the response on stream ${id}`, PATIENCE);
  const result = answerOf(c, id);
  assert.ok(result, `stream ${id} ended without a response; received: ${received(c)}`);
  return result;
}

/** Waits for the webframe to close the connection, then returns the GOAWAY it sent before, if any. */
async function closed(c: RawConnection): Promise<Frame | undefined> {
  await waitFor(() => c.socket.destroyed, 'the webframe to close the connection', PATIENCE);
  return goAwayOf(c);
}

/**
 * The raw-frame conformance suite of docs/protocol.md: registers node:test cases that check, frame by frame,
 * what every webframe must do. `start` starts the webframe under test; it must serve GET `/hi` (answering
 * `hi`), GET `/api/hello/:name` (JSON whose `hello` is the name), POST `/echo` (the body streamed back as it
 * arrives) and POST `/sha256` (JSON `{"bytes", "sha256"}` of the body), as examples/python-webframe does.
 */
export function webframeProtocolSuite(name: string, start: () => Promise<SuiteWebframe>): void {
  describe(`${name} speaks the frame protocol (docs/protocol.md)`, () => {
    let webframe: SuiteWebframe;
    const connections: RawConnection[] = [];
    before(async () => {
      webframe = await start();
    });
    after(async () => {
      for (const c of connections) c.socket.destroy();
      await webframe?.stop();
    });

    async function connection(): Promise<RawConnection> {
      const c = await connectRaw(webframe.port);
      connections.push(c);
      return c;
    }

    /** A connection whose HELLO exchange is done; `peer` is the webframe's HELLO. */
    async function session(): Promise<{ c: RawConnection; peer: Record<string, number> }> {
      const c = await connection();
      c.hello();
      await waitFor(() => c.frames.length > 0, "the webframe's HELLO", PATIENCE);
      const first = c.frames[0] as Frame;
      assert.equal(first.type, FrameType.HELLO, `the first frame is a HELLO; received: ${received(c)}`);
      return { c, peer: JSON.parse(first.payload.toString('utf8')) };
    }

    test('HELLO is answered with a HELLO of protocol tandem, version 1, limits in range (§1, §4.1)', async () => {
      const { c, peer } = await session();
      assert.equal(c.frames[0]?.stream, 0);
      assert.equal(peer.protocol, 'tandem');
      assert.equal(peer.version, 1);
      const maxFrameSize = peer.maxFrameSize ?? 1048576;
      const initialWindow = peer.initialWindow ?? 1048576;
      assert.ok(maxFrameSize >= 16384 && maxFrameSize <= 0x7fffffff, `maxFrameSize ${maxFrameSize}`);
      assert.ok(initialWindow >= 0 && initialWindow <= 0x7fffffff, `initialWindow ${initialWindow}`);
      assert.ok((peer.maxStreams ?? 256) >= 1, `maxStreams ${peer.maxStreams}`);
    });

    test('a GET is answered with one HEAD, 200 and its body; an unknown path with 404 (§3, §4.3)', async () => {
      const { c } = await session();
      c.socket.write(headFrame(1, 'GET', '/hi', true));
      c.socket.write(headFrame(3, 'GET', '/no/such/path', true));
      const hi = await answer(c, 1);
      assert.equal(hi.status, 200);
      assert.equal(hi.body.toString(), 'hi');
      assert.equal((await answer(c, 3)).status, 404);
      for (const id of [1, 3]) assert.equal(onStream(c, id, FrameType.HEAD).length, 1, `one HEAD on ${id}`);
    });

    test('streams open at once on one connection are each answered, a waiting one holds up none (§3)', async () => {
      const { c } = await session();
      // Stream 1 waits for its body; ids need not be consecutive, only increasing.
      const gets = Array.from({ length: 16 }, (_, i) =>
        headFrame(3 + 4 * i, 'GET', `/api/hello/n${i}`, true),
      );
      c.socket.write(Buffer.concat([headFrame(1, 'POST', '/sha256', false), dataFrame(1, 'abc'), ...gets]));
      for (let i = 0; i < 16; i++) {
        const got = await answer(c, 3 + 4 * i);
        assert.equal(got.status, 200);
        assert.equal(JSON.parse(got.body.toString()).hello, `n${i}`);
      }
      assert.equal(onStream(c, 1, FrameType.HEAD).length, 0, 'stream 1 still waits for its body');
      c.socket.write(dataFrame(1, 'def', true));
      const sha = JSON.parse((await answer(c, 1)).body.toString());
      assert.deepEqual(sha, { bytes: 6, sha256: createHash('sha256').update('abcdef').digest('hex') });
    });

    test('PING is answered by a PING with ACK and the same payload; a PING with ACK is not (§6)', async () => {
      const { c } = await session();
      const mine = Buffer.from('ack-only');
      const theirs = Buffer.from('pingpong');
      c.socket.write(encodeFrame(FrameType.PING, FrameFlag.ACK, 0, mine));
      c.socket.write(encodeFrame(FrameType.PING, 0, 0, theirs));
      const pings = () => c.frames.filter((f) => f.type === FrameType.PING);
      await waitFor(() => pings().length > 0 || failed(c), 'the PING ACK', PATIENCE);
      // Frames are handled in order: an answer to the first PING would have come before this one.
      const [pong, ...more] = pings();
      assert.ok(pong, `a PING came back; received: ${received(c)}`);
      assert.equal(pong.flags & FrameFlag.ACK, FrameFlag.ACK);
      assert.deepEqual(pong.payload, theirs);
      assert.equal(more.length, 0, `one PING back; received: ${received(c)}`);
    });

    test('a request body larger than the window arrives when sent only as WINDOW credit comes (§5)', async () => {
      const { c, peer } = await session();
      const window = peer.initialWindow ?? 1048576;
      assert.ok(window > 0 && window <= 8 * 1048576, `initialWindow ${window} fits a test`);
      const frameSize = Math.min(peer.maxFrameSize ?? 1048576, 65536);
      const body = randomBytes(2 * window + 12345);
      c.socket.write(headFrame(1, 'POST', '/sha256', false));
      let sent = 0;
      const credit = () =>
        window +
        onStream(c, 1, FrameType.WINDOW).reduce((sum, f) => sum + f.payload.readUInt32BE(0), 0) -
        sent;
      while (sent < body.length) {
        await waitFor(() => credit() > 0 || failed(c), `credit after ${sent} bytes`, PATIENCE);
        assert.ok(!failed(c), `the connection goes on; received: ${received(c)}`);
        const frames: Buffer[] = [];
        for (let n = Math.min(credit(), body.length - sent); n > 0; ) {
          const size = Math.min(n, frameSize);
          frames.push(dataFrame(1, body.subarray(sent, sent + size), sent + size === body.length));
          sent += size;
          n -= size;
        }
        c.socket.write(Buffer.concat(frames));
      }
      const got = await answer(c, 1);
      assert.equal(got.status, 200);
      const expected = { bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') };
      assert.deepEqual(JSON.parse(got.body.toString()), expected);
      assert.ok(onStream(c, 1, FrameType.WINDOW).length >= 2, 'credit came as WINDOW frames');
    });

    test('ABORT ends its stream at once; the other streams go on, a DATA that crossed it is ignored (§3, §6)', async () => {
      const { c } = await session();
      c.socket.write(
        Buffer.concat([headFrame(1, 'POST', '/echo', false), headFrame(3, 'POST', '/echo', false)]),
      );
      c.socket.write(Buffer.concat([dataFrame(1, 'one'), dataFrame(3, 'three')]));
      const echoed = () => dataOf(c, 1).toString() === 'one' && dataOf(c, 3).toString() === 'three';
      await waitFor(() => echoed() || failed(c), 'both echoes', PATIENCE);
      assert.ok(echoed(), `both streams echo; received: ${received(c)}`);
      const framesOn1 = c.frames.filter((f) => f.stream === 1).length;
      c.socket.write(encodeCodeFrame(FrameType.ABORT, 1, [ErrorCode.CANCEL], 'the browser hung up'));
      c.socket.write(dataFrame(1, 'late'));
      c.socket.write(Buffer.concat([dataFrame(3, ' more', true), headFrame(5, 'GET', '/hi', true)]));
      assert.equal((await answer(c, 3)).body.toString(), 'three more');
      assert.equal((await answer(c, 5)).body.toString(), 'hi');
      assert.equal(
        c.frames.filter((f) => f.stream === 1).length,
        framesOn1,
        `nothing more on stream 1: ${received(c)}`,
      );
      assert.equal(goAwayOf(c), undefined);
    });

    test('GOAWAY from httpserver: the open stream finishes, then the webframe closes the connection (§6)', async () => {
      const { c } = await session();
      c.socket.write(Buffer.concat([headFrame(1, 'POST', '/sha256', false), dataFrame(1, 'before ')]));
      c.socket.write(encodeCodeFrame(FrameType.GOAWAY, 0, [1, ErrorCode.NO_ERROR]));
      // The PING's answer shows the GOAWAY was handled while stream 1 is still open.
      c.socket.write(encodeFrame(FrameType.PING, 0, 0, Buffer.from('goingawy')));
      const acked = () => c.frames.some((f) => f.type === FrameType.PING);
      await waitFor(() => acked() || c.socket.destroyed, 'the PING ACK after GOAWAY', PATIENCE);
      assert.ok(acked(), `the connection stays open for stream 1; received: ${received(c)}`);
      c.socket.write(dataFrame(1, 'and after', true));
      const got = await answer(c, 1);
      const expected = createHash('sha256').update('before and after').digest('hex');
      assert.deepEqual(JSON.parse(got.body.toString()), { bytes: 16, sha256: expected });
      const goAway = await closed(c);
      if (goAway !== undefined) assert.equal(goAway.payload.readUInt32BE(4), ErrorCode.NO_ERROR, received(c));
    });

    const violations: {
      what: string;
      code: number;
      frames: () => Buffer[];
      hello?: Record<string, unknown>;
    }[] = [
      {
        what: 'a HEAD on a stream id equal to the last',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [headFrame(3, 'GET', '/hi', true), headFrame(3, 'GET', '/hi', true)],
      },
      {
        what: 'a HEAD on a stream id below the last',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [headFrame(5, 'GET', '/hi', true), headFrame(1, 'GET', '/hi', true)],
      },
      {
        what: 'DATA for a stream never opened',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [dataFrame(7, 'x')],
      },
      {
        what: 'a HEAD on stream 0',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [headFrame(0, 'GET', '/hi', true)],
      },
      {
        what: 'a PING of 4 bytes',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(4))],
      },
      {
        what: 'an unknown frame type',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [encodeFrame(0x9, 0, 0, Buffer.alloc(0))],
      },
      {
        what: 'a second HELLO',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [encodeJsonFrame(FrameType.HELLO, 0, 0, { protocol: 'tandem', version: 1 })],
      },
      {
        what: 'a HEAD whose payload is not JSON',
        code: ErrorCode.PROTOCOL_ERROR,
        frames: () => [encodeFrame(FrameType.HEAD, FrameFlag.END_STREAM, 1, Buffer.from('{"method":'))],
      },
      {
        what: 'a WINDOW with increment 0',
        code: ErrorCode.FLOW_CONTROL_ERROR,
        frames: () => [headFrame(1, 'POST', '/echo', false), encodeCodeFrame(FrameType.WINDOW, 1, [0])],
      },
      {
        what: 'a HELLO with version "1", a string',
        code: ErrorCode.UNSUPPORTED_VERSION,
        frames: () => [],
        hello: { version: '1' },
      },
    ];
    for (const v of violations) {
      test(`${v.what} is answered with GOAWAY ${errorCodeName(v.code)}, then the connection closes (§8)`, async () => {
        const c = await connection();
        c.hello(v.hello);
        c.socket.write(Buffer.concat(v.frames()));
        const goAway = await closed(c);
        assert.ok(goAway, `a GOAWAY before the close; received: ${received(c)}`);
        assert.equal(errorCodeName(goAway.payload.readUInt32BE(4)), errorCodeName(v.code), received(c));
        assert.ok(goAway.payload.length > 8, `the GOAWAY names the problem; received: ${received(c)}`);
      });
    }

    test('after those connection errors the webframe serves a new connection (§8)', async () => {
      const { c } = await session();
      c.socket.write(headFrame(1, 'GET', '/hi', true));
      assert.equal((await answer(c, 1)).body.toString(), 'hi');
    });
  });
}
