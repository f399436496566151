import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ANONYMOUS_PASSWORD, type FtpTarget, formatEntry, ftpGet, ftpList, ftpPut } from './ftp-client.js';

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
      message: 'get /pub/nope.bin failed: 550 Could not get file size.',
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
