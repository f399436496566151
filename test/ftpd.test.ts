import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { hashPassword } from '../src/ftp/password-hash.js';
import { CLI, type Running, startProcess } from './support/processes.js';

const run = promisify(execFile);

/** Lines every Python script starts with: ftplib against the server's port (argv[1]). */
const PRELUDE = `
import ftplib, io, json, os, socket, sys, time
PORT = int(sys.argv[1])
def connect(user='anonymous', password='guest@'):
    f = ftplib.FTP(timeout=20)
    f.connect('127.0.0.1', PORT)
    f.login(user, password)
    return f
def fetch(f, name, rest=None):
    out = io.BytesIO()
    f.retrbinary('RETR ' + name, out.write, rest=rest)
    return out.getvalue()
def error(call):
    try:
        call()
    except ftplib.all_errors as e:
        return str(e)
    return 'no error'
`;

/** Runs a Python 3 ftplib script against `port`; resolves with what it printed as JSON. */
async function py(port: number, script: string): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run('python3', ['-c', `${PRELUDE}\n${script}`, String(port)], {
      timeout: 60_000,
    });
    return JSON.parse(stdout) as Record<string, unknown>;
  } catch (err) {
    const failure = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`python failed: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
}

/** `curl` with arguments; resolves with its stdout, or the exit code when it failed. */
async function curl(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run('curl', ['-sS', '--max-time', '20', ...args], { encoding: 'utf8' });
    return { code: 0, stdout };
  } catch (err) {
    return { code: (err as { code: number }).code, stdout: (err as { stdout: string }).stdout };
  }
}

let dir: string;
let root: string;
let configFile: string;
const BIG = 48 << 20;
const started: Running[] = [];

function startFtpd(extra: string[]): Promise<Running> {
  return startProcess(
    process.execPath,
    [CLI, 'ftpd', root, '--port', '0', ...extra],
    /ftpd listening on ftp:\/\/[^:]+:(\d+)/,
  ).then((running) => {
    started.push(running);
    return running;
  });
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-ftpd-'));
  root = join(dir, 'root');
  await mkdir(join(root, 'pub'), { recursive: true });
  await writeFile(join(root, 'hello.txt'), 'hello, ftp\n');
  await writeFile(join(root, 'pub', 'readme.txt'), 'read me\n');
  await writeFile(join(root, 'données-日本.txt'), 'utf-8 name\n');
  const big = Buffer.alloc(BIG);
  for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
  await writeFile(join(root, 'big.bin'), big);
  await writeFile(join(dir, 'secret.txt'), 'SECRET\n');
  configFile = join(dir, 'ftpd.json');
  const users = [
    { name: 'alice', password: await hashPassword('s3cret'), write: true },
    { name: 'reader', password: await hashPassword('r3ad'), write: false },
  ];
  await writeFile(
    configFile,
    JSON.stringify({ users, limits: { perAddress: 4, failedLoginDelay: 300 }, timeouts: { data: 10_000 } }),
  );
});

after(async () => {
  await Promise.all(started.map((running) => running.stop()));
  await rm(dir, { recursive: true, force: true });
});

describe('tandem ftpd (event model) with Python ftplib', () => {
  let port: number;
  before(async () => {
    port = (await startFtpd(['--config', configFile])).port;
  });

  test('anonymous logs in, lists and downloads, and may not write', async () => {
    const out = await py(
      port,
      `
f = connect()
r = {'welcome': f.getwelcome(), 'pwd': f.pwd(), 'nlst': sorted(f.nlst()), 'hello': fetch(f, 'hello.txt').decode()}
lines = []
f.retrlines('LIST', lines.append)
r['list'] = lines
for name, call in [('stor', lambda: f.storbinary('STOR new.txt', io.BytesIO(b'x'))),
                   ('appe', lambda: f.storbinary('APPE hello.txt', io.BytesIO(b'x'))),
                   ('mkd', lambda: f.mkd('d')), ('dele', lambda: f.delete('hello.txt')),
                   ('rnfr', lambda: f.rename('hello.txt', 'h.txt')), ('rmd', lambda: f.rmd('pub'))]:
    r[name] = error(call)
r['quit'] = f.quit()
print(json.dumps(r))
`,
    );
    assert.match(String(out.welcome), /^220 /);
    assert.equal(out.pwd, '/');
    assert.deepEqual(out.nlst, ['big.bin', 'données-日本.txt', 'hello.txt', 'pub']);
    assert.equal(out.hello, 'hello, ftp\n');
    assert.ok((out.list as string[]).some((line) => /^-rw.* 11 .* hello\.txt$/.test(line)));
    assert.ok((out.list as string[]).some((line) => /^d.* pub$/.test(line)));
    for (const key of ['stor', 'appe', 'mkd', 'dele', 'rnfr', 'rmd']) {
      assert.match(String(out[key]), /^550 Permission denied/, key);
    }
    assert.equal(await stat(join(root, 'new.txt')).catch(() => 'absent'), 'absent');
    assert.match(String(out.quit), /^221 /);
  });

  test('a user from the config file stores, appends, resumes, lists, renames and deletes', async () => {
    const out = await py(
      port,
      `
f = connect('alice', 's3cret')
r = {}
data = bytes(range(256)) * 1000
f.storbinary('STOR up.bin', io.BytesIO(data))
r['stored'] = fetch(f, 'up.bin') == data
f.storbinary('APPE up.bin', io.BytesIO(b'tail'))
r['size'] = f.size('up.bin')
r['resumed'] = fetch(f, 'up.bin', rest=len(data)).decode()
f.storbinary('STOR part.txt', io.BytesIO(b'0123456789'))
conn = f.transfercmd('STOR part.txt', rest=4)
conn.sendall(b'abc')
conn.close()
r['rest_stor_reply'] = f.voidresp()
r['rest_stor'] = fetch(f, 'part.txt').decode()
r['mdtm'] = f.sendcmd('MDTM part.txt')
r['mkd'] = f.mkd('docs')
r['cwd'] = f.cwd('docs')
r['pwd'] = f.pwd()
name = 'données-日本 2.txt'
f.storbinary('STOR ' + name, io.BytesIO('unicode ✓'.encode()))
r['nlst'] = f.nlst()
r['mlsd'] = [(n, facts['type'], facts.get('size')) for n, facts in f.mlsd()]
r['mlst'] = f.sendcmd('MLST ' + name)
r['rename'] = f.rename(name, 'renamed.txt')
r['renamed'] = fetch(f, '/docs/renamed.txt').decode()
r['cdup'] = f.sendcmd('CDUP')
r['pwd2'] = f.pwd()
r['rmd_full'] = error(lambda: f.rmd('docs'))
r['dele'] = f.delete('docs/renamed.txt')
r['rmd'] = f.rmd('docs')
r['gone'] = error(lambda: f.size('docs'))
r['utf8'] = fetch(f, 'données-日本.txt').decode()
lines = []
f.retrlines('LIST pub', lines.append)
r['list_pub'] = lines
f.quit()
print(json.dumps(r))
`,
    );
    assert.equal(out.stored, true);
    assert.equal(out.size, 256_004);
    assert.equal(out.resumed, 'tail');
    assert.match(String(out.rest_stor_reply), /^226 /);
    assert.equal(out.rest_stor, '0123abc');
    assert.equal(await readFile(join(root, 'part.txt'), 'utf8'), '0123abc');
    assert.match(String(out.mdtm), /^213 \d{14}$/);
    assert.equal(out.mkd, '/docs');
    assert.equal(out.pwd, '/docs');
    assert.deepEqual(out.nlst, ['données-日本 2.txt']);
    assert.deepEqual(out.mlsd, [
      ['.', 'cdir', null],
      ['données-日本 2.txt', 'file', '11'],
    ]);
    assert.match(
      String(out.mlst),
      /^250-.*\n type=file;size=11;modify=\d{14};perm=adfrw; \/docs\/données-日本 2\.txt\n250 End$/,
    );
    assert.match(String(out.rename), /^250 /);
    assert.equal(out.renamed, 'unicode ✓');
    assert.match(String(out.cdup), /^250 /);
    assert.equal(out.pwd2, '/');
    assert.match(String(out.rmd_full), /^550 Directory not empty: \/docs/);
    assert.match(String(out.rmd), /^250 /);
    assert.match(String(out.gone), /^550 No such file or directory: \/docs/);
    assert.equal(out.utf8, 'utf-8 name\n');
    assert.equal((out.list_pub as string[]).length, 1);
    assert.match((out.list_pub as string[])[0] ?? '', / readme\.txt$/);
  });

  test('a user without write permission is read-only', async () => {
    const out = await py(
      port,
      `
f = connect('reader', 'r3ad')
print(json.dumps({'stor': error(lambda: f.storbinary('STOR x.txt', io.BytesIO(b'x'))), 'get': fetch(f, 'hello.txt').decode()}))
`,
    );
    assert.match(String(out.stor), /^550 Permission denied: this account is read-only/);
    assert.equal(out.get, 'hello, ftp\n');
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

  test('the jail holds: no way out by "..", absolute paths or backslash', async () => {
    const out = await py(
      port,
      `
f = connect()
r = {'up': error(lambda: fetch(f, '../secret.txt')), 'abs': error(lambda: fetch(f, '/../../secret.txt')),
     'bs': error(lambda: fetch(f, '..\\\\secret.txt')), 'cwd': f.cwd('../../..'), 'pwd': f.pwd()}
print(json.dumps(r))
`,
    );
    assert.match(String(out.up), /^550 No such file/);
    assert.match(String(out.abs), /^550 No such file/);
    assert.match(String(out.bs), /^553 File name not allowed/);
    assert.equal(out.pwd, '/');
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

  test('curl lists, downloads and uploads; anonymous uploads fail', async () => {
    const url = `ftp://127.0.0.1:${port}`;
    const list = await curl(`${url}/`);
    assert.equal(list.code, 0);
    assert.match(list.stdout, / hello\.txt\r?\n/);
    assert.match(list.stdout, / données-日本\.txt\r?\n/);
    assert.match((await curl('--list-only', `${url}/pub/`)).stdout, /^readme\.txt\r?\n$/);
    assert.equal((await curl(`${url}/hello.txt`)).stdout, 'hello, ftp\n');
    assert.equal((await curl(`${url}/${encodeURIComponent('données-日本.txt')}`)).stdout, 'utf-8 name\n');
    const local = join(dir, 'curl-up.txt');
    await writeFile(local, 'uploaded by curl\n');
    assert.equal((await curl('-T', local, `ftp://alice:s3cret@127.0.0.1:${port}/pub/`)).code, 0);
    assert.equal(await readFile(join(root, 'pub', 'curl-up.txt'), 'utf8'), 'uploaded by curl\n');
    assert.equal((await curl('-T', local, `${url}/anon.txt`)).code, 25);
    assert.equal((await curl(`${url}/missing.txt`)).code, 78);
  });
});

describe('tandem ftpd timeouts and shutdown', () => {
  test('an idle session is closed with 421', async () => {
    const idleConfig = join(dir, 'idle.json');
    await writeFile(idleConfig, JSON.stringify({ timeouts: { idle: 400 } }));
    const { port } = await startFtpd(['--config', idleConfig]);
    const out = await py(
      port,
      `
f = connect()
time.sleep(1.0)
print(json.dumps({'noop': error(lambda: f.voidcmd('NOOP'))}))
`,
    );
    assert.match(String(out.noop), /^421 Idle timeout/);
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
    while (!received.includes('\r\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await server.stop(), 0);
    await closed;
    assert.match(received, /^220 .*\r\n421 Server shutting down/);
  });
});

for (const model of ['prefork', 'fork']) {
  describe(`tandem ftpd --model ${model}`, () => {
    test('logs in, lists and downloads', async () => {
      const { port } = await startFtpd(['--model', model]);
      const out = await py(
        port,
        `
fs = [connect() for _ in range(3)]
r = {'nlst': [sorted(f.nlst()) for f in fs], 'get': [fetch(f, 'pub/readme.txt').decode() for f in fs]}
lines = []
fs[0].retrlines('LIST', lines.append)
r['list'] = len(lines)
r['big'] = len(fetch(fs[1], 'big.bin'))
for f in fs: f.quit()
print(json.dumps(r))
`,
      );
      assert.equal((out.nlst as string[][]).length, 3);
      assert.ok((out.nlst as string[][]).every((names) => names.includes('hello.txt')));
      assert.deepEqual(out.get, ['read me\n', 'read me\n', 'read me\n']);
      assert.ok(Number(out.list) >= 4);
      assert.equal(out.big, BIG);
    });
  });
}
