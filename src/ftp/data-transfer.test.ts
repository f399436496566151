import assert from 'node:assert/strict';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type Readable, Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import { errors, isError } from '../errors/catalogue.js';
import {
  closed,
  dial,
  loopbackChannel,
  readAll,
  replyPort,
  tcpHandles,
  tempFile,
} from './data-test-kit.test-helper.js';
import { errorReply } from './ftp-replies.js';

const MiB = 1024 * 1024;

/** True while `stream` holds a full read buffer that nobody takes: backpressure has stopped its reading. */
const heldBack = (stream: Readable) => stream.readableLength >= stream.readableHighWaterMark;

/** A channel after PASV with its data connection open: the server-side socket and the client. */
async function connected(timeout = 2000) {
  const channel = loopbackChannel({ timeout });
  const port = replyPort(await channel.passive());
  const opened = channel.open();
  const client = await dial('127.0.0.1', port);
  return { channel, socket: await opened, client };
}

describe('DataChannel send (RETR, LIST)', () => {
  test('streams a multi-MiB file with backpressure, half-closes and resolves with the byte count', async (t) => {
    const payload = tempFile(24 * MiB);
    t.after(payload.cleanup);
    const before = await tcpHandles();
    const { channel, socket, client } = await connected();
    const source = createReadStream(payload.file);
    let resolved = false;
    const sent = channel.send(socket, source).then((bytes) => {
      resolved = true;
      return bytes;
    });
    // The client does not read yet: once the socket is full the file must stop being read, not far ahead.
    await waitFor(
      () => socket.writableNeedDrain && heldBack(source),
      'the full socket to stop the reading of the file',
    );
    assert.ok(source.bytesRead < 16 * MiB, `read ${source.bytesRead} bytes ahead of a non-reading client`);
    assert.equal(resolved, false);
    const received = await readAll(client);
    assert.equal(await sent, payload.data.length);
    assert.ok(received.equals(payload.data), 'received bytes differ from the file');
    // Half-close: the server flushed and ended its side but did not destroy it; the client hangs up in its own time.
    assert.equal(socket.writableFinished, true);
    assert.equal(socket.destroyed, false);
    assert.equal(client.writable, true);
    assert.equal(channel.prepared, false);
    assert.equal(source.destroyed, true, 'the file is closed');
    client.end();
    await Promise.all([closed(client), closed(socket)]);
    assert.deepEqual(await tcpHandles(), before);
  });

  test('sends a listing from a string iterable', async () => {
    const { channel, socket, client } = await connected();
    const { Readable } = await import('node:stream');
    const received = readAll(client);
    const lines = ['a.txt\r\n', 'ünïcode.txt\r\n'];
    const bytes = await channel.send(socket, Readable.from(lines));
    assert.equal(bytes, Buffer.byteLength(lines.join('')));
    assert.equal((await received).toString(), lines.join(''));
    await closed(client);
  });

  test('a receiver that never reads triggers the stall timeout', async (t) => {
    const payload = tempFile(24 * MiB);
    t.after(payload.cleanup);
    const { channel, socket, client } = await connected(300);
    const source = createReadStream(payload.file);
    const started = performance.now();
    await assert.rejects(
      channel.send(socket, source),
      (err) => isError(err, errors.FTP_TRANSFER_STALLED) && err.status === 426,
    );
    assert.ok(performance.now() - started >= 290);
    assert.equal(socket.destroyed, true);
    assert.equal(source.destroyed, true);
    assert.equal(channel.prepared, false);
    await closed(client);
  });

  test('abort() mid-transfer rejects with FTP_TRANSFER_ABORTED and leaks nothing', async (t) => {
    const payload = tempFile(24 * MiB);
    t.after(payload.cleanup);
    const before = await tcpHandles();
    const { channel, socket, client } = await connected();
    const source = createReadStream(payload.file);
    const sent = channel.send(socket, source);
    let got = 0;
    client.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= MiB && got - chunk.length < MiB) channel.abort();
    });
    await assert.rejects(sent, (err) => isError(err, errors.FTP_TRANSFER_ABORTED) && err.status === 426);
    assert.ok(got < payload.data.length);
    assert.equal(socket.destroyed, true);
    assert.equal(source.destroyed, true);
    assert.equal(channel.prepared, false);
    await closed(client);
    assert.deepEqual(await tcpHandles(), before);
  });

  test('the session goes on after abort(): a new PASV and transfer work', async () => {
    const first = await connected();
    first.channel.abort();
    await closed(first.client);
    const { channel } = first;
    const port = replyPort(await channel.passive());
    const opened = channel.open();
    const client = await dial('127.0.0.1', port);
    const received = readAll(client);
    const { Readable } = await import('node:stream');
    assert.equal(await channel.send(await opened, Readable.from([Buffer.from('again')])), 5);
    assert.equal((await received).toString(), 'again');
    await closed(client);
  });
});

describe('DataChannel file errors', () => {
  // RFC 959: the file's failure is a local error (451, 452 when out of space), not a lost connection (426).
  test('a full disk during receiveFile rejects with ENOSPC, which errorReply answers 452', async () => {
    const { channel, socket, client } = await connected();
    const full = await open('/dev/full', 'r+');
    client.on('error', () => {}); // the server resets the connection once the write fails
    try {
      const received = channel.receiveFile(socket, full, 0);
      client.end(Buffer.alloc(2 * MiB));
      await assert.rejects(received, (err) => {
        assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
        assert.equal(errorReply(err, '/up.bin').code, 452);
        return true;
      });
    } finally {
      await full.close();
      client.destroy();
    }
  });

  test('a file that cannot be read during sendFile rejects with its errno code, not as 426', async (t) => {
    const payload = tempFile(1024);
    t.after(payload.cleanup);
    const { channel, socket, client } = await connected();
    const directory = await open(payload.dir, 'r');
    client.on('error', () => {});
    try {
      const sent = channel.sendFile(socket, directory, 0, 1023);
      await assert.rejects(sent, (err) => {
        assert.equal((err as NodeJS.ErrnoException).code, 'EISDIR');
        assert.equal(errorReply(err, '/dir').code, 550);
        return true;
      });
    } finally {
      await directory.close();
      client.destroy();
    }
  });

  test('the peer resetting the connection still rejects as FTP_TRANSFER_FAILED (426)', async (t) => {
    const payload = tempFile(32 * MiB);
    t.after(payload.cleanup);
    const { channel, socket, client } = await connected();
    const file = await open(payload.file, 'r');
    try {
      const sent = channel.sendFile(socket, file, 0, payload.data.length - 1);
      client.resetAndDestroy();
      await assert.rejects(sent, (err) => isError(err, errors.FTP_TRANSFER_FAILED) && err.status === 426);
    } finally {
      await file.close();
    }
  });
});

describe('DataChannel receive (STOR)', () => {
  test('writes into a file stream and completes when the peer ends', async (t) => {
    const payload = tempFile(8 * MiB);
    t.after(payload.cleanup);
    const before = await tcpHandles();
    const { channel, socket, client } = await connected();
    const target = join(payload.dir, 'stored.bin');
    const received = channel.receive(socket, createWriteStream(target));
    client.end(payload.data);
    assert.equal(await received, payload.data.length);
    assert.ok(readFileSync(target).equals(payload.data));
    assert.equal(channel.prepared, false);
    await Promise.all([closed(client), closed(socket)]);
    assert.deepEqual(await tcpHandles(), before);
  });

  test('a slow sink holds the socket back (backpressure)', async () => {
    const { channel, socket, client } = await connected();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let written = 0;
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        gate.then(() => callback());
      },
    });
    const received = channel.receive(socket, sink);
    const total = 32 * MiB;
    const block = Buffer.alloc(MiB, 7);
    let offered = 0;
    const pump = async () => {
      while (offered < total) {
        offered += block.length;
        if (!client.write(block)) await new Promise((resolve) => client.once('drain', resolve));
      }
      client.end();
    };
    const pumping = pump();
    await waitFor(
      () => client.writableNeedDrain && sink.writableNeedDrain && heldBack(socket),
      'the blocked sink to stop the reading of the socket and hold the client back',
    );
    assert.ok(socket.bytesRead < 16 * MiB, `server read ${socket.bytesRead} bytes into a blocked sink`);
    assert.ok(offered < total, 'the client was never held back');
    release();
    await pumping;
    assert.equal(await received, total);
    assert.equal(written, total);
    await closed(client);
  });

  test('abort() mid-transfer rejects with FTP_TRANSFER_ABORTED and destroys socket and sink', async (t) => {
    const payload = tempFile(4 * MiB);
    t.after(payload.cleanup);
    const { channel, socket, client } = await connected();
    const sink = createWriteStream(join(payload.dir, 'partial.bin'));
    const received = channel.receive(socket, sink);
    // The abort resets a connection that still has data in flight.
    client.on('error', () => {});
    client.write(payload.data);
    // Mid-way: the sink has taken part of the upload (its first drain), the client has sent it all.
    await new Promise<void>((resolve) => sink.once('drain', () => resolve()));
    assert.ok(sink.bytesWritten < payload.data.length);
    channel.abort();
    await assert.rejects(received, (err) => isError(err, errors.FTP_TRANSFER_ABORTED));
    assert.equal(socket.destroyed, true);
    assert.equal(sink.destroyed, true);
    await closed(client);
  });

  test('a sender that goes silent triggers the stall timeout', async () => {
    const { channel, socket, client } = await connected(200);
    const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
    const received = channel.receive(socket, sink);
    client.write('some bytes, then nothing');
    await assert.rejects(received, (err) => isError(err, errors.FTP_TRANSFER_STALLED));
    await closed(client);
  });
});
