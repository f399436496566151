import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { PUMP_CHUNK, pumpFile } from './file-pump.js';

/** A Writable that keeps copies of what it is given (the pump reuses its chunks). */
function sink(): Writable & { received: () => Buffer; ended: () => boolean } {
  const chunks: Buffer[] = [];
  let ended = false;
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(Buffer.from(chunk));
      setImmediate(done);
    },
    final(done) {
      ended = true;
      done();
    },
  });
  return Object.assign(out, { received: () => Buffer.concat(chunks), ended: () => ended });
}

describe('pumpFile', () => {
  let root: string;
  let data: Buffer;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'file-pump-'));
    data = Buffer.alloc(PUMP_CHUNK * 2 + 1234);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + (i >> 9)) & 0xff;
    writeFileSync(join(root, 'big.bin'), data);
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('sends the whole file over several chunks, counting the bytes, then ends', async () => {
    const out = sink();
    let counted = 0;
    await pumpFile(join(root, 'big.bin'), 0, data.length - 1, out, {
      counted: (n) => {
        counted += n;
      },
    });
    await finished(out);
    assert.deepEqual(out.received(), data);
    assert.equal(counted, data.length);
    assert.ok(out.ended());
  });

  it('sends a range across a chunk boundary', async () => {
    const out = sink();
    const start = PUMP_CHUNK - 10;
    const end = PUMP_CHUNK + 20;
    await pumpFile(join(root, 'big.bin'), start, end, out);
    await finished(out);
    assert.deepEqual(out.received(), data.subarray(start, end + 1));
  });

  it('rejects when the file is shorter than the range', async () => {
    await assert.rejects(pumpFile(join(root, 'big.bin'), 0, data.length + 10, sink()), /ended at byte/);
  });

  it('rejects when the output is closed mid-file', async () => {
    const out = sink();
    const pumping = pumpFile(join(root, 'big.bin'), 0, data.length - 1, out);
    setImmediate(() => out.destroy());
    await assert.rejects(pumping, /went away|destroyed/);
  });
  it('with slowChunkSize, starts small and doubles while the receiver keeps up, but stays small for a slow one', async () => {
    const SLOW = 16 * 1024;
    const sizes = async (delay: number, end: number) => {
      const seen: number[] = [];
      const out = new Writable({
        write(chunk: Buffer, _enc, done) {
          seen.push(chunk.length);
          setTimeout(done, delay);
        },
      });
      await pumpFile(join(root, 'big.bin'), 0, end, out, { slowChunkSize: SLOW });
      return seen;
    };
    assert.deepEqual(await sizes(0, data.length - 1), [
      SLOW,
      2 * SLOW,
      4 * SLOW,
      8 * SLOW,
      PUMP_CHUNK,
      data.length - 15 * SLOW - PUMP_CHUNK,
    ]);
    // Each write takes 80 ms to complete: a slow client holds one small chunk at a time.
    assert.deepEqual(await sizes(80, 4 * SLOW - 1), [SLOW, SLOW, SLOW, SLOW]);
  });
});
