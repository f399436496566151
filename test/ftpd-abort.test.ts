import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ftpdFixture, py, startFtpd } from './support/ftpd-ftplib-fixture.js';

const fixture = ftpdFixture();

describe('tandem ftpd (event model) with Python ftplib', () => {
  let port: number;
  before(async () => {
    port = (await startFtpd(['--config', fixture.configFile])).port;
  });

  test('ABOR in the middle of a large RETR: 426 then 226, and the session goes on', async () => {
    const out = await py(
      port,
      `
f = connect()
f.voidcmd('TYPE I')
conn = f.transfercmd('RETR big.bin')
got = len(conn.recv(65536))
r = {'abort': f.abort()}
conn.close()
r['after'] = f.getresp()
r['noop'] = f.voidcmd('NOOP')
r['again'] = fetch(f, 'hello.txt').decode()
r['got'] = got
f.quit()
print(json.dumps(r))
`,
    );
    assert.match(String(out.abort), /^426 /);
    assert.match(String(out.after), /^226 ABOR successful/);
    assert.match(String(out.noop), /^200 /);
    assert.equal(out.again, 'hello, ftp\n');
    assert.ok(Number(out.got) > 0);
  });

  test('ABOR in the middle of a STOR: 426 then 226, the copier stops, the session goes on', async () => {
    const out = await py(
      port,
      `
f = connect('alice', 's3cret')
f.voidcmd('TYPE I')
conn = f.transfercmd('STOR aborted-upload.bin')
conn.sendall(b'x' * (4 * 1024 * 1024))
time.sleep(0.3)
r = {'abort': f.abort()}
conn.close()
r['after'] = f.getresp()
r['noop'] = f.voidcmd('NOOP')
size = f.size('aborted-upload.bin')
time.sleep(0.5)
r['grown'] = f.size('aborted-upload.bin') - size
r['stored'] = f.storbinary('STOR after-abort.txt', io.BytesIO(b'still here'))
r['again'] = fetch(f, 'after-abort.txt').decode()
f.quit()
print(json.dumps(r))
`,
    );
    assert.match(String(out.abort), /^426 /);
    assert.match(String(out.after), /^226 ABOR successful/);
    assert.match(String(out.noop), /^200 /);
    assert.equal(out.grown, 0, 'nothing is written after ABOR');
    assert.match(String(out.stored), /^226 /);
    assert.equal(out.again, 'still here');
  });
});
