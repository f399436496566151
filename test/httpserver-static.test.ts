import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { curl, rawExchange } from './support/http-client.js';
import { CLI, type Running, startProcess, startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';
const IMMUTABLE = 'public, max-age=31536000, immutable';

let dir: string;
let big: Buffer;
let stack: Awaited<ReturnType<typeof startStack>>;
const url = (path: string) => `${stack.url}${path}`;

/**
 * dir/public is served at /assets/ from the config file (relative root, Cache-Control), dir/files at /files/
 * and dir/echo at /echo-head/ and /echo/ from --static flags (the webframe app has a /echo-head view); a
 * secret lies next to the roots.
 */
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tandem-httpserver-static-'));
  await mkdir(join(dir, 'public', 'css'), { recursive: true });
  await mkdir(join(dir, 'files'));
  await mkdir(join(dir, 'echo'));
  await writeFile(join(dir, 'secret.txt'), 'SECRET outside every root\n');
  await writeFile(join(dir, 'public', 'app.js'), 'console.log("tandem static");\n'.repeat(200));
  await writeFile(join(dir, 'public', 'css', 'site.css'), 'body { margin: 0 }\n');
  await utimes(
    join(dir, 'public', 'app.js'),
    new Date('2026-01-02T03:04:05Z'),
    new Date('2026-01-02T03:04:05Z'),
  );
  await symlink(join(dir, 'secret.txt'), join(dir, 'public', 'leak.txt'));
  await symlink('app.js', join(dir, 'public', 'inside.js'));
  await writeFile(join(dir, 'echo', 'x.txt'), 'static, not the view\n');
  big = randomBytes(2 << 20);
  await writeFile(join(dir, 'files', 'big.bin'), big);
  const config = join(dir, 'httpserver.json');
  await writeFile(
    config,
    JSON.stringify({
      static: [{ prefix: '/assets/', root: './public', cacheControl: IMMUTABLE, listing: true }],
    }),
  );
  stack = await startStack(APP, {
    httpserver: [
      '--config',
      config,
      '--static',
      `/files/=${join(dir, 'files')}`,
      '--static',
      `/echo-head/=${join(dir, 'echo')}`,
      '--static',
      `/echo/=${join(dir, 'echo')}`,
    ],
  });
});
after(async () => {
  await stack?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('httpserver --static and the "static" config key', () => {
  test('serves a file under the prefix with ETag, Last-Modified and the Cache-Control from config', async () => {
    const r = await curl([url('/assets/css/site.css')]);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'body { margin: 0 }\n');
    assert.equal(r.headers['content-type'], 'text/css; charset=utf-8');
    assert.equal(r.headers['cache-control'], IMMUTABLE);
    assert.match(r.headers.etag ?? '', /^"[^"]+"$/);
    assert.ok(r.headers['last-modified']);
  });

  test('a listing under a prefix: titled with the prefix, sizes and dates, no symlink out of the root', async () => {
    const r = await curl([url('/assets/')]);
    assert.equal(r.status, 200);
    assert.match(r.body, /<title>Index of \/assets\/<\/title>/);
    assert.match(r.body, /<h1>Index of \/assets\/<\/h1>/);
    assert.match(r.body, /<a href="\.\/app\.js">app\.js<\/a> +02-Jan-2026 03:04 +6000\n/);
    assert.match(r.body, /<a href="\.\/css\/">css\/<\/a> +\d\d-\w{3}-\d{4} \d\d:\d\d +-\n/);
    assert.match(r.body, /<a href="\.\/inside\.js">inside\.js<\/a> +02-Jan-2026 03:04 +6000\n/);
    assert.ok(!r.body.includes('leak.txt'), r.body);
    assert.equal((await curl([url('/assets/leak.txt')])).status, 403);
    const css = await curl([url('/assets/css/')]);
    assert.match(css.body, /<h1>Index of \/assets\/css\/<\/h1>/);
    assert.match(css.body, /<a href="\.\/site\.css">site\.css<\/a> +\d\d-\w{3}-\d{4} \d\d:\d\d +19\n/);
  });

  test('answers 304 to a matching If-None-Match, still with Cache-Control', async () => {
    const { headers } = await curl([url('/assets/app.js')]);
    const etag = headers.etag ?? '';
    const r = await curl(['-H', `If-None-Match: ${etag}`, url('/assets/app.js')]);
    assert.equal(r.status, 304);
    assert.equal(r.body, '');
    assert.equal(r.headers.etag, etag);
    assert.equal(r.headers['cache-control'], IMMUTABLE);
    const stale = await curl(['-H', 'If-None-Match: "other"', url('/assets/app.js')]);
    assert.equal(stale.status, 200);
  });

  test('answers a Range with 206 and the bytes asked for', async () => {
    const r = await curl(['-r', '8-13', url('/assets/app.js')]);
    assert.equal(r.status, 206);
    assert.equal(r.body, 'log("t');
    assert.equal(r.headers['content-range'], `bytes 8-13/${30 * 200}`);
  });

  test('compresses for curl --compressed (br and gzip), decoding to the same bytes', async () => {
    const original = await readFile(join(dir, 'public', 'app.js'), 'utf8');
    for (const coding of ['br', 'gzip']) {
      const r = await curl(['--compressed', '-H', `Accept-Encoding: ${coding}`, url('/assets/app.js')]);
      assert.equal(r.status, 200, coding);
      assert.equal(r.headers['content-encoding'], coding);
      assert.match(r.headers.vary ?? '', /accept-encoding/i);
      assert.equal(r.headers['cache-control'], IMMUTABLE);
      assert.equal(r.body, original, coding);
    }
  });

  test('HEAD gets the head of a GET and no body', async () => {
    const r = await curl(['-I', url('/assets/css/site.css')]);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '19');
    assert.equal(r.body, '');
  });

  test('a missing file under a prefix is 404 from httpserver, never passed to the webframe', async () => {
    const r = await curl([url('/assets/missing.js')]);
    assert.equal(r.status, 404);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.body, 'Not found: /assets/missing.js\n');
    // /echo-head/ is a static prefix; the webframe's /echo-head view would have answered 200 with JSON.
    const shadowed = await curl([url('/echo-head/nothing')]);
    assert.equal(shadowed.status, 404);
    assert.equal((await curl([url('/echo-head/x.txt')])).body, 'static, not the view\n');
  });

  test('POST on a static file is 405 with Allow', async () => {
    const r = await curl(['-X', 'POST', '-d', 'x=1', url('/assets/app.js')]);
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
  });

  test('requests outside every prefix still reach the webframe, including at the prefix boundary', async () => {
    for (const path of ['/echo-head', '/echo-head?x=1']) {
      const r = await curl([url(path)]);
      assert.equal(r.status, 200, path);
      assert.equal((JSON.parse(r.body) as { path: string }).path, '/echo-head', path);
    }
    // `/echo/` is a static prefix too: `/echo-head` starts with `/echo` but does not lie under `/echo/`.
    assert.equal((await curl([url('/echo/x.txt')])).body, 'static, not the view\n');
  });

  test('traversal out of a root is 400 and never leaks', async () => {
    for (const target of [
      '/assets/%2e%2e/secret.txt',
      '/assets/%2E%2E/%2e%2e/etc/passwd',
      '/assets/..%2fsecret.txt',
      '/assets/../secret.txt',
      '/assets/css/../../secret.txt',
      '/files/..%5csecret.txt',
    ]) {
      const reply = await rawExchange(
        stack.httpserver.port,
        `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 400 /, target);
      assert.doesNotMatch(reply, /SECRET|root:/, target);
    }
  });

  test('an absolute-form target is served by its path (RFC 9112 §3.2.2)', async () => {
    const reply = await rawExchange(
      stack.httpserver.port,
      'GET http://example.com/assets/css/site.css HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.match(reply, /\r\n\r\nbody \{ margin: 0 \}\n$/);
  });

  test('streams a 2 MiB file in full with the right bytes', async () => {
    const out = join(dir, 'downloaded.bin');
    const { stdout } = await promisify(execFile)('curl', [
      '-s',
      '-o',
      out,
      '-w',
      '%{http_code} %{size_download}',
      '--limit-rate',
      '8M',
      url('/files/big.bin'),
    ]);
    assert.equal(stdout, `200 ${big.length}`);
    const got = await readFile(out);
    assert.equal(
      createHash('sha256').update(got).digest('hex'),
      createHash('sha256').update(big).digest('hex'),
    );
  });

  test('logs each static request with its status and body bytes', async () => {
    await curl(['-A', 'static-agent', url('/assets/css/site.css?log=1')]);
    // The line is written once the client took the reply, in the next turn's batch.
    await waitFor(() => stack.httpserver.stdout().includes('site.css?log=1'), 'the access-log line');
    assert.match(
      stack.httpserver.stdout(),
      /"GET \/assets\/css\/site\.css\?log=1 HTTP\/1\.1" 200 19 "-" "static-agent"/,
    );
    assert.match(stack.httpserver.stdout(), /"GET \/assets\/missing\.js HTTP\/1\.1" 404 30 /);
    assert.match(stack.httpserver.stdout(), /"GET \/files\/big\.bin HTTP\/1\.1" 200 2097152 /);
  });
});

describe('tandem static', () => {
  let site: Running;
  before(async () => {
    site = await startProcess(
      process.execPath,
      [CLI, 'static', join(dir, 'public'), '--port', '0'],
      /Serving .* at http:\/\/127\.0\.0\.1:(\d+)\//,
    );
  });
  after(async () => {
    await site?.stop();
  });

  test('accepts an absolute-form request target (RFC 9112 §3.2.2)', async () => {
    const reply = await rawExchange(
      site.port,
      'GET http://example.com/css/site.css?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(reply, /^HTTP\/1\.1 200 /);
    assert.match(reply, /\r\n\r\nbody \{ margin: 0 \}\n$/);
    const traversal = await rawExchange(
      site.port,
      'GET http://example.com/%2e%2e/secret.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.match(traversal, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(traversal, /SECRET/);
  });
});
