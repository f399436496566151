import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashPassword } from '../src/ftp/password-hash.js';
import { CLI, type Running, startProcess } from './support/processes.js';

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `tandem ftp ARGS` in `cwd` (stdout is a pipe, so no progress bar). */
function tandemFtp(args: string[], cwd: string, env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'ftp', ...args],
      { cwd, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('tandem ftp against tandem ftpd', () => {
  let dir: string;
  let root: string;
  let work: string;
  let ftpd: Running | undefined;
  let base: string;
  const big = Buffer.from(Array.from({ length: 3 << 20 }, (_, i) => (i * 7) % 256));

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-ftp-e2e-'));
    root = join(dir, 'root');
    work = join(dir, 'work');
    await mkdir(join(root, 'docs'), { recursive: true });
    await mkdir(work);
    await writeFile(join(root, 'big.bin'), big);
    await writeFile(join(root, 'café.txt'), 'UTF-8 name\n');
    await writeFile(join(root, 'docs', 'a b.txt'), 'space in name\n');
    const config = join(dir, 'ftpd.json');
    await writeFile(
      config,
      JSON.stringify({
        users: [{ name: 'bob', password: await hashPassword('pa:ss@1'), write: true, home: '' }],
        limits: { failedLoginDelay: 100 },
      }),
    );
    ftpd = await startProcess(
      process.execPath,
      [CLI, 'ftpd', root, '--port', '0', '--config', config],
      /ftpd listening on ftp:\/\/[^:\s]+:(\d+)/,
    );
    base = `127.0.0.1:${ftpd.port}`;
  });
  after(async () => {
    await ftpd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('ls: one line per entry with type, size, date and name', async () => {
    const out = await tandemFtp(['ls', `ftp://${base}/`], work);
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, out.stdout);
    assert.match(out.stdout, /^- +3145728 \d{4}-\d\d-\d\d \d\d:\d\d big\.bin$/m);
    assert.match(out.stdout, /^- +11 .* café\.txt$/m);
    assert.match(out.stdout, /^d +\d+ .* docs$/m);
    const sub = await tandemFtp(['ls', `ftp://${base}/docs`], work);
    assert.match(sub.stdout, /^- +14 .* a b\.txt$/m);
  });

  test('get: download, resume a partial copy, then nothing to do', async () => {
    const first = await tandemFtp(['get', `ftp://${base}/big.bin`], work);
    assert.equal(first.code, 0, first.stderr);
    assert.doesNotMatch(first.stdout, /\r/, 'no progress bar when stdout is not a terminal');
    assert.deepEqual(await readFile(join(work, 'big.bin')), big);

    await truncate(join(work, 'big.bin'), 1_000_000);
    const resumed = await tandemFtp(['get', `ftp://${base}/big.bin`], work);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /resuming .*big\.bin at byte 1000000 of 3145728/);
    assert.match(resumed.stdout, /\(2145728 bytes received\)/);
    assert.deepEqual(await readFile(join(work, 'big.bin')), big);

    const again = await tandemFtp(['get', `ftp://${base}/big.bin`], work);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already complete/);
  });

  test('get: percent-encoded UTF-8 and space names, DEST file and DEST directory', async () => {
    const utf8 = await tandemFtp(['get', `ftp://${base}/caf%C3%A9.txt`, 'x.txt'], work);
    assert.equal(utf8.code, 0, utf8.stderr);
    assert.equal(await readFile(join(work, 'x.txt'), 'utf8'), 'UTF-8 name\n');
    await mkdir(join(work, 'into'));
    const spaced = await tandemFtp(['get', `ftp://${base}/docs/a%20b.txt`, 'into'], work);
    assert.equal(spaced.code, 0, spaced.stderr);
    assert.equal(await readFile(join(work, 'into', 'a b.txt'), 'utf8'), 'space in name\n');
  });

  test('put: user from the URL, password from TANDEM_FTP_PASSWORD or the URL', async () => {
    await writeFile(join(work, 'up.txt'), 'uploaded\n');
    const byEnv = await tandemFtp(['put', 'up.txt', `ftp://bob@${base}/docs/`], work, {
      TANDEM_FTP_PASSWORD: 'pa:ss@1',
    });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.equal(await readFile(join(root, 'docs', 'up.txt'), 'utf8'), 'uploaded\n');
    const byUrl = await tandemFtp(['put', 'up.txt', `ftp://bob:pa%3Ass%401@${base}/renamed.txt`], work);
    assert.equal(byUrl.code, 0, byUrl.stderr);
    assert.equal(await readFile(join(root, 'renamed.txt'), 'utf8'), 'uploaded\n');
  });

  test('clear one-line errors with exit status 1', async () => {
    const missing = await tandemFtp(['get', `ftp://${base}/nope.txt`], work);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^tandem: no such file: \/nope\.txt \(550 [^\n]*\)\n$/);

    const password = await tandemFtp(['ls', `ftp://bob:wrong@${base}/`], work);
    assert.equal(password.code, 1);
    assert.match(password.stderr, /^tandem: login failed for user "bob": 530 [^\n]*\n$/);

    const anonymousWrite = await tandemFtp(['put', 'up.txt', `ftp://${base}/anon.txt`], work);
    assert.equal(anonymousWrite.code, 1);
    assert.match(anonymousWrite.stderr, /^tandem: put \/anon\.txt failed: 550 [^\n]*\n$/);

    const host = await tandemFtp(['ls', 'ftp://127.0.0.1:1/'], work);
    assert.equal(host.code, 1);
    assert.equal(host.stderr, 'tandem: cannot connect to 127.0.0.1:1: ECONNREFUSED\n');
  });
});
