import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { captureLogger, readResponse } from './app-fixture.test-helper.js';
import { type LoadedApp, loadApp } from './index.js';

const SITE = join(import.meta.dirname, '../../examples/site');

describe('examples/site', () => {
  let app: LoadedApp;
  const call = (method: string, target: string, init?: Parameters<LoadedApp['request']>[2]) =>
    readResponse(app.request(method, target, init));

  before(async () => {
    app = await loadApp(SITE, { logger: captureLogger().logger });
  });

  test('settings', () => {
    assert.deepEqual(app.settings, {
      host: '127.0.0.1',
      port: 8806,
      static: join(SITE, 'static'),
      debug: false,
      model: 'event',
      workers: 2,
      drainTimeout: 30000,
    });
  });

  test('/datetime and the seed-style hi route', async () => {
    const datetime = await call('GET', '/datetime');
    assert.equal(datetime.status, 200);
    const iso = /datetime="([^"]+)"/.exec(datetime.text)?.[1];
    assert.ok(iso !== undefined && Math.abs(Date.parse(iso) - Date.now()) < 60_000, datetime.text);
    const hi = await call('GET', '/hi');
    assert.deepEqual(
      [hi.status, hi.headers['content-type'], hi.text],
      [200, 'text/html; charset=utf-8', 'hi'],
    );
  });

  test('/api/hello/:name answers JSON with the decoded name', async () => {
    const reply = await call('GET', '/api/hello/J%C3%BCrgen');
    assert.equal(reply.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(reply.text), { hello: 'Jürgen' });
  });

  test('POST /form shows the submitted fields HTML-escaped; GET /form is 405', async () => {
    const reply = await call('POST', '/form', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: [new URLSearchParams({ name: 'Ann <b>', message: 'x & "y"' }).toString()],
    });
    assert.equal(reply.status, 200);
    assert.match(reply.text, /<dt>name<\/dt><dd>Ann &lt;b&gt;<\/dd>/);
    assert.match(reply.text, /<dt>message<\/dt><dd>x &amp; &quot;y&quot;<\/dd>/);
    const get = await call('GET', '/form');
    assert.deepEqual([get.status, get.headers.allow], [405, 'POST']);
  });

  test('POST /upload hashes a multi-chunk body as it streams', async () => {
    const chunks = Array.from({ length: 8 }, (_, i) => randomBytes(10_000 + i));
    const expected = createHash('sha256');
    for (const chunk of chunks) expected.update(chunk);
    const reply = await call('POST', '/upload', { body: chunks });
    assert.deepEqual(JSON.parse(reply.text), {
      bytes: chunks.reduce((n, c) => n + c.length, 0),
      sha256: expected.digest('hex'),
    });
    const empty = await call('POST', '/upload');
    assert.deepEqual(JSON.parse(empty.text), { bytes: 0, sha256: createHash('sha256').digest('hex') });
  });

  test('static pages: index, stylesheet and script', async () => {
    const index = await call('GET', '/');
    assert.equal(index.status, 200);
    assert.match(String(index.headers['content-type']), /^text\/html/);
    assert.match(index.text, /<title>Tandem demo<\/title>/);
    assert.match(index.text, /<form id="demo-form" method="post" action="\/form">/);
    for (const link of ['/style.css', '/app.js', '/datetime', '/hi', '/api/hello/world']) {
      assert.ok(index.text.includes(`"${link}"`), link);
    }
    const css = await call('GET', '/style.css');
    assert.match(String(css.headers['content-type']), /^text\/css/);
    const js = await call('GET', '/app.js');
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(js.text, /JS loaded/);
    assert.equal((await call('GET', '/views.ts')).status, 404, 'app sources are not served');
  });
});
