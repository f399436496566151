import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import type { Handler } from '../http/handler.js';
import { HotReplies } from './hot-replies.js';
import { ask } from './static-fixture.case.js';
import { files } from './static-handler.js';

describe('HotReplies through files', () => {
  let root: string;
  let handler: Handler;
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
    ask(handler, path, headers, method);

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'hot-replies-'));
    writeFileSync(join(root, 'a.css'), 'body { color: red; }\n'.repeat(100));
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

  it('takes the full path for conditional, range and HEAD requests', async () => {
    const plain = await get('/b.bin');
    const etag = plain?.headers.etag ?? '';
    assert.equal((await get('/b.bin', { 'if-none-match': etag }))?.status, 304);
    assert.equal((await get('/b.bin', { range: 'bytes=0-9' }))?.status, 206);
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

describe('HotReplies bounds', () => {
  it('drops the oldest reply beyond maxEntries', () => {
    const root = mkdtempSync(join(tmpdir(), 'hot-bounds-'));
    try {
      const hot = new HotReplies({ maxEntries: 2 });
      for (const name of ['x', 'y', 'z']) {
        const path = join(root, name);
        writeFileSync(path, name);
        const reply = { status: 200, headers: {}, body: Buffer.from(name) };
        hot.remember('GET', `/${name}`, {}, path, statSync(path, { bigint: true }), reply);
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
      const stats = statSync(path, { bigint: true });
      const hot = new HotReplies({ maxBytes: 5 });
      hot.remember('GET', '/f', {}, path, stats, { status: 200, headers: {}, body: Buffer.from('abcdef') });
      hot.remember('GET', '/g', {}, path, stats, {
        status: 200,
        headers: {},
        body: { path, start: 0, end: 5 },
      });
      hot.remember('GET', '/h', {}, path, stats, { status: 404, headers: {}, body: Buffer.from('no') });
      assert.equal(hot.size, 0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
