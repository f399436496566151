import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
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

/**
 * What a terminal shows after `text`: `\r` returns to the line's start, `ESC[K` erases to its end, `\n`
 * moves to a new line (CR LF from the pty). Returns the non-empty lines.
 */
function screen(text: string): string[] {
  const lines: string[] = [];
  let line = '';
  let column = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') {
      lines.push(line);
      line = '';
      column = 0;
    } else if (c === '\r') column = 0;
    else if (text.startsWith('\x1b[K', i)) {
      line = line.slice(0, column);
      i += 2;
    } else {
      line = line.slice(0, column) + c + line.slice(column + 1);
      column++;
    }
  }
  lines.push(line);
  return lines.filter((text) => text !== '');
}

/** Runs `tandem ftp ARGS` in `cwd` with stdout on a pseudo-terminal (100 columns); resolves with its output. */
function tandemFtpOnTerminal(args: string[], cwd: string, env: Record<string, string>): Promise<string> {
  const script = `
import fcntl, os, pty, struct, sys, termios
pid, fd = pty.fork()
if pid == 0:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack('HHHH', 24, 100, 0, 0))
    os.execv(sys.argv[1], sys.argv[1:])
out = b''
while True:
    try:
        data = os.read(fd, 65536)
    except OSError:
        break
    if not data:
        break
    out += data
os.waitpid(pid, 0)
sys.stdout.write(out.decode())
`;
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      ['-c', script, process.execPath, CLI, 'ftp', ...args],
      { cwd, env: { ...process.env, ...env }, timeout: 30_000 },
      (err, stdout) => (err === null ? resolve(stdout) : reject(err)),
    );
  });
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
    assert.equal(missing.stderr, 'tandem: get /nope.txt failed: 550 No such file or directory: /nope.txt\n');

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

  test('errors say what the server said, and how to give a missing password', async () => {
    await writeFile(join(dir, 'secret.txt'), 'secret\n');
    await symlink(join(dir, 'secret.txt'), join(root, 'escape'));
    try {
      const outside = await tandemFtp(['get', `ftp://${base}/escape`], work);
      assert.equal(outside.code, 1);
      assert.equal(outside.stderr, 'tandem: get /escape failed: 550 Permission denied: /escape\n');
    } finally {
      await rm(join(root, 'escape'));
    }
    const directory = await tandemFtp(['get', `ftp://${base}/docs`], work);
    assert.equal(directory.code, 1);
    assert.equal(directory.stderr, 'tandem: get /docs failed: 550 Not a plain file: /docs\n');

    await writeFile(join(work, 'up.txt'), 'uploaded\n');
    const { TANDEM_FTP_PASSWORD: _, ...env } = process.env;
    const noPassword = await new Promise<Outcome>((resolve) => {
      execFile(
        process.execPath,
        [CLI, 'ftp', 'put', 'up.txt', `ftp://bob@${base}/docs/`],
        { cwd: work, env, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err === null ? 0 : Number(err.code), stdout, stderr }),
      );
    });
    assert.equal(noPassword.code, 1);
    assert.match(
      noPassword.stderr,
      /^tandem: login failed for user "bob": 530 [^\n]*; no password was given: put it in the URL \(ftp:\/\/bob:PASSWORD@host\/…\) or in \$TANDEM_FTP_PASSWORD\n$/,
    );
  });

  test('ls: one file has the same date form as a listing; a symlink lists as l with its target', async () => {
    await symlink('café.txt', join(root, 'link.txt'));
    try {
      const one = await tandemFtp(['ls', `ftp://${base}/big.bin`], work);
      assert.equal(one.code, 0, one.stderr);
      assert.match(one.stdout, /^- 3145728 \d{4}-\d\d-\d\d \d\d:\d\d big\.bin\n$/);
      const all = await tandemFtp(['ls', `ftp://${base}/`], work);
      assert.match(all.stdout, /^l +11 \d{4}-\d\d-\d\d \d\d:\d\d link\.txt -> café\.txt$/m);
      const list = await new Promise<string>((resolve, reject) =>
        execFile('curl', ['-sS', '--max-time', '20', `ftp://${base}/`], (err, stdout) =>
          err === null ? resolve(stdout) : reject(err),
        ),
      );
      assert.match(list, /^lrwxrwxrwx .* 11 \w{3} \d\d [\d: ]{5} link\.txt -> café\.txt\r?$/m);
    } finally {
      await rm(join(root, 'link.txt'));
    }
  });

  test('on a terminal, get and put both clear their progress bar for the summary line', async () => {
    const env = { TANDEM_FTP_PASSWORD: 'pa:ss@1' };
    const got = screen(
      await tandemFtpOnTerminal(['get', '--overwrite', `ftp://${base}/big.bin`, 'tty.bin'], work, env),
    );
    assert.deepEqual(got, ['saved tty.bin (3145728 bytes received)']);
    const put = screen(await tandemFtpOnTerminal(['put', 'tty.bin', `ftp://bob@${base}/docs/`], work, env));
    assert.deepEqual(put, ['stored /docs/tty.bin (3145728 bytes sent)']);
  });
});
