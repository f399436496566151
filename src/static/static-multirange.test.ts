import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Handler } from '../http/handler.js';
import {
  ask,
  BIG,
  makeFixture,
  readBody,
  type StaticFixture,
  type StaticTestReply,
} from './static-fixture.case.js';
import { files } from './static-handler.js';

let fx: StaticFixture;
let cached: Handler;
let streamed: Handler;

before(async () => {
  fx = await makeFixture();
  cached = files({ root: fx.root });
  streamed = files({ root: fx.root, cacheMaxFileSize: 0 });
});
after(() => fx.cleanup());

interface Part {
  headers: Record<string, string>;
  body: string;
}

/** Splits a multipart/byteranges body by the boundary of its Content-Type, checking the framing on the way. */
function parseMultipart(reply: StaticTestReply, body: string): Part[] {
  const match = /^multipart\/byteranges; boundary=([0-9a-f]+)$/.exec(reply.headers['content-type']!);
  assert.ok(match, reply.headers['content-type']);
  const boundary = match[1]!;
  assert.ok(body.startsWith(`--${boundary}\r\n`));
  assert.ok(body.endsWith(`\r\n--${boundary}--\r\n`));
  const inner = body.slice(0, -`\r\n--${boundary}--\r\n`.length);
  return inner
    .split(`--${boundary}\r\n`)
    .slice(1)
    .map((chunk, i, all) => {
      const text = i < all.length - 1 ? chunk.slice(0, -2) : chunk;
      const split = text.indexOf('\r\n\r\n');
      const headers = Object.fromEntries(
        text
          .slice(0, split)
          .split('\r\n')
          .map((line) => line.split(': ') as [string, string]),
      );
      return { headers, body: text.slice(split + 4) };
    });
}

const slice = (start: number, end: number) => BIG.subarray(start, end + 1).toString();

for (const [label, handler] of [
  ['from memory', () => cached],
  ['streamed from disk', () => streamed],
] as const) {
  describe(`static: multiple ranges, ${label}`, () => {
    const get = async (headers: Record<string, string>, method = 'GET') => {
      const reply = await ask(handler(), '/big.bin', headers, method);
      assert.ok(reply);
      return reply;
    };

    it('206 multipart/byteranges with one part per range, in order, and the exact Content-Length', async () => {
      const reply = await get({ range: 'bytes=0-1,5-9,-3' });
      assert.equal(reply.status, 206);
      assert.equal(reply.headers['content-range'], undefined);
      const body = await readBody(reply);
      assert.equal(reply.headers['content-length'], String(Buffer.byteLength(body)));
      const parts = parseMultipart(reply, body);
      assert.deepEqual(
        parts.map((part) => [part.headers['Content-Range'], part.headers['Content-Type'], part.body]),
        [
          ['bytes 0-1/1000', 'application/octet-stream', slice(0, 1)],
          ['bytes 5-9/1000', 'application/octet-stream', slice(5, 9)],
          ['bytes 997-999/1000', 'application/octet-stream', slice(997, 999)],
        ],
      );
      if (label === 'streamed from disk') {
        assert.ok(
          typeof reply.body === 'object' && reply.body !== null && Symbol.asyncIterator in reply.body,
        );
      } else assert.ok(Buffer.isBuffer(reply.body));
    });

    it('a boundary per reply', async () => {
      const a = await get({ range: 'bytes=0-1,5-9' });
      const b = await get({ range: 'bytes=0-1,5-9' });
      assert.notEqual(a.headers['content-type'], b.headers['content-type']);
    });

    it('coalesces overlapping or adjacent ranges; one left is a plain 206', async () => {
      const reply = await get({ range: 'bytes=10-19,15-29,30-39' });
      assert.equal(reply.status, 206);
      assert.equal(reply.headers['content-range'], 'bytes 10-39/1000');
      assert.equal(reply.headers['content-type'], 'application/octet-stream');
      assert.equal(await readBody(reply), slice(10, 39));
      const two = await get({ range: 'bytes=500-509,0-4,3-8' });
      const parts = parseMultipart(two, await readBody(two));
      assert.deepEqual(
        parts.map((part) => part.headers['Content-Range']),
        ['bytes 500-509/1000', 'bytes 0-8/1000'],
      );
    });

    it('skips unsatisfiable ranges beside satisfiable ones; 416 when none is', async () => {
      const one = await get({ range: 'bytes=5000-6000,0-4' });
      assert.equal(one.status, 206);
      assert.equal(one.headers['content-range'], 'bytes 0-4/1000');
      const none = await get({ range: 'bytes=5000-6000,2000-' });
      assert.equal(none.status, 416);
      assert.equal(none.headers['content-range'], 'bytes */1000');
    });

    it('200 with the whole file for more than 16 ranges or ranges adding up to more than the file', async () => {
      const many = `bytes=${Array.from({ length: 17 }, (_, i) => `${i * 20}-${i * 20}`).join(',')}`;
      const sixteen = `bytes=${Array.from({ length: 16 }, (_, i) => `${i * 20}-${i * 20}`).join(',')}`;
      for (const range of [many, 'bytes=0-,0-', 'bytes=0-599,400-999', `bytes=${'0-999,'.repeat(3)}0-1`]) {
        const reply = await get({ range });
        assert.equal(reply.status, 200, range);
        assert.equal(reply.headers['content-length'], '1000');
        assert.equal(await readBody(reply), BIG.toString());
      }
      const reply = await get({ range: sixteen });
      assert.equal(reply.status, 206);
      assert.equal(parseMultipart(reply, await readBody(reply)).length, 16);
    });

    it('If-Range: the current ETag gives the parts, a stale one the whole file; HEAD ignores Range', async () => {
      const { etag } = (await get({})).headers;
      const range = 'bytes=0-1,5-9';
      assert.equal((await get({ range, 'if-range': etag! })).status, 206);
      const stale = await get({ range, 'if-range': '"stale"' });
      assert.equal(stale.status, 200);
      assert.equal(await readBody(stale), BIG.toString());
      const head = await get({ range }, 'HEAD');
      assert.equal(head.status, 200);
      assert.equal(head.body, null);
    });
  });
}

describe('static: maxRanges option', () => {
  it('lowers the number of ranges served as parts', async () => {
    const strict = files({ root: fx.root, maxRanges: 2 });
    const get = (range: string) => ask(strict, '/big.bin', { range });
    assert.equal((await get('bytes=0-1,5-6'))?.status, 206);
    assert.equal((await get('bytes=0-1,5-6,9-9'))?.status, 200);
  });
});
