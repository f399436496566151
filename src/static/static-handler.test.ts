import assert from 'node:assert/strict';
import { utimes } from 'node:fs/promises';
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
let handler: Handler;
const MTIME = new Date('2024-05-06T07:08:09.123Z');
const LAST_MODIFIED = 'Mon, 06 May 2024 07:08:09 GMT';

before(async () => {
  fx = await makeFixture();
  await utimes(`${fx.root}/big.bin`, MTIME, MTIME);
  handler = files({ root: fx.root, listing: true, cacheControl: 'max-age=60' });
});
after(() => fx.cleanup());

async function request(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<StaticTestReply> {
  const reply = await ask(handler, path, headers, method);
  assert.ok(reply, `${method} ${path} found nothing`);
  return reply;
}

describe('static: files and types', () => {
  const types: Array<[string, string]> = [
    ['/hello.txt', 'text/plain; charset=utf-8'],
    ['/app.js', 'text/javascript; charset=utf-8'],
    ['/data.json', 'application/json; charset=utf-8'],
    ['/pic.svg', 'image/svg+xml; charset=utf-8'],
    ['/feed.xml', 'application/xml; charset=utf-8'],
    ['/photo.png', 'image/png'],
    ['/blob.zzunknown', 'application/octet-stream'],
    ['/noext', 'application/octet-stream'],
    ['/sub/', 'text/html; charset=utf-8'],
  ];
  for (const [path, type] of types) {
    it(`Content-Type of ${path} is ${type}`, async () => {
      assert.equal((await request(path)).headers['content-type'], type);
    });
  }

  it('GET sends a small file from memory, with length and validators', async () => {
    const reply = await request('/hello.txt');
    assert.equal(reply.status, 200);
    assert.ok(Buffer.isBuffer(reply.body));
    assert.equal(await readBody(reply), 'hello world');
    assert.equal(reply.headers['content-length'], '11');
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.equal(reply.headers['accept-ranges'], 'bytes');
    assert.equal(reply.headers['cache-control'], 'max-age=60');
    assert.match(reply.headers.etag!, /^"b-[0-9a-f]+"$/);
  });

  it('without the memory cache, GET sends the file as a range of the file on disk', async () => {
    const uncached = files({ root: fx.root, cacheMaxFileSize: 0 });
    const reply = await ask(uncached, '/hello.txt');
    assert.deepEqual(reply?.body, { path: `${fx.root}/hello.txt`, start: 0, end: 10 });
    assert.equal(await readBody(reply!), 'hello world');
  });

  it('HEAD has the same headers and no body', async () => {
    const get = await request('/big.bin');
    const head = await request('/big.bin', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.deepEqual(head.headers, get.headers);
    assert.equal(head.body, null);
  });

  it('serves an empty file with an empty in-memory body', async () => {
    const reply = await request('/empty.txt');
    assert.equal(reply.headers['content-length'], '0');
    assert.equal(await readBody(reply), '');
  });

  it('decodes names: %20 finds "with space.txt"', async () => {
    assert.equal(await readBody(await request('/with%20space.txt')), 'space');
  });

  it('answers null for missing files and for a file asked as a directory', async () => {
    assert.equal(await ask(handler, '/missing.txt'), null);
    assert.equal(await ask(handler, '/hello.txt/'), null);
    assert.equal(await ask(handler, '/hello.txt/x'), null);
  });

  it('405 with Allow for other methods on an existing file; null when nothing exists', async () => {
    const reply = await request('/hello.txt', {}, 'POST');
    assert.equal(reply.status, 405);
    assert.equal(reply.headers.allow, 'GET, HEAD');
    assert.match(String(reply.body), /Method POST not allowed/);
    assert.equal(await ask(handler, '/api/users', {}, 'POST'), null);
  });
});

describe('static: directories', () => {
  it('serves the index of /dir/', async () => {
    assert.equal(await readBody(await request('/sub/')), '<h1>sub</h1>');
  });

  it('redirects /dir to the relative last segment plus /', async () => {
    const reply = await request('/sub');
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.location, 'sub/');
    assert.equal((await request('/list/inner')).headers.location, 'inner/');
  });

  it('never redirects to another host: //evil.com and %2F tricks stay relative', async () => {
    const reply = await request('//evil.com');
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.location, 'evil.com/');
    assert.equal((await request('/%2Fevil.com')).status, 400);
    assert.equal((await request('/%5Cevil.com')).status, 400);
  });

  it('lists a directory without index: escaped names, dotfiles hidden', async () => {
    const reply = await request('/list/');
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    const html = await readBody(reply);
    assert.equal(reply.headers['content-length'], String(Buffer.byteLength(html)));
    assert.match(html, /<a href="\.\/a\.txt">a\.txt<\/a>/);
    assert.match(html, /<a href="\.\/inner\/">inner\/<\/a>/);
    assert.match(html, /&lt;b&gt;&amp;&quot;x&quot;\.txt/);
    assert.match(html, /href="\.\/%3Cb%3E%26%22x%22\.txt"/);
    assert.doesNotMatch(html, /<b>/);
    assert.doesNotMatch(html, /hidden/);
    assert.equal((await request('/list/', {}, 'HEAD')).body, null);
  });

  it('answers null for a directory without index when listing is off', async () => {
    const plain = files({ root: fx.root });
    assert.equal(await ask(plain, '/list/'), null);
    assert.equal((await ask(plain, '/sub/'))?.status, 200);
  });
});

describe('static: conditional requests', () => {
  it('sends Last-Modified in whole seconds', async () => {
    assert.equal((await request('/big.bin')).headers['last-modified'], LAST_MODIFIED);
  });

  it('304 for a matching If-None-Match (weak comparison, lists, *), with validators and no body', async () => {
    const { etag } = (await request('/big.bin')).headers;
    for (const value of [etag!, `W/${etag}`, `"nope", ${etag}`, '*']) {
      for (const method of ['GET', 'HEAD']) {
        const reply = await request('/big.bin', { 'if-none-match': value }, method);
        assert.equal(reply.status, 304, value);
        assert.deepEqual(reply.headers, {
          etag,
          'last-modified': LAST_MODIFIED,
          'cache-control': 'max-age=60',
        });
        assert.equal(reply.body, null);
      }
    }
    assert.equal((await request('/big.bin', { 'if-none-match': '"other"' })).status, 200);
  });

  it('If-Modified-Since: 304 when not modified since, 200 when modified, ignored beside If-None-Match', async () => {
    assert.equal((await request('/big.bin', { 'if-modified-since': LAST_MODIFIED })).status, 304);
    assert.equal(
      (await request('/big.bin', { 'if-modified-since': 'Mon, 06 May 2024 07:08:08 GMT' })).status,
      200,
    );
    assert.equal((await request('/big.bin', { 'if-modified-since': 'not a date' })).status, 200);
    const both = { 'if-modified-since': LAST_MODIFIED, 'if-none-match': '"other"' };
    assert.equal((await request('/big.bin', both)).status, 200);
  });

  it('412 when If-Match or If-Unmodified-Since fails', async () => {
    const { etag } = (await request('/big.bin')).headers;
    const failed = await request('/big.bin', { 'if-match': '"other"' });
    assert.equal(failed.status, 412);
    assert.match(String(failed.body), /^Precondition failed/);
    assert.equal((await request('/big.bin', { 'if-match': `W/${etag}` })).status, 412);
    assert.equal((await request('/big.bin', { 'if-match': etag! })).status, 200);
    assert.equal((await request('/big.bin', { 'if-match': '*' })).status, 200);
    const old = 'Mon, 06 May 2024 07:08:08 GMT';
    assert.equal((await request('/big.bin', { 'if-unmodified-since': old })).status, 412);
    assert.equal((await request('/big.bin', { 'if-unmodified-since': LAST_MODIFIED })).status, 200);
  });
});

describe('static: ranges', () => {
  const slice = (start: number, end: number) => BIG.subarray(start, end + 1).toString();

  const cases: Array<[string, number, number]> = [
    ['bytes=0-99', 0, 99],
    ['bytes=100-', 100, 999],
    ['bytes=-50', 950, 999],
    ['bytes=990-5000', 990, 999],
    ['bytes=-5000', 0, 999],
    ['BYTES = 5-5', 5, 5],
  ];
  for (const [range, start, end] of cases) {
    it(`206 for ${range}`, async () => {
      const reply = await request('/big.bin', { range });
      assert.equal(reply.status, 206);
      assert.equal(reply.headers['content-range'], `bytes ${start}-${end}/1000`);
      assert.equal(reply.headers['content-length'], String(end - start + 1));
      assert.equal(await readBody(reply), slice(start, end));
    });
  }

  it('416 with Content-Range bytes */size when unsatisfiable', async () => {
    for (const range of ['bytes=1000-', 'bytes=5000-6000', 'bytes=-0', 'bytes=1000-1001, 2000-']) {
      const reply = await request('/big.bin', { range });
      assert.equal(reply.status, 416, range);
      assert.equal(reply.headers['content-range'], 'bytes */1000');
      assert.match(String(reply.body), /^Range not satisfiable/);
    }
  });

  it('ignores invalid ranges, other units and HEAD (200, whole file)', async () => {
    for (const range of ['bytes=5-1', 'bytes=abc', 'items=0-1', 'bytes=0-1,x']) {
      const reply = await request('/big.bin', { range });
      assert.equal(reply.status, 200, range);
      assert.equal(reply.headers['content-length'], '1000');
    }
    assert.equal((await request('/big.bin', { range: 'bytes=0-1' }, 'HEAD')).status, 200);
  });

  it('If-Range: a matching ETag or date gives 206, anything else the whole file', async () => {
    const { etag } = (await request('/big.bin')).headers;
    const range = 'bytes=0-9';
    assert.equal((await request('/big.bin', { range, 'if-range': etag! })).status, 206);
    assert.equal((await request('/big.bin', { range, 'if-range': LAST_MODIFIED })).status, 206);
    assert.equal((await request('/big.bin', { range, 'if-range': '"stale"' })).status, 200);
    assert.equal((await request('/big.bin', { range, 'if-range': `W/${etag}` })).status, 200);
    const older = 'Mon, 06 May 2024 07:08:08 GMT';
    const full = await request('/big.bin', { range, 'if-range': older });
    assert.equal(full.status, 200);
    assert.equal(full.headers['content-length'], '1000');
  });
});
