import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CLI, type Running, startProcess, startWebframe } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';
const LIMIT = 256;

/** Opens `count` connections at once; resolves once each is connected or refused. */
async function openMany(port: number, count: number): Promise<Socket[]> {
  const sockets = Array.from({ length: count }, () => connect(port, '127.0.0.1'));
  await Promise.all(
    sockets.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.once('connect', () => resolve());
          s.once('error', () => resolve());
        }),
    ),
  );
  for (const s of sockets) s.on('error', () => {});
  return sockets;
}

/** One request on an open connection; resolves with the status line. */
function ask(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (text.includes('\r\n')) resolve(text.slice(0, text.indexOf('\r\n')));
    });
    socket.write('GET /echo-head HTTP/1.1\r\nHost: x\r\n\r\n');
  });
}

for (const model of ['event', 'prefork'] as const) {
  describe(`at its open-files limit httpserver refuses new connections and says so (--model ${model})`, () => {
    let webframe: Running;
    let front: Running;
    before(async () => {
      webframe = await startWebframe(APP);
      front = await startProcess(
        'prlimit',
        [
          `--nofile=${LIMIT}:${LIMIT}`,
          process.execPath,
          CLI,
          'httpserver',
          '--port',
          '0',
          '--webframe',
          `127.0.0.1:${webframe.port}`,
          '--model',
          model,
          '--workers',
          '2',
        ],
        /httpserver listening on http:\/\/[^:]+:(\d+)/,
      );
    });
    after(async () => {
      await front?.stop();
      await webframe?.stop();
    });

    test(`${LIMIT} open files: the connections past the cap are refused with a log line, the others served`, async () => {
      const sockets = await openMany(front.port, 3 * LIMIT);
      await waitFor(() => /refused \d+ connection/.test(front.stderr()), 'the refusal log line');
      assert.match(
        front.stderr(),
        /refused \d+ connection\(s\): \d+ are open, the most one process holds with 256 open files \(ulimit -n\)/,
      );
      assert.doesNotMatch(front.stderr(), /EMFILE/);
      const served = sockets.find((s) => !s.destroyed && s.readyState === 'open');
      assert.ok(served !== undefined);
      assert.equal(await ask(served), 'HTTP/1.1 200 OK');
      for (const s of sockets) s.destroy();
    });
  });
}
