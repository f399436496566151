import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startStack, treeRssMiB } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';
const SLOW_CLIENTS = fileURLToPath(new URL('./support/slow_clients.py', import.meta.url));

function config(name: string, value: unknown): string {
  const file = join(tmpdir(), `tandem-${process.pid}-${name}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/**
 * Runs 200 clients that read `path` at 1 KiB/s for 8 s (test/support/slow_clients.py) and resolves with how
 * much the process tree of `pid` grew at its peak, in MiB.
 */
async function peakGrowth(pid: number, port: number, path: string): Promise<number> {
  const before = treeRssMiB(pid);
  const clients = spawn('python3', [SLOW_CLIENTS, String(port), '200', path, '1024', '8']);
  let out = '';
  clients.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let done = false;
  clients.on('exit', () => {
    done = true;
  });
  let peak = before;
  while (!done) {
    peak = Math.max(peak, treeRssMiB(pid));
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.match(out, /^ready\n\d+\n$/, 'every client was served');
  return peak - before;
}

/** Waits until `output()` (what a process we started printed) matches `pattern`. */
async function logged(output: () => string, pattern: RegExp): Promise<void> {
  await waitFor(() => pattern.test(output()), `a log line matching ${pattern}`);
}

for (const model of ['event', 'prefork'] as const) {
  const modelFlags = ['--model', model, '--workers', '2'];

  describe(`slow clients cannot grow httpserver without bound (--model ${model})`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      stack = await startStack(APP, { webframe: modelFlags, httpserver: modelFlags });
    });
    after(async () => {
      await stack?.stop();
    });

    test('200 clients reading 10 MiB answers at 1 KiB/s hold about one window each', async (t) => {
      const grew = await peakGrowth(stack.httpserver.proc.pid!, stack.httpserver.port, '/big/10');
      t.diagnostic(`httpserver grew by ${Math.round(grew)} MiB`);
      // 200 streams × a 256 KiB window is 50 MiB; at 1 MiB each it was about 180.
      assert.ok(grew < 140, `httpserver grew by ${Math.round(grew)} MiB`);
      assert.doesNotMatch(stack.httpserver.stderr(), /MaxListenersExceededWarning/);
    });
  });

  describe(`the send timeout cuts a client that takes nothing (--model ${model})`, () => {
    let stack: Awaited<ReturnType<typeof startStack>>;
    before(async () => {
      const file = config(`send-${model}`, { timeouts: { send: 1000 } });
      stack = await startStack(APP, { webframe: modelFlags, httpserver: [...modelFlags, '--config', file] });
    });
    after(async () => {
      await stack?.stop();
    });

    test('a client that never reads is cut after timeouts.send, with a log line', async () => {
      const socket = connect(stack.httpserver.port, '127.0.0.1');
      socket.pause();
      socket.on('error', () => {});
      socket.write('GET /big/64 HTTP/1.1\r\nHost: x\r\n\r\n');
      await logged(stack.httpserver.stderr, /client took no bytes for 1000 ms: connection cut/);
      socket.destroy();
    });
  });
}
