import assert from 'node:assert/strict';
import { mkdtemp, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { FileCache } from './file-cache.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-cache-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const statOf = (path: string) => stat(path, { bigint: true });

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('FileCache', () => {
  it('reads once, then serves the same bytes while size, mtime and inode match', async () => {
    const cache = new FileCache();
    const path = await file('a.txt', 'first');
    const first = await cache.load(path, await statOf(path), 'raw');
    const second = await cache.load(path, await statOf(path), 'raw');
    assert.equal(first.toString(), 'first');
    assert.equal(second, first, 'the cached Buffer itself');
    assert.equal(cache.bytes, 5);
  });

  it('re-reads when the size, the mtime or the inode changed', async () => {
    const cache = new FileCache();
    const path = await file('b.txt', 'one');
    await cache.load(path, await statOf(path), 'raw');

    await writeFile(path, 'three');
    assert.equal((await cache.load(path, await statOf(path), 'raw')).toString(), 'three');

    // Same size, other mtime.
    await writeFile(path, 'THREE');
    await utimes(path, new Date(2001, 1, 1), new Date(2001, 1, 1));
    assert.equal((await cache.load(path, await statOf(path), 'raw')).toString(), 'THREE');

    // Same size and mtime, other inode: a file renamed over it.
    const other = await file('b.tmp', 'three');
    await utimes(other, new Date(2001, 1, 1), new Date(2001, 1, 1));
    await rename(other, path);
    const stats = await statOf(path);
    assert.equal((await cache.load(path, stats, 'raw')).toString(), 'three');
    assert.equal(cache.size, 1);
    assert.equal(cache.bytes, 5);
  });

  it('keeps compressed variants beside the raw bytes', async () => {
    const cache = new FileCache();
    const path = await file('c.txt', 'x'.repeat(2000));
    const stats = await statOf(path);
    const gz = await cache.load(path, stats, 'gzip');
    assert.equal(gunzipSync(gz).toString(), 'x'.repeat(2000));
    assert.equal(await cache.load(path, stats, 'gzip'), gz);
    assert.equal(cache.size, 2);
    assert.equal(cache.bytes, 2000 + gz.length);
  });

  it('evicts the least recently used entries to stay within maxBytes', async () => {
    const cache = new FileCache({ maxBytes: 25 });
    const paths = await Promise.all(['d1', 'd2', 'd3'].map((name) => file(name, '0123456789')));
    const [d1, d2, d3] = paths as [string, string, string];
    const first = await cache.load(d1, await statOf(d1), 'raw');
    await cache.load(d2, await statOf(d2), 'raw');
    assert.equal(await cache.load(d1, await statOf(d1), 'raw'), first, 'd1 used again: d2 is now the oldest');
    await cache.load(d3, await statOf(d3), 'raw');
    assert.equal(cache.bytes, 20);
    assert.equal(await cache.load(d1, await statOf(d1), 'raw'), first, 'd1 kept');
    const again = await cache.load(d2, await statOf(d2), 'raw');
    assert.equal(again.toString(), '0123456789');
    assert.ok(cache.bytes <= 25);
  });

  it('accepts only files up to maxFileSize, and none when it is 0', async () => {
    const cache = new FileCache({ maxFileSize: 4 });
    const path = await file('e.txt', '12345');
    const stats = await statOf(path);
    assert.equal(cache.accepts(stats), false);
    assert.equal((await cache.load(path, stats, 'raw')).toString(), '12345');
    assert.equal(cache.size, 0);
    assert.equal(new FileCache({ maxFileSize: 0 }).accepts({ ...stats, size: 0n }), false);
  });

  it('does not keep bytes that do not match the stats it was given', async () => {
    const cache = new FileCache();
    const path = await file('f.txt', 'old');
    const stale = await statOf(path);
    await writeFile(path, 'newer');
    assert.equal((await cache.load(path, stale, 'raw')).toString(), 'newer');
    assert.equal(cache.size, 0);
  });
});
