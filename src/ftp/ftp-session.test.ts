import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import { NetServer } from '../net/net-server.js';
import { COMMANDS } from './ftp-commands.js';
import { defaultFtpConfig, type FtpServerConfig } from './ftp-config.js';
import createFtpHandler from './ftp-handler.js';
import { hashPassword } from './password-hash.js';

/** A raw FTP control connection: send lines, read whole replies (multi-line aware). */
class Control {
  readonly socket: Socket;
  #buffer = '';
  #waiting: (() => void) | undefined;
  closed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.#buffer += text;
      this.#waiting?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#waiting?.();
    });
  }

  static async open(port: number): Promise<Control> {
    const socket = connect(port, '127.0.0.1');
    await once(socket, 'connect');
    return new Control(socket);
  }

  /** The next complete reply: `{ code, text }` with text holding every line. */
  async reply(): Promise<{ code: number; text: string }> {
    for (;;) {
      const match = /^(\d{3})([ -])/.exec(this.#buffer);
      if (match !== null) {
        const end =
          match[2] === ' '
            ? this.#buffer.indexOf('\r\n')
            : this.#buffer.search(new RegExp(`\\r\\n${match[1]} [^\\r]*\\r\\n`));
        if (end >= 0) {
          const stop = match[2] === ' ' ? end + 2 : this.#buffer.indexOf('\r\n', end + 2) + 2;
          const text = this.#buffer.slice(0, stop);
          this.#buffer = this.#buffer.slice(stop);
          return { code: Number(match[1]), text };
        }
      }
      if (this.closed) throw new Error(`connection closed; left: ${JSON.stringify(this.#buffer)}`);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  send(line: string | Buffer): void {
    this.socket.write(typeof line === 'string' ? `${line}\r\n` : line);
  }

  async cmd(line: string): Promise<{ code: number; text: string }> {
    this.send(line);
    return this.reply();
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(): Promise<void> {
    if (!this.closed) await once(this.socket, 'close');
  }
}

let dir: string;
let root: string;
const servers: NetServer[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-ftp-session-'));
  root = await realpath(await mkdtemp(join(dir, 'root-')));
  await mkdir(join(root, 'sub'));
  await writeFile(join(root, 'a.txt'), 'hello\n');
  await writeFile(join(root, 'big.bin'), Buffer.alloc(16 << 20, 1));
  await writeFile(join(dir, 'secret.txt'), 'SECRET\n');
});
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await rm(dir, { recursive: true, force: true });
});

async function start(overrides: Partial<FtpServerConfig> = {}): Promise<number> {
  const config: FtpServerConfig = {
    ...defaultFtpConfig,
    root,
    port: 0,
    users: [{ name: 'alice', passwordHash: await hashPassword('secret'), write: true, home: '' }],
    limits: { ...defaultFtpConfig.limits, failedLoginDelay: 200 },
    ...overrides,
  };
  const server = new NetServer({
    transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    handler: createFtpHandler(config),
  });
  servers.push(server);
  return (await server.listen()).port;
}

async function anonymous(port: number): Promise<Control> {
  const c = await Control.open(port);
  assert.equal((await c.reply()).code, 220);
  assert.equal((await c.cmd('USER anonymous')).code, 331);
  assert.equal((await c.cmd('PASS guest@')).code, 230);
  return c;
}

describe('FTP session', () => {
  let port: number;
  before(async () => {
    port = await start();
  });

  test('before login: 530 for file commands, answers for the others, clear errors for bad lines', async () => {
    const c = await Control.open(port);
    assert.match((await c.reply()).text, /^220 /);
    assert.match((await c.cmd('PWD')).text, /^530 Please log in/);
    assert.match((await c.cmd('RETR a.txt')).text, /^530 /);
    assert.match((await c.cmd('syst')).text, /^215 UNIX Type: L8/);
    const feat = await c.cmd('FEAT');
    assert.equal(feat.code, 211);
    assert.match(feat.text, /\r\n UTF8\r\n/);
    assert.match(feat.text, /\r\n REST STREAM\r\n/);
    assert.doesNotMatch(feat.text, /EPRT/);
    assert.match((await c.cmd('OPTS UTF8 ON')).text, /^200 /);
    assert.match((await c.cmd('AUTH TLS')).text, /^502 /);
    assert.match((await c.cmd('SITE CHMOD 777 a.txt')).text, /^502 Command SITE not implemented/);
    assert.match((await c.cmd('XYZZ')).text, /^500 Unknown command XYZZ/);
    assert.match((await c.cmd('12 34')).text, /^500 Syntax error/);
    assert.match((await c.cmd(`NOOP ${'x'.repeat(5000)}`)).text, /^500 Command line too long/);
    c.send(Buffer.from([0x4e, 0xff, 0xff, 0x0d, 0x0a]));
    assert.match((await c.reply()).text, /^501 .*UTF-8/);
    assert.match((await c.cmd('USER')).text, /^501 USER needs an argument/);
    assert.match((await c.cmd('PASS x')).text, /^503 Send USER first/);
    assert.match((await c.cmd('NOOP')).text, /^200 /);
    assert.match((await c.cmd('QUIT')).text, /^221 /);
    await c.closedByServer();
  });

  test('USER always answers 331; a wrong password is 530 after the delay; the third closes with 421', async () => {
    const c = await Control.open(port);
    await c.reply();
    for (const attempt of [1, 2, 3]) {
      assert.match(
        (await c.cmd(attempt === 1 ? 'USER nobody' : 'USER alice')).text,
        /^331 Password required/,
      );
      const startedAt = Date.now();
      const reply = await c.cmd('PASS wrong');
      assert.ok(Date.now() - startedAt >= 180, `answered after ${Date.now() - startedAt} ms`);
      assert.equal(reply.code, attempt < 3 ? 530 : 421, reply.text);
    }
    await c.closedByServer();
  });

  test('a user logs in with the right password and may write', async () => {
    const c = await Control.open(port);
    await c.reply();
    await c.cmd('USER alice');
    assert.match((await c.cmd('PASS secret')).text, /^230 User alice logged in\r\n/);
    assert.match((await c.cmd('MKD made')).text, /^257 "\/made" created/);
    assert.match((await c.cmd('RMD made')).text, /^250 /);
    assert.match((await c.cmd('USER bob')).text, /^530 Already logged in/);
    c.socket.destroy();
  });

  test('the jail: ".." stops at the root, backslash and escapes are refused', async () => {
    const c = await anonymous(port);
    assert.match((await c.cmd('CWD ../../..')).text, /^250 Directory changed to \/\r\n/);
    assert.match((await c.cmd('SIZE ../secret.txt')).text, /^550 No such file/);
    assert.match(
      (await c.cmd('SIZE ..\\secret.txt')).text,
      /^553 File name not allowed: contains a backslash/,
    );
    assert.match((await c.cmd('SIZE %2e%2e/secret.txt')).text, /^550 /);
    assert.match((await c.cmd('CWD a.txt')).text, /^550 Not a directory: \/a.txt/);
    assert.match((await c.cmd('SIZE sub')).text, /^550 Not a plain file/);
    assert.match((await c.cmd('SIZE a.txt')).text, /^213 6\r\n/);
    assert.match((await c.cmd('PWD')).text, /^257 "\/" is the current directory/);
    c.socket.destroy();
  });

  test('parameters and sequences answer 501/502/503/504/425/522 naming what was wrong', async () => {
    const c = await anonymous(port);
    assert.match((await c.cmd('TYPE X')).text, /^501 TYPE: expected I or A/);
    assert.match((await c.cmd('TYPE E')).text, /^504 /);
    assert.match((await c.cmd('TYPE I')).text, /^200 /);
    assert.match((await c.cmd('MODE B')).text, /^504 /);
    assert.match((await c.cmd('STRU F')).text, /^200 /);
    assert.match((await c.cmd('REST abc')).text, /^501 REST: expected a byte offset/);
    assert.match((await c.cmd('PORT 127,0,0,1,200,10')).text, /^502 PORT is disabled/);
    assert.match((await c.cmd('EPSV 2')).text, /^522 /);
    assert.match((await c.cmd('RETR a.txt')).text, /^425 Use PASV or EPSV first/);
    assert.match((await c.cmd('RNTO b')).text, /^550 Permission denied/);
    assert.match((await c.cmd('STOR x')).text, /^550 Permission denied: anonymous login is read-only/);
    assert.match((await c.cmd('DELE a.txt')).text, /^550 Permission denied/);
    assert.match((await c.cmd('MLSD a.txt')).text, /^425 /);
    assert.match((await c.cmd('ABOR')).text, /^225 /);
    c.socket.destroy();
  });

  test('dispatch enforces the access column of every command: 530 before login, 550 for read-only', async () => {
    const guest = await Control.open(port);
    await guest.reply();
    const anon = await anonymous(port);
    const loginRefused: string[] = [];
    const writeRefused: string[] = [];
    for (const [verb, command] of COMMANDS) {
      const access = typeof command.access === 'function' ? command.access('x') : command.access;
      if (access === 'anyone') continue;
      const before = await guest.cmd(`${verb} x`);
      if (!/^530 Please log in/.test(before.text)) loginRefused.push(`${verb} → ${before.text.trim()}`);
      if (access !== 'writer') continue;
      const readOnly = await anon.cmd(`${verb} x`);
      if (!/^550 Permission denied: anonymous login is read-only\r\n$/.test(readOnly.text))
        writeRefused.push(`${verb} → ${readOnly.text.trim()}`);
    }
    assert.deepEqual(loginRefused, []);
    assert.deepEqual(writeRefused, []);
    assert.match((await guest.cmd('STAT')).text, /^211-/, 'STAT alone is for anyone');
    guest.socket.destroy();
    anon.socket.destroy();
  });

  test('pipelined commands are answered in order', async () => {
    const c = await Control.open(port);
    await c.reply();
    c.socket.write('USER anonymous\r\nPASS x\r\nCWD sub\r\nPWD\r\nNOOP\r\n');
    assert.deepEqual(
      [await c.reply(), await c.reply(), await c.reply(), await c.reply(), await c.reply()].map(
        (r) => r.code,
      ),
      [331, 230, 250, 257, 200],
    );
    c.socket.destroy();
  });

  test('during a transfer NOOP and STAT are served at once, others wait; ABOR gives 426 then 226', async () => {
    const c = await anonymous(port);
    const pasv = await c.cmd('EPSV');
    assert.match(pasv.text, /^229 Entering Extended Passive Mode \(\|\|\|\d+\|\)/);
    const dataPort = Number(/\|\|\|(\d+)\|/.exec(pasv.text)?.[1]);
    const data = connect(dataPort, '127.0.0.1');
    data.pause(); // read nothing: the transfer stays in progress
    await once(data, 'connect');
    assert.match(
      (await c.cmd('RETR big.bin')).text,
      /^150 Opening ASCII mode data connection for \/big.bin \(16777216 bytes\)/,
    );
    c.send('PWD');
    assert.match((await c.cmd('NOOP')).text, /^200 /);
    assert.match((await c.cmd('STAT')).text, /RETR \/big.bin in progress/);
    assert.match((await c.cmd('ABOR')).text, /^426 .*ABOR/);
    assert.match((await c.reply()).text, /^226 ABOR successful/);
    assert.match((await c.reply()).text, /^257 "\/"/);
    data.destroy();
    assert.match((await c.cmd('NOOP')).text, /^200 /);
    c.socket.destroy();
  });

  test('QUIT during a transfer waits for it to finish (RFC 959)', async () => {
    const c = await anonymous(port);
    const dataPort = Number(/\|\|\|(\d+)\|/.exec((await c.cmd('EPSV')).text)?.[1]);
    const data = connect(dataPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    data.on('data', (chunk: Buffer) => chunks.push(chunk));
    const ended = once(data, 'end');
    assert.equal((await c.cmd('RETR a.txt')).code, 150);
    c.send('QUIT');
    const replies = [await c.reply(), await c.reply()];
    assert.deepEqual(
      replies.map((r) => r.code),
      [226, 221],
    );
    await ended;
    assert.equal(Buffer.concat(chunks).toString(), 'hello\n');
    await c.closedByServer();
  });
});

describe('FTP session limits', () => {
  test('idle and login timeouts close with 421', async () => {
    const port = await start({ timeouts: { idle: 300, data: 1000, login: 60_000 } });
    const c = await anonymous(port);
    const reply = await c.reply();
    assert.match(reply.text, /^421 Idle timeout/);
    await c.closedByServer();
    const loginPort = await start({ timeouts: { idle: 60_000, data: 1000, login: 300 } });
    const l = await Control.open(loginPort);
    await l.reply();
    assert.match((await l.reply()).text, /^421 Login timeout/);
  });

  test('connections over the per-address limit get 421 and are closed; freed slots are reused', async () => {
    const port = await start({ limits: { ...defaultFtpConfig.limits, perAddress: 2 } });
    const first = await Control.open(port);
    const second = await Control.open(port);
    assert.equal((await first.reply()).code, 220);
    assert.equal((await second.reply()).code, 220);
    const third = await Control.open(port);
    assert.match((await third.reply()).text, /^421 Too many connections from 127.0.0.1 \(at most 2\)/);
    await third.closedByServer();
    first.socket.destroy();
    await once(first.socket, 'close');
    // The slot is free once the server has seen the close; until then a newcomer is one too many (421).
    let fourth: Control | undefined;
    await waitFor(async () => {
      const next = await Control.open(port);
      if ((await next.reply()).code === 220) fourth = next;
      else await next.closedByServer();
      return fourth !== undefined;
    }, 'the freed slot to take a connection');
    second.socket.destroy();
    fourth?.socket.destroy();
  });
});
