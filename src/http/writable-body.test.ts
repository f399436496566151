import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { WritableBody } from './writable-body.js';

test('what is written is read in order, and the writer waits for the reader', async () => {
  let writes = 0;
  const body = new WritableBody(() => writes++);
  const source = Readable.from(Array.from({ length: 64 }, (_, i) => Buffer.alloc(1024, i)));
  const written = pipeline(source, body);
  const seen: number[] = [];
  for await (const chunk of body) {
    seen.push(chunk[0]!);
    // The writer is held by the reader: never more than the Writable's buffer ahead of what was read.
    assert.ok(body.writableLength <= body.writableHighWaterMark + 1024, String(body.writableLength));
  }
  await written;
  assert.deepEqual(
    seen,
    Array.from({ length: 64 }, (_, i) => i),
  );
  assert.equal(writes, 64);
});

test('a reader that stops early lets every later write through, so the writer finishes', async () => {
  const body = new WritableBody(() => {});
  const iterator = body[Symbol.asyncIterator]();
  await iterator.return?.();
  await pipeline(Readable.from([Buffer.alloc(100_000), Buffer.alloc(100_000)]), body);
  assert.equal(body.writableFinished, true);
});

test('fail makes the next read throw', async () => {
  const body = new WritableBody(() => {});
  body.write('a');
  const iterator = body[Symbol.asyncIterator]();
  assert.equal(Buffer.from((await iterator.next()).value as Uint8Array).toString(), 'a');
  body.fail(new Error('cut'));
  await assert.rejects(iterator.next(), /cut/);
});
