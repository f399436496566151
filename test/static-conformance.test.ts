import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl, rawExchange } from './support/http-client.js';
import { CLI, type Running, startProcess, startStack } from './support/processes.js';

/** 100 bytes whose content at each offset is predictable: offset i holds '0123456789'[i % 10]. */
const TEXT = '0123456789'.repeat(10);
/** 4 KiB of compressible text. */
const LARGE = 'All work and no play makes Jack a dull boy.\n'.repeat(94).slice(0, 4096);
/** The modification time of text.txt, on a whole second. */
const MTIME = new Date('2020-01-02T03:04:05Z');

/**
 * One of the three ways Tandem serves a folder, as this suite sees it: where the folder's `/` is, and what
 * that way offers beyond the common ground.
 */
interface Served {
  readonly name: string;
  /** The port the client talks to. */
  port(): number;
  /** The URL path the folder is served under, without its last '/' ('' for the root). */
  readonly prefix: string;
  /** Directories without an index get a listing. */
  readonly listing: boolean;
}

let dir: string;
let running: Running;
let stack: Awaited<ReturnType<typeof startStack>>;

const SERVED: readonly Served[] = [
  { name: '`tandem static`', port: () => running.port, prefix: '', listing: true },
  {
    name: "httpserver's static prefix /files/",
    port: () => stack.httpserver.port,
    prefix: '/files',
    listing: true,
  },
  {
    name: "the webframe's static fallback, through httpserver",
    port: () => stack.httpserver.port,
    prefix: '',
    listing: false,
  },
];

before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), 'tandem-conformance-')));
  const root = join(dir, 'root');
  const files: Record<string, string> = {
    'text.txt': TEXT,
    'large.txt': LARGE,
    'page.html': '<p>hi</p>',
    'style.css': 'p{}',
    'app.js': 'let a;',
    'data.json': '{}',
    'pic.svg': '<svg/>',
    'photo.png': 'png',
    'blob.bin': 'x',
    'dir/index.html': '<h1>dir</h1>',
    'a b/index.html': '<h1>space</h1>',
    'evil.com/index.html': '<h1>still here</h1>',
    'x\r\nSet-Cookie: a=b/index.html': '<h1>crlf</h1>',
  };
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), content);
  }
  await utimes(join(root, 'text.txt'), MTIME, MTIME);
  // latin-1 'é': not UTF-8, so no URL could name it.
  await writeFile(
    Buffer.concat([Buffer.from(join(root, 'latin')), Buffer.from([0xe9]), Buffer.from('.txt')]),
    'x',
  );
  running = await startProcess(
    process.execPath,
    [CLI, 'static', root, '--port', '0'],
    /Serving .* at http:\/\/127\.0\.0\.1:(\d+)\//,
  );
  // One stack serves the folder twice: under the static prefix /files/, and as the app's static fallback.
  const app = join(dir, 'app');
  await mkdir(app);
  await writeFile(join(app, 'urls.mjs'), 'export default [];\n');
  await writeFile(join(app, 'settings.mjs'), `export default { static: ${JSON.stringify(root)} };\n`);
  const config = join(dir, 'httpserver.json');
  await writeFile(config, JSON.stringify({ static: [{ prefix: '/files/', root, listing: true }] }));
  stack = await startStack(app, { httpserver: ['--config', config] });
});
after(async () => {
  await Promise.all([running?.stop(), stack?.stop()]);
  await rm(dir, { recursive: true, force: true });
});

/** Where curl, following redirects as-is, ends up: the final status and URL and how many redirects it took. */
function curlFollow(target: string): Promise<{ status: number; url: string; redirects: number }> {
  const args = ['-s', '-L', '--path-as-is', '--max-redirs', '5', '-o', '/dev/null'];
  args.push('-w', '%{http_code} %{num_redirects} %{url_effective}', target);
  return new Promise((resolve, reject) => {
    execFile('curl', args, (err, stdout) => {
      if (err) return reject(err);
      const [status, redirects, ...rest] = stdout.split(' ');
      resolve({ status: Number(status), redirects: Number(redirects), url: rest.join(' ') });
    });
  });
}

for (const served of SERVED) describe(served.name, () => conformanceSuite(served));

/** The whole suite against one way of serving the folder. */
function conformanceSuite(served: Served): void {
  const url = (path: string) => `http://127.0.0.1:${served.port()}${served.prefix}${path}`;
  const target = (path: string) => `${served.prefix}${path}`;

  /** The ETag of text.txt as the server sends it. */
  async function textEtag(): Promise<string> {
    const etag = (await curl(['-I', url('/text.txt')])).headers.etag;
    assert.ok(etag !== undefined);
    return etag;
  }

  describe('validators and conditional requests', () => {
    test('a file carries a strong ETag and its Last-Modified', async () => {
      const r = await curl([url('/text.txt')]);
      assert.equal(r.status, 200);
      assert.equal(r.body, TEXT);
      assert.match(r.headers.etag ?? '', /^"[!#-~]+"$/);
      assert.equal(r.headers['last-modified'], MTIME.toUTCString());
      assert.equal(r.headers['accept-ranges'], 'bytes');
      assert.equal(r.headers['content-length'], '100');
    });

    test('If-None-Match: exact, in a list, `*` and weak all give 304 with the ETag and no body', async () => {
      const etag = await textEtag();
      for (const value of [etag, `"other", ${etag}`, '*', `W/${etag}`]) {
        const r = await curl(['-H', `If-None-Match: ${value}`, url('/text.txt')]);
        assert.equal(r.status, 304, value);
        assert.equal(r.headers.etag, etag, value);
        assert.equal(r.headers['last-modified'], MTIME.toUTCString());
        assert.equal(r.body, '', value);
      }
      const other = await curl(['-H', 'If-None-Match: "other"', url('/text.txt')]);
      assert.equal(other.status, 200);
      assert.equal(other.body, TEXT);
    });

    test('a 304 on the wire has no body bytes at all', async () => {
      const etag = await textEtag();
      const reply = await rawExchange(
        served.port(),
        `GET ${target('/text.txt')} HTTP/1.1\r\nHost: x\r\nIf-None-Match: ${etag}\r\nConnection: close\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 304 /);
      assert.ok(reply.endsWith('\r\n\r\n'), JSON.stringify(reply));
    });

    test('If-Modified-Since: at or after Last-Modified 304, before 200', async () => {
      const same = await curl(['-H', `If-Modified-Since: ${MTIME.toUTCString()}`, url('/text.txt')]);
      assert.equal(same.status, 304);
      assert.equal(same.body, '');
      const later = await curl(['-H', 'If-Modified-Since: Sun, 01 Jan 2034 00:00:00 GMT', url('/text.txt')]);
      assert.equal(later.status, 304);
      const earlier = await curl([
        '-H',
        'If-Modified-Since: Wed, 01 Jan 2020 00:00:00 GMT',
        url('/text.txt'),
      ]);
      assert.equal(earlier.status, 200);
      assert.equal(earlier.body, TEXT);
    });

    test('If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2)', async () => {
      const r = await curl([
        '-H',
        'If-None-Match: "other"',
        '-H',
        `If-Modified-Since: ${MTIME.toUTCString()}`,
        url('/text.txt'),
      ]);
      assert.equal(r.status, 200);
    });

    test('If-Match: a mismatch or a weak tag is 412; the strong tag or `*` proceeds', async () => {
      const etag = await textEtag();
      for (const value of ['"nope"', `W/${etag}`]) {
        const r = await curl(['-H', `If-Match: ${value}`, url('/text.txt')]);
        assert.equal(r.status, 412, value);
        assert.ok(!r.body.includes(TEXT));
      }
      for (const value of [etag, `"nope", ${etag}`, '*']) {
        const r = await curl(['-H', `If-Match: ${value}`, url('/text.txt')]);
        assert.equal(r.status, 200, value);
        assert.equal(r.body, TEXT);
      }
    });

    test('If-Unmodified-Since: before Last-Modified 412, after it 200', async () => {
      const old = await curl(['-H', 'If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT', url('/text.txt')]);
      assert.equal(old.status, 412);
      const recent = await curl(['-H', `If-Unmodified-Since: ${MTIME.toUTCString()}`, url('/text.txt')]);
      assert.equal(recent.status, 200);
    });
  });

  describe('ranges', () => {
    const cases: Array<[string, string, string]> = [
      ['bytes=0-9', 'bytes 0-9/100', TEXT.slice(0, 10)],
      ['bytes=-5', 'bytes 95-99/100', TEXT.slice(95)],
      ['bytes=10-', 'bytes 10-99/100', TEXT.slice(10)],
      ['bytes=90-200', 'bytes 90-99/100', TEXT.slice(90)],
    ];
    for (const [range, contentRange, body] of cases) {
      test(`Range: ${range} is 206 with ${contentRange}`, async () => {
        const r = await curl(['-H', `Range: ${range}`, url('/text.txt')]);
        assert.equal(r.status, 206);
        assert.equal(r.headers['content-range'], contentRange);
        assert.equal(r.headers['content-length'], String(body.length));
        assert.equal(r.body, body);
      });
    }

    test('an unsatisfiable range is 416 with Content-Range: bytes */size', async () => {
      for (const range of ['bytes=100-', 'bytes=500-600']) {
        const r = await curl(['-H', `Range: ${range}`, url('/text.txt')]);
        assert.equal(r.status, 416, range);
        assert.equal(r.headers['content-range'], 'bytes */100', range);
      }
    });

    test('If-Range: the current ETag or date gives 206, a stale one the whole file', async () => {
      const etag = await textEtag();
      for (const value of [etag, MTIME.toUTCString()]) {
        const r = await curl(['-H', 'Range: bytes=0-9', '-H', `If-Range: ${value}`, url('/text.txt')]);
        assert.equal(r.status, 206, value);
        assert.equal(r.body, TEXT.slice(0, 10));
      }
      for (const value of ['"stale"', `W/${etag}`, 'Wed, 01 Jan 2020 00:00:00 GMT']) {
        const r = await curl(['-H', 'Range: bytes=0-9', '-H', `If-Range: ${value}`, url('/text.txt')]);
        assert.equal(r.status, 200, value);
        assert.equal(r.body, TEXT);
      }
    });

    test('several ranges are one 206 multipart/byteranges', async () => {
      const r = await curl(['-H', 'Range: bytes=0-1,4-5', url('/text.txt')]);
      assert.equal(r.status, 206);
      const type = /^multipart\/byteranges; boundary=("?)([^"]+)\1$/.exec(r.headers['content-type'] ?? '');
      assert.ok(type, r.headers['content-type']);
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
      const boundary = type[2];
      const parts = r.body.split(`--${boundary}`);
      // preamble, two parts, then `--` closing the multipart body.
      assert.equal(parts.length, 4, r.body);
      assert.match(parts[3] ?? '', /^--/);
      const expected: Array<[string, string]> = [
        ['bytes 0-1/100', '01'],
        ['bytes 4-5/100', '45'],
      ];
      for (const [i, [contentRange, bytes]] of expected.entries()) {
        const part = parts[i + 1] ?? '';
        assert.match(part, new RegExp(`\r\nContent-Range: ${contentRange}\r\n`, 'i'));
        assert.match(part, /\r\nContent-Type: text\/plain; charset=utf-8\r\n/i);
        assert.equal(part.slice(part.indexOf('\r\n\r\n') + 4), `${bytes}\r\n`);
      }
    });
  });

  describe('HEAD, redirects and types', () => {
    test('HEAD has the GET headers and not one body byte', async () => {
      const get = await curl([url('/text.txt')]);
      const head = await curl(['-I', url('/text.txt')]);
      assert.equal(head.status, 200);
      for (const name of ['content-type', 'content-length', 'etag', 'last-modified', 'accept-ranges'])
        assert.equal(head.headers[name], get.headers[name], name);
      const reply = await rawExchange(
        served.port(),
        `HEAD ${target('/text.txt')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 200 /);
      assert.match(reply, /\r\nContent-Length: 100\r\n/i);
      assert.ok(reply.endsWith('\r\n\r\n'), JSON.stringify(reply));
    });

    test('a directory without its slash is 301 to a relative `name/`', async () => {
      const r = await curl([url('/dir')]);
      assert.equal(r.status, 301);
      assert.equal(r.headers.location, 'dir/');
      const spaced = await curl([url('/a%20b')]);
      assert.equal(spaced.status, 301);
      assert.equal(spaced.headers.location, 'a%20b/');
      assert.deepEqual(await curlFollow(url('/dir')), { status: 200, redirects: 1, url: url('/dir/') });
    });

    test('a directory redirect keeps the query string', async () => {
      const r = await curl([url('/dir?x=1&y=%20')]);
      assert.equal(r.status, 301);
      assert.equal(r.headers.location, 'dir/?x=1&y=%20');
      assert.deepEqual(await curlFollow(url('/a%20b?q=1')), {
        status: 200,
        redirects: 1,
        url: url('/a%20b/?q=1'),
      });
    });

    if (served.listing)
      test('every link of a listing fetches: a name that is not UTF-8 is left out', async () => {
        const listing = await curl([url('/')]);
        assert.equal(listing.status, 200);
        const links = [...listing.body.matchAll(/href="\.\/([^"]*)"/g)].map((m) =>
          (m[1] as string).replace(/&amp;/g, '&'),
        );
        assert.ok(links.includes('text.txt'), links.join());
        assert.ok(!links.some((link) => link.startsWith('latin')), links.join());
        for (const link of links) {
          assert.equal((await curl([url(`/${link}`)])).status, 200, link);
        }
      });

    test('a 400 for a malformed request carries Date', async () => {
      const reply = await rawExchange(
        served.port(),
        `GET ${target('/')} HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 400 /);
      const date = /\r\nDate: ([^\r]+)\r\n/.exec(reply)?.[1];
      assert.ok(date !== undefined, reply);
      assert.ok(Math.abs(Date.parse(date) - Date.now()) < 60_000, date);
    });

    test('`//evil.com` is not an open redirect: the Location stays on this host', async () => {
      const r = await curl(['--path-as-is', url('//evil.com')]);
      assert.equal(r.status, 301);
      const location = r.headers.location ?? '';
      assert.equal(location, 'evil.com/');
      assert.doesNotMatch(location, /^(\/\/|\\|[a-z][a-z0-9+.-]*:)/i);
      const resolved = new URL(location, url('//evil.com'));
      assert.equal(resolved.host, `127.0.0.1:${served.port()}`);
      // curl merges `evil.com/` onto `//evil.com` as `/evil.com/`, WHATWG URL as `//evil.com/`: same host either way.
      const followed = await curlFollow(url('//evil.com'));
      assert.equal(followed.status, 200);
      assert.equal(followed.redirects, 1);
      assert.equal(new URL(followed.url).host, `127.0.0.1:${served.port()}`);
      for (const path of ['/%2f%2fevil.com', '/%5c%5cevil.com', '/\\\\evil.com']) {
        const reply = await rawExchange(
          served.port(),
          `GET ${target(path)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
        );
        assert.match(reply, /^HTTP\/1\.1 400 /, path);
        assert.doesNotMatch(reply, /\r\nLocation:/i, path);
      }
    });

    test('a directory name holding CR LF is percent-encoded in the Location, not a header of its own', async () => {
      const reply = await rawExchange(
        served.port(),
        `GET ${target('/x%0D%0ASet-Cookie:%20a=b')} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      assert.match(reply, /^HTTP\/1\.1 301 /);
      assert.match(reply, /\r\nLocation: x%0D%0ASet-Cookie%3A%20a%3Db\/\r\n/i);
      assert.doesNotMatch(reply, /\r\nSet-Cookie:/i);
    });

    test('MIME types, with a charset for text', async () => {
      const expected: Record<string, string> = {
        '/text.txt': 'text/plain; charset=utf-8',
        '/page.html': 'text/html; charset=utf-8',
        '/style.css': 'text/css; charset=utf-8',
        '/app.js': 'text/javascript; charset=utf-8',
        '/data.json': 'application/json; charset=utf-8',
        '/pic.svg': 'image/svg+xml; charset=utf-8',
        '/photo.png': 'image/png',
        '/blob.bin': 'application/octet-stream',
        '/dir/': 'text/html; charset=utf-8',
      };
      for (const [path, type] of Object.entries(expected)) {
        const r = await curl([url(path)]);
        assert.equal(r.status, 200, path);
        assert.equal(r.headers['content-type'], type, path);
        assert.equal(r.headers['x-content-type-options'], 'nosniff', path);
      }
    });
  });

  describe('compression', () => {
    test('--compressed gets an encoded 4 KiB text file that decodes to the same bytes', async () => {
      const r = await curl(['--compressed', url('/large.txt')]);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-encoding'] ?? '', /^(gzip|br|deflate|zstd)$/);
      assert.match(r.headers.vary ?? '', /accept-encoding/i);
      assert.ok(Number(r.headers['content-length'] ?? LARGE.length) < LARGE.length);
      assert.equal(r.body, LARGE);
    });

    test('the encoded representation has its own ETag, and revalidating with it gives 304', async () => {
      const identity = await curl(['-I', url('/large.txt')]);
      const encoded = await curl(['-I', '--compressed', url('/large.txt')]);
      const etag = encoded.headers.etag ?? '';
      assert.match(etag, /^"[!#-~]+"$/);
      assert.notEqual(etag, identity.headers.etag);
      const r = await curl(['--compressed', '-H', `If-None-Match: ${etag}`, url('/large.txt')]);
      assert.equal(r.status, 304);
      assert.equal(r.headers.etag, etag);
      assert.equal(r.body, '');
    });

    test('a range of a compressible file is a range of its identity bytes', async () => {
      const r = await curl(['-H', 'Accept-Encoding: gzip, br', '-H', 'Range: bytes=0-9', url('/large.txt')]);
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['content-range'], `bytes 0-9/${LARGE.length}`);
      assert.equal(r.body, LARGE.slice(0, 10));
    });

    test('without Accept-Encoding the same file is identity, still with Vary', async () => {
      const r = await curl([url('/large.txt')]);
      assert.equal(r.status, 200);
      assert.equal(r.headers['content-encoding'], undefined);
      assert.equal(r.headers['content-length'], String(LARGE.length));
      assert.match(r.headers.vary ?? '', /accept-encoding/i);
      assert.equal(r.body, LARGE);
    });
  });
}
