import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ftpdFixture, py, startFtpd } from './support/ftpd-ftplib-fixture.js';
import { waitFor } from './support/wait-for.js';

const fixture = ftpdFixture();

describe('tandem ftpd (event model) with Python ftplib', () => {
  let port: number;
  before(async () => {
    port = (await startFtpd(['--config', fixture.configFile])).port;
  });

  test('a wrong password is 530 after the delay; the third failure closes with 421', async () => {
    const out = await py(
      port,
      `
f = ftplib.FTP(timeout=20)
f.connect('127.0.0.1', PORT)
r = []
for i in range(3):
    t = time.time()
    r.append([error(lambda: f.login('alice', 'wrong')), time.time() - t])
r.append(error(lambda: f.voidcmd('NOOP')))
print(json.dumps({'r': r}))
`,
    );
    const [first, second, third, after] = out.r as [
      [string, number],
      [string, number],
      [string, number],
      string,
    ];
    assert.match(first[0], /^530 Login incorrect/);
    assert.ok(first[1] >= 0.28, `answered after ${first[1]} s`);
    assert.match(second[0], /^530 /);
    assert.match(third[0], /^421 .*too many failures/);
    assert.notEqual(after, 'no error');
  });

  test('connections over the per-address limit are answered 421', async () => {
    const out = await py(
      port,
      `
held = [connect() for _ in range(4)]
r = {'fifth': error(lambda: connect())}
for f in held: f.quit()
r['later'] = connect().pwd()
print(json.dumps(r))
`,
    );
    assert.match(String(out.fifth), /^421 Too many connections from 127\.0\.0\.1 \(at most 4\)/);
    assert.equal(out.later, '/');
  });
});

describe('tandem ftpd timeouts and shutdown', () => {
  test('an idle session is closed with 421', async () => {
    const idleConfig = join(fixture.dir, 'idle.json');
    await writeFile(idleConfig, JSON.stringify({ timeouts: { idle: 400 } }));
    const { port } = await startFtpd(['--config', idleConfig]);
    const out = await py(
      port,
      `
f = connect()
t = time.time()
r = {'unasked': error(lambda: f.getresp())}
r['after'] = time.time() - t
r['noop'] = error(lambda: f.voidcmd('NOOP'))
print(json.dumps(r))
`,
    );
    // The server speaks first: its 421 comes unasked once the session has been idle for timeouts.idle.
    assert.match(String(out.unasked), /^421 Idle timeout/);
    assert.ok(Number(out.after) >= 0.38, `closed after ${out.after} s idle`);
    assert.notEqual(out.noop, 'no error', 'the session is gone');
  });

  test('SIGTERM ends open sessions with 421 and exits 0', async () => {
    const server = await startFtpd([]);
    const socket = connect(server.port, '127.0.0.1');
    socket.setEncoding('utf8');
    let received = '';
    socket.on('data', (text: string) => {
      received += text;
    });
    const closed = once(socket, 'close');
    await waitFor(() => received.includes('\r\n'), 'the 220 greeting');
    assert.equal(await server.stop(), 0);
    await closed;
    assert.match(received, /^220 .*\r\n421 Server shutting down/);
  });
});
