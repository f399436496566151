import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import { errors, isError } from '../errors/catalogue.js';
import { DataChannel } from './data-channel.js';
import {
  closed,
  dial,
  listenLocal,
  loopbackChannel,
  readAll,
  replyPort,
  tcpHandles,
} from './data-test-kit.test-helper.js';

describe('DataChannel passive mode', () => {
  test('PASV listens on the control connection local address and says so in the 227 text', async () => {
    const channel = loopbackChannel({}, '127.0.0.2');
    const text = await channel.passive();
    assert.match(text, /^Entering Passive Mode \(127,0,0,2,\d+,\d+\)$/);
    const port = replyPort(text);
    assert.equal(channel.passivePort, port);
    assert.equal(channel.prepared, true);
    // Not bound to every address: the same port on 127.0.0.1 is not listening.
    await assert.rejects(dial('127.0.0.1', port), { code: 'ECONNREFUSED' });
    const opened = channel.open();
    const client = await dial('127.0.0.2', port, '127.0.0.1');
    const socket = await opened;
    assert.equal(socket.localAddress, '127.0.0.2');
    assert.equal(channel.passivePort, undefined, 'the listener stops after the one data connection');
    channel.abort();
    await closed(client);
  });

  test('a data connection from another address is refused and the channel keeps waiting', async (t) => {
    const refused: string[] = [];
    const channel = loopbackChannel({ onRefused: (address) => refused.push(address) });
    const port = replyPort(await channel.passive());
    let settled = false;
    const opened = channel.open().finally(() => {
      settled = true;
    });
    const intruder = await dial('127.0.0.1', port, '127.0.0.2');
    t.after(() => {
      channel.abort();
      intruder.destroy();
    });
    intruder.resume();
    let deadline: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      closed(intruder).then(() => 'closed'),
      opened.then(() => 'accepted'),
      new Promise((resolve) => {
        deadline = setTimeout(resolve, 10_000, 'still open');
      }),
    ]);
    clearTimeout(deadline);
    assert.equal(outcome, 'closed', 'the foreign connection must be closed');
    assert.deepEqual(refused, ['127.0.0.2']);
    assert.equal(settled, false, 'open() must not resolve with the foreign connection');
    assert.notEqual(channel.passivePort, undefined, 'still listening for the client');
    const client = await dial('127.0.0.1', port, '127.0.0.1');
    const socket = await opened;
    assert.equal(socket.remoteAddress, '127.0.0.1');
    assert.equal(socket.remotePort, client.localPort);
    channel.abort();
    await closed(client);
  });

  test('a connection that arrives before open() is handed out by open()', async () => {
    const channel = loopbackChannel();
    const port = replyPort(await channel.passive());
    const client = await dial('127.0.0.1', port);
    // Accepting the client's connection is what stops the listener.
    await waitFor(() => channel.passivePort === undefined, 'the channel to accept the connection');
    const socket = await channel.open();
    assert.equal(socket.remotePort, client.localPort);
    channel.abort();
    await closed(client);
  });

  test('open() times out with 425 and releases the listener', async () => {
    const before = await tcpHandles();
    const channel = loopbackChannel({ timeout: 150 });
    const port = replyPort(await channel.passive());
    const started = performance.now();
    await assert.rejects(
      channel.open(),
      (err) => isError(err, errors.FTP_NO_DATA_CONNECTION) && err.status === 425,
    );
    assert.ok(performance.now() - started >= 140);
    assert.equal(channel.prepared, false);
    await assert.rejects(dial('127.0.0.1', port), { code: 'ECONNREFUSED' });
    assert.deepEqual(await tcpHandles(), before);
  });

  test('open() without PASV or PORT rejects with 425', async () => {
    const channel = loopbackChannel();
    await assert.rejects(channel.open(), (err) => isError(err, errors.FTP_NO_DATA_CONNECTION));
  });

  test('a second PASV closes the first listener', async () => {
    const channel = loopbackChannel();
    const first = replyPort(await channel.passive());
    const second = replyPort(await channel.passive());
    await assert.rejects(dial('127.0.0.1', first), { code: 'ECONNREFUSED' });
    const client = await dial('127.0.0.1', second);
    await channel.open();
    channel.abort();
    await closed(client);
  });

  test('the masquerade address appears in the 227 text while the listener stays local', async () => {
    const channel = loopbackChannel({ address: '203.0.113.7' });
    const text = await channel.passive();
    assert.match(text, /^Entering Passive Mode \(203,0,113,7,\d+,\d+\)$/);
    const client = await dial('127.0.0.1', replyPort(text));
    await channel.open();
    channel.abort();
    await closed(client);
  });

  test('EPSV answers (|||port|) and works on IPv6; PASV on IPv6 is 522', async () => {
    const channel = new DataChannel(
      { localAddress: '::1', remoteAddress: '::1', family: 'IPv6' },
      { portMin: 0, portMax: 0, timeout: 2000 },
    );
    await assert.rejects(
      channel.passive(),
      (err) => isError(err, errors.FTP_NETWORK_PROTOCOL) && err.status === 522,
    );
    const text = await channel.extendedPassive();
    assert.match(text, /^Entering Extended Passive Mode \(\|\|\|\d+\|\)$/);
    const opened = channel.open();
    const client = await dial('::1', replyPort(text));
    const socket = await opened;
    assert.equal(socket.remoteAddress, '::1');
    channel.abort();
    await closed(client);
  });

  test('an IPv4-mapped control address is treated as IPv4', async () => {
    const channel = new DataChannel(
      { localAddress: '::ffff:127.0.0.1', remoteAddress: '::ffff:127.0.0.1', family: 'IPv6' },
      { portMin: 0, portMax: 0, timeout: 2000 },
    );
    const text = await channel.passive();
    assert.match(text, /^Entering Passive Mode \(127,0,0,1,/);
    const client = await dial('127.0.0.1', replyPort(text));
    await channel.open();
    channel.abort();
    await closed(client);
  });

  test('abort() rejects a pending open() with FTP_TRANSFER_ABORTED and leaks no handle', async () => {
    const before = await tcpHandles();
    const channel = loopbackChannel();
    const port = replyPort(await channel.passive());
    const opened = channel.open();
    channel.abort();
    await assert.rejects(opened, (err) => isError(err, errors.FTP_TRANSFER_ABORTED));
    assert.equal(channel.prepared, false);
    await assert.rejects(dial('127.0.0.1', port), { code: 'ECONNREFUSED' });
    assert.deepEqual(await tcpHandles(), before);
  });
});

describe('DataChannel active mode', () => {
  test('refuses a foreign host and ports below 1024 (FTP bounce, CVE-2020-15152)', () => {
    const channel = loopbackChannel();
    const refused = (err: unknown) => isError(err, errors.FTP_PORT_REFUSED) && err.status === 500;
    assert.throws(() => channel.active('127.0.0.2', 4000), refused);
    assert.throws(() => channel.active('10.0.0.1', 4000), refused);
    assert.throws(() => channel.active('127.0.0.1', 1023), refused);
    assert.throws(() => channel.active('127.0.0.1', 21), refused);
    assert.throws(() => channel.active('127.0.0.1', 0), refused);
    assert.equal(channel.prepared, false);
    channel.active('::ffff:127.0.0.1', 1024);
    assert.equal(channel.prepared, true);
    channel.abort();
    assert.equal(channel.prepared, false);
  });

  test('connects to the client when allowed and carries data', async () => {
    let accepted: Socket | undefined;
    const { server, port } = await listenLocal((socket) => {
      accepted = socket;
    });
    const channel = loopbackChannel();
    channel.active('127.0.0.1', port);
    const socket = await channel.open();
    assert.equal(socket.remotePort, port);
    assert.ok(accepted);
    const received = readAll(accepted);
    const { Readable } = await import('node:stream');
    assert.equal(
      await channel.send(socket, Readable.from([Buffer.from('hello ')], { objectMode: false })),
      6,
    );
    assert.equal((await received).toString(), 'hello ');
    accepted.end();
    await closed(socket);
    assert.equal(channel.prepared, false);
    server.close();
  });

  test('an active connection that fails rejects open() with 425', async () => {
    const { server, port } = await listenLocal();
    await new Promise((resolve) => server.close(resolve));
    const channel = loopbackChannel();
    channel.active('127.0.0.1', port);
    await assert.rejects(channel.open(), (err) => isError(err, errors.FTP_NO_DATA_CONNECTION));
    assert.equal(channel.prepared, false);
  });
});
