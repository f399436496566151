import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { curl } from './support/http-client.js';
import { CLI, startProcess } from './support/processes.js';

/** `tandem serve` on free ports, as `npm start` runs it. */
function serve() {
  return startProcess(
    process.execPath,
    [CLI, 'serve', 'examples/site', '--port', '0', '--webframe-port', '0'],
    /Tandem is serving examples\/site at http:\/\/127\.0\.0\.1:(\d+)\//,
  );
}

/** Pids of the two children, from their "listening" log lines. */
function childPids(stderr: string): number[] {
  return [...stderr.matchAll(/"pid":(\d+),"name":"(webframe|httpserver)".*listening/g)].map((m) =>
    Number(m[1]),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('tandem serve', () => {
  test('starts both processes; SIGINT stops both cleanly', async () => {
    const running = await serve();
    const r = await curl([`http://127.0.0.1:${running.port}/hi`]);
    assert.equal(r.status, 200);
    const pids = childPids(running.stderr());
    assert.equal(pids.length, 2);
    running.proc.kill('SIGINT');
    const [code] = await once(running.proc, 'exit');
    assert.equal(code, 0);
    for (const pid of pids) assert.equal(alive(pid), false, `child ${pid} still running`);
  });

  test('if the webframe dies, the httpserver is stopped and the reason printed', async () => {
    const running = await serve();
    const [webframePid, httpserverPid] = childPids(running.stderr());
    assert.ok(webframePid !== undefined && httpserverPid !== undefined);
    process.kill(webframePid, 'SIGKILL');
    const [code] = await once(running.proc, 'exit');
    assert.equal(code, 1);
    assert.match(running.stderr(), /webframe exited \(SIGKILL\); stopping the other process/);
    assert.equal(alive(httpserverPid), false);
  });
});
