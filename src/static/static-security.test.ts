import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Handler } from '../http/handler.js';
import { isFileRange } from '../http/run-handler.js';
import { canonicalisePath, isInside } from './safe-path.js';
import {
  ask,
  makeFixture,
  readBody,
  type StaticFixture,
  type StaticTestReply,
} from './static-fixture.case.js';
import { files } from './static-handler.js';

let fx: StaticFixture;
let handler: Handler;

before(async () => {
  fx = await makeFixture();
  handler = files({ root: fx.root });
});
after(() => fx.cleanup());

const get = (path: string, method = 'GET') => ask(handler, path, {}, method);

/** Fails when a reply would send a file outside root or one of the secrets. */
async function assertNoLeak(path: string, reply: StaticTestReply | null): Promise<void> {
  if (reply === null) return;
  const body = reply.body;
  if (isFileRange(body)) assert.ok(isInside(fx.root, body.path), `${path} served ${body.path}`);
  const text = await readBody(reply);
  assert.doesNotMatch(text, /SECRET/, `${path} leaked a secret`);
}

describe('static: path traversal', () => {
  const badRequests: Array<[string, RegExp]> = [
    ['/../outside.txt', /dot segment/],
    ['/sub/../../outside.txt', /dot segment/],
    ['/%2e%2e/outside.txt', /dot segment/],
    ['/%2E%2E/outside.txt', /dot segment/],
    ['/.%2e/outside.txt', /dot segment/],
    ['/%2e./outside.txt', /dot segment/],
    ['/./hello.txt', /dot segment/],
    ['/..;/outside.txt', /dot segment/],
    ['/sub/..;/..;/outside.txt', /dot segment/],
    ['/..%2foutside.txt', /encoded slash/],
    ['/..%2Foutside.txt', /encoded slash/],
    ['/%2e%2e%2foutside.txt', /encoded slash/],
    ['/..\\outside.txt', /backslash/],
    ['/..%5coutside.txt', /backslash/],
    ['/..%5Coutside.txt', /backslash/],
    ['/hello.txt%00', /NUL/],
    ['/hello.txt%00.png', /NUL/],
    ['/%c0%ae%c0%ae/outside.txt', /malformed percent-encoding/],
    ['/%e0%80%ae%e0%80%ae/outside.txt', /malformed percent-encoding/],
    ['/%c0%af', /malformed percent-encoding/],
    ['/%', /malformed percent-encoding/],
    ['/%zz', /malformed percent-encoding/],
    ['/%%32%65%%32%65/outside.txt', /malformed percent-encoding/],
    ['/../root-evil/secret.txt', /dot segment/],
    ['/%2e%2e/root-evil/secret.txt', /dot segment/],
    ['hello.txt', /must start with/],
  ];
  for (const [path, message] of badRequests) {
    it(`400 for ${JSON.stringify(path)}`, async () => {
      const reply = await get(path);
      assert.equal(reply?.status, 400);
      assert.match(String(reply?.body), /^Bad request: /);
      assert.match(String(reply?.body), message);
      assert.equal(reply?.headers['content-type'], 'text/plain; charset=utf-8');
    });
  }

  it('decodes once: %252e%252e is the literal name %2e%2e and stays inside root', async () => {
    const reply = await get('/%252e%252e/odd.txt');
    assert.equal(reply?.status, 200);
    assert.equal(await readBody(reply!), 'odd name');
    assert.equal(await get('/%252e%252e/outside.txt'), null);
    assert.equal(await get('/%252e%252e/%252e%252e/outside.txt'), null);
  });

  it('treats //evil-style and repeated slashes as plain segments inside root', async () => {
    assert.equal(await readBody((await get('//hello.txt'))!), 'hello world');
    assert.equal(await get('//outside.txt'), null);
  });

  it('never serves a file outside root for arbitrary mixes of dangerous pieces', async () => {
    const piece = fc.constantFrom(
      '/',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '\\',
      '%00',
      '%25',
      '%c0%ae',
      ';',
      'outside.txt',
      'root-evil',
      'secret.txt',
      'linkdir-out',
      'link-out.txt',
      '.env',
      'hello.txt',
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 10 }), async (pieces) => {
        const path = `/${pieces.join('')}`;
        const reply = await get(path);
        if (reply !== null)
          assert.ok([200, 301, 400, 403].includes(reply.status), `${path} -> ${reply.status}`);
        await assertNoLeak(path, reply);
      }),
      { numRuns: 300 },
    );
  });
});

describe('static: root prefix and symlinks', () => {
  it('compares path components, so a sibling with the same prefix is outside', () => {
    assert.equal(isInside('/srv/root', '/srv/root-evil/secret.txt'), false);
    assert.equal(isInside('/srv/root', '/srv/root'), true);
    assert.equal(isInside('/srv/root', '/srv/root/a'), true);
    assert.equal(isInside('/', '/etc/passwd'), true);
  });

  it('refuses a symlink whose real path leaves root, file or directory (403)', async () => {
    const file = await get('/link-out.txt');
    assert.equal(file?.status, 403);
    await assertNoLeak('/link-out.txt', file);
    const inDir = await get('/linkdir-out/secret.txt');
    assert.equal(inDir?.status, 403);
    await assertNoLeak('/linkdir-out/secret.txt', inDir);
  });

  it('serves a symlink that stays inside root, from its real path', async () => {
    // Without the memory cache, so the body names the file it streams.
    const uncached = files({ root: fx.root, cacheMaxFileSize: 0 });
    const reply = await ask(uncached, '/link-in.txt');
    assert.equal(reply?.status, 200);
    assert.deepEqual(reply?.body, { path: `${fx.root}/hello.txt`, start: 0, end: 10 });
  });

  it('does not reach a dotfile through a symlink', async () => {
    assert.equal(await get('/link-dot.txt'), null);
  });

  it('follows escaping symlinks only with followSymlinks', async () => {
    const follow = files({ root: fx.root, followSymlinks: true });
    const reply = await ask(follow, '/linkdir-out/secret.txt');
    assert.equal(await readBody(reply!), 'SIBLING SECRET');
  });

  it('resolves root with realpath once, so a symlinked root works', async () => {
    const viaLink = files({ root: `${fx.root}/linkdir-out` });
    const reply = await ask(viaLink, '/secret.txt');
    assert.equal(await readBody(reply!), 'SIBLING SECRET');
  });

  it('rejects a root that does not exist or is a file', () => {
    assert.throws(() => files({ root: `${fx.base}/nope` }), { code: 'STATIC_ROOT_INVALID' });
    assert.throws(() => files({ root: `${fx.base}/outside.txt` }), {
      code: 'STATIC_ROOT_INVALID',
    });
    assert.throws(() => files({ root: fx.root, index: '../x' }), {
      code: 'STATIC_ROOT_INVALID',
    });
  });
});

describe('static: dotfiles', () => {
  it('treats any segment starting with . as not found by default', async () => {
    assert.equal(await get('/.env'), null);
    assert.equal(await get('/.git/config'), null);
    assert.equal(await get('/.git/'), null);
    assert.equal(await get('/%2eenv'), null);
  });

  it('serves them with dotfiles: true', async () => {
    const dot = files({ root: fx.root, dotfiles: true });
    const reply = await ask(dot, '/.git/config');
    assert.equal(await readBody(reply!), 'GIT SECRET');
  });
});

describe('canonicalisePath', () => {
  it('decodes segments once and records a trailing slash', () => {
    assert.deepEqual(canonicalisePath('/a%20b//c/'), { segments: ['a b', 'c'], trailingSlash: true });
    assert.deepEqual(canonicalisePath('/'), { segments: [], trailingSlash: true });
    assert.deepEqual(canonicalisePath('/x?y=/../z'), { segments: ['x'], trailingSlash: false });
  });

  it('rejects IIS-style %u escapes, overlong dots, `...` and a NUL after dots', () => {
    const cases: Array<[string, RegExp]> = [
      ['/%u002e%u002e/x', /malformed percent-encoding/],
      ['/%c0%2e%c0%2e/x', /malformed percent-encoding/],
      ['/%ed%a0%80/x', /malformed percent-encoding/],
      ['/.../x', /dot segment/],
      ['/.%2e%2e/x', /dot segment/],
      ['/%2e%2e%3b/x', /dot segment/],
      ['/..%00/x', /NUL/],
    ];
    for (const [path, message] of cases) {
      assert.throws(() => canonicalisePath(path), { status: 400, message }, path);
    }
  });

  it('keeps names that only look like escapes as literal segments', () => {
    assert.deepEqual(canonicalisePath('/..%252f'), { segments: ['..%2f'], trailingSlash: false });
    assert.deepEqual(canonicalisePath('/%ef%bc%8e%ef%bc%8e/'), { segments: ['．．'], trailingSlash: true });
    assert.deepEqual(canonicalisePath('/a..b/..x/x../'), {
      segments: ['a..b', '..x', 'x..'],
      trailingSlash: true,
    });
  });
});
