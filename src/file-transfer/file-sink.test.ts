import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { sinkToFile } from './file-sink.js';

/** Bytes that differ at every offset, so a chunk written at the wrong place shows. */
function pattern(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = (i * 7 + seed + (i >> 10)) & 0xff;
  return out;
}

/** Feeds `data` into a PassThrough in pieces of `piece` bytes, one piece per event-loop turn, then ends it. */
function feed(data: Buffer, piece: number): PassThrough {
  const source = new PassThrough();
  let at = 0;
  const next = () => {
    if (at >= data.length) return void source.end();
    source.write(data.subarray(at, at + piece));
    at += piece;
    setImmediate(next);
  };
  setImmediate(next);
  return source;
}

describe('sinkToFile', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'file-sink-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('writes a stream of several MiB in order from the given position, counting the bytes', async () => {
    const path = join(dir, 'at.bin');
    writeFileSync(path, Buffer.from('HEAD'));
    const data = pattern(5 * 1024 * 1024 + 12345, 1);
    const file = await open(path, 'r+');
    try {
      assert.equal(await sinkToFile(feed(data, 64 * 1024), file, 4), data.length);
    } finally {
      await file.close();
    }
    assert.deepEqual(readFileSync(path), Buffer.concat([Buffer.from('HEAD'), data]));
  });

  it('appends in order when the position is null (one write in flight)', async () => {
    const path = join(dir, 'append.bin');
    writeFileSync(path, Buffer.from('start:'));
    const data = pattern(3 * 1024 * 1024 + 7, 2);
    const file = await open(path, 'a');
    try {
      assert.equal(await sinkToFile(feed(data, 100_000), file, null), data.length);
    } finally {
      await file.close();
    }
    assert.deepEqual(readFileSync(path), Buffer.concat([Buffer.from('start:'), data]));
  });

  it('pauses the source while its buffers are all being written (backpressure), then takes the rest', async () => {
    const path = join(dir, 'burst.bin');
    const data = pattern(6 * 1024 * 1024, 3);
    const source = new PassThrough({ highWaterMark: 64 * 1024 });
    let paused = 0;
    source.on('pause', () => paused++);
    const file = await open(path, 'w');
    try {
      const sinking = sinkToFile(source, file, 0);
      source.end(data); // one 6 MiB chunk: more than the buffers in flight can take at once
      assert.equal(await sinking, data.length);
    } finally {
      await file.close();
    }
    assert.ok(paused > 0, 'the source was paused');
    assert.deepEqual(readFileSync(path), data);
  });

  it('an empty stream writes nothing and resolves with 0', async () => {
    const path = join(dir, 'empty.bin');
    const file = await open(path, 'w');
    try {
      const source = new PassThrough();
      source.end();
      assert.equal(await sinkToFile(source, file, 0), 0);
    } finally {
      await file.close();
    }
    assert.equal(readFileSync(path).length, 0);
  });

  it('rejects when the source is destroyed before it ends (abort, stall)', async () => {
    const file = await open(join(dir, 'cut.bin'), 'w');
    try {
      const source = new PassThrough();
      const sinking = sinkToFile(source, file, 0);
      source.write(pattern(10_000, 4));
      setImmediate(() => source.destroy());
      await assert.rejects(sinking, /went away/);
    } finally {
      await file.close();
    }
  });

  it('starts a source that was paused explicitly (a socket accepted with pauseOnConnect)', async () => {
    const data = pattern(3 * 1024 * 1024 + 5, 5);
    const source = feed(data, 64 * 1024);
    source.pause();
    const file = await open(join(dir, 'paused.bin'), 'w');
    try {
      assert.equal(await sinkToFile(source, file, 0), data.length);
      assert.ok(readFileSync(join(dir, 'paused.bin')).equals(data));
    } finally {
      await file.close();
    }
  });

  it('rejects with the write error (ENOSPC from /dev/full), at once', async () => {
    for (const position of [0, null]) {
      const full = await open('/dev/full', 'r+');
      try {
        await assert.rejects(sinkToFile(feed(pattern(3 * 1024 * 1024, 6), 64 * 1024), full, position), {
          code: 'ENOSPC',
        });
      } finally {
        await full.close();
      }
    }
  });
});
