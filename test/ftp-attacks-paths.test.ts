import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { attackServers, EVIL, MARKER, refused } from './support/ftp-attack-fixture.js';
import type { FtpReply } from './support/ftpd.js';

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

describe('attacks on tandem ftpd', () => {
  const servers = attackServers();
  const { assertOutsideUntouched, session } = servers;
  let dir: string;
  let root: string;
  before(() => {
    ({ dir, root } = servers);
  });

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
});
