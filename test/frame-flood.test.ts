import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { encodeFrame, FrameType } from '../src/protocol/frame-codec.js';
import { curl } from './support/http-client.js';
import { startStack, treeRssMiB } from './support/processes.js';

const APP = 'test/fixtures/app';
const TOTAL = 128 << 20;
/** A reading webframe drains a socket buffer in microseconds: this long without a drain means it stopped. */
const STALLED_MS = 2000;

/**
 * Sends HELLO and then PINGs to the webframe at `port` without ever reading the answers, until TOTAL bytes are
 * sent or the webframe stops taking them; resolves with the bytes sent and whether the flood stalled.
 */
async function flood(port: number): Promise<{ sent: number; stalled: boolean; close: () => void }> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.pause(); // the PING ACKs are never read
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(encodeFrame(FrameType.HELLO, 0, 0, Buffer.from('{"protocol":"tandem","version":1}')));
  const batch = Buffer.concat(
    Array.from({ length: 4096 }, () => encodeFrame(FrameType.PING, 0, 0, Buffer.alloc(8))),
  );
  let sent = 0;
  while (sent < TOTAL) {
    sent += batch.length;
    if (socket.write(batch)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), STALLED_MS);
      socket.once('drain', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!drained) return { sent, stalled: true, close: () => socket.destroy() };
  }
  return { sent, stalled: false, close: () => socket.destroy() };
}

for (const model of ['event', 'prefork'] as const) {
  describe(`a peer that floods the webframe and never reads cannot grow it (--model ${model})`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      stack = await startStack(APP, { webframe: ['--model', model, '--workers', '2'] });
    });
    after(async () => {
      await stack?.stop();
    });

    test('a PING flood stalls in the flooder once replies back up; the webframe stays small and serves', async (t) => {
      const pid = stack.webframe.proc.pid!;
      const before = treeRssMiB(pid);
      const result = await flood(stack.webframe.port);
      const grew = treeRssMiB(pid) - before;
      t.diagnostic(
        `flooder sent ${(result.sent / 2 ** 20).toFixed(1)} MiB; webframe grew by ${Math.round(grew)} MiB`,
      );
      try {
        assert.ok(result.stalled, `the webframe read all ${result.sent} bytes`);
        assert.ok(grew < 100, `the webframe grew by ${Math.round(grew)} MiB`);
        assert.equal((await curl([`${stack.url}/sleep/1`])).status, 200, 'everyone else is still served');
      } finally {
        result.close();
      }
    });
  });
}
