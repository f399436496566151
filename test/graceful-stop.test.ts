import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { describe, test } from 'node:test';
import { agentRequest } from './support/agent-request.js';
import { startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';

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
        const [code] = await once(stack.httpserver.proc, 'exit');
        assert.equal(code, 0, stack.httpserver.stderr());
        assert.ok(
          endings.filter((e) => e === 'connection: close').length >= 1,
          'the draining server answered with Connection: close',
        );
      } finally {
        await stack.stop();
      }
    });
  });
}
