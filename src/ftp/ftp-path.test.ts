import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { FtpJail, MAX_PATH_LENGTH } from './ftp-path.js';

describe('FtpJail.resolve', () => {
  const jail = new FtpJail('/srv/ftp');

  const cases: [cwd: string, arg: string, virtual: string][] = [
    ['/', '', '/'],
    ['/', '.', '/'],
    ['/', '/', '/'],
    ['/', 'a', '/a'],
    ['/a', 'b', '/a/b'],
    ['/a/b', '/c', '/c'],
    ['/a/b', '.', '/a/b'],
    ['/a/b', './c/./d/', '/a/b/c/d'],
    ['/a//b', 'c//d', '/a/b/c/d'],
    // '..' at every depth never climbs above '/'.
    ['/', '..', '/'],
    ['/', '../..', '/'],
    ['/', '../../../../etc/passwd', '/etc/passwd'],
    ['/', '/../../etc/passwd', '/etc/passwd'],
    ['/a', '..', '/'],
    ['/a', '../..', '/'],
    ['/a/b', '..', '/a'],
    ['/a/b', '../..', '/'],
    ['/a/b', '../../..', '/'],
    ['/a/b/c', '../../../../../x', '/x'],
    ['/a', 'b/../../../c', '/c'],
    ['/a', 'b/../c', '/a/c'],
    ['/', '/a/../..', '/'],
    ['/', 'a/./../../b/.', '/b'],
    // An unnormalised cwd is normalised too.
    ['/../..', 'x', '/x'],
    ['relative', 'x', '/relative/x'],
    // FTP has no percent-encoding: these are literal names.
    ['/', '%2e%2e', '/%2e%2e'],
    ['/', '%2e%2e/%2e%2e/etc', '/%2e%2e/%2e%2e/etc'],
    ['/', '..%2f..%2fetc', '/..%2f..%2fetc'],
    ['/', '%5c..%5c', '/%5c..%5c'],
    ['/', '...', '/...'],
    ['/', '.hidden', '/.hidden'],
    ['/', ' spaced name ', '/ spaced name '],
    ['/', 'ünï/日本語.txt', '/ünï/日本語.txt'],
  ];
  for (const [cwd, arg, virtual] of cases) {
    it(`resolves cwd ${JSON.stringify(cwd)} + ${JSON.stringify(arg)} to ${virtual}`, () => {
      const got = jail.resolve(cwd, arg);
      assert.equal(got.virtual, virtual);
      assert.equal(got.real, virtual === '/' ? '/srv/ftp' : `/srv/ftp${virtual}`);
    });
  }

  const bad: [label: string, cwd: string, arg: string][] = [
    ['NUL', '/', 'a\0b'],
    ['NUL at the end', '/', 'file.txt\0.jpg'],
    ['CR', '/', 'a\rb'],
    ['LF', '/', 'a\nb'],
    ['CRLF injection', '/', 'x\r\n250 fake'],
    ['backslash', '/', '..\\..\\etc'],
    ['backslash alone', '/', '\\'],
    ['tab', '/', 'a\tb'],
    ['DEL', '/', 'a\x7fb'],
    ['a bad cwd', '/a\nb', 'x'],
    ['a very long path', '/', 'a/'.repeat(MAX_PATH_LENGTH)],
    ['a very long .. path', '/', '../'.repeat(2000)],
  ];
  for (const [label, cwd, arg] of bad) {
    it(`rejects ${label} with FTP_PATH_INVALID`, () => {
      assert.throws(
        () => jail.resolve(cwd, arg),
        (err: unknown) => {
          assert.ok(isError(err, errors.FTP_PATH_INVALID), String(err));
          assert.equal(err.status, 553);
          assert.doesNotMatch(err.message, /[\r\n\0]/);
          return true;
        },
      );
    });
  }

  it('accepts a path just at the length limit', () => {
    const arg = `/${'a'.repeat(MAX_PATH_LENGTH - 1)}`;
    assert.equal(jail.resolve('/', arg).virtual, arg);
  });

  it('works with / as the root', () => {
    const top = new FtpJail('/');
    assert.deepEqual(top.resolve('/', '../etc'), { virtual: '/etc', real: '/etc' });
    assert.deepEqual(top.resolve('/', '..'), { virtual: '/', real: '/' });
  });
});

describe('FtpJail.check', () => {
  let base: string;
  let root: string;
  let jail: FtpJail;

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'tandem-ftp-path-')));
    root = join(base, 'ftp');
    await mkdir(join(root, 'pub', 'deep'), { recursive: true });
    await writeFile(join(root, 'pub', 'file.txt'), 'hello');
    await writeFile(join(root, '%2e%2e'), 'literal');
    // Outside the root: a sibling whose name starts with the root's, and a plain outside dir.
    await mkdir(join(base, 'ftp-evil'));
    await writeFile(join(base, 'ftp-evil', 'secret'), 'secret');
    await mkdir(join(base, 'outside'));
    await writeFile(join(base, 'outside', 'secret'), 'secret');
    // Symlinks inside the root, to inside (allowed) and to outside (refused).
    await symlink(join(root, 'pub', 'file.txt'), join(root, 'link-in'));
    await symlink('pub', join(root, 'dir-link-in'));
    await symlink(join(base, 'outside'), join(root, 'dir-out'));
    await symlink(join(base, 'outside', 'secret'), join(root, 'file-out'));
    await symlink('../ftp-evil', join(root, 'sibling'));
    await symlink('/etc/passwd', join(root, 'pub', 'passwd'));
    await symlink(join(base, 'outside', 'not-yet'), join(root, 'dangling-out'));
    await symlink('loop-b', join(root, 'loop-a'));
    await symlink('loop-a', join(root, 'loop-b'));
    jail = new FtpJail(root);
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  async function refused(
    cwd: string,
    arg: string,
    mustExist: boolean,
    entry: { code: string },
  ): Promise<void> {
    await assert.rejects(jail.check(cwd, arg, mustExist), (err: unknown) => {
      assert.ok(isError(err, entry), `${arg}: ${String(err)}`);
      return true;
    });
  }

  it('knows its realpath root and contains by whole segments', () => {
    assert.equal(jail.root, root);
    assert.ok(jail.contains(root));
    assert.ok(jail.contains(join(root, 'x')));
    assert.ok(!jail.contains(join(base, 'ftp-evil')));
    assert.ok(!jail.contains(`${root}-evil/secret`));
    assert.ok(!jail.contains(base));
  });

  it('realpaths the root given through a symlink', async () => {
    await symlink(root, join(base, 'root-link'));
    const viaLink = new FtpJail(join(base, 'root-link'));
    assert.equal(viaLink.root, root);
    assert.equal((await viaLink.check('/', 'pub/file.txt', true)).real, join(root, 'pub', 'file.txt'));
  });

  it('returns existing files and directories', async () => {
    assert.deepEqual(await jail.check('/', '/', true), { virtual: '/', real: root });
    assert.deepEqual(await jail.check('/pub', 'file.txt', true), {
      virtual: '/pub/file.txt',
      real: join(root, 'pub', 'file.txt'),
    });
    assert.deepEqual(await jail.check('/pub/deep', '../../..', true), { virtual: '/', real: root });
    assert.equal((await jail.check('/', '%2e%2e', true)).real, join(root, '%2e%2e'));
  });

  it('allows symlinks that stay inside, returning the link path itself', async () => {
    assert.deepEqual(await jail.check('/', 'link-in', true), {
      virtual: '/link-in',
      real: join(root, 'link-in'),
    });
    // A directory symlink on the way is resolved.
    assert.deepEqual(await jail.check('/', 'dir-link-in/file.txt', true), {
      virtual: '/dir-link-in/file.txt',
      real: join(root, 'pub', 'file.txt'),
    });
  });

  it('refuses symlinks that lead outside, at any depth', async () => {
    await refused('/', 'dir-out', true, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'dir-out/secret', true, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'file-out', true, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'file-out', false, errors.FTP_PATH_OUTSIDE);
    await refused('/pub', 'passwd', true, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'dir-link-in/passwd', true, errors.FTP_PATH_OUTSIDE);
  });

  it('refuses a sibling named like the root plus a suffix', async () => {
    await refused('/', 'sibling', true, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'sibling/secret', true, errors.FTP_PATH_OUTSIDE);
    const evil = new FtpJail(join(base, 'ftp'));
    await assert.rejects(evil.check('/', 'sibling/secret', false), (err: unknown) =>
      isError(err, errors.FTP_PATH_OUTSIDE),
    );
  });

  it('refuses a new name under an escaping parent symlink', async () => {
    await refused('/', 'dir-out/new-file', false, errors.FTP_PATH_OUTSIDE);
    await refused('/dir-out', 'new-file', false, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'sibling/new-file', false, errors.FTP_PATH_OUTSIDE);
  });

  it('refuses a dangling symlink as a new name (STOR would create the target outside)', async () => {
    await refused('/', 'dangling-out', false, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'dangling-out', true, errors.FTP_PATH_NOT_FOUND);
  });

  it('refuses a symlink loop', async () => {
    await refused('/', 'loop-a', true, errors.FTP_PATH_OUTSIDE);
    await refused('/', 'loop-a/x', false, errors.FTP_PATH_OUTSIDE);
  });

  it('allows a new name whose parent exists inside', async () => {
    assert.deepEqual(await jail.check('/pub', 'new.bin', false), {
      virtual: '/pub/new.bin',
      real: join(root, 'pub', 'new.bin'),
    });
    assert.deepEqual(await jail.check('/', 'dir-link-in/new.bin', false), {
      virtual: '/dir-link-in/new.bin',
      real: join(root, 'pub', 'new.bin'),
    });
  });

  it('says not found for a missing path or a missing parent', async () => {
    await refused('/', 'missing', true, errors.FTP_PATH_NOT_FOUND);
    await refused('/', 'missing/new', false, errors.FTP_PATH_NOT_FOUND);
    await refused('/', 'pub/file.txt/x', true, errors.FTP_PATH_NOT_FOUND);
  });

  it('keeps traversal attempts inside the root', async () => {
    for (const arg of [
      '../../../../etc/passwd',
      '/../../etc/passwd',
      '../ftp-evil/secret',
      '../../../ftp-evil/secret',
    ]) {
      await refused('/pub/deep', arg, true, errors.FTP_PATH_NOT_FOUND);
      await refused('/pub/deep', arg, false, errors.FTP_PATH_NOT_FOUND);
    }
    assert.deepEqual(await jail.check('/pub/deep', '../../../..', true), { virtual: '/', real: root });
    assert.deepEqual(await jail.check('/pub/deep', '../../../../pub/file.txt', true), {
      virtual: '/pub/file.txt',
      real: join(root, 'pub', 'file.txt'),
    });
    await refused('/', '..\\outside\\secret', false, errors.FTP_PATH_INVALID);
    await refused('/', 'pub\0/../../outside', false, errors.FTP_PATH_INVALID);
  });

  it('reports a too long name from the disk as invalid', async () => {
    await refused('/', 'x'.repeat(300), false, errors.FTP_PATH_INVALID);
  });
});
