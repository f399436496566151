import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { LINGER_MS } from '../src/http/http-engine.js';
import { curl } from './support/http-client.js';
import { ROOT, startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = `${ROOT}/test/fixtures/app`;

for (const engine of ['llhttp', 'node']) {
  describe(`httpserver --model loop --engine ${engine}: an idle client does not hold the others`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      stack = await startStack(APP, { httpserver: ['--model', 'loop', '--engine', engine] });
    });
    after(() => stack.stop());

    test('client A, answered and keeping its socket open; client B is answered while A is still held', async () => {
      const port = Number(new URL(stack.url).port);
      // allowHalfOpen: A does not answer the server's FIN with its own, as a client that keeps its socket
      // open would not.
      const a = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
      let aReceived = '';
      let aEndedAt: number | undefined;
      a.on('error', () => {});
      a.on('end', () => (aEndedAt = performance.now()));
      a.on('data', (d) => (aReceived += d.toString('latin1')));
      a.write('GET /pid HTTP/1.1\r\nHost: a\r\n\r\n');
      await waitFor(() => aEndedAt !== undefined, 'the server ends A after its response');
      assert.match(
        aReceived,
        /^connection: close\r$/im,
        'A was told its connection closes after its response',
      );
      const b = await curl([`${stack.url}/pid`]);
      const waited = performance.now() - (aEndedAt ?? 0);
      assert.equal(b.status, 200);
      // The server holds A's half-closed socket for LINGER_MS from its FIN before it destroys it: B, asked
      // for after that FIN, must not wait for that.
      assert.ok(waited < LINGER_MS, `B answered ${Math.round(waited)} ms after A's FIN: the server held A`);
      a.destroy();
    });
  });
}
