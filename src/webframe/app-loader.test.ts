import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { errors, isError } from '../errors/catalogue.js';
import { appWith, captureLogger, readResponse, writeApp } from './app-fixture.test-helper.js';
import { loadApp } from './index.js';

const catalogue = pathToFileURL(join(import.meta.dirname, '../errors/catalogue.js')).href;

describe('webframe app with debug on', () => {
  test('a throwing view shows the stack', async () => {
    const { app } = await appWith(
      { 'urls.mjs': `export default [['/boom', () => { throw new Error('kaboom'); }]];` },
      { debug: true },
    );
    assert.equal(app.settings.debug, true);
    assert.equal(app.settings.static, join(app.dir, 'static'), 'a missing default static folder is fine');
    const reply = await readResponse(app.request('GET', '/boom'));
    assert.equal(reply.status, 500);
    assert.match(reply.text, /^View failed: GET \/boom threw Error: kaboom\n\s+at /);
  });
});

describe('loading apps', () => {
  test('.js and .mjs modules and the seed-style named urls export', async () => {
    const { app } = await appWith({
      'urls.js': `export const urls = [['hi', () => 'hi']];`,
      'settings.mjs': `export default { host: 'localhost', debug: true, static: false };`,
      'package.json': '{"type":"module"}',
    });
    assert.deepEqual(app.settings, {
      host: 'localhost',
      port: 8806,
      static: false,
      debug: true,
      model: 'event',
      workers: 2,
      drainTimeout: 30000,
    });
    assert.equal((await readResponse(app.request('GET', '/hi'))).text, 'hi');
  });

  test('an app with no package.json (its .ts loaded as ESM) still gets catalogue statuses', async () => {
    const { app } = await appWith({
      'urls.ts': `import { errors } from '${catalogue}';\nexport default [['/x', () => { throw errors.HTTP_FORBIDDEN('/x'); }]];`,
    });
    const reply = await readResponse(app.request('GET', '/x'));
    assert.deepEqual([reply.status, reply.text], [403, 'Forbidden: /x\n']);
  });

  test('overrides replace settings and are validated', async () => {
    const dir = await writeApp({
      'urls.mjs': 'export default [];',
      'settings.mjs': 'export default { port: 1 };',
    });
    const app = await loadApp(dir, { port: 0, host: '::1', debug: true, logger: captureLogger().logger });
    assert.deepEqual([app.settings.port, app.settings.host, app.settings.debug], [0, '::1', true]);
    await assert.rejects(
      loadApp(dir, { port: 70000 }),
      (err) => isError(err, errors.CONFIG_INVALID) && /"port"/.test(err.message),
    );
  });

  const badSettings: [string, RegExp][] = [
    ['{ port: 70000 }', /settings\.mjs: key "port": expected an integer from 0 to 65535, got 70000/],
    [
      '{ model: "forking" }',
      /settings\.mjs: key "model": expected one of loop, event, fork, prefork, thread, got "forking"/,
    ],
    ["{ port: '8806' }", /key "port"/],
    ['{ debug: "yes" }', /key "debug": expected true or false/],
    ['{ host: "not a host!" }', /key "host"/],
    ['{ static: 3 }', /key "static"/],
    ['{ prot: 1 }', /key "prot": unknown key/],
  ];
  for (const [value, pattern] of badSettings) {
    test(`settings ${value} is refused naming the key`, async () => {
      const dir = await writeApp({
        'urls.mjs': 'export default [];',
        'settings.mjs': `export default ${value};`,
      });
      await assert.rejects(loadApp(dir), (err) => {
        assert.ok(isError(err, errors.CONFIG_INVALID), String(err));
        assert.match(err.message, pattern);
        assert.ok(err.message.startsWith(join(dir, 'settings.mjs')));
        return true;
      });
    });
  }

  test('a configured static folder that does not exist is refused', async () => {
    const dir = await writeApp({
      'urls.mjs': 'export default [];',
      'settings.mjs': `export default { static: 'public' };`,
    });
    await assert.rejects(
      loadApp(dir),
      (err) => isError(err, errors.APP_INVALID) && /public does not exist/.test(err.message),
    );
  });

  const badUrls: [string, RegExp][] = [
    ['{}', /must default-export an array/],
    ["[['/a']]", /entry 0: expected \[pattern, view\]/],
    ["[['/a', () => 1], [5, () => 1]]", /entry 1: pattern must be a string, got a number/],
    ["[['/a', 'view']]", /entry 0 \(\/a\): view must be a function/],
    ["[['/a', {}]]", /the method map is empty/],
    ["[['/a', { GET: 1 }]]", /the GET view must be a function, got a number/],
    ["[['/a', { 'GE T': () => 1 }]]", /"GE T" is not an HTTP method name/],
    ["[['/a/:b/:b', () => 1]]", /repeats the parameter ":b"/],
    ["[['/a/:', () => 1]]", /invalid parameter ":"/],
    ["[['/a?x', () => 1]]", /without spaces, query or fragment/],
    ["[['/a', () => 1], ['a', () => 2]]", /entry 1 \(\/a\): the route is defined twice/],
    ["[['/a', { GET: () => 1 }], ['/a', { get: () => 2 }]]", /GET is defined twice/],
  ];
  for (const [value, pattern] of badUrls) {
    test(`urls ${value} is refused`, async () => {
      const dir = await writeApp({ 'urls.mjs': `export default ${value};` });
      await assert.rejects(loadApp(dir), (err) => {
        assert.ok(isError(err, errors.APP_INVALID), String(err));
        assert.ok(err.message.startsWith(`${join(dir, 'urls.mjs')}: `), err.message);
        assert.match(err.message, pattern);
        return true;
      });
    });
  }

  test('the same pattern may be split across entries by method', async () => {
    const { app } = await appWith({
      'urls.mjs': "export default [['/a', { GET: () => 'get' }], ['a', { POST: () => 'post' }]];",
    });
    assert.equal((await readResponse(app.request('POST', '/a'))).text, 'post');
    assert.equal((await readResponse(app.request('PUT', '/a'))).headers.allow, 'GET, HEAD, POST');
  });

  test('a missing folder, missing urls or a module that fails to load is APP_LOAD_FAILED', async () => {
    await assert.rejects(loadApp('/nonexistent/webframe/app'), (err) => isError(err, errors.APP_LOAD_FAILED));
    const empty = await writeApp({ 'views.ts': '' });
    await assert.rejects(
      loadApp(empty),
      (err) => isError(err, errors.APP_LOAD_FAILED) && /no urls\.ts/.test(err.message),
    );
    const broken = await writeApp({ 'urls.ts': 'export default [[[;' });
    await assert.rejects(
      loadApp(broken),
      (err) => isError(err, errors.APP_LOAD_FAILED) && /urls\.ts/.test(err.message),
    );
    const noDefault = await writeApp({
      'urls.mjs': 'export default [];',
      'settings.mjs': 'export const port = 1;',
    });
    await assert.rejects(
      loadApp(noDefault),
      (err) => isError(err, errors.APP_INVALID) && /default-export/.test(err.message),
    );
  });
  test('a module that throws while urls.ts imports it is reported as that module, with its line', async () => {
    for (const ext of ['ts', 'mjs']) {
      const dir = await writeApp({
        'package.json': '{"type":"module"}',
        [`urls.${ext}`]: `import * as views from './views.${ext === 'ts' ? 'js' : 'mjs'}';\nexport default [['/x', views.x]];\n`,
        [`views.${ext}`]: `export function x() { return 'x'; }\nthrow new Error('views broke at import');\n`,
      });
      await assert.rejects(loadApp(dir), (err) => {
        assert.ok(isError(err, errors.APP_LOAD_FAILED));
        assert.equal(
          err.message,
          `cannot load app ${dir}: ${join(dir, `views.${ext}`)}:2: views broke at import (imported by urls.${ext})`,
        );
        return true;
      });
    }
  });
});
