import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileInfo, FileType, FTPError } from 'basic-ftp';
import { isError } from '../errors/catalogue.js';
import {
  describeFtpError,
  downloadDestination,
  type FtpTarget,
  formatEntry,
  planDownload,
  uploadPath,
} from './ftp-client.js';
import { formatBytes, ProgressBar, renderProgress } from './progress-bar.js';

describe('destinations', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-ftp-dest-'));
    await mkdir(join(dir, 'into'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('get: basename in cwd, DEST as given, DEST/NAME for a directory', async () => {
    assert.equal(await downloadDestination('/a/b/c.txt', undefined, dir), join(dir, 'c.txt'));
    assert.equal(await downloadDestination('/c.txt', join(dir, 'x.bin'), dir), join(dir, 'x.bin'));
    assert.equal(await downloadDestination('/c.txt', join(dir, 'into'), dir), join(dir, 'into', 'c.txt'));
  });

  test('get: a directory URL is a usage error', async () => {
    for (const path of ['/', '/dir/']) {
      await assert.rejects(downloadDestination(path, undefined, dir), (err) =>
        isError(err, { code: 'CLI_USAGE' }),
      );
    }
  });

  test('put: a URL ending in / keeps the file name', () => {
    assert.equal(uploadPath('/tmp/x/report.pdf', '/in/'), '/in/report.pdf');
    assert.equal(uploadPath('/tmp/x/report.pdf', '/in/other.pdf'), '/in/other.pdf');
    assert.equal(uploadPath('report.pdf', '/'), '/report.pdf');
  });
});

describe('planDownload', () => {
  test('fresh, resume, complete, larger', () => {
    assert.deepEqual(planDownload(undefined, 100), { kind: 'fresh' });
    assert.deepEqual(planDownload(0, 100), { kind: 'fresh' });
    assert.deepEqual(planDownload(40, 100), { kind: 'resume', startAt: 40 });
    assert.deepEqual(planDownload(100, 100), { kind: 'complete' });
    assert.deepEqual(planDownload(101, 100), { kind: 'larger' });
    assert.deepEqual(planDownload(40, undefined), { kind: 'resume', startAt: 40 });
    assert.deepEqual(planDownload(undefined, undefined), { kind: 'fresh' });
  });
});

describe('describeFtpError', () => {
  const target: FtpTarget = { host: 'h', port: 2121, user: 'bob', password: 'x', path: '/f' };
  const ftpError = (message: string) => new FTPError({ code: Number(message.slice(0, 3)), message });

  test('socket errors and early replies are connect failures', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2121 (control socket)'), {
      code: 'ECONNREFUSED',
    });
    assert.equal(
      describeFtpError(refused, 'connect', target).message,
      'cannot connect to h:2121: ECONNREFUSED',
    );
    assert.equal(
      describeFtpError(new Error('Timeout (control socket)'), 'connect', target).message,
      'cannot connect to h:2121: Timeout',
    );
    assert.equal(
      describeFtpError(ftpError('421 Too many connections'), 'connect', target).message,
      'cannot connect to h:2121: 421 Too many connections',
    );
    const v6 = { ...target, host: '::1' };
    assert.match(describeFtpError(refused, 'connect', v6).message, /^cannot connect to \[::1\]:2121: /);
  });

  test('a refused login names the user and the reply', () => {
    const err = describeFtpError(ftpError('530 Login incorrect.'), 'login', target);
    assert.equal(err.message, 'login failed for user "bob": 530 Login incorrect.');
    assert.equal(err.code, 'FTP_LOGIN_FAILED');
  });

  test('a refused login without a password says how to give one', () => {
    const err = describeFtpError(ftpError('530 Login incorrect.'), 'login', {
      ...target,
      passwordMissing: true,
    });
    assert.equal(
      err.message,
      'login failed for user "bob": 530 Login incorrect.; no password was given: ' +
        'put it in the URL (ftp://bob:PASSWORD@host/…) or in $TANDEM_FTP_PASSWORD',
    );
  });

  test('a reply names the action and says what the server said', () => {
    const stage = { action: 'get', path: '/f' };
    assert.equal(
      describeFtpError(ftpError('550 No such file or directory: /f'), stage, target).message,
      'get /f failed: 550 No such file or directory: /f',
    );
    assert.equal(
      describeFtpError(ftpError('550 Not a plain file: /f'), stage, target).message,
      'get /f failed: 550 Not a plain file: /f',
    );
    assert.equal(
      describeFtpError(ftpError('553 Permission denied'), stage, target).message,
      'get /f failed: 553 Permission denied',
    );
    assert.equal(
      describeFtpError(ftpError('550 Permission denied'), { action: 'put', path: '/f' }, target).message,
      'put /f failed: 550 Permission denied',
    );
    assert.equal(
      describeFtpError(ftpError('550-first line\n550 last'), stage, target).message,
      'get /f failed: 550-first line',
    );
  });
});

describe('formatEntry and the progress bar', () => {
  test('ls line: type, padded size, UTC date, name, link target', () => {
    const file = Object.assign(new FileInfo('notes.txt'), {
      type: FileType.File,
      size: 1234,
      modifiedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    });
    assert.equal(formatEntry(file, 6), '-   1234 2026-01-02 03:04 notes.txt');
    const dir = Object.assign(new FileInfo('docs'), {
      type: FileType.Directory,
      rawModifiedAt: 'Nov 21 07:30',
    });
    assert.equal(formatEntry(dir, 2), 'd  0 Nov 21 07:30     docs');
    const link = Object.assign(new FileInfo('l'), { type: FileType.SymbolicLink, link: 'target' });
    assert.match(formatEntry(link), /^l 0 .* l -> target$/);
  });

  test('bytes and bar frames', () => {
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(10 * 1024 * 1024), '10.0 MiB');
    const frame = renderProgress('f.bin', { done: 50, total: 100, moved: 50, elapsedMs: 1000 }, 80);
    assert.match(frame, /^f\.bin \[#+\.+\] {2}50% {2}50 B \/ 100 B {2}50 B\/s$/);
    assert.ok(frame.length <= 80);
    const bar = /\[(#*)(\.*)\]/.exec(frame)!;
    assert.equal(bar[1]!.length, bar[2]!.length);
    assert.ok(
      renderProgress('f', { done: 5, total: undefined, moved: 5, elapsedMs: 0 }, 80).startsWith('f 5 B'),
    );
    assert.ok(renderProgress('x'.repeat(60), { done: 1, total: 2, moved: 1, elapsedMs: 1 }, 30).length < 30);
  });
});

test('ProgressBar redraws in place and clears itself at the end', () => {
  const written: string[] = [];
  const stream = {
    columns: 60,
    write: (text: string) => written.push(text),
  } as unknown as NodeJS.WriteStream;
  const bar = new ProgressBar(stream, 'f.bin', 100, 40);
  bar.update(10);
  bar.update(60);
  bar.finish();
  assert.ok(written.every((text) => text.startsWith('\r') && !text.includes('\n')));
  assert.match(written[0]!, / 50%/);
  assert.match(written[1]!, /100%/);
  assert.deepEqual(written.slice(2), ['\r\x1b[K']);
  const silent: string[] = [];
  new ProgressBar({ write: (t: string) => silent.push(t) } as unknown as NodeJS.WriteStream, 'x', 1).finish();
  assert.deepEqual(silent, []);
});
