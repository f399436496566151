import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { agentRequest } from './support/agent-request.js';
import { type Running, startStack } from './support/processes.js';
import { exitOf, waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';

/**
 * A raw connection that has had one GET /pid answered (so the server has accepted it and reads it), then
 * writes `then` and does nothing more; with `stopReading` it never reads again either.
 */
async function stalledClient(port: number, then: string, stopReading = false): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.write('GET /pid HTTP/1.1\r\nHost: test\r\n\r\n');
  await waitFor(() => /\r\n\r\n\{"pid":\d+/.test(received), 'the warm-up response');
  if (stopReading) socket.pause();
  socket.write(then);
  return socket;
}

/** SIGTERMs `proc` and resolves with how long it took to exit; rejects if it is still running after `ms`. */
async function timeToExit(running: Running, ms: number): Promise<number> {
  const started = performance.now();
  running.proc.kill('SIGTERM');
  await Promise.race([
    once(running.proc, 'exit'),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms)),
  ]);
  return performance.now() - started;
}

/** How one keep-alive client's loop ended. */
type Ending = 'connection: close' | 'refused' | `failed: ${string}`;

for (const model of ['event', 'prefork']) {
  describe(`graceful stop, --model ${model}`, () => {
    const models = ['--model', model, '--workers', '2'];

    test('SIGTERM amid 16 keep-alive clients: every request sent is answered, the last ones with Connection: close', async () => {
      const stack = await startStack(APP, { webframe: models, httpserver: models });
      try {
        const counts = new Array<number>(16).fill(0);
        const clients = counts.map(async (_, i): Promise<Ending> => {
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          try {
            for (;;) {
              let response: Awaited<ReturnType<typeof agentRequest>>;
              try {
                response = await agentRequest(agent, `${stack.url}/pid`);
              } catch (err) {
                // Refused: the request never left (the listener is closed); anything else lost a sent request.
                const code = (err as NodeJS.ErrnoException).code;
                return code === 'ECONNREFUSED' ? 'refused' : `failed: ${code} ${(err as Error).message}`;
              }
              if (response.status !== 200) return `failed: status ${response.status}`;
              counts[i]!++;
              if (response.headers.connection === 'close') return 'connection: close';
            }
          } finally {
            agent.destroy();
          }
        });
        await waitFor(() => counts.every((n) => n >= 3), 'every client to be looping');
        stack.httpserver.proc.kill('SIGTERM');
        const endings = await Promise.all(clients);
        const failed = endings.filter((e) => e.startsWith('failed'));
        assert.deepEqual(failed, [], `requests lost: ${failed.join('; ')}`);
        const [code] = await exitOf(stack.httpserver.proc);
        assert.equal(code, 0, stack.httpserver.stderr());
        assert.ok(
          endings.filter((e) => e === 'connection: close').length >= 1,
          'the draining server answered with Connection: close',
        );
      } finally {
        await stack.stop();
      }
    });

    test('httpserver: a stalled upload and a client that never reads are cut at timeouts.drain, and logged', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'tandem-drain-'));
      const config = join(dir, 'httpserver.json');
      await writeFile(config, JSON.stringify({ timeouts: { drain: 1000 } }));
      const stack = await startStack(APP, { webframe: models, httpserver: [...models, '--config', config] });
      const clients: Socket[] = [];
      try {
        const half = 'x'.repeat(50_000);
        clients.push(
          await stalledClient(
            stack.httpserver.port,
            `POST /count HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n${half}`,
          ),
          await stalledClient(stack.httpserver.port, 'GET /big/64 HTTP/1.1\r\nHost: test\r\n\r\n', true),
        );
        const took = await timeToExit(stack.httpserver, 10_000);
        assert.ok(took < 1000 + 3000, `exited ${Math.round(took)} ms after SIGTERM`);
        assert.match(
          stack.httpserver.stderr(),
          /httpserver drain deadline of 1000 ms passed: cut 2 connection\(s\)/,
        );
      } finally {
        for (const client of clients) client.destroy();
        await stack.stop();
      }
    });

    test('webframe: a view still running at --drain-timeout is cut, and logged', async () => {
      const stack = await startStack(APP, {
        webframe: [...models, '--drain-timeout', '1000'],
        httpserver: models,
      });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        assert.equal((await agentRequest(agent, `${stack.url}/pid`)).status, 200);
        const slow = agentRequest(agent, `${stack.url}/sleep-told/60000`);
        slow.catch(() => {});
        // Sent is not enough: until the view runs, the webframe has nothing to cut and stops at once.
        await waitFor(
          () => stack.webframe.stderr().includes('view sleeping 60000 ms'),
          'the slow view to run',
        );
        const took = await timeToExit(stack.webframe, 10_000);
        assert.ok(took < 1000 + 3000, `exited ${Math.round(took)} ms after SIGTERM`);
        assert.match(
          stack.webframe.stderr(),
          /webframe drain deadline of 1000 ms passed: cut [1-9]\d* connection\(s\)/,
        );
      } finally {
        agent.destroy();
        await stack.stop();
      }
    });

    test('SIGHUP reloads httpserver (nothing dropped) and is a graceful stop of the webframe', async () => {
      const stack = await startStack(APP, { webframe: models, httpserver: models });
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        assert.equal((await agentRequest(agent, `${stack.url}/pid`)).status, 200);
        const slow = agentRequest(agent, `${stack.url}/sleep/1000`, {
          onSent: () => stack.httpserver.proc.kill('SIGHUP'),
        });
        assert.equal((await slow).status, 200);
        await waitFor(
          () => /httpserver reloading \(SIGHUP\)/.test(stack.httpserver.stderr()),
          'the reload line',
        );
        assert.equal(
          (await agentRequest(agent, `${stack.url}/pid`)).status,
          200,
          'still serving after the reload',
        );
        assert.equal(stack.httpserver.proc.exitCode, null, 'httpserver goes on');
        stack.webframe.proc.kill('SIGHUP');
        const [webframeCode] = await exitOf(stack.webframe.proc);
        assert.equal(webframeCode, 0, stack.webframe.stderr());
        assert.match(stack.webframe.stderr(), /webframe stopping \(SIGHUP, no reload yet: a graceful stop\)/);
      } finally {
        agent.destroy();
        await stack.stop();
      }
    });
  });
}
