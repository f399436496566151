import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { waitFor } from '../../test/support/wait-for.js';
import { PORT_WINDOW, PortDuplex, type PortMessage, toTransferable } from './port-duplex.js';
import { bridgeSocket } from './socket-bridge.js';
import type { ConnectionInfo } from './types.js';

const info: ConnectionInfo = { transport: 'tcp', remoteAddress: '::1', remotePort: 4321 };

/** The far end of a port: records what arrives and acks only when told to. */
function farEnd(port: MessagePort) {
  const seen = { bytes: 0, acked: 0, ended: false, destroyed: false, done: false, chunks: [] as Buffer[] };
  port.on('message', (m: PortMessage) => {
    if (m.t === 'data') {
      seen.bytes += m.b.byteLength;
      seen.chunks.push(Buffer.from(m.b));
    } else if (m.t === 'ack') seen.acked += m.n;
    else if (m.t === 'end') seen.ended = true;
    else if (m.t === 'destroy') seen.destroyed = true;
    else if (m.t === 'done') seen.done = true;
  });
  return {
    seen,
    ack(n: number) {
      port.postMessage({ t: 'ack', n } satisfies PortMessage);
    },
    send(text: string) {
      const b = toTransferable(Buffer.from(text));
      port.postMessage({ t: 'data', b } satisfies PortMessage, [b]);
    },
    post(message: PortMessage) {
      port.postMessage(message);
    },
  };
}

/** A TCP server on port 0 whose accepted sockets stay paused, as NetServer hands them to a model. */
async function pausedServer(): Promise<{ server: Server; client: Socket; accepted: Socket }> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  const [accepted] = (await once(server, 'connection')) as [Socket];
  return { server, client, accepted };
}

describe('PortDuplex', () => {
  test('looks like a socket to http: addresses from the info, no-op socket options', () => {
    const { port1, port2 } = new MessageChannel();
    const duplex = new PortDuplex(port1, info);
    assert.equal(duplex.remoteAddress, '::1');
    assert.equal(duplex.remotePort, 4321);
    assert.equal(duplex.remoteFamily, 'IPv6');
    assert.equal(duplex.setNoDelay(true), duplex);
    assert.equal(duplex.setKeepAlive(true, 10), duplex);
    duplex.destroy();
    port2.close();
  });

  test('writes stop once a window of bytes is unacknowledged and go on as acks arrive', async () => {
    const { port1, port2 } = new MessageChannel();
    const duplex = new PortDuplex(port1, info);
    const far = farEnd(port2);
    const total = 4 * PORT_WINDOW;
    const chunk = Buffer.alloc(64 * 1024, 7);
    for (let sent = 0; sent < total; sent += chunk.byteLength) duplex.write(chunk);
    duplex.end();
    // Messages arrive in order: once the window is here, whatever was posted before the writes stopped is too.
    await waitFor(() => far.seen.bytes >= PORT_WINDOW, 'a window of bytes');
    assert.ok(far.seen.bytes <= PORT_WINDOW + chunk.byteLength, `sent ${far.seen.bytes} without an ack`);
    let acked = 0;
    await waitFor(() => {
      far.ack(far.seen.bytes - acked);
      acked = far.seen.bytes;
      return far.seen.ended;
    }, 'the end, acking what arrives');
    assert.equal(far.seen.bytes, total);
    duplex.destroy();
    port2.close();
  });

  test('received bytes are acked only as they are read', async () => {
    const { port1, port2 } = new MessageChannel();
    const duplex = new PortDuplex(port1, info);
    const far = farEnd(port2);
    const piece = 'x'.repeat(32 * 1024);
    for (let i = 0; i < 32; i++) far.send(piece);
    far.post({ t: 'end' });
    // Every byte has arrived (buffered, unread); then a negative check: 100 ms for acks that must not come.
    await waitFor(() => duplex.readableLength === 32 * piece.length, 'the bytes to arrive');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(far.seen.acked < 4 * piece.length, `acked ${far.seen.acked} before any read`);
    let read = 0;
    for await (const chunk of duplex) read += (chunk as Buffer).byteLength;
    assert.equal(read, 32 * piece.length);
    await waitFor(() => far.seen.acked === 32 * piece.length, 'every byte read to be acked');
    port2.close();
  });

  test('setTimeout emits timeout after inactivity, as on a socket', async () => {
    const { port1, port2 } = new MessageChannel();
    const duplex = new PortDuplex(port1, info);
    let fired = 0;
    duplex.setTimeout(30, () => fired++);
    await waitFor(() => fired > 0, 'the timeout');
    assert.equal(fired, 1);
    duplex.destroy();
    port2.close();
  });

  test('a destroy from the other side destroys it with the error; its own destroy is sent over', async () => {
    const a = new MessageChannel();
    const remote = new PortDuplex(a.port1, info);
    farEnd(a.port2).post({ t: 'destroy', error: { name: 'Error', message: 'reset', code: 'ECONNRESET' } });
    const [error] = (await once(remote, 'error')) as [NodeJS.ErrnoException];
    assert.equal(error.code, 'ECONNRESET');
    a.port2.close();

    const b = new MessageChannel();
    const local = new PortDuplex(b.port1, info);
    const far = farEnd(b.port2);
    local.destroy();
    await waitFor(() => far.seen.destroyed, 'the destroy to be sent over');
    b.port2.close();
  });
});

describe('bridgeSocket', () => {
  test('the socket pauses once a window of its bytes is unacknowledged, and resumes on acks', async () => {
    const { server, client, accepted } = await pausedServer();
    const { port1, port2 } = new MessageChannel();
    let done = 0;
    bridgeSocket(accepted, port1, () => done++);
    const far = farEnd(port2);
    const total = 8 * PORT_WINDOW;
    client.write(Buffer.alloc(total, 1));
    client.end();
    // The socket is paused in the data handler that crosses the window: nothing is posted after it.
    await waitFor(() => far.seen.bytes >= PORT_WINDOW, 'a window of bytes');
    assert.ok(far.seen.bytes <= PORT_WINDOW + 64 * 1024, `${far.seen.bytes} bytes passed without an ack`);
    let acked = 0;
    await waitFor(() => {
      far.ack(far.seen.bytes - acked);
      acked = far.seen.bytes;
      return far.seen.ended;
    }, 'the end, acking what arrives');
    assert.equal(far.seen.bytes, total);
    far.post({ t: 'done' });
    await once(port2, 'close');
    assert.equal(done, 1);
    client.destroy();
    server.close();
  });

  test('bytes and the half-close from the worker reach the client; writes are acked once flushed', async () => {
    const { server, client, accepted } = await pausedServer();
    const { port1, port2 } = new MessageChannel();
    bridgeSocket(accepted, port1, () => {});
    const acceptedClosed = once(accepted, 'close');
    const far = farEnd(port2);
    far.send('hello ');
    far.send('world');
    far.post({ t: 'end' });
    let text = '';
    client.on('data', (d: Buffer) => (text += d.toString()));
    await once(client, 'end');
    assert.equal(text, 'hello world');
    await waitFor(() => far.seen.acked === 'hello world'.length, 'the flushed writes to be acked');
    // The client (not half-open) answers the FIN with its own, which reaches the worker as an end.
    await acceptedClosed;
    await waitFor(() => far.seen.ended, 'the end to reach the worker');
    assert.equal(far.seen.destroyed, false);
    far.post({ t: 'done' });
    await once(port2, 'close');
    server.close();
  });

  test('a port that closes before done (the worker died) destroys the socket', async () => {
    const { server, client, accepted } = await pausedServer();
    const { port1, port2 } = new MessageChannel();
    let done = 0;
    bridgeSocket(accepted, port1, () => done++);
    client.on('error', () => {});
    port2.close();
    await once(client, 'close');
    assert.equal(accepted.destroyed, true);
    assert.equal(done, 1);
    server.close();
  });

  test('a client that resets is reported to the worker as a destroy', async () => {
    const { server, client, accepted } = await pausedServer();
    const { port1, port2 } = new MessageChannel();
    bridgeSocket(accepted, port1, () => {});
    const far = farEnd(port2);
    const acceptedClosed = new Promise((resolve) => accepted.once('close', resolve));
    client.resetAndDestroy();
    await acceptedClosed;
    await waitFor(() => far.seen.destroyed, 'the destroy to reach the worker');
    far.post({ t: 'done' });
    await once(port2, 'close');
    server.close();
  });
});
