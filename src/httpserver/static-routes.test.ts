import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import type { AccessLogEntry } from '../http/access-log.js';
import { first } from '../http/combinators.js';
import { serveHttp } from '../http/serve-http.js';
import { NetServer } from '../net/net-server.js';
import { staticRoutes } from './static-routes.js';

describe('staticRoutes in front of another handler, served by serveHttp', () => {
  let dir: string;
  let server: NetServer;
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
    // Shortest first here: staticRoutes puts the longest prefix first.
    const routes = staticRoutes([
      { prefix: '/assets/', root: join(dir, 'public'), cacheControl: 'public, max-age=60', listing: false },
      { prefix: '/assets/img/', root: join(dir, 'images'), listing: true },
    ]);
    server = new NetServer({
      transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
      model: { kind: 'event' },
      handler: serveHttp(
        first(...routes, () => ({ status: 299, body: 'next' })),
        {
          accessLog: (entry) => logged.push(entry),
          onError: (err) => reported.push(err),
        },
      ),
    });
    ({ port } = await server.listen());
  });

  after(async () => {
    await server.close();
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
    await waitFor(() => logged.length > before, 'the access-log entry');
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

  it('compares the raw path, case and percent-encoding included', async () => {
    assert.equal((await get('/%61ssets/app.js')).status, 299);
    assert.equal((await get('/Assets/app.js')).status, 299);
    // Below the prefix the path goes to the static layer still encoded: it refuses the dot segment.
    assert.equal((await get('/assets/%2e%2e/x')).status, 400);
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
