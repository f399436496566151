import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AccessLogEntry } from '../http/access-log.js';
import {
  createStaticRouter,
  createStaticRoutes,
  matchStaticRoute,
  type StaticRoute,
  targetPath,
} from './static-routes.js';

describe('targetPath', () => {
  it('keeps an origin-form path and cuts the query and fragment', () => {
    assert.equal(targetPath('/a/b.txt'), '/a/b.txt');
    assert.equal(targetPath('/a/b%20c.txt?x=1#f'), '/a/b%20c.txt');
    assert.equal(targetPath('/?q'), '/');
  });

  it('reduces an http(s) absolute-form target to its path (RFC 9112 §3.2.2)', () => {
    assert.equal(targetPath('http://example.com/a.txt'), '/a.txt');
    assert.equal(targetPath('HTTPS://example.com:8443/a/%2e?x'), '/a/%2e');
    assert.equal(targetPath('http://example.com'), '/');
    assert.equal(targetPath('http://example.com?x=1'), '/');
    assert.equal(targetPath('http://user@[::1]:80/z'), '/z');
  });

  it('leaves other targets as they are, for the static layer to refuse', () => {
    assert.equal(targetPath('*'), '*');
    assert.equal(targetPath('ftp://host/a'), 'ftp://host/a');
    assert.equal(targetPath('//evil.com/a'), '//evil.com/a');
    assert.equal(targetPath('a.txt'), 'a.txt');
  });
});

describe('matchStaticRoute', () => {
  const route = (prefix: string): StaticRoute => ({ prefix, files: async () => null });
  // Longest first, as createStaticRoutes orders them.
  const routes = [route('/assets/img/'), route('/assets/'), route('/')];

  it('picks the longest prefix and strips it, keeping the leading slash', () => {
    assert.deepEqual(matchStaticRoute(routes, '/assets/img/a.png'), {
      route: routes[0],
      path: '/a.png',
    });
    assert.deepEqual(matchStaticRoute(routes, '/assets/app.js'), { route: routes[1], path: '/app.js' });
    assert.deepEqual(matchStaticRoute(routes, '/assets/'), { route: routes[1], path: '/' });
    assert.deepEqual(matchStaticRoute(routes, '/other'), { route: routes[2], path: '/other' });
  });

  it('requires the prefix boundary and compares the raw path', () => {
    const some = routes.slice(0, 2);
    assert.equal(matchStaticRoute(some, '/assetsX/app.js'), undefined);
    assert.equal(matchStaticRoute(some, '/assets'), undefined);
    assert.equal(matchStaticRoute(some, '/%61ssets/app.js'), undefined);
    assert.equal(matchStaticRoute(some, '/Assets/app.js'), undefined);
    assert.deepEqual(matchStaticRoute(some, '/assets/%2e%2e/x')?.path, '/%2e%2e/x');
  });
});

describe('createStaticRouter', () => {
  let dir: string;
  let server: Server;
  let port: number;
  const logged: AccessLogEntry[] = [];
  const reported: unknown[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-static-routes-'));
    await mkdir(join(dir, 'public', 'img'), { recursive: true });
    await mkdir(join(dir, 'images'));
    await writeFile(join(dir, 'public', 'app.js'), 'console.log("app");\n');
    await writeFile(join(dir, 'public', 'img', 'shadowed.txt'), 'from public/img\n');
    await writeFile(join(dir, 'images', 'logo.txt'), 'from images\n');
    await writeFile(join(dir, 'secret.txt'), 'SECRET\n');
    const routes = createStaticRoutes([
      { prefix: '/assets/', root: join(dir, 'public'), cacheControl: 'public, max-age=60', listing: false },
      { prefix: '/assets/img/', root: join(dir, 'images'), listing: true },
    ]);
    const router = createStaticRouter(routes, {
      accessLog: (entry) => logged.push(entry),
      report: (err) => reported.push(err),
    });
    server = createServer((req, res) => {
      if (!router(req, res)) res.writeHead(299, { 'content-length': '4' }).end('next');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  /** Sends `target` byte for byte (fetch would normalise dot segments away). */
  function get(target: string, method = 'GET', body?: string) {
    return new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path: target }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('serves a file under its prefix with the prefix Cache-Control, and logs it', async () => {
    const before = logged.length;
    const r = await get('/assets/app.js?v=3');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'console.log("app");\n');
    assert.equal(r.headers['cache-control'], 'public, max-age=60');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const entry = logged.at(before);
    assert.equal(entry?.target, '/assets/app.js?v=3');
    assert.equal(entry?.status, 200);
    assert.equal(entry?.bytes, 20);
  });

  it('lets the longest prefix win, with its own root and settings', async () => {
    const r = await get('/assets/img/logo.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'from images\n');
    assert.equal(r.headers['cache-control'], undefined);
    assert.equal((await get('/assets/img/shadowed.txt')).status, 404);
    const listing = await get('/assets/img/');
    assert.equal(listing.status, 200);
    assert.match(listing.body, /logo\.txt/);
  });

  it('answers 404 for a miss under a prefix and passes other paths on', async () => {
    const miss = await get('/assets/nope.js');
    assert.equal(miss.status, 404);
    assert.equal(miss.body, 'Not found: /assets/nope.js\n');
    assert.equal((await get('/assetsX/app.js')).status, 299);
    assert.equal((await get('/assets')).status, 299);
    assert.equal((await get('/')).status, 299);
  });

  it('serves an absolute-form target by its path', async () => {
    const r = await get('http://example.com/assets/app.js?x');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'console.log("app");\n');
    assert.equal((await get('http://example.com/elsewhere')).status, 299);
  });

  it('refuses traversal with 400 and 405 for a POST on a file', async () => {
    const traversal = await get('/assets/%2e%2e/secret.txt');
    assert.equal(traversal.status, 400);
    assert.doesNotMatch(traversal.body, /SECRET/);
    for (const target of [
      '/assets/../secret.txt',
      '/assets/..%2fsecret.txt',
      '/assets/%2E%2E/%2E%2E/etc/passwd',
    ]) {
      const r = await get(target);
      assert.equal(r.status, 400, target);
      assert.doesNotMatch(r.body, /SECRET|root:/, target);
    }
    const post = await get('/assets/app.js', 'POST', 'x');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD');
    assert.deepEqual(reported, []);
  });
});
