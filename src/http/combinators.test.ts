import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errors, isError } from '../errors/catalogue.js';
import { first, mount } from './combinators.js';
import type { Handler, HttpRequest } from './handler.js';

function request(target: string, method = 'GET'): HttpRequest {
  return {
    method,
    target,
    version: '1.1',
    scheme: 'http',
    headers: { host: 'x' },
    client: { address: '127.0.0.1', port: 1 },
    body: (async function* () {})(),
    signal: new AbortController().signal,
  };
}

const echo: Handler = (req) => ({ status: 200, body: `${req.method} ${req.target}` });
const pass: Handler = () => null;

test('first answers with the first handler that does not pass, sync or async', async () => {
  const later: Handler = async () => ({ status: 201, body: 'later' });
  assert.equal(first(pass, echo, later)(request('/a')) instanceof Promise, false);
  assert.deepEqual(first(pass, echo, later)(request('/a')), { status: 200, body: 'GET /a' });
  assert.deepEqual(await first(async () => null, later, echo)(request('/a')), { status: 201, body: 'later' });
  assert.equal(await first(pass, async () => null)(request('/a')), null);
});

test('mount hands the target below the prefix, query kept, and passes on other paths', async () => {
  const h = mount('/assets/', echo);
  assert.deepEqual(h(request('/assets/app.js?v=2')), { status: 200, body: 'GET /app.js?v=2' });
  assert.deepEqual(h(request('/assets/')), { status: 200, body: 'GET /' });
  assert.deepEqual(h(request('http://host/assets/a')), { status: 200, body: 'GET /a' });
  assert.equal(h(request('/assetsX/a')), null);
  assert.equal(h(request('/assets')), null);
  assert.equal(h(request('/')), null);
});

test('a mounted handler that passes is a 404 naming the full path: nothing falls through', async () => {
  const h = first(mount('/assets/', pass), echo);
  assert.throws(
    () => h(request('/assets/none')),
    (err) => isError(err, errors.HTTP_NOT_FOUND) && /\/assets\/none/.test(err.message),
  );
  await assert.rejects(
    async () =>
      first(
        mount('/a/', async () => null),
        echo,
      )(request('/a/b')),
    (err) => isError(err, errors.HTTP_NOT_FOUND),
  );
});

test('the mounted request carries the outer request through', () => {
  let seen: HttpRequest | undefined;
  const outer = request('/p/x', 'POST');
  mount('/p/', (req) => {
    seen = req;
    return { status: 204 };
  })(outer);
  assert.equal(seen?.method, 'POST');
  assert.equal(seen?.headers, outer.headers);
  assert.equal(seen?.client, outer.client);
  assert.equal(seen?.body, outer.body);
  assert.equal(seen?.signal, outer.signal);
  assert.throws(() => mount('assets', echo), /must start and end with/);
});
