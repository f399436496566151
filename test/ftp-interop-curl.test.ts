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
import { curl, type Ftpd, spawnTool } from './support/ftpd.js';

describe('interop: lftp, curl and Python ftplib against tandem ftpd', () => {
  const server = interopServer();
  const { big, local } = server;
  let ftpd: Ftpd;
  let work: string;
  let url: string;
  before(() => {
    ({ ftpd, work, url } = server);
  });

  describe('curl', () => {
    test('a URL ending in / lists (LIST), --list-only gives names (NLST)', async () => {
      const list = await curl([`${url}/docs/`], work);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /^-rw-r--r-- .* 8 .* readme\.txt\r?$/m);
      const names = await curl(['--list-only', `${url}/`], work);
      assert.equal(names.status, 0, names.stderr);
      const lines = names.stdout.split(/\r?\n/);
      for (const name of ['big.bin', UTF8_NAME, SPACE_NAME, 'docs'])
        assert.ok(lines.includes(name), names.stdout);
    });

    test('get and put (-T): the bytes arrive equal', async () => {
      const dir = await local('curl-get-put');
      const got = await curl(['-o', 'copy.bin', `${url}/big.bin`], dir);
      assert.equal(got.status, 0, got.stderr);
      assert.deepEqual(await readFile(join(dir, 'copy.bin')), big);
      const put = await curl(['-u', `${USER}:${PASSWORD}`, '-T', 'copy.bin', `${url}/curl/up.bin`], dir);
      assert.equal(put.status, 0, put.stderr);
      assert.deepEqual(await readFile(join(ftpd.root, 'curl', 'up.bin')), big);
    });

    test('-C - resumes a download and an upload', async () => {
      const dir = await local('curl-resume');
      await writeFile(join(dir, 'part.bin'), Buffer.alloc(PARTIAL, 0x58));
      const got = await curl(['-C', '-', '-o', 'part.bin', `${url}/big.bin`], dir);
      assert.equal(got.status, 0, got.stderr);
      assert.ok((await readFile(join(dir, 'part.bin'))).equals(resumed(big, 0x58)), 'download resumed');
      await writeFile(join(dir, 'full.bin'), big);
      await writeFile(join(ftpd.root, 'curl', 'part-up.bin'), Buffer.alloc(PARTIAL, 0x59));
      const put = await curl(
        ['-u', `${USER}:${PASSWORD}`, '-C', '-', '-T', 'full.bin', `${url}/curl/part-up.bin`],
        dir,
      );
      assert.equal(put.status, 0, put.stderr);
      const up = await readFile(join(ftpd.root, 'curl', 'part-up.bin'));
      assert.ok(up.equals(resumed(big, 0x59)), 'upload resumed (SIZE + APPE)');
    });

    test('-Q: RNFR/RNTO, DELE, MKD, RMD', async () => {
      await writeFile(join(ftpd.root, 'curl', 'a.txt'), 'a');
      await writeFile(join(ftpd.root, 'curl', 'gone.txt'), 'x');
      const auth = ['-u', `${USER}:${PASSWORD}`, '-o', '/dev/null'];
      const first = await curl(
        [
          ...auth,
          '-Q',
          'RNFR curl/a.txt',
          '-Q',
          'RNTO curl/b.txt',
          '-Q',
          'DELE curl/gone.txt',
          '-Q',
          'MKD curl/d1',
          '-Q',
          'MKD curl/d2',
          `${url}/`,
        ],
        work,
      );
      assert.equal(first.status, 0, first.stderr);
      const second = await curl([...auth, '-Q', 'RMD curl/d2', `${url}/`], work);
      assert.equal(second.status, 0, second.stderr);
      assert.equal(await readFile(join(ftpd.root, 'curl', 'b.txt'), 'utf8'), 'a');
      assert.equal(existsSync(join(ftpd.root, 'curl', 'a.txt')), false);
      assert.equal(existsSync(join(ftpd.root, 'curl', 'gone.txt')), false);
      assert.ok(statSync(join(ftpd.root, 'curl', 'd1')).isDirectory());
      assert.equal(existsSync(join(ftpd.root, 'curl', 'd2')), false);
    });

    test('a DELE of a missing file makes curl fail with the 550', async () => {
      const out = await curl(
        ['-u', `${USER}:${PASSWORD}`, '-o', '/dev/null', '-Q', 'DELE curl/nope', `${url}/`],
        work,
      );
      assert.equal(out.status, 21, out.stderr); // CURLE_QUOTE_ERROR
    });

    test('UTF-8 and space names: get, put, list', async () => {
      const dir = await local('curl-utf8');
      for (const name of [UTF8_NAME, SPACE_NAME]) {
        const got = await curl(['-o', name, `${url}/${encodeURIComponent(name)}`], dir);
        assert.equal(got.status, 0, got.stderr);
        const put = await curl(
          ['-u', `${USER}:${PASSWORD}`, '-T', name, `${url}/curl/${encodeURIComponent(name)}`],
          dir,
        );
        assert.equal(put.status, 0, put.stderr);
      }
      assert.equal(await readFile(join(dir, UTF8_NAME), 'utf8'), 'UTF-8 name\n');
      assert.equal(await readFile(join(ftpd.root, 'curl', UTF8_NAME), 'utf8'), 'UTF-8 name\n');
      assert.equal(await readFile(join(ftpd.root, 'curl', SPACE_NAME), 'utf8'), 'space name\n');
      const names = await curl(['--list-only', `${url}/curl/`], dir);
      assert.ok(names.stdout.split(/\r?\n/).includes(UTF8_NAME), names.stdout);
      assert.ok(names.stdout.split(/\r?\n/).includes(SPACE_NAME), names.stdout);
    });

    test('killed mid-transfer: a new session works', async () => {
      const dir = await local('curl-kill');
      const child = spawnTool(
        'curl',
        ['-sS', '--limit-rate', '500K', '-o', 'huge.bin', `${url}/huge.bin`],
        dir,
      );
      await untilGrowing(join(dir, 'huge.bin'));
      child.kill('SIGKILL');
      await once(child, 'close');
      assert.ok(statSync(join(dir, 'huge.bin')).size < 50 << 20, 'cut in the middle');
      const again = await curl(['-o', 'big.bin', `${url}/big.bin`], dir);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(await readFile(join(dir, 'big.bin')), big);
    });
  });
});
