import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileInfo, FileType, FTPError } from 'basic-ftp';
import { isError } from '../errors/catalogue.js';
import {
  ANONYMOUS_PASSWORD,
  describeFtpError,
  downloadDestination,
  type FtpTarget,
  formatEntry,
  ftpGet,
  ftpList,
  ftpPut,
  parseFtpUrl,
  planDownload,
  uploadPath,
} from './ftp-client.js';
import { formatBytes, ProgressBar, renderProgress } from './progress-bar.js';

describe('parseFtpUrl', () => {
  test('anonymous by default, port 21, path /', () => {
    assert.deepEqual(parseFtpUrl('ftp://example.org', {}), {
      host: 'example.org',
      port: 21,
      user: 'anonymous',
      password: ANONYMOUS_PASSWORD,
      path: '/',
    });
  });

  test('decodes user, password and path; keeps the port', () => {
    const target = parseFtpUrl('ftp://j%C3%B6rg:p%40ss%3Aw0rd@127.0.0.1:2121/dir%20x/caf%C3%A9.txt', {});
    assert.equal(target.user, 'jörg');
    assert.equal(target.password, 'p@ss:w0rd');
    assert.equal(target.port, 2121);
    assert.equal(target.path, '/dir x/café.txt');
  });

  test('password from TANDEM_FTP_PASSWORD when the URL has a user but no password', () => {
    assert.equal(parseFtpUrl('ftp://bob@h/f', { TANDEM_FTP_PASSWORD: 's3cret' }).password, 's3cret');
    assert.equal(parseFtpUrl('ftp://bob:url@h/f', { TANDEM_FTP_PASSWORD: 's3cret' }).password, 'url');
    assert.equal(parseFtpUrl('ftp://bob@h/f', {}).password, '');
    // Never sent to an anonymous server.
    assert.equal(parseFtpUrl('ftp://h/f', { TANDEM_FTP_PASSWORD: 's3cret' }).password, ANONYMOUS_PASSWORD);
  });

  test('IPv6 host without brackets', () => {
    const target = parseFtpUrl('ftp://[::1]:2121/a', {});
    assert.equal(target.host, '::1');
    assert.equal(target.port, 2121);
  });

  test('refuses other schemes, bad encodings and CR/LF/NUL injection', () => {
    for (const url of [
      'http://h/f',
      'not a url',
      'ftp://h/%zz',
      'ftp://h/a%0D%0ADELE%20b',
      'ftp://h/a%0Ab',
      'ftp://h/a%00b',
      'ftp://u%0D%0A:p@h/f',
      'ftp://u:p%0Ax@h/f',
    ]) {
      assert.throws(
        () => parseFtpUrl(url, {}),
        (err) => isError(err, { code: 'CLI_USAGE' }),
        url,
      );
    }
  });
});

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

  test('550 is a missing file, other replies name the action', () => {
    const stage = { action: 'get', path: '/f' };
    assert.equal(
      describeFtpError(ftpError('550 No such file or directory: /f'), stage, target).message,
      'no such file: /f (550 No such file or directory: /f)',
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
      'no such file: /f (550-first line)',
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

test('ProgressBar redraws in place and ends the line once', () => {
  const written: string[] = [];
  const stream = {
    columns: 60,
    write: (text: string) => written.push(text),
  } as unknown as NodeJS.WriteStream;
  const bar = new ProgressBar(stream, 'f.bin', 100, 40);
  bar.update(10);
  bar.update(60);
  bar.finish();
  assert.ok(written.slice(0, 3).every((text) => text.startsWith('\r') && !text.includes('\n')));
  assert.match(written[0]!, / 50%/);
  assert.match(written[1]!, /100%/);
  assert.match(written[2]!, /100%/);
  assert.equal(written.at(-1), '\n');
  const silent: string[] = [];
  new ProgressBar({ write: (t: string) => silent.push(t) } as unknown as NodeJS.WriteStream, 'x', 1).finish();
  assert.deepEqual(silent, []);
});

/**
 * A scripted FTP server over real sockets (EPSV only, in-memory files) that records the commands it got:
 * enough to drive basic-ftp through login, SIZE, REST+RETR, STOR and MLSD without the Tandem server.
 */
class ScriptedFtpServer {
  readonly files = new Map<string, Buffer>();
  readonly commands: string[] = [];
  readonly #server: Server = createServer((socket) => this.#session(socket));
  port = 0;

  async start(): Promise<void> {
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.port = (this.#server.address() as { port: number }).port;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #session(socket: Socket): void {
    let buffer = '';
    let user = '';
    let rest = 0;
    let data: Promise<Socket> | undefined;
    const reply = (line: string) => socket.write(`${line}\r\n`);
    const transfer = async (work: (data: Socket) => Promise<void>) => {
      if (data === undefined) return reply('425 Use EPSV first');
      const channel = await data;
      data = undefined;
      reply('150 Opening data connection');
      await work(channel);
      reply('226 Transfer complete');
    };
    const handle = async (line: string) => {
      this.commands.push(line);
      const [verb = '', ...words] = line.split(' ');
      const arg = words.join(' ');
      switch (verb.toUpperCase()) {
        case 'USER':
          user = arg;
          return reply('331 Password required');
        case 'PASS':
          return reply(user === 'anonymous' || arg === 'right' ? '230 Logged in' : '530 Login incorrect.');
        case 'FEAT':
          return reply('211-Features\r\n SIZE\r\n REST STREAM\r\n MLST type*;size*;modify*;\r\n211 End');
        case 'EPSV': {
          const listener = createServer();
          listener.listen(0, '127.0.0.1');
          await once(listener, 'listening');
          data = once(listener, 'connection').then(([s]) => {
            listener.close();
            return s as Socket;
          });
          return reply(
            `229 Entering Extended Passive Mode (|||${(listener.address() as { port: number }).port}|)`,
          );
        }
        case 'SIZE': {
          const file = this.files.get(arg);
          return reply(file === undefined ? '550 Could not get file size.' : `213 ${file.length}`);
        }
        case 'REST':
          rest = Number(arg);
          return reply(`350 Restarting at ${rest}`);
        case 'RETR': {
          const file = this.files.get(arg);
          if (file === undefined) return reply('550 No such file or directory');
          const offset = rest;
          rest = 0;
          return transfer(async (channel) => {
            channel.end(file.subarray(offset));
            await once(channel, 'close');
          });
        }
        case 'STOR':
          return transfer(async (channel) => {
            const chunks: Buffer[] = [];
            channel.on('data', (chunk: Buffer) => chunks.push(chunk));
            await once(channel, 'end');
            this.files.set(arg, Buffer.concat(chunks));
          });
        case 'MLSD': {
          const prefix = arg === '/' ? '/' : `${arg}/`;
          const names = [...this.files.keys()].filter((path) => path.startsWith(prefix));
          if (names.length === 0) return reply('550 No such directory');
          return transfer(async (channel) => {
            const lines = names.map(
              (path) =>
                `type=file;size=${this.files.get(path)!.length};modify=20260102030405; ${path.slice(prefix.length)}\r\n`,
            );
            channel.end(['type=cdir; .\r\n', ...lines].join(''));
            await once(channel, 'close');
          });
        }
        case 'QUIT':
          reply('221 Bye');
          return socket.end();
        default:
          return reply('200 OK');
      }
    };
    let queue: Promise<unknown> = Promise.resolve();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n'); end !== -1; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        queue = queue.then(() => handle(line));
      }
    });
    reply('220 scripted');
  }
}

describe('against a scripted server', () => {
  const server = new ScriptedFtpServer();
  let dir: string;
  const content = Buffer.from(Array.from({ length: 200_000 }, (_, i) => i % 251));
  const target = (path: string, user = 'anonymous', password = ANONYMOUS_PASSWORD): FtpTarget => ({
    host: '127.0.0.1',
    port: server.port,
    user,
    password,
    path,
  });

  before(async () => {
    await server.start();
    dir = await mkdtemp(join(tmpdir(), 'tandem-ftp-client-'));
    server.files.set('/pub/data.bin', content);
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('get downloads, then a partial copy resumes with REST, then a complete one is left alone', async () => {
    const dest = join(dir, 'data.bin');
    const progress: number[] = [];
    const first = await ftpGet(target('/pub/data.bin'), dest, {
      onProgress: (bytes) => progress.push(bytes),
    });
    assert.deepEqual(first.plan, { kind: 'fresh' });
    assert.deepEqual(await readFile(dest), content);
    assert.equal(progress.at(-1), content.length);

    await writeFile(dest, content.subarray(0, 70_000));
    server.commands.length = 0;
    const resumed = await ftpGet(target('/pub/data.bin'), dest);
    assert.deepEqual(resumed.plan, { kind: 'resume', startAt: 70_000 });
    assert.equal(resumed.received, content.length - 70_000);
    assert.ok(server.commands.includes('REST 70000'), server.commands.join(' | '));
    assert.deepEqual(await readFile(dest), content);

    server.commands.length = 0;
    const again = await ftpGet(target('/pub/data.bin'), dest);
    assert.deepEqual(again.plan, { kind: 'complete' });
    assert.ok(!server.commands.some((c) => c.startsWith('RETR')));
  });

  test('a larger local file is refused untouched; --overwrite downloads again', async () => {
    const dest = join(dir, 'larger.bin');
    await writeFile(dest, Buffer.alloc(content.length + 1, 1));
    await assert.rejects(ftpGet(target('/pub/data.bin'), dest), /larger .* use --overwrite/);
    assert.equal((await stat(dest)).size, content.length + 1);
    await ftpGet(target('/pub/data.bin'), dest, { overwrite: true });
    assert.deepEqual(await readFile(dest), content);
  });

  test('missing file, wrong password, refused port: one-line errors, no local file left', async () => {
    const dest = join(dir, 'missing.bin');
    await assert.rejects(ftpGet(target('/pub/nope.bin'), dest), {
      message: 'no such file: /pub/nope.bin (550 Could not get file size.)',
    });
    await assert.rejects(stat(dest), { code: 'ENOENT' });
    await assert.rejects(ftpList(target('/pub', 'bob', 'wrong')), {
      message: 'login failed for user "bob": 530 Login incorrect.',
    });
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as { port: number }).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(ftpList({ ...target('/'), port }), {
      message: `cannot connect to 127.0.0.1:${port}: ECONNREFUSED`,
    });
  });

  test('put stores the file; ls lists it', async () => {
    const local = join(dir, 'up.txt');
    await writeFile(local, 'hello ftp\n');
    const sent = await ftpPut(local, target('/pub/up.txt', 'bob', 'right'));
    assert.equal(sent, 10);
    assert.equal(server.files.get('/pub/up.txt')?.toString(), 'hello ftp\n');
    const entries = await ftpList(target('/pub'));
    assert.deepEqual(
      entries.map((entry) => formatEntry(entry, 6)),
      ['- 200000 2026-01-02 03:04 data.bin', '-     10 2026-01-02 03:04 up.txt'],
    );
  });

  test('put of a missing local file fails before connecting', async () => {
    server.commands.length = 0;
    await assert.rejects(ftpPut(join(dir, 'absent.txt'), target('/pub/x')), {
      message: /^cannot read .*absent\.txt: ENOENT$/,
    });
    // A QUIT from the previous test's connection may still arrive; no USER means no new login.
    assert.ok(!server.commands.some((c) => c.startsWith('USER')), server.commands.join(' | '));
  });
});
