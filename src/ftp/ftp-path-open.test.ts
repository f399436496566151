import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { mkdir, mkdtemp, readFile, realpath, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { FtpJail } from './ftp-path.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_APPEND } = constants;
const refused = (err: unknown) => isError(err, errors.FTP_PATH_OUTSIDE);

// What an attacker with a shell on the server could do between the check of a path and its open.
describe('FtpJail.open', () => {
  let base: string;
  let root: string;
  let jail: FtpJail;

  before(async () => {
    base = await realpath(await mkdtemp(join(tmpdir(), 'tandem-ftp-open-')));
    root = join(base, 'ftp');
    await mkdir(join(root, 'pub'), { recursive: true });
    await writeFile(join(root, 'pub', 'file.txt'), 'hello');
    await symlink(join(root, 'pub', 'file.txt'), join(root, 'link-in'));
    await mkdir(join(base, 'outside'));
    jail = new FtpJail(root);
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('opens a file, and a symlink that stays inside, as check() allowed', async () => {
    for (const name of ['pub/file.txt', 'link-in']) {
      const handle = await jail.open(await jail.check('/', name, true), O_RDONLY);
      try {
        assert.equal((await handle.readFile()).toString(), 'hello');
      } finally {
        await handle.close();
      }
    }
  });

  it('refuses a name swapped for a symlink to outside after the check, for reading and writing', async () => {
    await writeFile(join(base, 'outside', 'secret'), 'secret');
    await writeFile(join(root, 'swap.txt'), 'x');
    const checked = await jail.check('/', 'swap.txt', true);
    await rm(join(root, 'swap.txt'));
    await symlink(join(base, 'outside', 'secret'), join(root, 'swap.txt'));
    await assert.rejects(jail.open(checked, O_RDONLY), refused);
    await assert.rejects(jail.open(checked, O_WRONLY | O_APPEND | O_CREAT, 0o644), refused);
    assert.equal(await readFile(join(base, 'outside', 'secret'), 'utf8'), 'secret');
  });

  it('refuses a directory on the way swapped for a symlink to outside after the check', async () => {
    await mkdir(join(root, 'up'));
    await writeFile(join(root, 'up', 'data'), 'inside');
    await writeFile(join(base, 'outside', 'data'), 'outside');
    const read = await jail.check('/', 'up/data', true);
    const write = await jail.check('/', 'up/new', false);
    await rename(join(root, 'up'), join(root, 'up-old'));
    await symlink(join(base, 'outside'), join(root, 'up'));
    await assert.rejects(jail.open(read, O_RDONLY), refused);
    await assert.rejects(jail.open(read, O_WRONLY | O_APPEND | O_CREAT, 0o644), refused);
    await assert.rejects(jail.open(write, O_WRONLY | O_APPEND | O_CREAT, 0o644), refused);
    assert.equal(await readFile(join(base, 'outside', 'data'), 'utf8'), 'outside');
  });
});
