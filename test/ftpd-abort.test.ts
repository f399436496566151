import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ftpdFixture, py, startFtpd } from './support/ftpd-ftplib-fixture.js';

const fixture = ftpdFixture();

describe('tandem ftpd (event model) with Python ftplib', () => {
  let port: number;
  let pid: number;
  before(async () => {
    const server = await startFtpd(['--config', fixture.configFile]);
    port = server.port;
    pid = server.proc.pid as number;
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
path = os.path.join(${JSON.stringify(fixture.root)}, 'aborted-upload.bin')
def written():
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
def copiers():
    with open('/proc/${pid}/task/${pid}/children') as children:
        pids = children.read().split()
    names = []
    for child in pids:
        try:
            with open('/proc/%s/comm' % child) as comm:
                names.append(comm.read().strip())
        except OSError:
            pass
    return names.count('dd')
deadline = time.time() + 10
while written() == 0 and time.time() < deadline:
    time.sleep(0.02)
r = {'writing': written() > 0}
r['abort'] = f.abort()
conn.close()
r['after'] = f.getresp()
r['copiers'] = copiers()
size = f.size('aborted-upload.bin')
r['noop'] = f.voidcmd('NOOP')
r['stored'] = f.storbinary('STOR after-abort.txt', io.BytesIO(b'still here'))
r['again'] = fetch(f, 'after-abort.txt').decode()
r['grown'] = f.size('aborted-upload.bin') - size
f.quit()
print(json.dumps(r))
`,
    );
    assert.equal(out.writing, true, 'the copier was writing the upload');
    assert.match(String(out.abort), /^426 /);
    assert.match(String(out.after), /^226 ABOR successful/);
    assert.equal(out.copiers, 0, 'no copier runs once ABOR is answered');
    assert.match(String(out.noop), /^200 /);
    assert.equal(out.grown, 0, 'nothing is written after ABOR');
    assert.match(String(out.stored), /^226 /);
    assert.equal(out.again, 'still here');
  });
});
