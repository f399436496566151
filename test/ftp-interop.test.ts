import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { curl, type Ftpd, ftplib, lftp, lftpArgs, spawnTool, startFtpd } from './support/ftpd.js';

const UTF8_NAME = 'données-日本.txt';
const SPACE_NAME = 'with space.txt';
const USER = 'bob';
const PASSWORD = 'secret';
/** Bytes of a partial copy, written with a different filler so that a restart from 0 shows. */
const PARTIAL = 1_000_000;

/** Waits until `path` holds at least one byte (a transfer is under way); throws after `ms`. */
async function untilGrowing(path: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (existsSync(path) && statSync(path).size > 0) return;
    await sleep(20);
  }
  throw new Error(`${path} did not grow in ${ms} ms`);
}

/** `filler` repeated PARTIAL times, then `full` from byte PARTIAL: what a real resume produces. */
function resumed(full: Buffer, filler: number): Buffer {
  return Buffer.concat([Buffer.alloc(PARTIAL, filler), full.subarray(PARTIAL)]);
}

describe('interop: lftp, curl and Python ftplib against tandem ftpd', () => {
  const big = randomBytes(3 << 20);
  let ftpd: Ftpd;
  let work: string;
  let port: number;
  let url: string;

  before(async () => {
    ftpd = await startFtpd({
      files: {
        'big.bin': big,
        [UTF8_NAME]: 'UTF-8 name\n',
        [SPACE_NAME]: 'space name\n',
        'docs/readme.txt': 'read me\n',
      },
      users: [{ name: USER, password: PASSWORD, write: true }],
    });
    port = ftpd.port;
    url = `ftp://127.0.0.1:${port}`;
    for (const dir of ['lftp', 'curl', 'py']) await mkdir(join(ftpd.root, dir));
    // 50 MiB of zeros, sparse: a transfer long enough to be cut in the middle.
    await writeFile(join(ftpd.root, 'huge.bin'), '');
    await truncate(join(ftpd.root, 'huge.bin'), 50 << 20);
    work = await mkdtemp(join(tmpdir(), 'tandem-ftp-interop-'));
  });
  after(async () => {
    await ftpd?.stop();
    await rm(work, { recursive: true, force: true });
  });

  /** A fresh local directory for one test. */
  async function local(name: string): Promise<string> {
    const dir = join(work, name);
    await mkdir(dir);
    return dir;
  }

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
