import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { type Running, startHttpServer, startProcess } from './support/processes.js';

// The Python webframe was written from docs/protocol.md alone: serving through it shows the spec is complete.
let python: Running;
let front: Running;
let url: string;

before(async () => {
  python = await startProcess(
    'python3',
    ['examples/python-webframe/webframe.py', '--port', '0'],
    /listening on [^\s]+:(\d+)/,
  );
  front = await startHttpServer(python.port);
  url = `http://127.0.0.1:${front.port}`;
});
after(async () => {
  await front?.stop();
  await python?.stop();
});

describe('httpserver in front of the standard-library Python webframe', () => {
  test('small responses travel inline', async () => {
    const index = await curl([`${url}/`]);
    assert.equal(index.status, 200);
    assert.match(index.body, /Hello from Python webframe/);
    const hello = await curl([`${url}/api/hello/w%C3%B6rld`]);
    assert.deepEqual(JSON.parse(hello.body), { hello: 'wörld', from: 'python' });
  });

  test('a large body streams both ways under flow control', async () => {
    const data = randomBytes(8 * 1024 * 1024 + 5);
    const file = join(tmpdir(), `tandem-py-${process.pid}.bin`);
    writeFileSync(file, data);
    const expected = createHash('sha256').update(data).digest('hex');
    const sha = await curl(['--data-binary', `@${file}`, `${url}/sha256`]);
    assert.deepEqual(JSON.parse(sha.body), { bytes: data.length, sha256: expected });
    const echoed = await new Promise<Buffer>((resolve, reject) => {
      fetch(`${url}/echo`, { method: 'POST', body: data })
        .then((r) => r.arrayBuffer())
        .then((b) => resolve(Buffer.from(b)), reject);
    });
    assert.equal(echoed.length, data.length);
    assert.equal(createHash('sha256').update(echoed).digest('hex'), expected);
  });

  test('concurrent requests share the pooled connections', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => curl([`${url}/api/hello/n${i}`])));
    assert.deepEqual(
      results.map((r) => JSON.parse(r.body).hello),
      results.map((_, i) => `n${i}`),
    );
  });

  test('404 and 405 come from the Python views', async () => {
    assert.equal((await curl([`${url}/missing`])).status, 404);
    const wrong = await curl(['-X', 'DELETE', `${url}/hi`]);
    assert.equal(wrong.status, 405);
    assert.ok(wrong.headers.allow);
  });
});
