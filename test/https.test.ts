// End-to-end: httpserver over TLS (a CA made here), in front of a real webframe: curl and Node's https client,
// SNI, HSTS, the plain listener's redirect, TLS < 1.2 refused, bad certificate files named at start, and SIGHUP
// reading the certificates again while open connections go on.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, writeFileSync } from 'node:fs';
import { connect as connectHttp2 } from 'node:http2';
import { Agent, get } from 'node:https';
import { connect as connectTcp } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import { createTestCa, type TestCa, writeTempFiles } from '../src/tls/test-ca.test-helper.js';
import { curl } from './support/http-client.js';
import { CLI, ROOT, type Running, startHttpServer, startWebframe } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';

/** One GET over https; resolves with the status, headers, body and the certificate the server sent. */
function httpsGet(
  url: string,
  options: { ca: string; servername?: string; agent?: Agent },
): Promise<{ status: number; headers: Record<string, unknown>; body: string; cert: PeerCertificate }> {
  return new Promise((resolve, reject) => {
    get(url, { ca: options.ca, servername: options.servername, agent: options.agent ?? false }, (res) => {
      const cert = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, cert }));
    }).on('error', reject);
  });
}

/** Runs `tandem ARGS` until it exits; resolves with its status and stderr. */
function tandem(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: ROOT, timeout: 30_000 }, (err, _stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stderr });
    });
  });
}

describe('httpserver over TLS', { timeout: 120_000 }, () => {
  let ca: TestCa;
  let files: Record<string, string>;
  let webframe: Running;
  let httpserver: Running;
  let redirectPort: number;
  let base: string;

  before(async () => {
    ca = await createTestCa();
    const site = await ca.issue({ names: ['localhost', '127.0.0.1'] });
    const other = await ca.issue({ names: ['other.test', '*.wild.test'] });
    const renewed = await ca.issue({ names: ['localhost', '127.0.0.1'] });
    files = writeTempFiles({
      'ca.pem': ca.cert,
      'site.pem': site.chain,
      'site.key': site.key,
      'other.pem': other.chain,
      'other.key': other.key,
      'renewed.pem': renewed.chain,
      'renewed.key': renewed.key,
    });
    const config = join(files['ca.pem']!, '..', 'httpserver.json');
    writeFileSync(
      config,
      JSON.stringify({
        tls: {
          certificates: [
            { cert: 'site.pem', key: 'site.key' },
            { cert: 'other.pem', key: 'other.key' },
          ],
          hsts: true,
          redirectPort: 0,
          handshakeTimeout: 500,
        },
      }),
    );
    webframe = await startWebframe(APP);
    httpserver = await startHttpServer(webframe.port, ['--config', config]);
    base = `https://localhost:${httpserver.port}`;
    await waitFor(
      () => /redirecting http:\/\/[^:]+:(\d+) to https/.test(httpserver.stdout() + httpserver.stderr()),
      'the redirect listener',
    );
    redirectPort = Number(
      /redirecting http:\/\/[^:]+:(\d+) to https/.exec(httpserver.stdout() + httpserver.stderr())?.[1],
    );
  });

  after(async () => {
    await Promise.all([httpserver?.stop(), webframe?.stop()]);
  });

  test('curl over HTTP/1.1: the page, HSTS, and the webframe told the scheme was https', async () => {
    const res = await curl(['--http1.1', '--cacert', files['ca.pem']!, `${base}/echo-head`]);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    const head = JSON.parse(res.body) as { headers: Record<string, string> };
    assert.equal(head.headers['x-forwarded-proto'], 'https');
    await waitFor(() => /"GET \/echo-head HTTP\/1\.1" 200/.test(httpserver.stdout()), 'the access-log line');
  });

  test('HTTP/2 by ALPN: curl --http2 and the node:http2 client, the same webframe answer', async () => {
    const res = await curl(['--http2', '--cacert', files['ca.pem']!, `${base}/echo-head`]);
    assert.equal(res.status, 200, res.body);
    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000');
    const head = JSON.parse(res.body) as { headers: Record<string, string> };
    assert.equal(head.headers['x-forwarded-proto'], 'https');
    assert.equal(head.headers.host, `localhost:${httpserver.port}`);
    const session = connectHttp2(base, { ca: ca.cert });
    try {
      const answers = await Promise.all(
        [1, 2, 3].map(
          (n) =>
            new Promise<string>((resolve, reject) => {
              const stream = session.request({ ':path': `/echo-head?n=${n}` });
              let body = '';
              stream.setEncoding('utf8');
              stream.on('data', (chunk: string) => (body += chunk));
              stream.on('end', () => resolve(body));
              stream.on('error', reject);
            }),
        ),
      );
      assert.deepEqual(
        answers.map((body) => (JSON.parse(body) as { info: string }).info),
        ['/echo-head?n=1', '/echo-head?n=2', '/echo-head?n=3'],
      );
      assert.equal(session.alpnProtocol, 'h2');
    } finally {
      session.close();
    }
    await waitFor(
      () => /"GET \/echo-head\?n=3 HTTP\/2\.0" 200/.test(httpserver.stdout()),
      'the h2 access-log line',
    );
  });

  test('SNI picks the certificate by name, a wildcard covers one label, an unknown name gets the first', async () => {
    const ca_ = ca.cert;
    const url = `https://127.0.0.1:${httpserver.port}/echo-head`;
    const other = await httpsGet(url, { ca: ca_, servername: 'other.test' });
    assert.equal(other.cert.subject.CN, 'other.test');
    const wild = await httpsGet(url, { ca: ca_, servername: 'a.wild.test' });
    assert.equal(wild.cert.subject.CN, 'other.test');
    const site = await httpsGet(url, { ca: ca_, servername: 'localhost' });
    assert.equal(site.cert.subject.CN, 'localhost');
    const unknown = await new Promise<PeerCertificate>((resolve, reject) => {
      const socket = connect(
        { port: httpserver.port, host: '127.0.0.1', servername: 'nobody.test', rejectUnauthorized: false },
        () => {
          resolve(socket.getPeerCertificate());
          socket.end();
        },
      );
      socket.on('error', reject);
    });
    assert.equal(unknown.subject.CN, 'localhost');
  });

  test('TLS 1.1 is refused; the server goes on serving', async () => {
    const error = await new Promise<Error>((resolve) => {
      const socket = connect({
        port: httpserver.port,
        host: '127.0.0.1',
        ca: ca.cert,
        servername: 'localhost',
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      });
      socket.on('error', resolve);
      socket.on('secureConnect', () => resolve(new Error('TLS 1.1 was accepted')));
    });
    assert.match(error.message, /protocol|version|alert/i);
    assert.equal((await httpsGet(`${base}/echo-head`, { ca: ca.cert })).status, 200);
  });

  test('a client that never finishes its handshake is closed after handshakeTimeout', async () => {
    const socket = connectTcp(httpserver.port, '127.0.0.1');
    socket.on('error', () => {});
    await once(socket, 'connect');
    const started = Date.now();
    await once(socket, 'close');
    assert.ok(Date.now() - started >= 400, `closed after ${Date.now() - started} ms`);
  });

  test('the plain listener redirects to https with 308, keeping path and query', async () => {
    const res = await curl(['-H', 'Host: example.com:8080', `http://127.0.0.1:${redirectPort}/a/b?x=1`]);
    assert.equal(res.status, 308);
    assert.equal(res.headers.location, `https://example.com:${httpserver.port}/a/b?x=1`);
    const noHost = await curl(['--http1.0', '-H', 'Host:', `http://127.0.0.1:${redirectPort}/`]);
    assert.equal(noHost.status, 400);
  });

  test('SIGHUP: new handshakes get the new certificate, an open connection goes on', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const before = await httpsGet(`${base}/echo-head`, { ca: ca.cert, agent });
      copyFileSync(files['renewed.pem']!, files['site.pem']!);
      copyFileSync(files['renewed.key']!, files['site.key']!);
      httpserver.proc.kill('SIGHUP');
      await waitFor(() => /httpserver reloading \(SIGHUP\)/.test(httpserver.stderr()), 'the reload line');
      await waitFor(
        async () =>
          (await httpsGet(`${base}/echo-head`, { ca: ca.cert })).cert.serialNumber !==
          before.cert.serialNumber,
        'a new handshake with the renewed certificate',
      );
      const kept = await httpsGet(`${base}/echo-head`, { ca: ca.cert, agent });
      assert.equal(kept.status, 200);
      assert.equal(kept.cert.serialNumber, before.cert.serialNumber, 'the kept-alive connection goes on');
      assert.equal(httpserver.proc.exitCode, null, 'still running');
    } finally {
      agent.destroy();
    }
  });
});

describe('bad certificate files are one line at start naming the file, exit 1', () => {
  let paths: Record<string, string>;
  before(async () => {
    const ca = await createTestCa();
    const a = await ca.issue({ names: ['localhost'] });
    const b = await ca.issue({ names: ['localhost'] });
    const expired = await ca.issue({ names: ['localhost'], notBeforeDays: -10, notAfterDays: -1 });
    paths = writeTempFiles({
      'a.pem': a.chain,
      'a.key': a.key,
      'b.key': b.key,
      'expired.pem': expired.chain,
      'expired.key': expired.key,
      'garbage.pem': 'not a certificate\n',
    });
  });

  const cases: [string, () => string[], RegExp][] = [
    [
      'a missing file',
      () => [paths['a.pem']!.replace('a.pem', 'missing.pem'), paths['a.key']!],
      /missing\.pem: cannot read TLS certificate or key: ENOENT/,
    ],
    [
      'a key of another certificate',
      () => [paths['a.pem']!, paths['b.key']!],
      /b\.key: this private key does not belong to the certificate in .*a\.pem/,
    ],
    [
      'an expired certificate',
      () => [paths['expired.pem']!, paths['expired.key']!],
      /expired\.pem: the certificate expired on /,
    ],
    [
      'a file that is not PEM',
      () => [paths['garbage.pem']!, paths['a.key']!],
      /garbage\.pem: no PEM certificate in the file/,
    ],
  ];
  for (const [what, files, message] of cases) {
    test(what, async () => {
      const [cert, key] = files();
      const outcome = await tandem(['httpserver', '--port', '0', '--tls-cert', cert!, '--tls-key', key!]);
      const lines = outcome.stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{'));
      assert.equal(lines.length, 1, outcome.stderr);
      assert.match(lines[0]!, message);
      assert.equal(outcome.status, 1, outcome.stderr);
    });
  }

  test('a tls section without certificates names the file and key, exit 1', async () => {
    const config = join(paths['a.pem']!, '..', 'no-certificates.json');
    writeFileSync(config, JSON.stringify({ tls: { certificates: [] } }));
    const outcome = await tandem(['httpserver', '--port', '0', '--config', config]);
    assert.match(
      outcome.stderr,
      /no-certificates\.json: key "tls": expected "certificates": a TLS listener needs at least one/,
    );
    assert.equal(outcome.status, 1, outcome.stderr);
  });

  test('--tls-cert without --tls-key is a usage error, exit 2', async () => {
    const outcome = await tandem(['httpserver', '--port', '0', '--tls-cert', 'x.pem']);
    assert.match(outcome.stderr, /--tls-cert and --tls-key: expected both/);
    assert.equal(outcome.status, 2, outcome.stderr);
  });
});
