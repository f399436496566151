import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { startStack } from './support/processes.js';
import { waitFor } from './support/wait-for.js';

const APP = 'test/fixtures/app';
let stack: Awaited<ReturnType<typeof startStack>>;

before(async () => {
  // One pooled connection, so every request below shares one multiplexed frame connection.
  const config = join(tmpdir(), `tandem-${process.pid}-one-connection.json`);
  writeFileSync(config, JSON.stringify({ connections: 1 }));
  stack = await startStack(APP, { httpserver: ['--config', config] });
});
after(async () => {
  await stack?.stop();
});

/** curl's exit code and output for a request that may fail. */
function curlExit(args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile('curl', ['-s', ...args], (err, stdout) =>
      resolve({ code: (err as { code?: number } | null)?.code ?? 0, stdout }),
    );
  });
}

describe('flow control and abort through both processes', () => {
  test('a client that stops reading does not stall other requests on the same frame connection', async () => {
    const stalled = connect(stack.httpserver.port, '127.0.0.1');
    // Reads its first bytes, then no more: its response stops at the socket buffers and the stream's window.
    // (Paused before it connects, a socket would read nothing, and nothing would prove the stream open.)
    stalled.once('data', () => stalled.pause());
    stalled.write('GET /big/256 HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(() => stalled.bytesRead > 0, 'the stalled response to start');
    const results = await Promise.all(
      [1, 2, 3].map(() => curlExit(['-o', '/dev/null', '-w', '%{size_download}', `${stack.url}/big/16`])),
    );
    for (const r of results) assert.equal(r.stdout, String(16 * 1024 * 1024));
    stalled.destroy();
  });

  test('a view whose body fails mid-way: ABORT to httpserver, the client sees a cut transfer', async () => {
    const r = await curlExit([`${stack.url}/broken-stream`]);
    assert.equal(r.code, 18, 'curl reports a partial transfer'); // CURLE_PARTIAL_FILE
    assert.match(r.stdout, /first part/);
    assert.equal((await curl([`${stack.url}/sleep/1`])).status, 200);
  });

  test('webframe SIGTERM: a request in flight finishes (GOAWAY), later ones get 502', async () => {
    const own = await startStack(APP);
    const inFlight = curl([`${own.url}/sleep-told/700`]);
    // Sent is not enough: until the view runs, the webframe has no stream open and stops at once.
    await waitFor(() => own.webframe.stderr().includes('view sleeping 700 ms'), 'the view to run');
    own.webframe.proc.kill('SIGTERM');
    const r = await inFlight;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'slept 700');
    const proc = own.webframe.proc;
    const code = proc.exitCode ?? (await once(proc, 'exit'))[0];
    assert.equal(code, 0, 'the webframe exits 0 once its streams are done');
    assert.equal((await curl([`${own.url}/sleep/1`])).status, 502);
    await own.stop();
  });
});
