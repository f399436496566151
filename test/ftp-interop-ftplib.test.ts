import assert from 'node:assert/strict';
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
} from './support/ftp-interop-fixture.js';
import { type Ftpd, ftplib } from './support/ftpd.js';

describe('interop: lftp, curl and Python ftplib against tandem ftpd', () => {
  const server = interopServer();
  const { big, local } = server;
  let ftpd: Ftpd;
  let work: string;
  let port: number;
  before(() => {
    ({ ftpd, work, port } = server);
  });

  describe('Python ftplib', () => {
    test('mlsd, nlst and dir', async () => {
      const out = await ftplib(
        port,
        USER,
        PASSWORD,
        `
out['mlsd'] = {name: facts['type'] for name, facts in ftp.mlsd()}
out['size'] = {name: facts.get('size') for name, facts in ftp.mlsd('docs')}
out['nlst'] = ftp.nlst()
lines = []
ftp.dir('docs', lines.append)
out['dir'] = lines
`,
        work,
      );
      const mlsd = out.mlsd as Record<string, string>;
      assert.equal(mlsd['big.bin'], 'file');
      assert.equal(mlsd.docs, 'dir');
      assert.equal(mlsd[UTF8_NAME], 'file');
      assert.equal(mlsd[SPACE_NAME], 'file');
      assert.deepEqual(out.size, { '.': null, 'readme.txt': '8' });
      for (const name of ['big.bin', UTF8_NAME, SPACE_NAME, 'docs'])
        assert.ok((out.nlst as string[]).includes(name));
      assert.equal((out.dir as string[]).length, 1);
      assert.match((out.dir as string[])[0] ?? '', /^-rw-r--r-- .* 8 .* readme\.txt$/);
    });

    test('retrbinary and storbinary: the bytes arrive equal', async () => {
      const dir = await local('py-get-put');
      await ftplib(
        port,
        USER,
        PASSWORD,
        `
with open('copy.bin', 'wb') as f:
    ftp.retrbinary('RETR big.bin', f.write)
with open('copy.bin', 'rb') as f:
    ftp.storbinary('STOR py/up.bin', f)
`,
        dir,
      );
      assert.deepEqual(await readFile(join(dir, 'copy.bin')), big);
      assert.deepEqual(await readFile(join(ftpd.root, 'py', 'up.bin')), big);
    });

    test('retrbinary(rest=N) and REST + STOR resume', async () => {
      const dir = await local('py-resume');
      await writeFile(join(dir, 'part.bin'), Buffer.alloc(PARTIAL, 0x58));
      await writeFile(join(dir, 'full.bin'), big);
      await writeFile(join(ftpd.root, 'py', 'part-up.bin'), Buffer.alloc(PARTIAL, 0x59));
      const out = await ftplib(
        port,
        USER,
        PASSWORD,
        `
ftp.voidcmd('TYPE I')
with open('part.bin', 'ab') as f:
    ftp.retrbinary('RETR big.bin', f.write, rest=${PARTIAL})
out['remote'] = ftp.size('py/part-up.bin')
with open('full.bin', 'rb') as f:
    f.seek(out['remote'])
    ftp.storbinary('STOR py/part-up.bin', f, rest=out['remote'])
`,
        dir,
      );
      assert.equal(out.remote, PARTIAL);
      assert.ok((await readFile(join(dir, 'part.bin'))).equals(resumed(big, 0x58)), 'download resumed');
      const up = await readFile(join(ftpd.root, 'py', 'part-up.bin'));
      assert.ok(up.equals(resumed(big, 0x59)), 'upload resumed (REST + STOR)');
    });

    test('abort() during a 50 MiB RETR: 426 then 226, and the session goes on', async () => {
      const out = await ftplib(
        port,
        USER,
        PASSWORD,
        `
ftp.voidcmd('TYPE I')
conn = ftp.transfercmd('RETR huge.bin')
got = 0
while got < 256 * 1024:
    got += len(conn.recv(65536))
out['abort'] = ftp.abort()
conn.close()
if out['abort'].startswith('426'):
    out['after'] = ftp.getresp()
out['size'] = ftp.size('big.bin')
chunks = []
ftp.retrbinary('RETR docs/readme.txt', chunks.append)
out['readme'] = b''.join(chunks).decode()
`,
        work,
      );
      assert.match(out.abort as string, /^426 /);
      assert.match(out.after as string, /^226 /);
      assert.equal(out.size, big.length);
      assert.equal(out.readme, 'read me\n');
    });

    test('rename, delete, mkd and rmd', async () => {
      await writeFile(join(ftpd.root, 'py', 'a.txt'), 'a');
      await writeFile(join(ftpd.root, 'py', 'gone.txt'), 'x');
      const out = await ftplib(
        port,
        USER,
        PASSWORD,
        `
out['rename'] = ftp.rename('py/a.txt', 'py/b.txt')
out['delete'] = ftp.delete('py/gone.txt')
out['mkd'] = ftp.mkd('py/d1')
ftp.mkd('py/d2')
out['rmd'] = ftp.rmd('py/d2')
try:
    ftp.delete('py/gone.txt')
except ftplib.error_perm as e:
    out['again'] = str(e)
`,
        work,
      );
      assert.match(out.rename as string, /^250 /);
      assert.match(out.delete as string, /^250 /);
      assert.equal(out.mkd, '/py/d1');
      assert.match(out.rmd as string, /^250 /);
      assert.match(out.again as string, /^550 /);
      assert.equal(await readFile(join(ftpd.root, 'py', 'b.txt'), 'utf8'), 'a');
      assert.equal(existsSync(join(ftpd.root, 'py', 'gone.txt')), false);
      assert.ok(statSync(join(ftpd.root, 'py', 'd1')).isDirectory());
      assert.equal(existsSync(join(ftpd.root, 'py', 'd2')), false);
    });

    test('UTF-8 and space names: get, put, list, rename', async () => {
      const dir = await local('py-utf8');
      const out = await ftplib(
        port,
        USER,
        PASSWORD,
        `
for name in [${JSON.stringify(UTF8_NAME)}, ${JSON.stringify(SPACE_NAME)}]:
    with open(name, 'wb') as f:
        ftp.retrbinary('RETR ' + name, f.write)
    with open(name, 'rb') as f:
        ftp.storbinary('STOR py/' + name, f)
ftp.rename('py/' + ${JSON.stringify(SPACE_NAME)}, 'py/日本 2.txt')
out['nlst'] = ftp.nlst('py')
out['size'] = ftp.size('py/' + ${JSON.stringify(UTF8_NAME)})
`,
        dir,
      );
      assert.equal(await readFile(join(dir, UTF8_NAME), 'utf8'), 'UTF-8 name\n');
      assert.equal(await readFile(join(dir, SPACE_NAME), 'utf8'), 'space name\n');
      assert.equal(await readFile(join(ftpd.root, 'py', UTF8_NAME), 'utf8'), 'UTF-8 name\n');
      assert.equal(await readFile(join(ftpd.root, 'py', '日本 2.txt'), 'utf8'), 'space name\n');
      assert.ok((out.nlst as string[]).includes(UTF8_NAME), String(out.nlst));
      assert.ok((out.nlst as string[]).includes('日本 2.txt'), String(out.nlst));
      assert.equal(out.size, 11);
    });
  });
});
