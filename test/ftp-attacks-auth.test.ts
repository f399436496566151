import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { attackServers, MARKER, PASSWORD, portArg, refused, USER } from './support/ftp-attack-fixture.js';
import { FtpControl, type Ftpd, ftplib, snapshot } from './support/ftpd.js';

describe('attacks on tandem ftpd', () => {
  const servers = attackServers();
  const { assertOutsideUntouched, session } = servers;
  let ftpd: Ftpd;
  let plain: Ftpd;
  let root: string;
  before(() => {
    ({ ftpd, plain, root } = servers);
  });

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
