import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  interopServer,
  PARTIAL,
  PASSWORD,
  resumed,
  SPACE_NAME,
  USER,
  UTF8_NAME,
  untilGrowing,
} from './support/ftp-interop-fixture.js';
import { type Ftpd, lftp, lftpArgs, spawnTool } from './support/ftpd.js';

describe('interop: lftp, curl and Python ftplib against tandem ftpd', () => {
  const server = interopServer();
  const { big, local } = server;
  let ftpd: Ftpd;
  let work: string;
  let port: number;
  before(() => {
    ({ ftpd, work, port } = server);
  });

  describe('lftp', () => {
    test('cls (MLSD) and ls (LIST) list every name, UTF-8 and spaces included', async () => {
      const cls = await lftp(port, USER, PASSWORD, 'cls -1', work);
      assert.equal(cls.status, 0, cls.stderr);
      const names = cls.stdout.split('\n');
      for (const name of ['big.bin', UTF8_NAME, SPACE_NAME, 'docs/'])
        assert.ok(names.includes(name), cls.stdout);
      const ls = await lftp(port, 'anonymous', 'x', 'ls docs', work);
      assert.equal(ls.status, 0, ls.stderr);
      assert.match(ls.stdout, /^-rw-r--r-- +1 \S+ +\S+ +8 \w{3} +\d+ +[\d:]+ readme\.txt$/m);
    });

    test('get and put: the bytes arrive equal', async () => {
      const dir = await local('lftp-get-put');
      const got = await lftp(
        port,
        USER,
        PASSWORD,
        'get big.bin -o copy.bin; put copy.bin -o lftp/up.bin',
        dir,
      );
      assert.equal(got.status, 0, got.stderr);
      assert.deepEqual(await readFile(join(dir, 'copy.bin')), big);
      assert.deepEqual(await readFile(join(ftpd.root, 'lftp', 'up.bin')), big);
    });

    test('get -c and put -c resume where the partial copy ends', async () => {
      const dir = await local('lftp-resume');
      await writeFile(join(dir, 'part.bin'), Buffer.alloc(PARTIAL, 0x58));
      await writeFile(join(dir, 'full.bin'), big);
      await writeFile(join(ftpd.root, 'lftp', 'part-up.bin'), Buffer.alloc(PARTIAL, 0x59));
      const out = await lftp(
        port,
        USER,
        PASSWORD,
        'get -c big.bin -o part.bin; put -c full.bin -o lftp/part-up.bin',
        dir,
      );
      assert.equal(out.status, 0, out.stderr);
      assert.ok((await readFile(join(dir, 'part.bin'))).equals(resumed(big, 0x58)), 'download resumed');
      const up = await readFile(join(ftpd.root, 'lftp', 'part-up.bin'));
      assert.ok(up.equals(resumed(big, 0x59)), 'upload resumed (REST + STOR)');
    });

    test('mv, rm, mkdir and rmdir', async () => {
      await writeFile(join(ftpd.root, 'lftp', 'a.txt'), 'a');
      await writeFile(join(ftpd.root, 'lftp', 'gone.txt'), 'x');
      const out = await lftp(
        port,
        USER,
        PASSWORD,
        'mv lftp/a.txt lftp/b.txt; rm lftp/gone.txt; mkdir lftp/d1; mkdir lftp/d2; rmdir lftp/d2',
        work,
      );
      assert.equal(out.status, 0, out.stderr);
      assert.equal(await readFile(join(ftpd.root, 'lftp', 'b.txt'), 'utf8'), 'a');
      assert.equal(existsSync(join(ftpd.root, 'lftp', 'a.txt')), false);
      assert.equal(existsSync(join(ftpd.root, 'lftp', 'gone.txt')), false);
      assert.ok(statSync(join(ftpd.root, 'lftp', 'd1')).isDirectory());
      assert.equal(existsSync(join(ftpd.root, 'lftp', 'd2')), false);
    });

    test('UTF-8 and space names: get, put, list', async () => {
      const dir = await local('lftp-utf8');
      const out = await lftp(
        port,
        USER,
        PASSWORD,
        `get "${UTF8_NAME}" -o "${UTF8_NAME}"; get "${SPACE_NAME}" -o "${SPACE_NAME}"; ` +
          `put "${UTF8_NAME}" -o "lftp/${UTF8_NAME}"; put "${SPACE_NAME}" -o "lftp/${SPACE_NAME}"; cls -1 lftp/`,
        dir,
      );
      assert.equal(out.status, 0, out.stderr);
      assert.equal(await readFile(join(dir, UTF8_NAME), 'utf8'), 'UTF-8 name\n');
      assert.equal(await readFile(join(dir, SPACE_NAME), 'utf8'), 'space name\n');
      assert.equal(await readFile(join(ftpd.root, 'lftp', UTF8_NAME), 'utf8'), 'UTF-8 name\n');
      assert.equal(await readFile(join(ftpd.root, 'lftp', SPACE_NAME), 'utf8'), 'space name\n');
      assert.match(out.stdout, new RegExp(`^lftp/${UTF8_NAME}$`, 'm'));
      assert.match(out.stdout, new RegExp(`^lftp/${SPACE_NAME}$`, 'm'));
    });

    test('killed mid-transfer: a new session works', async () => {
      const dir = await local('lftp-kill');
      const child = spawnTool(
        'lftp',
        lftpArgs(port, USER, PASSWORD, 'set net:limit-rate 500000; get huge.bin -o huge.bin'),
        dir,
      );
      await untilGrowing(join(dir, 'huge.bin'));
      child.kill('SIGKILL');
      await once(child, 'close');
      assert.ok(statSync(join(dir, 'huge.bin')).size < 50 << 20, 'cut in the middle');
      const again = await lftp(port, USER, PASSWORD, 'get big.bin -o big.bin', dir);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(await readFile(join(dir, 'big.bin')), big);
    });
  });
});
