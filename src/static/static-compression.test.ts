import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import type { Handler } from '../http/handler.js';
import { ask, bodyBytes as bytes, type StaticTestReply } from './static-fixture.case.js';
import { files } from './static-handler.js';

let base: string;
let root: string;
let handler: Handler;

const PAGE = '<p>tandem</p>\n'.repeat(400);
// Larger than the default cacheMaxFileSize (1 MiB): compressed as it is streamed.
const LARGE = 'line of a large text file\n'.repeat(45_000);
const APP = 'console.log("app");\n'.repeat(300);
const OLD = new Date('2020-01-01T00:00:00Z');

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), 'tandem-coding-')));
  root = join(base, 'root');
  const tree: Record<string, string | Buffer> = {
    'outside.js.gz': gzipSync('OUTSIDE'),
    'root/page.html': PAGE,
    'root/large.txt': LARGE,
    'root/tiny.css': 'body{}',
    'root/app.js': APP,
    'root/app.js.br': brotliCompressSync('PRECOMPRESSED BR'),
    'root/app.js.gz': gzipSync('PRECOMPRESSED GZ'),
    'root/stale.js': APP,
    'root/stale.js.gz': gzipSync('STALE'),
    'root/escape.js': APP,
    'root/only-gz.js': APP,
    'root/only-gz.js.gz': gzipSync('PRECOMPRESSED GZ'),
    'root/photo.png': Buffer.alloc(5000, 1),
  };
  for (const [name, content] of Object.entries(tree)) {
    await mkdir(join(base, name, '..'), { recursive: true });
    await writeFile(join(base, name), content);
  }
  await symlink('../outside.js.gz', join(root, 'escape.js.gz'));
  for (const name of ['app.js', 'escape.js', 'only-gz.js']) await utimes(join(root, name), OLD, OLD);
  await utimes(join(root, 'stale.js.gz'), OLD, OLD);
  handler = files({ root, cacheControl: 'max-age=60' });
});
after(() => rm(base, { recursive: true, force: true }));

async function get(
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
  h: Handler = handler,
): Promise<StaticTestReply> {
  const reply = await ask(h, path, headers, method);
  assert.ok(reply, path);
  return reply;
}

function decode(reply: StaticTestReply, data: Buffer): string {
  const coding = reply.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(data).toString();
  if (coding === 'gzip') return gunzipSync(data).toString();
  assert.equal(coding, undefined);
  return data.toString();
}

describe('static: compression on the fly', () => {
  it('br for a client that accepts it: from memory, with Content-Length, Vary and a br ETag', async () => {
    const reply = await get('/page.html', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-encoding'], 'br');
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(reply.headers.vary, 'Accept-Encoding');
    assert.match(reply.headers.etag!, /^"[0-9a-f]+-[0-9a-f]+-br"$/);
    assert.ok(Buffer.isBuffer(reply.body));
    const data = await bytes(reply);
    assert.equal(reply.headers['content-length'], String(data.length));
    assert.ok(data.length < PAGE.length / 5);
    assert.equal(decode(reply, data), PAGE);
    const head = await get('/page.html', { 'accept-encoding': 'gzip, deflate, br' }, 'HEAD');
    assert.deepEqual(head.headers, reply.headers);
    assert.equal(head.body, null);
  });

  it('gzip when that is what the client prefers; identity when it asks for nothing', async () => {
    const gz = await get('/page.html', { 'accept-encoding': 'br;q=0.5, gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.match(gz.headers.etag!, /-gzip"$/);
    assert.equal(decode(gz, await bytes(gz)), PAGE);
    const choices: Array<Record<string, string>> = [
      {},
      { 'accept-encoding': 'identity' },
      { 'accept-encoding': 'deflate' },
    ];
    for (const headers of choices) {
      const plain = await get('/page.html', headers);
      assert.equal(plain.headers['content-encoding'], undefined);
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.equal(plain.headers['content-length'], String(PAGE.length));
      assert.doesNotMatch(plain.headers.etag!, /-(br|gzip)"$/);
    }
  });

  it('streams a file larger than the cache through zlib, without Content-Length', async () => {
    const reply = await get('/large.txt', { 'accept-encoding': 'gzip' });
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.headers['content-length'], undefined);
    // Chunks through zlib: neither bytes in memory nor a FileRange of the uncompressed file.
    assert.ok(typeof reply.body === 'object' && reply.body !== null && Symbol.asyncIterator in reply.body);
    assert.equal(decode(reply, await bytes(reply)), LARGE);
    const br = await get('/large.txt', { 'accept-encoding': 'br' });
    assert.equal(decode(br, await bytes(br)), LARGE);
    assert.equal((await get('/large.txt', { 'accept-encoding': 'br' }, 'HEAD')).body, null);
  });

  it('leaves small files and incompressible types alone; Vary only on compressible ones', async () => {
    const tiny = await get('/tiny.css', { 'accept-encoding': 'br' });
    assert.equal(tiny.headers['content-encoding'], undefined);
    assert.equal(tiny.headers.vary, 'Accept-Encoding');
    const png = await get('/photo.png', { 'accept-encoding': 'br' });
    assert.equal(png.headers['content-encoding'], undefined);
    assert.equal(png.headers.vary, undefined);
    const lowered = files({ root, compressMinSize: 1 });
    assert.equal(
      (await get('/tiny.css', { 'accept-encoding': 'br' }, 'GET', lowered)).headers['content-encoding'],
      'br',
    );
  });

  it('compress: false turns it off (Vary stays while precompressed siblings may exist)', async () => {
    const off = files({ root, compress: false });
    const reply = await get('/page.html', { 'accept-encoding': 'br' }, 'GET', off);
    assert.equal(reply.headers['content-encoding'], undefined);
    assert.equal(reply.headers.vary, 'Accept-Encoding');
    const none = files({ root, compress: false, precompressed: false });
    assert.equal((await get('/page.html', { 'accept-encoding': 'br' }, 'GET', none)).headers.vary, undefined);
  });
});

describe('static: conditional requests per representation', () => {
  it('If-None-Match matches the tag of the representation chosen, with Vary on the 304', async () => {
    const ae = { 'accept-encoding': 'br' };
    const br = await get('/page.html', ae);
    const identity = await get('/page.html');
    const notModified = await get('/page.html', { ...ae, 'if-none-match': br.headers.etag! });
    assert.equal(notModified.status, 304);
    assert.deepEqual(notModified.headers, {
      etag: br.headers.etag,
      'last-modified': br.headers['last-modified'],
      'cache-control': 'max-age=60',
      vary: 'Accept-Encoding',
    });
    assert.equal((await get('/page.html', { ...ae, 'if-none-match': identity.headers.etag! })).status, 200);
    assert.equal((await get('/page.html', { 'if-none-match': br.headers.etag! })).status, 200);
    assert.equal((await get('/page.html', { 'if-none-match': identity.headers.etag! })).status, 304);
    assert.equal((await get('/page.html', { ...ae, 'if-match': identity.headers.etag! })).status, 412);
  });
});

describe('static: precompressed siblings', () => {
  it('serves name.br / name.gz with the original type, coding and their own tags', async () => {
    const br = await get('/app.js', { 'accept-encoding': 'gzip, br' });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.match(br.headers.etag!, /-br"$/);
    assert.equal(decode(br, await bytes(br)), 'PRECOMPRESSED BR');
    const gz = await get('/app.js', { 'accept-encoding': 'gzip' });
    assert.equal(decode(gz, await bytes(gz)), 'PRECOMPRESSED GZ');
    assert.equal(gz.headers['content-length'], String(gzipSync('PRECOMPRESSED GZ').length));
    assert.notEqual(gz.headers.etag, br.headers.etag);
  });

  it('prefers a sibling of an accepted coding over compressing on the fly with a better one', async () => {
    const reply = await get('/only-gz.js', { 'accept-encoding': 'br, gzip' });
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(decode(reply, await bytes(reply)), 'PRECOMPRESSED GZ');
  });

  it('streams a sibling from disk when the cache is off', async () => {
    const uncached = files({ root, cacheMaxFileSize: 0 });
    const reply = await get('/app.js', { 'accept-encoding': 'gzip' }, 'GET', uncached);
    const size = gzipSync('PRECOMPRESSED GZ').length;
    assert.deepEqual(reply.body, { path: join(root, 'app.js.gz'), start: 0, end: size - 1 });
  });

  it('ignores a sibling older than the original, or one whose real path leaves root', async () => {
    for (const path of ['/stale.js', '/escape.js']) {
      const reply = await get(path, { 'accept-encoding': 'gzip' });
      assert.equal(reply.headers['content-encoding'], 'gzip', path);
      assert.equal(decode(reply, await bytes(reply)), APP, path);
    }
  });

  it('precompressed: false ignores siblings', async () => {
    const off = files({ root, precompressed: false });
    const reply = await get('/app.js', { 'accept-encoding': 'gzip' }, 'GET', off);
    assert.equal(decode(reply, await bytes(reply)), APP);
  });

  it('ranges apply to the sibling’s bytes', async () => {
    const whole = gzipSync('PRECOMPRESSED GZ');
    const reply = await get('/app.js', { 'accept-encoding': 'gzip', range: 'bytes=0-9' });
    assert.equal(reply.status, 206);
    assert.equal(reply.headers['content-encoding'], 'gzip');
    assert.equal(reply.headers['content-range'], `bytes 0-9/${whole.length}`);
    assert.deepEqual(await bytes(reply), whole.subarray(0, 10));
  });
});

describe('static: Range with compression', () => {
  it('a Range request gets ranges of the identity representation, never of an on-the-fly one', async () => {
    for (const path of ['/page.html', '/large.txt']) {
      const reply = await get(path, { 'accept-encoding': 'br, gzip', range: 'bytes=0-9' });
      assert.equal(reply.status, 206, path);
      assert.equal(reply.headers['content-encoding'], undefined);
      assert.equal(reply.headers.vary, 'Accept-Encoding');
      assert.equal((await bytes(reply)).toString(), (path === '/page.html' ? PAGE : LARGE).slice(0, 10));
    }
  });

  it('If-Range with the identity tag still gets the range', async () => {
    const { etag } = (await get('/page.html')).headers;
    const reply = await get('/page.html', { 'accept-encoding': 'br', range: 'bytes=5-9', 'if-range': etag! });
    assert.equal(reply.status, 206);
    const stale = await get('/page.html', { 'accept-encoding': 'br', range: 'bytes=5-9', 'if-range': '"x"' });
    assert.equal(stale.status, 200);
    assert.equal(stale.headers['content-encoding'], undefined);
  });
});
