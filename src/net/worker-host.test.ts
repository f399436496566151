import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { ConnectionHandler, ConnectionInfo } from './types.js';
import { WorkerHost } from './worker-host.js';

const INFO: ConnectionInfo = { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 0 };

describe('WorkerHost.serveDetached: a handler with serve() is served without a promise per connection', () => {
  let server: Server;
  let waiting: ((socket: Socket) => void) | undefined;
  before(async () => {
    server = createServer((socket) => waiting?.(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  });
  after(() => server.close());

  /** Connects a client and resolves with both ends. */
  async function pair(): Promise<{ client: Socket; served: Socket }> {
    const served = new Promise<Socket>((resolve) => (waiting = resolve));
    const address = server.address() as { port: number };
    const client = connect(address.port, '127.0.0.1');
    client.on('error', () => {});
    const socket = await served;
    waiting = undefined;
    return { client, served: socket };
  }

  /** A handler that echoes one line with serve(), then says it is done; handle() is never called. */
  function echoOnce(calls: string[]): ConnectionHandler {
    return {
      handle() {
        calls.push('handle');
      },
      serve(stream: Duplex, _info: ConnectionInfo, done: (stream: Duplex) => void) {
        calls.push('serve');
        stream.once('data', (data: Buffer) => {
          stream.write(data);
          done(stream);
        });
      },
    };
  }

  it('counts the connection open until serve() is done and the stream has closed; close() waits for it', async () => {
    const calls: string[] = [];
    const host = await WorkerHost.load(echoOnce(calls), () => {});
    const { client, served } = await pair();
    host.serveDetached(served, INFO);
    assert.deepEqual(calls, ['serve']);
    assert.equal(host.open, 1);
    let closed = false;
    const closing = host.close().then(() => (closed = true));
    client.write('ping');
    const [echo] = await once(client, 'data');
    assert.equal(String(echo), 'ping');
    await once(client, 'end'); // done(): the host ends the stream
    assert.equal(closed, false, 'close() waits for the stream to close');
    client.end();
    await closing;
    assert.equal(host.open, 0);
  });

  it('a serve() that throws is reported and the connection is ended', async () => {
    const reported: unknown[] = [];
    const host = await WorkerHost.load(
      {
        handle() {},
        serve() {
          throw new Error('boom');
        },
      },
      (error) => reported.push(error),
    );
    const { client, served } = await pair();
    host.serveDetached(served, INFO);
    await once(client, 'end');
    client.end();
    await host.close();
    assert.match(String(reported[0]), /boom/);
    assert.equal(host.open, 0);
  });

  it('a handler with finish() goes through handle() and finish(), as serveConnection does', async () => {
    const calls: string[] = [];
    const host = await WorkerHost.load(
      {
        ...echoOnce(calls),
        handle(stream: Duplex) {
          calls.push('handle');
          stream.write('hi');
        },
        finish() {
          calls.push('finish');
        },
      },
      () => {},
    );
    const { client, served } = await pair();
    host.serveDetached(served, INFO);
    client.resume();
    await once(client, 'end');
    client.end();
    await host.close();
    assert.deepEqual(calls, ['handle', 'finish']);
  });
});
