import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { waitFor } from '../../test/support/wait-for.js';
import type { Handler, HttpReply } from '../http/handler.js';
import { validatorsFor } from './conditional.js';
import { HotReplies, type KeptFile } from './hot-replies.js';
import { ask, type StaticTestReply } from './static-fixture.case.js';
import { files } from './static-handler.js';

const CSS = 'body { color: red; }\n'.repeat(100);

/** The text of a reply's in-memory body, decoded by its Content-Encoding. */
function decoded(reply: StaticTestReply | null): string {
  const body = reply?.body as Uint8Array;
  const coding = reply?.headers['content-encoding'];
  if (coding === 'br') return brotliDecompressSync(body).toString();
  if (coding === 'gzip') return gunzipSync(body).toString();
  return Buffer.from(body).toString();
}

/** Moves a file's mtime a second on, so that a rewrite within the same clock tick is a new version too. */
function bumpMtime(path: string): void {
  const { mtimeMs } = statSync(path);
  utimesSync(path, new Date(mtimeMs + 1000), new Date(mtimeMs + 1000));
}

/** What the static layer would keep for the file at `path` answered with `body`. */
function keptFile(path: string, ok: HttpReply): KeptFile {
  const stats = statSync(path, { bigint: true });
  return {
    ok,
    notModified: { status: 304, headers: {}, body: null },
    validators: validatorsFor(stats.size, stats.mtimeNs),
    sources: [{ path, stats }],
    varies: false,
  };
}

describe('HotReplies through files', () => {
  let root: string;
  let handler: Handler;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    ask(handler, path, headers, method);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hot-replies-'));
    writeFileSync(join(root, 'a.css'), CSS);
    writeFileSync(join(root, 'b.bin'), Buffer.alloc(3000, 7));
    // Looks at the disk on every request: the tests below see each change at once.
    handler = files({ root, cacheValidMs: 0 });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('answers a repeated plain GET with the kept reply, headers frozen', async () => {
    const first = await get('/b.bin');
    const second = await get('/b.bin');
    assert.equal(first?.status, 200);
    assert.equal(second, first);
    assert.ok(Object.isFrozen(second?.headers));
  });

  it('sees a rewrite of the file at once (new size, new bytes)', async () => {
    await get('/b.bin');
    writeFileSync(join(root, 'b.bin'), Buffer.alloc(3001, 8));
    const reply = await get('/b.bin');
    assert.equal(reply?.headers['content-length'], '3001');
    assert.deepEqual(reply?.body, Buffer.alloc(3001, 8));
  });

  it('sees a file of the same size renamed over the old one (another inode)', async () => {
    const before = await get('/b.bin');
    const next = join(root, 'b.next');
    writeFileSync(next, Buffer.alloc(3001, 9));
    const old = statSync(join(root, 'b.bin'));
    utimesSync(next, old.atime, old.mtime);
    renameSync(next, join(root, 'b.bin'));
    const reply = await get('/b.bin');
    assert.notEqual(reply, before);
    assert.deepEqual(reply?.body, Buffer.alloc(3001, 9));
  });

  it('finds nothing once the file is deleted', async () => {
    writeFileSync(join(root, 'gone.txt'), 'here');
    assert.equal((await get('/gone.txt'))?.status, 200);
    unlinkSync(join(root, 'gone.txt'));
    assert.equal(await get('/gone.txt'), null);
  });

  it('takes the full path for range, If-Match, If-Unmodified-Since, If-Range and HEAD requests', async () => {
    const plain = await get('/b.bin');
    const etag = plain?.headers.etag ?? '';
    assert.equal((await get('/b.bin', { range: 'bytes=0-9' }))?.status, 206);
    assert.equal((await get('/b.bin', { 'if-match': '"other"' }))?.status, 412);
    const past = 'Thu, 01 Jan 1970 00:00:00 GMT';
    assert.equal((await get('/b.bin', { 'if-unmodified-since': past }))?.status, 412);
    const stale = await get('/b.bin', { range: 'bytes=0-9', 'if-range': '"other"' });
    assert.equal(stale?.status, 200);
    assert.notEqual(stale, plain);
    assert.equal((await get('/b.bin', { range: 'bytes=0-9', 'if-range': etag }))?.status, 206);
    const head = await get('/b.bin', {}, 'HEAD');
    assert.equal(head?.body, null);
    assert.equal(head?.headers['content-length'], plain?.headers['content-length']);
  });

  it('keeps compression for clients that accept it after an identity reply was kept', async () => {
    const identity = await get('/a.css');
    assert.equal(identity?.headers['content-encoding'], undefined);
    assert.equal(await get('/a.css'), identity);
    const gzip = await get('/a.css', { 'accept-encoding': 'gzip' });
    assert.equal(gzip?.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(gzip?.body as Uint8Array).toString(), CSS);
  });

  it('keeps one reply per Accept-Encoding value, each with its coding and Vary', async () => {
    const values = ['gzip, deflate, br, zstd', 'gzip', 'identity', 'br;q=0, gzip;q=0.5', ''];
    const codings = ['br', 'gzip', undefined, 'gzip', undefined];
    const first = [];
    for (const value of values)
      first.push(await get('/a.css', value === '' ? {} : { 'accept-encoding': value }));
    for (const [i, value] of values.entries()) {
      const reply = await get('/a.css', value === '' ? {} : { 'accept-encoding': value });
      assert.equal(reply, first[i], `kept for ${JSON.stringify(value)}`);
      assert.equal(reply?.headers['content-encoding'], codings[i], value);
      assert.equal(reply?.headers.vary, 'Accept-Encoding', value);
      assert.equal(decoded(reply), CSS, value);
    }
  });

  it('answers a file of one representation from one kept reply, whatever the Accept-Encoding', async () => {
    const plain = await get('/b.bin');
    assert.equal(await get('/b.bin', { 'accept-encoding': 'gzip, br' }), plain);
    assert.equal(plain?.headers.vary, undefined);
  });

  it('answers a revalidation from memory: 304 for the current tag or date, 200 for another', async () => {
    const ok = await get('/b.bin');
    const etag = ok?.headers.etag ?? '';
    const notModified = await get('/b.bin', { 'if-none-match': etag });
    assert.equal(notModified?.status, 304);
    assert.equal(notModified?.body, null);
    assert.deepEqual(notModified?.headers, { etag, 'last-modified': ok?.headers['last-modified'] });
    assert.equal(await get('/b.bin', { 'if-none-match': `"x", W/${etag}` }), notModified);
    assert.equal(await get('/b.bin', { 'if-none-match': '"other"' }), ok);
    const since = ok?.headers['last-modified'] ?? '';
    assert.equal(await get('/b.bin', { 'if-modified-since': since }), notModified);
    assert.equal(await get('/b.bin', { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' }), ok);
    // §13.2.2: If-None-Match is evaluated instead of If-Modified-Since when both are sent.
    assert.equal(await get('/b.bin', { 'if-none-match': '"other"', 'if-modified-since': since }), ok);
  });

  it('keeps the replies of a first request that is a revalidation', async () => {
    writeFileSync(join(root, 'reval.bin'), Buffer.alloc(2000, 3));
    const fresh = files({ root, cacheValidMs: 60_000 });
    const etag = (await ask(files({ root }), '/reval.bin'))?.headers.etag ?? '';
    const first = await ask(fresh, '/reval.bin', { 'if-none-match': etag });
    assert.equal(first?.status, 304);
    // Kept: a second revalidation is the same reply, and a plain GET has its 200 from memory.
    assert.equal(await ask(fresh, '/reval.bin', { 'if-none-match': etag }), first);
    const ok = await ask(fresh, '/reval.bin');
    assert.deepEqual(ok?.body, Buffer.alloc(2000, 3));
    assert.equal(await ask(fresh, '/reval.bin'), ok);
  });

  it('revalidates against the variant the Accept-Encoding chooses, 304s carrying Vary', async () => {
    const identity = await get('/a.css');
    const br = await get('/a.css', { 'accept-encoding': 'br' });
    const brTag = br?.headers.etag ?? '';
    assert.notEqual(brTag, identity?.headers.etag);
    const notModified = await get('/a.css', { 'accept-encoding': 'br', 'if-none-match': brTag });
    assert.equal(notModified?.status, 304);
    assert.equal(notModified?.headers.vary, 'Accept-Encoding');
    assert.equal(notModified?.headers.etag, brTag);
    // The identity tag does not match the br representation, nor the br tag the identity one.
    const other = await get('/a.css', {
      'accept-encoding': 'br',
      'if-none-match': identity?.headers.etag ?? '',
    });
    assert.equal(other, br);
    assert.equal(await get('/a.css', { 'if-none-match': brTag }), identity);
  });

  it('answers a revalidation of a rewritten file with its new bytes, never 304', async () => {
    writeFileSync(join(root, 'c.bin'), Buffer.alloc(1500, 1));
    const old = await get('/c.bin');
    const etag = old?.headers.etag ?? '';
    assert.equal((await get('/c.bin', { 'if-none-match': etag }))?.status, 304);
    writeFileSync(join(root, 'c.bin'), Buffer.alloc(1500, 2));
    bumpMtime(join(root, 'c.bin'));
    const reply = await get('/c.bin', { 'if-none-match': etag });
    assert.equal(reply?.status, 200);
    assert.deepEqual(reply?.body, Buffer.alloc(1500, 2));
    assert.notEqual(reply?.headers.etag, etag);
  });
  it('answers the kept reply without a look at the disk until cacheValidMs has passed', async () => {
    writeFileSync(join(root, 'kept.bin'), Buffer.alloc(3000, 1));
    const handler = files({ root, cacheValidMs: 60_000 });
    const first = await ask(handler, '/kept.bin');
    await ask(handler, '/kept.bin');
    writeFileSync(join(root, 'kept.bin'), Buffer.alloc(3001, 2));
    assert.equal(await ask(handler, '/kept.bin'), first);
    unlinkSync(join(root, 'kept.bin'));
    assert.equal(await ask(handler, '/kept.bin'), first);
    // Requests the kept replies do not answer still look at the disk.
    assert.equal(await ask(handler, '/kept.bin', { range: 'bytes=0-1' }), null);
  });

  it('serves a rewritten file fresh once cacheValidMs has passed', async () => {
    writeFileSync(join(root, 'fresh.bin'), Buffer.alloc(3000, 1));
    const handler = files({ root, cacheValidMs: 50 });
    await ask(handler, '/fresh.bin');
    await ask(handler, '/fresh.bin');
    writeFileSync(join(root, 'fresh.bin'), Buffer.alloc(3001, 2));
    await waitFor(
      async () => (await ask(handler, '/fresh.bin'))?.headers['content-length'] === '3001',
      'the rewritten file',
    );
    assert.deepEqual((await ask(handler, '/fresh.bin'))?.body, Buffer.alloc(3001, 2));
  });
});

describe('HotReplies and precompressed siblings', () => {
  let root: string;
  let handler: Handler;
  const br = { 'accept-encoding': 'gzip, deflate, br, zstd' };
  const get = (path: string, headers: Record<string, string> = br) => ask(handler, path, headers);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hot-siblings-'));
    writeFileSync(join(root, 's.css'), CSS);
    handler = files({ root, cacheValidMs: 0 });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('sees a sibling appear, change and go away, and an original newer than its sibling', async () => {
    const onTheFly = await get('/s.css');
    assert.equal(onTheFly?.headers['content-encoding'], 'br');
    assert.equal(decoded(onTheFly), CSS);
    assert.equal(await get('/s.css'), onTheFly);

    writeFileSync(join(root, 's.css.br'), brotliCompressSync('SIBLING ONE'));
    assert.equal(decoded(await get('/s.css')), 'SIBLING ONE');
    const kept = await get('/s.css');
    assert.equal(await get('/s.css'), kept);

    writeFileSync(join(root, 's.css.br'), brotliCompressSync('SIBLING TWO, LONGER'));
    assert.equal(decoded(await get('/s.css')), 'SIBLING TWO, LONGER');

    // The original is rewritten after its sibling: the sibling is stale and is no longer sent.
    writeFileSync(join(root, 's.css'), `${CSS}/* v2 */\n`);
    bumpMtime(join(root, 's.css'));
    assert.equal(decoded(await get('/s.css')), `${CSS}/* v2 */\n`);
    assert.equal(decoded(await get('/s.css', {})), `${CSS}/* v2 */\n`);

    unlinkSync(join(root, 's.css.br'));
    writeFileSync(join(root, 's.css.gz'), gzipSync('GZ SIBLING'));
    bumpMtime(join(root, 's.css.gz'));
    const gz = await get('/s.css', { 'accept-encoding': 'gzip' });
    assert.equal(gz?.headers['content-encoding'], 'gzip');
    assert.equal(decoded(gz), 'GZ SIBLING');
    // A browser's reply (on the fly, kept while the br sibling was stale) gives way to the gz sibling now
    // there: a sibling of an accepted coding is preferred over compressing on the fly.
    const again = await get('/s.css');
    assert.equal(again?.headers['content-encoding'], 'gzip');
    assert.equal(decoded(again), 'GZ SIBLING');
  });
});

describe('HotReplies bounds', () => {
  it('drops the oldest reply beyond maxEntries', () => {
    const root = mkdtempSync(join(tmpdir(), 'hot-bounds-'));
    try {
      const hot = new HotReplies({ maxEntries: 2 });
      for (const name of ['x', 'y', 'z']) {
        const path = join(root, name);
        writeFileSync(path, name);
        hot.remember(`/${name}`, {}, keptFile(path, { status: 200, headers: {}, body: Buffer.from(name) }));
      }
      assert.equal(hot.size, 2);
      assert.equal(hot.lookup('GET', '/x', {}), undefined);
      assert.deepEqual(hot.lookup('GET', '/z', {})?.body, Buffer.from('z'));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps no reply larger than maxBytes and nothing but 200s with a body in memory', () => {
    const root = mkdtempSync(join(tmpdir(), 'hot-bounds-'));
    try {
      const path = join(root, 'f');
      writeFileSync(path, 'abcdef');
      const hot = new HotReplies({ maxBytes: 5 });
      hot.remember('/f', {}, keptFile(path, { status: 200, headers: {}, body: Buffer.from('abcdef') }));
      hot.remember('/g', {}, keptFile(path, { status: 200, headers: {}, body: { path, start: 0, end: 5 } }));
      hot.remember('/h', {}, keptFile(path, { status: 404, headers: {}, body: Buffer.from('no') }));
      assert.equal(hot.size, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
