import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  ErrorCode,
  encodeCodeFrame,
  encodeFrame,
  encodeJsonFrame,
  type Frame,
  FrameDecoder,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
} from './frame-codec.js';

const frameArb = fc.record({
  type: fc.integer({ min: 0, max: 6 }),
  flags: fc.integer({ min: 0, max: 255 }),
  stream: fc.nat(),
  payload: fc.uint8Array({ maxLength: 3000 }),
});

/** Splits `bytes` at the given cut points. */
function chunk(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let previous = 0;
  for (const p of points) {
    out.push(bytes.subarray(previous, p));
    previous = p;
  }
  out.push(bytes.subarray(previous));
  return out;
}

describe('frame codec', () => {
  test('header layout is length, type, flags, stream id, big-endian', () => {
    const buf = encodeFrame(FrameType.DATA, 1, 0x01020304, Buffer.from('abc'));
    assert.deepEqual([...buf.subarray(0, HEADER_SIZE)], [0, 0, 0, 3, 2, 1, 1, 2, 3, 4]);
    assert.equal(buf.subarray(HEADER_SIZE).toString(), 'abc');
  });

  test('JSON and code frames encode their payloads', () => {
    const json = encodeJsonFrame(FrameType.HEAD, 0, 1, { method: 'GET', info: '/é' });
    assert.equal(json.readUInt32BE(0), json.length - HEADER_SIZE);
    assert.deepEqual(JSON.parse(json.subarray(HEADER_SIZE).toString()), { method: 'GET', info: '/é' });
    const goaway = encodeCodeFrame(FrameType.GOAWAY, 0, [7, ErrorCode.PROTOCOL_ERROR], 'bad');
    assert.equal(goaway.readUInt32BE(HEADER_SIZE), 7);
    assert.equal(goaway.readUInt32BE(HEADER_SIZE + 4), 1);
    assert.equal(goaway.subarray(HEADER_SIZE + 8).toString(), 'bad');
  });

  test('round trip under arbitrary chunking', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.flags, f.stream, f.payload)));
          const decoder = new FrameDecoder(1 << 20);
          const decoded: Frame[] = [];
          for (const piece of chunk(wire, cuts)) {
            assert.equal(
              decoder.push(piece, (f) => decoded.push({ ...f, payload: Buffer.from(f.payload) })),
              undefined,
            );
          }
          assert.equal(decoded.length, frames.length);
          decoded.forEach((d, i) => {
            const f = frames[i]!;
            assert.equal(d.type, f.type);
            assert.equal(d.flags, f.flags);
            assert.equal(d.stream, f.stream);
            assert.deepEqual([...d.payload], [...f.payload]);
          });
          assert.equal(decoder.buffered, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('splitData: DATA arrives in pieces that add up to each frame, END_STREAM on the last piece only', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const wire = Buffer.concat(frames.map((f) => encodeFrame(f.type, f.flags, f.stream, f.payload)));
          const decoder = new FrameDecoder(1 << 20, { splitData: true });
          let index = 0;
          let pieces: Buffer[] = [];
          const onFrame = (f: Frame): void => {
            const expected = frames[index]!;
            assert.deepEqual([f.type, f.stream], [expected.type, expected.stream]);
            pieces.push(Buffer.from(f.payload));
            const have = Buffer.concat(pieces);
            if (have.length < expected.payload.length) {
              assert.equal(f.type, FrameType.DATA, 'only DATA comes in pieces');
              assert.ok(f.payload.length > 0);
              assert.equal(f.flags, expected.flags & ~FrameFlag.END_STREAM);
              return;
            }
            assert.equal(f.flags, expected.flags);
            assert.deepEqual([...have], [...expected.payload]);
            index++;
            pieces = [];
          };
          for (const piece of chunk(wire, cuts)) assert.equal(decoder.push(piece, onFrame), undefined);
          assert.equal(index, frames.length);
          assert.equal(decoder.buffered, 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('arbitrary bytes never throw out of the decoder and never buffer past the limit', () => {
    const max = 4096;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 20 }), (pieces) => {
        const decoder = new FrameDecoder(max);
        for (const piece of pieces) {
          const error = decoder.push(Buffer.from(piece), (f) => {
            assert.ok(f.payload.length <= max);
            assert.ok(f.type <= 6);
          });
          // Held bytes: at most one frame (header + max payload) plus the last chunk.
          assert.ok(decoder.buffered <= HEADER_SIZE + max + piece.length);
          if (error !== undefined) {
            assert.ok(error.code === ErrorCode.FRAME_SIZE_ERROR || error.code === ErrorCode.PROTOCOL_ERROR);
            assert.equal(typeof error.message, 'string');
            assert.equal(decoder.buffered, 0);
            return;
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  test('an oversized length is rejected as soon as its header is read', () => {
    const decoder = new FrameDecoder(16384);
    const error = decoder.push(Buffer.from([0, 1, 0, 0, 2, 0, 0, 0, 0, 1]), () => assert.fail('no frame'));
    assert.equal(error?.code, ErrorCode.FRAME_SIZE_ERROR);
    assert.match(error?.message ?? '', /frame length 65536 exceeds maxFrameSize 16384/);
  });
});
