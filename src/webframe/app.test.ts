import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { errors } from '../errors/catalogue.js';
import { appWith, readResponse } from './app-fixture.test-helper.js';
import type { LoadedApp } from './index.js';

const webframe = pathToFileURL(join(import.meta.dirname, 'index.js')).href;
const catalogue = pathToFileURL(join(import.meta.dirname, '../errors/catalogue.js')).href;

const URLS = `
import type { Urls } from '${webframe}';
import { HttpError, json, redirect, html, text, reply } from '${webframe}';
import { errors } from '${catalogue}';
import * as v from './views.js';

const urls: Urls = [
  ['/exact', () => 'exact'],
  ['seed', v.seed],
  ['/users/me', { GET: () => 'me' }],
  ['/users/:id', { GET: (req) => ({ id: req.params.id }), delete: () => null }],
  ['/files/:dir/:name', (req) => req.params],
  ['/only-post', { POST: () => 'posted' }],
  ['/boom', () => { throw new Error('kaboom'); }],
  ['/reject', async () => { await new Promise((r) => setTimeout(r, 1)); throw new Error('async kaboom'); }],
  ['/teapot', () => { throw errors.HTTP_FORBIDDEN('/teapot'); }],
  ['/http-error/gone', () => { throw new HttpError(410, 'This page moved on'); }],
  ['/http-error/default', async () => { await new Promise((r) => setTimeout(r, 1)); throw new HttpError(404); }],
  ['/http-error/login', () => {
    throw new HttpError(401, 'Log in first', { headers: { 'WWW-Authenticate': 'Basic realm="x"' } });
  }],
  ['/http-error/busy', () => { throw new HttpError(503, 'Try again later', { headers: { 'retry-after': '5' } }); }],
  ['/http-error/not-an-error-status', () => { throw new HttpError(302); }],
  ['/bytes', () => new Uint8Array([1, 2, 3])],
  ['/array', () => [1, 'two']],
  ['/nothing', () => undefined],
  ['/number', () => 42],
  ['/response', v.streamed],
  ['/broken-stream', v.broken],
  ['/helpers/json', () => json({ a: 1 }, { status: 202 })],
  ['/helpers/html', () => html('<b>x</b>', { headers: { 'x-h': '1' } })],
  ['/helpers/redirect', () => redirect('/exact', 303)],
  ['/helpers/text', () => text('plain', { headers: { 'Cache-Control': 'no-store' } })],
  ['/helpers/reply', () => reply(new Uint8Array([7, 8]), { status: 201, headers: { 'content-type': 'image/x-test' } })],
  ['/helpers/async', async () => { await new Promise((r) => setTimeout(r, 1)); return text('later'); }],
  ['/echo/json', { POST: async (req) => ({ got: await req.json() }) }],
  ['/echo/text', { POST: async (req) => req.text() }],
  ['/echo/form', { POST: v.echoForm }],
  ['/info', v.info],
];
export default urls;
`;

const VIEWS = `
import type { WebframeRequest } from '${webframe}';
export const seed = () => 'seed style';
export function streamed() {
  const parts = ['one,', 'two,', 'three'];
  const body = new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(new TextEncoder().encode(next));
    },
  });
  const headers = new Headers({ 'content-type': 'text/csv', 'x-a': '1' });
  headers.append('set-cookie', 'a=1');
  headers.append('set-cookie', 'b=2');
  return new Response(body, { status: 201, headers });
}
export function broken() {
  let sent = false;
  const body = new ReadableStream({
    pull(controller) {
      if (!sent) { sent = true; controller.enqueue(new TextEncoder().encode('partial')); }
      else controller.error(new Error('mid-stream failure'));
    },
  });
  return new Response(body);
}
export async function echoForm(req: WebframeRequest) {
  const out: Record<string, string> = {};
  (await req.form()).forEach((value, key) => {
    out[key] = typeof value === 'string' ? value : 'file:' + value.name + ':' + value.size;
  });
  return out;
}
export function info(req: WebframeRequest) {
  return {
    method: req.method, path: req.path, info: req.info, q: req.query.get('q'),
    header: req.headers['x-test'], client: req.client, aborted: req.signal.aborted,
  };
}
`;

describe('webframe app', () => {
  let app: LoadedApp;
  let lines: Record<string, unknown>[];
  const call = (method: string, target: string, init?: Parameters<LoadedApp['request']>[2]) =>
    readResponse(app.request(method, target, init));

  before(async () => {
    ({ app, lines } = await appWith({
      'urls.ts': URLS,
      'views.ts': VIEWS,
      'settings.ts': 'export default { port: 9001 };',
      'package.json': '{"type":"module"}',
      'static/index.html': '<h1>home</h1>',
      'static/style.css': 'body{}',
    }));
  });

  test('loads settings with defaults filled in and static resolved', () => {
    assert.equal(app.settings.port, 9001);
    assert.equal(app.settings.host, '127.0.0.1');
    assert.equal(app.settings.debug, false);
    assert.equal(app.settings.static, join(app.dir, 'static'));
  });

  test('exact, seed-style and param routes', async () => {
    assert.equal((await call('GET', '/exact')).text, 'exact');
    assert.equal((await call('GET', '/seed')).text, 'seed style');
    assert.equal((await call('GET', '/users/me')).text, 'me', 'exact route wins over :id');
    assert.deepEqual(JSON.parse((await call('GET', '/users/42')).text), { id: '42' });
    assert.deepEqual(JSON.parse((await call('GET', '/files/a%20b/c%2Fd.txt')).text), {
      dir: 'a b',
      name: 'c/d.txt',
    });
    assert.equal((await call('DELETE', '/users/7')).status, 204, 'lower-case method key is accepted');
  });

  test('unknown path is 404 naming the path; empty param segment does not match', async () => {
    const reply = await call('GET', '/nope?x=1');
    assert.equal(reply.status, 404);
    assert.equal(reply.text, `${errors.HTTP_NOT_FOUND('/nope').message}\n`);
    assert.equal((await call('GET', '/users/')).status, 404);
    assert.equal((await call('GET', '/exact/')).status, 404);
  });

  test('route without the method is 405 with Allow, HEAD listed when GET is', async () => {
    const post = await call('POST', '/users/42');
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'DELETE, GET, HEAD');
    assert.equal(post.text, `${errors.HTTP_METHOD_NOT_ALLOWED('POST', '/users/42').message}\n`);
    const get = await call('GET', '/only-post');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    // /users/me is GET-only, but /users/:id also matches and has DELETE.
    assert.equal((await call('DELETE', '/users/me')).status, 204);
    assert.equal((await call('PUT', '/users/me')).headers.allow, 'DELETE, GET, HEAD');
  });

  test('HEAD runs the GET view', async () => {
    const reply = await call('HEAD', '/users/me');
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('a throwing view is 500 without the stack, and is logged', async () => {
    for (const path of ['/boom', '/reject']) {
      const reply = await call('GET', path);
      assert.equal(reply.status, 500);
      assert.match(reply.text, new RegExp(`^View failed: GET ${path} threw an error`));
      assert.doesNotMatch(reply.text, /kaboom|at /);
    }
    const logged = lines.filter((l) => l.msg === 'view failed');
    assert.equal(logged.length, 2);
    assert.match(JSON.stringify(logged), /async kaboom/);
  });

  test('a thrown catalogue error answers with its status', async () => {
    const reply = await call('GET', '/teapot');
    assert.equal(reply.status, 403);
    assert.equal(reply.text, 'Forbidden: /teapot\n');
  });

  test('a thrown HttpError answers with its status and message through the one error renderer', async () => {
    const gone = await call('GET', '/http-error/gone');
    assert.deepEqual(
      [gone.status, gone.headers['content-type'], gone.text],
      [410, 'text/plain; charset=utf-8', 'This page moved on\n'],
    );
    const page = await call('GET', '/http-error/gone', { headers: { accept: 'text/html' } });
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(page.text, /<title>410 Gone<\/title>.*<p>This page moved on<\/p>/s);
    const missing = await call('GET', '/http-error/default');
    assert.deepEqual([missing.status, missing.text], [404, 'Not Found\n'], 'the reason phrase by default');
    const login = await call('GET', '/http-error/login');
    assert.deepEqual([login.status, login.headers['www-authenticate']], [401, 'Basic realm="x"']);
    assert.equal(lines.filter((l) => l.msg === 'This page moved on' || l.msg === 'Log in first').length, 0);
  });

  test('a 5xx HttpError is logged; a status outside 400-599 is a failing view (500)', async () => {
    const busy = await call('GET', '/http-error/busy');
    assert.deepEqual([busy.status, busy.headers['retry-after'], busy.text], [503, '5', 'Try again later\n']);
    assert.equal(lines.filter((l) => l.msg === 'Try again later').length, 1);
    const wrong = await call('GET', '/http-error/not-an-error-status');
    assert.equal(wrong.status, 500);
    assert.match(
      JSON.stringify(lines.filter((l) => l.msg === 'view failed')),
      /HttpError: status must be an integer from 400 to 599, got 302/,
    );
  });

  test('each result kind', async () => {
    const html = await call('GET', '/exact');
    assert.deepEqual([html.status, html.headers['content-type']], [200, 'text/html; charset=utf-8']);
    const bytes = await call('GET', '/bytes');
    assert.deepEqual([bytes.status, bytes.headers['content-type']], [200, 'application/octet-stream']);
    assert.deepEqual([...bytes.bytes], [1, 2, 3]);
    const array = await call('GET', '/array');
    assert.equal(array.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(array.text), [1, 'two']);
    const nothing = await call('GET', '/nothing');
    assert.deepEqual([nothing.status, nothing.bytes.length], [204, 0]);
    const number = await call('GET', '/number');
    assert.equal(number.status, 500);
  });

  test('a Response is passed through with its status, headers and streamed body', async () => {
    const response = await app.request('GET', '/response');
    assert.equal(response.status, 201);
    const reader = response.body!.getReader();
    const chunks: string[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read())
      chunks.push(Buffer.from(r.value).toString());
    assert.equal(chunks[0], 'one,', 'body is streamed, not buffered');
    assert.equal(chunks.join(''), 'one,two,three');
    assert.equal(response.headers.get('content-type'), 'text/csv');
    assert.equal(response.headers.get('x-a'), '1');
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
  });

  test('an error while streaming a Response body is logged and ends the stream with an error', async () => {
    const response = await app.request('GET', '/broken-stream');
    assert.equal(response.status, 200);
    await assert.rejects(readResponse(response), /mid-stream failure/);
    assert.ok(lines.some((l) => l.msg === 'response body stream failed'));
  });

  test('helpers: json, html, redirect, text, reply; sync and async views', async () => {
    const json = await call('GET', '/helpers/json');
    assert.deepEqual(
      [json.status, json.headers['content-type'], json.text],
      [202, 'application/json; charset=utf-8', '{"a":1}'],
    );
    const html = await call('GET', '/helpers/html');
    assert.deepEqual(
      [html.headers['content-type'], html.headers['x-h'], html.text],
      ['text/html; charset=utf-8', '1', '<b>x</b>'],
    );
    const redirect = await call('GET', '/helpers/redirect');
    assert.deepEqual([redirect.status, redirect.headers.location], [303, '/exact']);
    const text = await call('GET', '/helpers/text');
    assert.deepEqual(
      [text.status, text.headers['content-type'], text.headers['cache-control'], text.text],
      [200, 'text/plain; charset=utf-8', 'no-store', 'plain'],
    );
    const reply = await call('GET', '/helpers/reply');
    assert.deepEqual(
      [reply.status, reply.headers['content-type'], reply.text],
      [201, 'image/x-test', '\x07\x08'],
    );
    const later = await call('GET', '/helpers/async');
    assert.deepEqual([later.status, later.text], [200, 'later']);
  });

  test('request fields: method, decoded path, raw info, query, headers, client, signal', async () => {
    const reply = await call('GET', '/info?q=a%20b', {
      headers: { 'x-test': 'yes' },
      client: { address: '127.0.0.1', port: 1 },
    });
    assert.deepEqual(JSON.parse(reply.text), {
      method: 'GET',
      path: '/info',
      info: '/info?q=a%20b',
      q: 'a b',
      header: 'yes',
      client: { address: '127.0.0.1', port: 1 },
      aborted: false,
    });
  });

  test('malformed percent-encoding is 400', async () => {
    assert.equal((await call('GET', '/users/%E0%A4%A')).status, 400);
  });

  test('json body, multi-chunk; bad JSON is 400 with a clear message', async () => {
    const good = await call('POST', '/echo/json', { body: ['{"a":', '[1,2', ']}'] });
    assert.deepEqual(JSON.parse(good.text), { got: { a: [1, 2] } });
    const bad = await call('POST', '/echo/json', { body: ['{"a":'] });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /^Bad request: body is not valid JSON: /);
  });

  test('text body is decoded as UTF-8 across chunk boundaries', async () => {
    const bytes = Buffer.from('héllo wörld');
    const reply = await call('POST', '/echo/text', { body: [bytes.subarray(0, 2), bytes.subarray(2)] });
    assert.equal(reply.text, 'héllo wörld');
  });

  test('form: urlencoded', async () => {
    const reply = await call('POST', '/echo/form', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: ['name=Ann+Lee&msg=', 'a%26b'],
    });
    assert.deepEqual(JSON.parse(reply.text), { name: 'Ann Lee', msg: 'a&b' });
  });

  test('form: multipart with a file', async () => {
    const boundary = 'XyZ123';
    const body = [
      `--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nAnn\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="doc"; filename="a.txt"\r\n`,
      `Content-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`,
    ];
    const reply = await call('POST', '/echo/form', {
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    assert.deepEqual(JSON.parse(reply.text), { name: 'Ann', doc: 'file:a.txt:5' });
  });

  test('form: wrong content type or broken multipart is 400', async () => {
    const json = await call('POST', '/echo/form', {
      headers: { 'content-type': 'application/json' },
      body: ['{}'],
    });
    assert.equal(json.status, 400);
    assert.match(json.text, /expected a form body/);
    const broken = await call('POST', '/echo/form', {
      headers: { 'content-type': 'multipart/form-data; boundary=zz' },
      body: ['garbage'],
    });
    assert.equal(broken.status, 400);
  });

  test('static fallback for GET and HEAD only', async () => {
    const index = await call('GET', '/');
    assert.deepEqual([index.status, index.text], [200, '<h1>home</h1>']);
    const css = await call('GET', '/style.css');
    assert.equal(css.status, 200);
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.equal(css.text, 'body{}');
    assert.equal((await call('HEAD', '/style.css')).status, 200);
    assert.equal((await call('POST', '/style.css')).status, 404);
    assert.equal((await call('GET', '/missing.css')).status, 404);
    assert.notEqual((await call('GET', '/%2e%2e/settings.ts')).status, 200);
    assert.notEqual((await call('GET', '/../urls.ts')).status, 200);
  });
});
