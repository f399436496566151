import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { startProcess } from './support/processes.js';

/**
 * examples/http-handler/server.ts as its README runs it, `node --import tsx …`: it imports `tandem/net`
 * and `tandem/http` by name, which resolve to dist/, and names its handler module written in TypeScript.
 */
for (const model of ['event', 'prefork', 'thread'] as const) {
  describe(`examples/http-handler run with node --import tsx (--model ${model})`, () => {
    test('serves hello-handler.ts from the built package', async () => {
      const server = await startProcess(
        process.execPath,
        ['--import', 'tsx', 'examples/http-handler/server.ts', '--port', '0', '--model', model],
        /Serving hello-handler at http:\/\/[^:]+:(\d+)\//,
      );
      try {
        const reply = await curl([`http://127.0.0.1:${server.port}/`]);
        assert.equal(reply.status, 200);
        assert.match(reply.body, /^Hello from Tandem! \(pid \d+, thread \d+\)\n$/);
      } finally {
        assert.equal(await server.stop(), 0, server.stderr());
      }
    });
  });
}
