import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type FrameSocket, FrameWriter } from './frame-connection.js';

/** A Writable that records each write it is handed, with a small buffer so that it reports backpressure. */
function recorder(highWaterMark = 1024): FrameSocket & { writes: Buffer[] } {
  const writes: Buffer[] = [];
  const out = new Writable({
    highWaterMark,
    write(chunk: Buffer, _encoding, done) {
      writes.push(Buffer.from(chunk));
      setImmediate(done);
    },
  });
  return Object.assign(out, { writes }) as unknown as FrameSocket & { writes: Buffer[] };
}

describe('FrameWriter, the outgoing side of a frame connection', () => {
  test('frames queued in one turn leave in one write, in order, after the turn', async () => {
    const socket = recorder();
    const writer = new FrameWriter(socket);
    writer.write(Buffer.from('one,'));
    writer.write(Buffer.from('two,'));
    writer.write(Buffer.from('three'));
    assert.equal(socket.writes.length, 0, 'nothing is written before the turn ends');
    await nextTurn();
    assert.deepEqual(
      socket.writes.map((b) => b.toString()),
      ['one,two,three'],
    );
  });

  test('large queues go out as they are (no copy beyond 64 KiB) and still in order', async () => {
    const socket = recorder(1 << 20);
    const writer = new FrameWriter(socket);
    const big = Buffer.alloc(70 * 1024, 7);
    writer.write(Buffer.from('head'));
    writer.write(big);
    await nextTurn();
    await nextTurn();
    assert.deepEqual(Buffer.concat(socket.writes), Buffer.concat([Buffer.from('head'), big]));
  });

  test('reports backpressure once the socket refuses more, until drained()', async () => {
    const socket = recorder(16);
    const writer = new FrameWriter(socket);
    writer.write(Buffer.alloc(64));
    assert.equal(writer.blocked, false);
    await nextTurn();
    assert.equal(writer.blocked, true);
    writer.drained();
    assert.equal(writer.blocked, false);
  });

  test('counted bytes past maxBacklog report over until the socket has taken them; uncounted never do', async () => {
    const socket = recorder(1 << 20);
    const heard: boolean[] = [];
    const writer = new FrameWriter(socket, 100, (over) => heard.push(over));
    writer.write(Buffer.alloc(500)); // DATA within credit: not a reply, not counted
    writer.write(Buffer.alloc(60), true);
    assert.deepEqual(heard, []);
    writer.write(Buffer.alloc(60), true);
    assert.deepEqual(heard, [true]);
    assert.equal(writer.backlog, 120);
    while (heard.length < 2) await nextTurn();
    assert.deepEqual(heard, [true, false]);
    assert.equal(writer.backlog, 0);
  });

  test('flush() writes at once (before a close) and nothing is written to a destroyed socket', async () => {
    const socket = recorder();
    const writer = new FrameWriter(socket);
    writer.write(Buffer.from('bye'));
    writer.flush();
    assert.deepEqual(socket.writes.map(String), ['bye']);
    socket.destroy();
    writer.write(Buffer.from('lost'));
    await nextTurn();
    assert.deepEqual(socket.writes.map(String), ['bye']);
  });
});
