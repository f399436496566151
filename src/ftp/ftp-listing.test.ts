import assert from 'node:assert/strict';
import type { Stats } from 'node:fs';
import { chmod, mkdir, mkdtemp, realpath, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatFtpTime, formatListLine, formatMlsxLine, readListing } from './ftp-listing.js';
import { FtpJail } from './ftp-path.js';

const NOW = new Date(Date.UTC(2026, 10, 21, 12, 0, 0));

/** A Stats-like object with just what the formatters read. */
function fakeStats(kind: 'file' | 'dir', mode: number, size: number, mtime: Date, nlink = 1): Stats {
  return {
    mode,
    size,
    mtime,
    nlink,
    isDirectory: () => kind === 'dir',
    isSymbolicLink: () => false,
    isCharacterDevice: () => false,
    isBlockDevice: () => false,
    isFIFO: () => false,
    isSocket: () => false,
  } as unknown as Stats;
}

describe('formatFtpTime', () => {
  it('writes YYYYMMDDHHMMSS in UTC', () => {
    assert.equal(formatFtpTime(new Date(Date.UTC(2026, 10, 21, 7, 30, 5))), '20261121073005');
    assert.equal(formatFtpTime(new Date(Date.UTC(1999, 0, 2, 3, 4, 5, 999))), '19990102030405');
  });
});

describe('formatListLine', () => {
  it('writes a vsftpd line with the time for a recent file', () => {
    const stats = fakeStats('file', 0o100644, 1234, new Date(Date.UTC(2026, 10, 21, 7, 30)));
    assert.equal(
      formatListLine({ name: 'name', stats }, NOW),
      '-rw-r--r--    1 ftp      ftp          1234 Nov 21 07:30 name',
    );
  });

  it('writes the year for a file older than six months or in the future', () => {
    const old = fakeStats('file', 0o100600, 5, new Date(Date.UTC(2025, 0, 3, 7, 30)));
    assert.equal(
      formatListLine({ name: 'old', stats: old }, NOW),
      '-rw-------    1 ftp      ftp             5 Jan 03  2025 old',
    );
    const future = fakeStats('file', 0o100644, 5, new Date(Date.UTC(2027, 1, 1)));
    assert.match(formatListLine({ name: 'f', stats: future }, NOW), / Feb 01 {2}2027 f$/);
  });

  it('writes directories, special bits, big sizes and names with spaces', () => {
    const dir = fakeStats('dir', 0o41777, 4096, new Date(Date.UTC(2026, 10, 1, 0, 0)), 12);
    assert.equal(
      formatListLine({ name: 'my dir', stats: dir }, NOW),
      'drwxrwxrwt   12 ftp      ftp          4096 Nov 01 00:00 my dir',
    );
    const setuid = fakeStats('file', 0o106744, 123456789012, new Date(Date.UTC(2026, 10, 21)));
    assert.equal(
      formatListLine({ name: 'x', stats: setuid }, NOW),
      '-rwsr-Sr--    1 ftp      ftp      123456789012 Nov 21 00:00 x',
    );
  });
});

describe('formatMlsxLine', () => {
  const mtime = new Date(Date.UTC(2026, 10, 21, 7, 30, 0));
  const file = fakeStats('file', 0o100644, 1234, mtime);
  const dir = fakeStats('dir', 0o40755, 4096, mtime);

  it('writes file facts with read-only or writable perms', () => {
    assert.equal(
      formatMlsxLine({ name: 'a b.txt', stats: file }, { writable: false }),
      'type=file;size=1234;modify=20261121073000;perm=r; a b.txt',
    );
    assert.equal(
      formatMlsxLine({ name: 'a', stats: file }, { writable: true }),
      'type=file;size=1234;modify=20261121073000;perm=adfrw; a',
    );
  });

  it('writes dir, cdir and pdir facts', () => {
    assert.equal(
      formatMlsxLine({ name: 'd', stats: dir }, { writable: false }),
      'type=dir;modify=20261121073000;perm=el; d',
    );
    assert.equal(
      formatMlsxLine({ name: 'd', stats: dir }, { writable: true }),
      'type=dir;modify=20261121073000;perm=cdeflmp; d',
    );
    assert.equal(
      formatMlsxLine({ name: '.', stats: dir }, { writable: false, type: 'cdir' }),
      'type=cdir;modify=20261121073000;perm=el; .',
    );
    assert.equal(
      formatMlsxLine({ name: '..', stats: dir }, { writable: false, type: 'pdir' }),
      'type=pdir;modify=20261121073000;perm=el; ..',
    );
  });
});

describe('readListing', () => {
  let base: string;
  let root: string;
  let jail: FtpJail;

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'tandem-ftp-listing-')));
    root = join(base, 'ftp');
    await mkdir(join(root, 'sub'), { recursive: true });
    await writeFile(join(root, 'b.txt'), 'bbb');
    await writeFile(join(root, 'a.txt'), 'a');
    await writeFile(join(root, '.hidden'), 'h');
    await writeFile(join(root, 'ünï 日本.txt'), 'u');
    await writeFile(join(root, 'bad\nname'), 'x');
    await writeFile(join(root, 'back\\slash'), 'x');
    await writeFile(
      Buffer.concat([Buffer.from(`${root}/`), Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0xe9])]),
      'latin-1',
    );
    await mkdir(join(base, 'outside'));
    await writeFile(join(base, 'outside', 'secret'), 'secret');
    await symlink('a.txt', join(root, 'link-in'));
    await symlink('sub', join(root, 'link-dir'));
    await symlink(join(base, 'outside'), join(root, 'link-out'));
    await symlink(join(base, 'outside', 'secret'), join(root, 'link-out-file'));
    await symlink('nowhere', join(root, 'dangling'));
    await utimes(join(root, 'a.txt'), NOW, new Date(Date.UTC(2026, 10, 21, 7, 30)));
    jail = new FtpJail(root);
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('lists dotfiles and inside symlinks as their targets, sorted, hiding escapes and unusable names', async () => {
    const entries = await readListing(root, jail);
    assert.deepEqual(
      entries.map((e) => e.name),
      ['.hidden', 'a.txt', 'b.txt', 'link-dir', 'link-in', 'sub', 'ünï 日本.txt'],
    );
    const byName = new Map(entries.map((e) => [e.name, e.stats]));
    assert.ok(byName.get('link-dir')?.isDirectory());
    assert.equal(byName.get('link-in')?.size, 1);
    assert.ok(byName.get('link-in')?.isFile());
    const links = new Map(entries.map((e) => [e.name, e.link]));
    assert.equal(links.get('link-in'), 'a.txt');
    assert.equal(links.get('a.txt'), undefined);
    const linkIn = entries.find((e) => e.name === 'link-in') as (typeof entries)[number];
    assert.match(formatListLine(linkIn, NOW), /^lrwxrwxrwx .* 1 Nov 21 07:30 link-in -> a\.txt$/);
    assert.match(formatMlsxLine(linkIn, { writable: false }), /^type=OS\.unix=slink:a\.txt;size=1;/);
    assert.equal(byName.get('b.txt')?.size, 3);
    assert.equal(
      formatListLine({ name: 'a.txt', stats: byName.get('a.txt') as Stats }, NOW).slice(10),
      '    1 ftp      ftp             1 Nov 21 07:30 a.txt',
    );
  });

  it('lists an empty directory as empty and fails for a missing one', async () => {
    assert.deepEqual(await readListing(join(root, 'sub'), jail), []);
    await assert.rejects(readListing(join(root, 'missing'), jail), { code: 'ENOENT' });
  });

  it('shows the mode bits it reads', async () => {
    await chmod(join(root, 'b.txt'), 0o640);
    const entry = (await readListing(root, jail)).find((e) => e.name === 'b.txt');
    assert.ok(entry);
    assert.equal(entry.stats.mode, (await stat(join(root, 'b.txt'))).mode);
    assert.match(formatListLine(entry, NOW), /^-rw-r----- /);
  });
});
