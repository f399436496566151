import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import {
  dataSocket,
  destroySockets,
  FtpControl,
  type Ftpd,
  type FtpReply,
  ftplib,
  readAll,
  snapshot,
  startFtpd,
} from './support/ftpd.js';

const MARKER = /MARKER-OUTSIDE|root:x?:0:|root:\*:0:/;
const USER = 'bob';
/** Where an absolute-path write would land on a server that trusts the path. */
const EVIL = '/tmp/tandem-ftp-attack-evil.txt';
const PASSWORD = 'secret';

/** Every traversal spelling we know of; none names a file inside the root (so reads must all fail). */
function traversals(dir: string): string[] {
  return [
    '..',
    '../..',
    '../secret-top.txt',
    '../../secret-top.txt',
    '../outside/secret.txt',
    '/../../etc/passwd',
    '/etc/passwd',
    '../../../../../../../../etc/passwd',
    '..\\..\\secret-top.txt',
    '..\\secret-top.txt',
    'pub\\..\\..\\secret-top.txt',
    '%2e%2e/secret-top.txt',
    '%2e%2e%2fsecret-top.txt',
    '..%2fsecret-top.txt',
    '%2e%2e%5csecret-top.txt',
    '%252e%252e%252fsecret-top.txt',
    '%c0%ae%c0%ae/secret-top.txt',
    '....//secret-top.txt',
    '....//....//etc/passwd',
    '.../secret-top.txt',
    '\uff0e\uff0e/secret-top.txt',
    '..\uff0fsecret-top.txt',
    'pub/../../secret-top.txt',
    '/./../secret-top.txt',
    '//../secret-top.txt',
    '~/../secret-top.txt',
    `${dir}/secret-top.txt`,
    `${dir}/outside/secret.txt`,
    '/escape',
    '/escape/secret.txt',
    '../escape/secret.txt',
    '/escape-file',
    '../escape-file',
    '/escape-new',
  ];
}

const traps = new Set<Server>();
const trapped = new Set<Socket>();

/** A listener that records every connection it gets (to catch a server's active data connection). */
async function trap(host: string, port = 0): Promise<{ server: Server; port: number; hits: Socket[] }> {
  const hits: Socket[] = [];
  const server = createServer((socket) => {
    hits.push(socket);
    trapped.add(socket);
  });
  traps.add(server);
  server.on('close', () => traps.delete(server));
  server.listen(port, host);
  await once(server, 'listening');
  return { server, port: (server.address() as { port: number }).port, hits };
}

function portArg(host: string, port: number): string {
  return `${host.replaceAll('.', ',')},${port >> 8},${port & 255}`;
}

function refused(reply: FtpReply | undefined): boolean {
  return reply !== undefined && reply.code >= 500 && reply.code < 600;
}

describe('attacks on tandem ftpd', () => {
  let ftpd: Ftpd;
  let plain: Ftpd;
  let dir: string;
  let root: string;
  let outsideBefore: Map<string, string>;

  /** The served tree, rebuilt before each test: files, an inside symlink and three escaping ones. */
  async function prepareTree(): Promise<void> {
    for (const name of await readdir(root)) await rm(join(root, name), { recursive: true, force: true });
    await mkdir(join(root, 'pub'));
    await writeFile(join(root, 'pub', 'readme.txt'), 'public\n');
    await writeFile(join(root, 'victim.txt'), 'victim\n');
    await symlink('pub', join(root, 'inside-link'));
    await symlink(join(dir, 'outside'), join(root, 'escape'));
    await symlink(join(dir, 'outside', 'secret.txt'), join(root, 'escape-file'));
    await symlink(join(dir, 'outside', 'new.txt'), join(root, 'escape-new'));
  }

  before(async () => {
    await rm(EVIL, { force: true });
    ftpd = await startFtpd({
      users: [
        { name: USER, password: PASSWORD, write: true },
        { name: 'reader', password: PASSWORD, write: false },
      ],
      config: { active: true },
    });
    plain = await startFtpd({ users: [{ name: USER, password: PASSWORD, write: true }] });
    dir = ftpd.dir;
    root = ftpd.root;
    await mkdir(join(dir, 'outside'));
    await writeFile(join(dir, 'outside', 'secret.txt'), 'MARKER-OUTSIDE-secret\n');
    await writeFile(join(dir, 'secret-top.txt'), 'MARKER-OUTSIDE-top\n');
    outsideBefore = await snapshot(dir, ['root']);
  });
  beforeEach(prepareTree);
  afterEach(() => {
    destroySockets();
    for (const server of traps) server.close();
    for (const socket of trapped) socket.destroy();
    trapped.clear();
  });
  after(async () => {
    await ftpd?.stop();
    await plain?.stop();
  });

  /** Nothing outside the root changed (the config file aside, nothing there is the server's to write). */
  async function assertOutsideUntouched(): Promise<void> {
    assert.deepEqual(await snapshot(dir, ['root']), outsideBefore);
    assert.equal(existsSync(EVIL), false);
  }

  async function session(user = USER, password = PASSWORD, server = ftpd): Promise<FtpControl> {
    const control = await FtpControl.connect(server.port);
    await control.login(user, password);
    return control;
  }

  for (const verb of ['RETR', 'SIZE', 'MDTM', 'MLST', 'CWD', 'LIST', 'NLST', 'MLSD']) {
    test(`traversal in every encoding: ${verb} never reaches outside`, async () => {
      const control = await session();
      const bad: string[] = [];
      for (const path of traversals(dir)) {
        assert.equal((await control.cmd('CWD /pub')).code, 250);
        let seen: string;
        let ok: boolean;
        if (verb === 'RETR' || verb === 'LIST' || verb === 'NLST' || verb === 'MLSD') {
          const { first, data, last } = await control.download(`${verb} ${path}`);
          seen = `${first.code} ${first.text} | ${data.toString()} | ${last?.code} ${last?.text}`;
          // '..' and '../..' stay at '/': listing the root is fine, its escaping links are not shown.
          ok =
            verb === 'RETR' || !['..', '../..'].includes(path)
              ? refused(first)
              : last?.code === 226 && /victim\.txt/.test(data.toString()) && !/escape/.test(data.toString());
          ok &&= !MARKER.test(seen) && !/secret/.test(data.toString());
        } else if (verb === 'CWD') {
          const reply = await control.cmd(`CWD ${path}`);
          const pwd = await control.cmd('PWD');
          seen = `${reply.code} ${reply.text} | PWD ${pwd.text}`;
          ok = ['..', '../..'].includes(path)
            ? reply.code === 250 && pwd.text.startsWith('"/" ')
            : refused(reply);
        } else {
          const reply = await control.cmd(`${verb} ${path}`);
          seen = `${reply.code} ${reply.text}`;
          // MLST '..' from /pub describes '/', which is fine.
          const root = verb === 'MLST' && ['..', '../..'].includes(path);
          ok = (root ? reply.code === 250 && / \/$/m.test(reply.text) : refused(reply)) && !MARKER.test(seen);
        }
        if (!ok) bad.push(`${verb} ${JSON.stringify(path)} → ${seen}`);
      }
      await control.close();
      assert.deepEqual(bad, []);
    });
  }

  test('%2e%2e is a literal name, never decoded', async () => {
    const control = await session();
    assert.equal((await control.cmd('MKD %2e%2e')).code, 257);
    const up = await control.upload('STOR %2e%2e/x.txt', 'literal\n');
    assert.equal(up.last?.code, 226);
    assert.equal(await readFile(join(root, '%2e%2e', 'x.txt'), 'utf8'), 'literal\n');
    const size = await control.cmd('SIZE %2e%2e%2fx.txt');
    assert.equal(size.code, 550, size.text);
    await control.close();
    await assertOutsideUntouched();
  });

  for (const verb of ['STOR', 'APPE', 'DELE', 'RNFR', 'RNTO', 'MKD', 'RMD']) {
    test(`traversal in every encoding: ${verb} never writes outside`, async () => {
      const control = await session();
      const bad: string[] = [];
      // Never aim a write at a real system file: a broken server run as root would damage the machine.
      const paths = [
        ...traversals(dir).map((path) => path.replace('etc/passwd', EVIL.slice(1))),
        EVIL,
        '/escape/new.txt',
        '../escape/sub',
      ];
      for (const path of paths) {
        await control.cmd('CWD /pub');
        if (!existsSync(join(root, 'victim.txt'))) await writeFile(join(root, 'victim.txt'), 'victim\n');
        let reply: FtpReply | undefined;
        if (verb === 'STOR' || verb === 'APPE') {
          const { first, last } = await control.upload(`${verb} ${path}`, 'EVIL-WRITE\n');
          reply = last ?? first;
        } else if (verb === 'RNTO') {
          assert.equal((await control.cmd('RNFR /victim.txt')).code, 350);
          reply = await control.cmd(`RNTO ${path}`);
        } else {
          reply = await control.cmd(`${verb} ${path}`);
          // Finish the attack if the server fell for it.
          if (verb === 'RNFR' && reply.code === 350) await control.cmd('RNTO /pub/stolen');
        }
        // Writes through a symlink that leads outside must be refused outright.
        const viaLink = path.includes('escape');
        if (viaLink && !refused(reply) && verb !== 'DELE' && verb !== 'RMD')
          bad.push(`${verb} ${JSON.stringify(path)} → ${reply?.code} ${reply?.text}`);
      }
      await control.close();
      assert.deepEqual(bad, []);
      await assertOutsideUntouched();
      assert.equal(await readFile(join(dir, 'outside', 'secret.txt'), 'utf8'), 'MARKER-OUTSIDE-secret\n');
    });
  }

  test('symlinks out of the root: not listed, not read, not entered, not written through', async () => {
    const control = await session();
    const names = (await control.download('NLST')).data.toString().split('\r\n');
    assert.ok(names.includes('inside-link'), 'a symlink inside the root is listed');
    for (const name of ['escape', 'escape-file', 'escape-new'])
      assert.ok(!names.includes(name), names.join());
    const inside = await control.download('RETR inside-link/readme.txt');
    assert.equal(inside.data.toString(), 'public\n', 'a symlink inside the root works');
    assert.ok(refused((await control.download('RETR escape-file')).first));
    assert.ok(refused((await control.download('RETR escape/secret.txt')).first));
    assert.ok(refused((await control.download('LIST escape')).first));
    assert.ok(refused(await control.cmd('CWD escape')));
    assert.ok(refused((await control.upload('STOR escape-file', 'EVIL')).first));
    assert.ok(refused((await control.upload('STOR escape-new', 'EVIL')).first));
    assert.ok(refused((await control.upload('STOR escape/secret.txt', 'EVIL')).first));
    await control.close();
    await assertOutsideUntouched();
  });

  test('NUL in a path is refused, never cut short', async () => {
    const control = await session();
    const retr = await control.download('RETR pub/readme.txt\0../../secret-top.txt');
    assert.ok(refused(retr.first), `RETR → ${retr.first.code} ${retr.first.text}`);
    const lines = [
      'SIZE victim.txt\0',
      'CWD ..\0/..',
      'DELE victim.txt\0.bak',
      'MKD newdir\0x',
      'RNFR victim.txt\0x',
    ];
    for (const line of lines) {
      const reply = await control.cmd(line);
      assert.ok(refused(reply), `${JSON.stringify(line)} → ${reply.code} ${reply.text}`);
    }
    const stor = await control.upload('STOR x\0.txt', 'EVIL');
    assert.ok(refused(stor.first), `STOR → ${stor.first.code} ${stor.first.text}`);
    assert.equal(existsSync(join(root, 'victim.txt')), true);
    assert.deepEqual((await readdir(root)).sort(), [
      'escape',
      'escape-file',
      'escape-new',
      'inside-link',
      'pub',
      'victim.txt',
    ]);
    await control.close();
  });

  test('CR/LF in a path: ends the line, the rest is its own command and gets no privilege', async () => {
    const anonymous = await session('anonymous', 'x@');
    anonymous.write('SIZE victim.txt\r\nDELE victim.txt\r\n');
    assert.equal((await anonymous.read()).code, 213);
    assert.equal((await anonymous.read()).code, 550);
    await anonymous.close();
    // RFC 2640 §3.1 sends a CR inside a name as CR NUL: the NUL must not vanish to reveal a command.
    const bob = await session();
    bob.write('SIZE a\r\0DELE victim.txt\r\n');
    assert.equal((await bob.read()).code, 550);
    const second = await bob.read();
    assert.ok(second.code >= 500, `${second.code} ${second.text}`);
    assert.equal((await bob.cmd('NOOP')).code, 200);
    await bob.close();
    assert.equal(await readFile(join(root, 'victim.txt'), 'utf8'), 'victim\n');
  });

  test('PORT/EPRT to a foreign address or a low port is refused even with active mode on', async () => {
    const foreign = await trap('127.0.0.2');
    const control = await session();
    const attempts = [
      `PORT ${portArg('127.0.0.2', foreign.port)}`,
      `EPRT |1|127.0.0.2|${foreign.port}|`,
      `PORT ${portArg('192.0.2.1', 4000)}`,
      'EPRT |1|192.0.2.1|4000|',
      'EPRT |2|::1|4000|',
      `PORT ${portArg('127.0.0.1', 21)}`,
      `PORT ${portArg('127.0.0.1', 1023)}`,
      `PORT ${portArg('127.0.0.1', 0)}`,
      'EPRT |1|127.0.0.1|1023|',
      'EPRT |1|127.0.0.1|22|',
    ];
    for (const line of attempts) {
      const reply = await control.cmd(line);
      assert.ok(refused(reply), `${line} → ${reply.code} ${reply.text}`);
      const list = await control.cmd('NLST');
      assert.equal(list.code, 425, `no data connection prepared after a refused ${line}: ${list.text}`);
    }
    assert.equal(foreign.hits.length, 0, 'the server never connected to the foreign address');
    // Control: PORT to the client's own address and a high port works.
    const own = await trap('127.0.0.1');
    assert.equal((await control.cmd(`PORT ${portArg('127.0.0.1', own.port)}`)).code, 200);
    assert.equal((await control.cmd('NLST')).code, 150);
    for (let i = 0; i < 300 && own.hits.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match((await readAll(own.hits[0] as Socket)).toString(), /victim\.txt/);
    assert.equal((await control.read()).code, 226);
    await control.close();
    foreign.server.close();
    own.server.close();
  });

  test('PORT/EPRT are refused when active mode is disabled', async () => {
    const own = await trap('127.0.0.1');
    const control = await session(USER, PASSWORD, plain);
    for (const line of [`PORT ${portArg('127.0.0.1', own.port)}`, `EPRT |1|127.0.0.1|${own.port}|`]) {
      const reply = await control.cmd(line);
      assert.ok(refused(reply), `${line} → ${reply.code} ${reply.text}`);
      assert.equal((await control.cmd('NLST')).code, 425);
    }
    assert.equal(own.hits.length, 0);
    await control.close();
    own.server.close();
  });

  for (const order of ['before', 'after'] as const) {
    test(`a PASV data connection from another address (${order} RETR) is refused, the client still gets its data`, async () => {
      const control = await session();
      const port = await control.pasv();
      const connectForeign = async () => {
        const socket = await dataSocket(port, '127.0.0.2');
        let closed = false;
        socket.once('close', () => {
          closed = true;
        });
        const data = await readAll(socket, 3000);
        return { data, closed };
      };
      let intruder: Promise<{ data: Buffer; closed: boolean }>;
      let first: FtpReply;
      if (order === 'before') {
        intruder = connectForeign();
        await new Promise((r) => setTimeout(r, 100));
        first = await control.cmd('RETR pub/readme.txt');
      } else {
        first = await control.cmd('RETR pub/readme.txt');
        intruder = connectForeign();
      }
      assert.equal(first.code, 150, first.text);
      const stolen = await intruder;
      assert.equal(stolen.data.length, 0, `leaked: ${stolen.data.toString()}`);
      assert.ok(stolen.closed, 'the foreign connection was closed by the server');
      const mine = await dataSocket(port);
      assert.equal((await readAll(mine)).toString(), 'public\n');
      assert.equal((await control.read()).code, 226);
      await control.close();
    });
  }

  for (const user of ['anonymous', 'reader']) {
    test(`writes as ${user} (read-only) are refused with 550 and the disk is unchanged`, async () => {
      const before = await snapshot(root);
      const control = await session(user, user === 'reader' ? PASSWORD : 'guest@');
      const bad: string[] = [];
      for (const line of ['STOR new.txt', 'APPE victim.txt', 'STOR victim.txt']) {
        const { first, last } = await control.upload(line, 'EVIL');
        if (first.code !== 550) bad.push(`${line} → ${first.code} ${first.text} ${last?.code ?? ''}`);
      }
      for (const line of [
        'DELE victim.txt',
        'MKD newdir',
        'RMD pub',
        'RNFR victim.txt',
        'XMKD newdir',
        'XRMD pub',
      ]) {
        const reply = await control.cmd(line);
        if (reply.code !== 550) bad.push(`${line} → ${reply.code} ${reply.text}`);
      }
      assert.ok(refused(await control.cmd('RNTO stolen.txt')));
      await control.close();
      assert.deepEqual(bad, []);
      assert.deepEqual(await snapshot(root), before);
    });
  }

  test('commands before login → 530; PASS without USER → 503; login still works after', async () => {
    const control = await FtpControl.connect(ftpd.port);
    const bad: string[] = [];
    const lines = [
      'PWD',
      'CWD /',
      'CDUP',
      'LIST',
      'NLST',
      'MLSD',
      'MLST victim.txt',
      'RETR victim.txt',
      'STOR x',
      'APPE x',
      'DELE victim.txt',
      'MKD x',
      'RMD pub',
      'RNFR victim.txt',
      'RNTO x',
      'SIZE victim.txt',
      'MDTM victim.txt',
      'PASV',
      'EPSV',
      `PORT ${portArg('127.0.0.1', 4000)}`,
      'EPRT |1|127.0.0.1|4000|',
      'REST 0',
      'TYPE I',
      'MODE S',
      'STRU F',
      'ABOR',
      'STAT /',
    ];
    for (const line of lines) {
      const reply = await control.cmd(line);
      if (reply.code !== 530) bad.push(`${line} → ${reply.code} ${reply.text}`);
    }
    assert.deepEqual(bad, []);
    assert.equal((await control.cmd('PASS x')).code, 503);
    await control.login(USER, PASSWORD);
    assert.equal((await control.cmd('PWD')).code, 257);
    await control.close();
    assert.equal(existsSync(join(root, 'victim.txt')), true);
  });

  test('an over-long command line → one 500, and the session goes on', async () => {
    const control = await FtpControl.connect(ftpd.port);
    const long = await control.cmd(`USER ${'A'.repeat(5000)}`);
    assert.equal(long.code, 500, long.text);
    assert.equal((await control.cmd('NOOP')).code, 200);
    control.write(`NOOP ${'B'.repeat(200_000)}\r\n`);
    assert.equal((await control.read()).code, 500);
    await control.login(USER, PASSWORD);
    assert.equal((await control.cmd(`SIZE ${'C'.repeat(4200)}`)).code, 500);
    assert.equal((await control.cmd('PWD')).code, 257);
    await control.close();
  });

  test('USER answers 331 for an unknown user too; its PASS fails with 530', async () => {
    const control = await FtpControl.connect(ftpd.port);
    const known = await control.cmd(`USER ${USER}`);
    const unknownControl = await FtpControl.connect(ftpd.port);
    const unknown = await unknownControl.cmd('USER mallory');
    assert.equal(known.code, 331);
    assert.equal(unknown.code, 331);
    assert.equal(unknown.text.replace('mallory', USER), known.text);
    assert.equal((await unknownControl.cmd('PASS guess')).code, 530);
    assert.equal((await unknownControl.cmd('PWD')).code, 530);
    await unknownControl.close();
    await control.close();
  });

  test('ftplib: the same attacks fail through a real client library', async () => {
    const out = await ftplib(
      ftpd.port,
      'anonymous',
      'guest@',
      `
import io
def attempt(name, fn):
    try:
        out[name] = fn()
    except ftplib.all_errors as e:
        out[name] = 'ERR ' + str(e)
for _ in range(4):
    attempt('cdup', lambda: ftp.cwd('..'))
out['pwd'] = ftp.pwd()
out['nlst'] = ftp.nlst()
attempt('retr', lambda: ftp.retrbinary('RETR ../secret-top.txt', lambda b: None))
attempt('retr_link', lambda: ftp.retrbinary('RETR escape-file', lambda b: None))
attempt('retr_passwd', lambda: ftp.retrbinary('RETR /etc/passwd', lambda b: None))
attempt('cwd_link', lambda: ftp.cwd('escape'))
attempt('size', lambda: ftp.size('../../etc/passwd'))
attempt('stor', lambda: ftp.storbinary('STOR evil.txt', io.BytesIO(b'EVIL')))
attempt('delete', lambda: ftp.delete('victim.txt'))
attempt('mkd', lambda: ftp.mkd('evil'))
attempt('rename', lambda: ftp.rename('victim.txt', 'moved.txt'))
`,
      root,
    );
    assert.equal(out.pwd, '/');
    assert.deepEqual(out.nlst, ['inside-link', 'pub', 'victim.txt']);
    for (const key of [
      'retr',
      'retr_link',
      'retr_passwd',
      'cwd_link',
      'size',
      'stor',
      'delete',
      'mkd',
      'rename',
    ]) {
      assert.match(String(out[key]), /^ERR 55\d /, `${key}: ${out[key]}`);
    }
    assert.doesNotMatch(JSON.stringify(out), MARKER);
    await assertOutsideUntouched();
  });

  test('after all that, the server still serves a normal LIST', async () => {
    for (const server of [ftpd, plain]) {
      const control = await session(USER, PASSWORD, server);
      const list = await control.download('LIST');
      assert.equal(list.first.code, 150);
      assert.equal(list.last?.code, 226);
      if (server === ftpd) assert.match(list.data.toString(), /^-rw-r--r-- .* victim\.txt\r$/m);
      await control.close();
    }
    await assertOutsideUntouched();
  });
});
