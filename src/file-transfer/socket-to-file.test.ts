import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import { CopyError, canCopySocketToFile, copySocketToFile } from './socket-to-file.js';

/** A connected pair: `accepted` was accepted paused (nothing read by this process), `client` sends. */
async function pair(): Promise<{ accepted: Socket; client: Socket; close: () => void }> {
  const server = createServer({ pauseOnConnect: true });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(port, '127.0.0.1');
  const socket = await accepted;
  return {
    accepted: socket,
    client,
    close: () => {
      client.destroy();
      socket.destroy();
      server.close();
    },
  };
}

describe('copySocketToFile', { skip: !canCopySocketToFile() && 'dd is not available' }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'socket-to-file-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('appends everything the peer sends until it closes, and counts the bytes', async () => {
    const path = join(dir, 'upload.bin');
    writeFileSync(path, 'kept:');
    const data = Buffer.alloc(5 * 1024 * 1024 + 3);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >> 12)) & 0xff;
    const { accepted, client, close } = await pair();
    const file = await open(path, 'a');
    try {
      const copy = copySocketToFile(accepted, file, 5000);
      client.end(data);
      assert.equal(await copy.done, data.length);
    } finally {
      await file.close();
      close();
    }
    assert.deepEqual(readFileSync(path), Buffer.concat([Buffer.from('kept:'), data]));
  });

  it('stops a peer that sends nothing for the stall time, as "stalled"', async () => {
    const { accepted, client, close } = await pair();
    const file = await open(join(dir, 'stalled.bin'), 'a');
    try {
      const copy = copySocketToFile(accepted, file, 300);
      client.write('a little, then nothing');
      await assert.rejects(copy.done, (err: unknown) => err instanceof CopyError && err.kind === 'stalled');
    } finally {
      await file.close();
      close();
    }
  });

  it('abort() stops the copy at once, as "aborted"', async () => {
    const { accepted, client, close } = await pair();
    const file = await open(join(dir, 'aborted.bin'), 'a');
    try {
      const copy = copySocketToFile(accepted, file, 5000);
      client.write(Buffer.alloc(1024 * 1024));
      // Mid-copy: dd has begun moving bytes into the file (and the client never ends).
      await waitFor(async () => (await file.stat()).size > 0, 'the first bytes in the file');
      copy.abort();
      await assert.rejects(copy.done, (err: unknown) => err instanceof CopyError && err.kind === 'aborted');
    } finally {
      await file.close();
      close();
    }
  });

  it('fails with the errno code dd reports, read under LC_ALL=C whatever the locale', async () => {
    const { accepted, client, close } = await pair();
    const full = await open('/dev/full', 'a');
    const locale = process.env.LC_ALL;
    process.env.LC_ALL = 'de_DE.UTF-8';
    try {
      const copy = copySocketToFile(accepted, full, 5000);
      client.end(Buffer.alloc(64 * 1024));
      await assert.rejects(copy.done, (err: unknown) => {
        assert.ok(err instanceof CopyError && err.kind === 'failed', String(err));
        assert.equal(err.code, 'ENOSPC');
        assert.match(err.message, /No space left on device/);
        return true;
      });
    } finally {
      if (locale === undefined) delete process.env.LC_ALL;
      else process.env.LC_ALL = locale;
      await full.close();
      close();
    }
  });
});
