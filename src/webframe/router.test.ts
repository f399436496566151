import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Router } from './router.js';
import type { View } from './types.js';

const a: View = () => 'a';
const b: View = () => 'b';
const c: View = () => 'c';

test('exact routes win over param routes; param routes match in declaration order', () => {
  const router = new Router(
    [
      ['/p/:x', a],
      ['/p/:y', b],
      ['/p/fixed', c],
    ],
    'urls.ts',
  );
  assert.deepEqual(router.match('GET', '/p/fixed'), { kind: 'view', view: c, params: {} });
  assert.deepEqual(router.match('GET', '/p/q'), { kind: 'view', view: a, params: { x: 'q' } });
  assert.deepEqual(router.match('GET', '/p'), { kind: 'none' });
  assert.deepEqual(router.match('GET', '/p/q/r'), { kind: 'none' });
});

test('percent-encoding: segments are decoded one by one and an encoded slash is never a separator', () => {
  const router = new Router(
    [
      ['/a/b', a],
      ['/x/:name', b],
      ['/ü', c],
    ],
    'urls.ts',
  );
  assert.equal(router.match('GET', '/a%2Fb').kind, 'none');
  assert.equal(router.match('GET', '/%61/b').kind, 'view');
  assert.deepEqual(router.match('GET', '/x/a%2Fb'), { kind: 'view', view: b, params: { name: 'a/b' } });
  assert.deepEqual(router.match('GET', '/%C3%BC'), { kind: 'view', view: c, params: {} });
  assert.throws(() => router.match('GET', '/x/%ZZ'), URIError);
});

test('method maps: HEAD falls back to GET, other methods get the merged Allow', () => {
  const router = new Router(
    [
      ['/r', { GET: a, PUT: b }],
      ['/r', { patch: c }],
      ['/any', a],
    ],
    'urls.ts',
  );
  assert.deepEqual(router.match('HEAD', '/r'), { kind: 'view', view: a, params: {} });
  assert.deepEqual(router.match('PATCH', '/r'), { kind: 'view', view: c, params: {} });
  assert.deepEqual(router.match('POST', '/r'), { kind: 'method', allow: 'GET, HEAD, PATCH, PUT' });
  assert.equal(router.match('OPTIONS', '/any').kind, 'view');
});

test('a bare view answers GET, HEAD, POST, PUT, PATCH, DELETE and OPTIONS; TRACE and others get 405', () => {
  const router = new Router(
    [
      ['/any', a],
      ['/traced', a],
      ['/traced', { TRACE: b }],
    ],
    'urls.ts',
  );
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
    assert.equal(router.match(method, '/any').kind, 'view', method);
  }
  const allow = 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT';
  assert.deepEqual(router.match('TRACE', '/any'), { kind: 'method', allow });
  assert.deepEqual(router.match('PROPFIND', '/any'), { kind: 'method', allow });
  assert.deepEqual(router.match('TRACE', '/traced'), { kind: 'view', view: b, params: {} });
});

test('a method map with a name that is no HTTP method is refused at load, naming file, route and method', () => {
  assert.throws(
    () =>
      new Router(
        [
          ['/x', a],
          ['/repo', { GIT: a }],
        ],
        '/app/urls.ts',
      ),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'APP_INVALID');
      assert.match(err.message, /\/app\/urls\.ts/);
      assert.match(err.message, /entry 1 \(\/repo\)/);
      assert.match(err.message, /"GIT" is not an HTTP method/);
      return true;
    },
  );
  assert.doesNotThrow(() => new Router([['/dav', { propfind: a, GET: b }]], 'urls.ts'));
});

test('urls.ts with no default export is told to default-export its routes', () => {
  assert.throws(
    () => new Router(undefined, '/app/urls.ts'),
    (err: Error) => {
      assert.match(err.message, /\/app\/urls\.ts/);
      assert.match(err.message, /has no default export/);
      assert.match(err.message, /export default \[/);
      assert.doesNotMatch(err.message, /got a undefined/);
      return true;
    },
  );
});
