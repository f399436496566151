import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startEchoServer, streamClient } from './models.case.js';

/** Client A holds the server for 300 ms; how long does client B, arriving 50 ms later, wait for its answer? */
async function secondClientWait(model: 'loop' | 'event'): Promise<number> {
  const { server, address } = await startEchoServer({ kind: model }, 'tcp4');
  const a = streamClient(address);
  // A is done once it has its answer and hangs up.
  const first = a.ask('slow 300').then((answer) => {
    a.socket.end();
    return answer;
  });
  await new Promise((r) => setTimeout(r, 50));
  const b = streamClient(address);
  const started = performance.now();
  assert.equal(await b.ask('echo b'), 'b');
  const waited = performance.now() - started;
  assert.equal(await first, 'done');
  b.socket.end();
  await Promise.all([a.closed, b.closed]);
  await server.close();
  return waited;
}

describe('loop versus event', () => {
  test('loop: a second client waits until the first is done', async () => {
    const waited = await secondClientWait('loop');
    assert.ok(waited >= 200, `B answered after ${waited.toFixed(0)} ms, before A was done`);
  });

  test('event: a second client is answered while the first is still being served', async () => {
    const waited = await secondClientWait('event');
    assert.ok(waited < 150, `B waited ${waited.toFixed(0)} ms`);
  });
});
