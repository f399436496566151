import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startEchoServer, streamClient } from './models.case.js';

/**
 * Client A's request is in flight (the handler has begun `slow`) when client B connects and asks; resolves
 * with who was answered first. A is done once it has its answer and hangs up.
 */
async function firstAnswered(model: 'loop' | 'event', slowMs: number): Promise<string[]> {
  const { server, address, started } = await startEchoServer({ kind: model }, 'tcp4');
  const order: string[] = [];
  const a = streamClient(address);
  const first = a.ask(`slow ${slowMs}`).then((answer) => {
    order.push('A');
    a.socket.end();
    return answer;
  });
  await started(`slow ${slowMs}`);
  const b = streamClient(address);
  assert.equal(await b.ask('echo b'), 'b');
  order.push('B');
  assert.equal(await first, 'done');
  b.socket.end();
  await Promise.all([a.closed, b.closed]);
  await server.close();
  return order;
}

describe('loop versus event', () => {
  test('loop: a second client waits until the first is done', async () => {
    assert.deepEqual(await firstAnswered('loop', 300), ['A', 'B'], 'B was answered before A was done');
  });

  // A long hold, so that B's answer comes first however busy the machine is (unless B waits for A).
  test('event: a second client is answered while the first is still being served', async () => {
    assert.deepEqual(await firstAnswered('event', 2000), ['B', 'A'], 'B waited for A');
  });
});
