import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { ROOT, startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = `${ROOT}/test/fixtures/app`;

describe('httpserver --model loop: an idle keep-alive client does not hold the others', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  before(async () => {
    stack = await startStack(APP, { httpserver: ['--model', 'loop'] });
  });
  after(() => stack.stop());

  test('client A, answered and then idle with its connection open; client B is answered at once', async () => {
    const port = Number(new URL(stack.url).port);
    const a = connect(port, '127.0.0.1');
    let aReceived = '';
    let aClosed = false;
    a.on('error', () => {});
    a.on('close', () => (aClosed = true));
    const answered = new Promise<void>((resolve) => {
      a.on('data', (d) => {
        aReceived += d.toString('latin1');
        if (/\r\n\r\n/.test(aReceived)) resolve();
      });
    });
    a.write('GET /pid HTTP/1.1\r\nHost: a\r\n\r\n');
    await answered; // A now idles between requests (keep-alive timeout 5 s)
    const started = performance.now();
    const b = await curl([`${stack.url}/pid`]);
    const waited = performance.now() - started;
    assert.equal(b.status, 200);
    assert.ok(waited < 2500, `B waited ${Math.round(waited)} ms behind idle A (keep-alive timeout 5000 ms)`);
    assert.match(aReceived, /^connection: close\r$/im, 'A was told its connection closes after its response');
    await waitFor(() => aClosed, 'A closed by the server');
    a.destroy();
  });
});
