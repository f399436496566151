import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl, parseResponse, rawExchange } from './support/http-client.js';
import { startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/replies-app';

describe('httpserver: replies with no body, CONNECT, and what the access log says of its own errors', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let port: number;
  before(async () => {
    const config = join(tmpdir(), `tandem-${process.pid}-replies.json`);
    writeFileSync(config, JSON.stringify({ limits: { maxBodySize: 1000 } }));
    stack = await startStack(APP, { httpserver: ['--config', config] });
    port = stack.httpserver.port;
  });
  after(() => stack?.stop());

  for (const status of [301, 302, 303, 307, 308]) {
    test(`redirect() ${status}: content-length 0, not an empty chunked body`, async () => {
      const raw = await rawExchange(
        port,
        `GET /redirect/${status} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      );
      const r = parseResponse(raw);
      assert.equal(r.status, status);
      assert.equal(r.headers.location, '/done');
      assert.equal(r.headers['transfer-encoding'], undefined, raw);
      assert.equal(r.headers['content-length'], '0', raw);
      assert.equal(r.body, '');
    });
  }

  test('HEAD of a redirect: no content-length invented, no body', async () => {
    const raw = await rawExchange(port, 'HEAD /redirect HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const r = parseResponse(raw);
    assert.equal(r.status, 302);
    assert.equal(r.headers['transfer-encoding'], undefined, raw);
    assert.equal(r.body, '');
  });

  test('CONNECT is answered 501 with an access-log line, and the server keeps serving', async () => {
    const raw = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    const r = parseResponse(raw);
    assert.equal(r.status, 501, raw);
    assert.equal(r.headers['content-length'], String(Buffer.byteLength(r.body)));
    await waitFor(
      () => /"CONNECT example\.com:443 HTTP\/1\.1" 501 [1-9]/.test(stack.httpserver.stdout()),
      `an access-log line for CONNECT in ${stack.httpserver.stdout()}`,
    );
    assert.equal((await curl([`${stack.url}/redirect`])).status, 302);
  });

  test('a 413 is logged with the bytes of the error page sent', async () => {
    const r = await curl(['--data-binary', 'x'.repeat(5000), '-H', 'Expect:', `${stack.url}/count`]);
    assert.equal(r.status, 413);
    const sent = Buffer.byteLength(r.body);
    assert.ok(sent > 0);
    await waitFor(
      () => new RegExp(`"POST /count HTTP/1\\.1" 413 ${sent} `).test(stack.httpserver.stdout()),
      `an access-log line "413 ${sent}" in ${stack.httpserver.stdout()}`,
    );
  });
});

for (const engine of ['llhttp', 'node']) {
  describe(`httpserver --engine ${engine}: a 413 answered before 100 Continue`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      const config = join(tmpdir(), `tandem-${process.pid}-replies-${engine}.json`);
      writeFileSync(config, JSON.stringify({ limits: { maxBodySize: 1000 } }));
      stack = await startStack(APP, { httpserver: ['--config', config, '--engine', engine] });
    });
    after(() => stack?.stop());

    test('is logged with the bytes of the error page sent, and the body is never asked for', async () => {
      const raw = await rawExchange(
        stack.httpserver.port,
        'POST /count?expect HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n',
      );
      assert.doesNotMatch(raw, /100 Continue/);
      const r = parseResponse(raw);
      assert.equal(r.status, 413, raw);
      const sent = Buffer.byteLength(r.body);
      assert.ok(sent > 0);
      await waitFor(
        () => new RegExp(`"POST /count\\?expect HTTP/1\\.1" 413 ${sent} `).test(stack.httpserver.stdout()),
        `an access-log line "413 ${sent}" in ${stack.httpserver.stdout()}`,
      );
    });
  });
}
