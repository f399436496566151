import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl, rawExchange } from './support/http-client.js';
import { startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

let stack: Awaited<ReturnType<typeof startStack>>;

before(async () => {
  stack = await startStack('examples/site');
});
after(async () => {
  await stack?.stop();
});

describe('demo site through httpserver → frame protocol → webframe', () => {
  test("the seed's /datetime and /hi", async () => {
    const hi = await curl([`${stack.url}/hi`]);
    assert.equal(hi.status, 200);
    assert.match(hi.headers['content-type'] ?? '', /^text\/html/);
    assert.ok(hi.body.length > 0);
    const datetime = await curl([`${stack.url}/datetime`]);
    assert.equal(datetime.status, 200);
    assert.match(datetime.body, new RegExp(String(new Date().getUTCFullYear())));
  });

  test('index page and its static CSS and JS', async () => {
    const index = await curl([`${stack.url}/`]);
    assert.equal(index.status, 200);
    assert.match(index.body, /<title>Tandem demo<\/title>/);
    assert.match(index.body, /href="\/style\.css"/);
    assert.match(index.body, /src="\/app\.js"/);
    const css = await curl([`${stack.url}/style.css`]);
    assert.equal(css.status, 200);
    assert.equal(css.headers['content-type'], 'text/css; charset=utf-8');
    const js = await curl([`${stack.url}/app.js`]);
    assert.equal(js.status, 200);
    assert.match(js.headers['content-type'] ?? '', /javascript/);
  });

  test('GET /api/hello/:name answers JSON', async () => {
    const r = await curl([`${stack.url}/api/hello/w%C3%B6rld`]);
    assert.equal(r.status, 200);
    assert.match(r.headers['content-type'] ?? '', /^application\/json/);
    assert.deepEqual(JSON.parse(r.body), { hello: 'wörld' });
  });

  test('the form POST shows what was sent, escaped', async () => {
    const r = await curl([
      '--data-urlencode',
      'name=Ada',
      '--data-urlencode',
      'message=<b>hi</b>',
      `${stack.url}/form`,
    ]);
    assert.equal(r.status, 200);
    assert.match(r.body, /Ada/);
    assert.match(r.body, /&lt;b&gt;hi&lt;\/b&gt;/);
  });

  test('POST /upload streams a chunked body and answers its size and sha256', async () => {
    const data = randomBytes(24 * 1024 * 1024 + 3);
    const file = join(tmpdir(), `tandem-upload-${process.pid}.bin`);
    writeFileSync(file, data);
    const expected = createHash('sha256').update(data).digest('hex');
    const chunked = await curl([
      '-H',
      'Transfer-Encoding: chunked',
      '--data-binary',
      `@${file}`,
      `${stack.url}/upload`,
    ]);
    assert.deepEqual(JSON.parse(chunked.body), { bytes: data.length, sha256: expected });
    // With Content-Length, curl sends Expect: 100-continue for a body this large.
    const sized = await curl(['--data-binary', `@${file}`, `${stack.url}/upload`]);
    assert.deepEqual(JSON.parse(sized.body), { bytes: data.length, sha256: expected });
  });

  test('HEAD answers the GET headers without a body', async () => {
    const r = await curl(['-I', `${stack.url}/hi`]);
    assert.equal(r.status, 200);
    assert.equal(r.body, '');
    assert.ok(Number(r.headers['content-length']) > 0);
  });

  test('keep-alive and pipelining: three requests on one connection, answered in order', async () => {
    const port = Number(new URL(stack.url).port);
    const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const text = await rawExchange(
      port,
      request('/api/hello/one') + request('/api/hello/two') + request('/api/hello/three'),
    );
    const order = [...text.matchAll(/\{"hello":"(\w+)"\}/g)].map((m) => m[1]);
    assert.deepEqual(order, ['one', 'two', 'three']);
    assert.equal(text.match(/HTTP\/1\.1 200 OK/g)?.length, 3);
  });

  test('Expect: 100-continue gets 100 before the body is sent', async () => {
    const port = Number(new URL(stack.url).port);
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => {
      received += d.toString();
    });
    socket.write('POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await waitFor(() => received.includes('100 Continue'), 'the 100 Continue');
    assert.doesNotMatch(received, /200 OK/);
    socket.write('hello');
    await waitFor(() => received.includes('"bytes":5'), 'the answer to the body');
    socket.destroy();
  });

  test('the access log has one combined-format line per request', async () => {
    await curl(['-A', 'tandem-test/1.0', '-e', 'http://ref.example/', `${stack.url}/hi?x=1`]);
    await waitFor(() => stack.httpserver.stdout().includes('tandem-test/1.0'), 'the access-log line');
    const line =
      stack.httpserver
        .stdout()
        .split('\n')
        .find((l) => l.includes('tandem-test/1.0')) ?? '';
    assert.match(
      line,
      /^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/hi\?x=1 HTTP\/1\.1" 200 \d+ "http:\/\/ref\.example\/" "tandem-test\/1\.0"$/,
    );
  });
});
