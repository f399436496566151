import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { HTTP_ENGINES } from '../src/http/http-engine.js';
import { agentRequest } from './support/agent-request.js';
import { curl } from './support/http-client.js';
import { CLI, startProcess } from './support/processes.js';
import { alive, exitOf, waitFor } from './support/wait-for.js';

/** Process groups started by the current test: whatever a failing test leaves behind is killed after it. */
const groups: number[] = [];

/** `tandem serve` on free ports, as `npm start` runs it, in a process group of its own (as a shell job). */
async function serve(app = 'examples/site', extra: string[] = []) {
  const running = await startProcess(
    process.execPath,
    [CLI, 'serve', app, '--port', '0', '--webframe-port', '0', ...extra],
    /Tandem is serving \S+ at http:\/\/127\.0\.0\.1:(\d+)\//,
    { detached: true },
  );
  groups.push(running.proc.pid as number);
  return running;
}

afterEach(() => {
  for (const pgid of groups.splice(0)) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
});

/** Pids of the children in the order they said "listening" (webframes, restarted ones too, and the httpserver). */
function childPids(stderr: string, role = 'webframe|httpserver'): number[] {
  return [...stderr.matchAll(new RegExp(`"pid":(\\d+),"name":"(${role})".*listening`, 'g'))].map((m) =>
    Number(m[1]),
  );
}

/** True while any process of group `pgid` exists. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** True when nothing accepts connections on 127.0.0.1:`port`. */
function refused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
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

  test('if the httpserver dies, the webframe is stopped and the reason printed', async () => {
    const running = await serve();
    const [webframePid, httpserverPid] = childPids(running.stderr());
    assert.ok(webframePid !== undefined && httpserverPid !== undefined);
    process.kill(httpserverPid, 'SIGKILL');
    const [code] = await once(running.proc, 'exit');
    assert.equal(code, 1);
    assert.match(running.stderr(), /httpserver exited \(SIGKILL\); stopping the webframe/);
    assert.equal(alive(webframePid), false);
  });

  for (const [signal, status] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    test(`a second ${signal} while it stops kills both children at once and exits ${status}`, async () => {
      const running = await serve('test/fixtures/app');
      const pids = childPids(running.stderr());
      assert.equal(pids.length, 2);
      const agent = new Agent({ keepAlive: false });
      try {
        // A view far longer than the drain deadline (30 s): a graceful stop would wait for it.
        const inFlight = agentRequest(agent, `http://127.0.0.1:${running.port}/sleep-told/120000`).then(
          (r) => `answered ${r.status}`,
          (err: NodeJS.ErrnoException) => `cut (${err.code ?? err.message})`,
        );
        await waitFor(() => running.stderr().includes('view sleeping 120000 ms'), 'the view to run');
        running.proc.kill(signal);
        await waitFor(
          () => running.stderr().includes('httpserver stopping (SIGTERM)'),
          'the httpserver to begin its graceful stop',
        );
        running.proc.kill(signal);
        const [code] = await exitOf(running.proc);
        assert.equal(code, status, running.stderr());
        await waitFor(() => !pids.some(alive), 'both children to be gone, their drain cut short');
        assert.match(await inFlight, /^cut /, 'the request in flight is cut, not answered');
        // serve stops the webframe only once the httpserver is gone: here it is killed before it is ever told.
        assert.doesNotMatch(running.stderr(), /webframe stopping/, 'the webframe is killed, not stopped');
      } finally {
        agent.destroy();
        for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    });
  }

  test('--model fork: Ctrl-C to the process group, after clients that hung up and amid new ones, is a quiet stop', {
    timeout: 120_000,
  }, async () => {
    const running = await serve('test/fixtures/app', ['--model', 'fork']);
    const pgid = running.proc.pid as number;
    const pids = childPids(running.stderr());
    // Clients that hang up at once: each one's fork child receives its socket already closed (as the
    // webframe's children receive pool connections of an httpserver child that has gone), which once held
    // the stop until the drain deadline cut them.
    await Promise.all(Array.from({ length: 4 }, () => hangUp(running.port)));
    // New connections keep coming while the signal arrives: under fork each one is a child being born.
    const sockets: Socket[] = [];
    let connected = 0;
    const open = () => {
      if (connected >= 4) return; // the connections opened so far are the ones the signal meets
      const socket = connect(running.port, '127.0.0.1');
      socket.on('connect', () => {
        if (++connected === 4) process.kill(-pgid, 'SIGINT');
        socket.write('GET /pid HTTP/1.1\r\nHost: x\r\n\r\n');
        setImmediate(open);
      });
      socket.on('data', () => {});
      socket.on('error', () => setImmediate(open));
      sockets.push(socket);
    };
    for (let i = 0; i < 4; i++) open();
    const [code] = await exitOf(running.proc);
    for (const socket of sockets) socket.destroy();
    const stderr = running.stderr();
    assert.equal(code, 0, stderr);
    await waitFor(() => !pids.some(alive), 'the httpserver and webframe (and their children) to exit');
    assert.doesNotMatch(
      stderr,
      /drain deadline/,
      `nothing was left for the drain deadline to cut:\n${stderr}`,
    );
    assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace:\n${stderr}`);
    assert.doesNotMatch(stderr, /"level":50/, `no error line:\n${stderr}`);
    assert.doesNotMatch(stderr, /EPIPE|replacement|while closing|exited during start/, stderr);
  });

  for (const model of ['event', 'prefork']) {
    describe(`--model ${model}`, () => {
      const start = () => serve('test/fixtures/app', ['--model', model, '--workers', '2']);

      for (const signal of ['SIGINT', 'SIGHUP'] as const) {
        const as = signal === 'SIGINT' ? "a terminal's Ctrl-C" : "a terminal's hangup";
        test(`${signal} to the process group (${as}): a request in flight finishes with 200`, async () => {
          const running = await start();
          const pgid = running.proc.pid as number;
          const agent = new Agent({ keepAlive: true, maxSockets: 1 });
          const url = `http://127.0.0.1:${running.port}`;
          assert.equal((await agentRequest(agent, `${url}/pid`)).status, 200);
          // Same connection, so it is accepted and being read when the signal comes.
          const slow = agentRequest(agent, `${url}/sleep/1500`, {
            onSent: () => process.kill(-pgid, signal),
          });
          const response = await slow;
          assert.equal(response.status, 200, running.stderr());
          assert.equal(response.body, 'slept 1500');
          const [code] = await exitOf(running.proc);
          assert.equal(code, 0, running.stderr());
          await waitFor(() => !groupAlive(pgid), 'every process of the group to exit');
          if (signal === 'SIGHUP') assert.match(running.stderr(), /SIGHUP, no reload yet: a graceful stop/);
          agent.destroy();
        });
      }

      test('kill -9 of serve: the children notice, stop and free the port', async () => {
        const running = await start();
        const pids = childPids(running.stderr());
        assert.equal(pids.length, 2);
        running.proc.kill('SIGKILL');
        await once(running.proc, 'exit');
        // The children run in sessions of their own (out of serve's process group): watched by pid.
        await waitFor(() => !pids.some(alive), 'the orphaned children (and their workers) to exit');
        assert.equal(await refused(running.port), true, 'the port is free');
      });

      test('a webframe that dies is restarted on its port, with a growing pause and a log line', async () => {
        const running = await start();
        const url = `http://127.0.0.1:${running.port}/pid`;
        const webframes = () => childPids(running.stderr(), 'webframe');
        for (const [round, pause] of [
          [1, 100],
          [2, 200],
        ] as const) {
          process.kill(webframes().at(-1) as number, 'SIGKILL');
          await waitFor(
            () =>
              new RegExp(`webframe exited \\(SIGKILL\\).*restarting it on port \\d+ in ${pause} ms`).test(
                running.stderr(),
              ),
            `restart log line ${round}`,
          );
          await waitFor(() => webframes().length === round + 1, `restarted webframe ${round} to listen`);
          await waitFor(
            async () => (await curl([url]).catch(() => ({ status: 0 }))).status === 200,
            'requests to be served again',
          );
        }
        assert.equal(running.proc.exitCode, null, 'serve keeps running');
        assert.equal(await running.stop(), 0);
      });
    });
  }
});

describe("tandem serve: the httpserver's config and flags, the app's settings", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tandem-serve-'));
    await mkdir(join(dir, 'from-file'));
    await mkdir(join(dir, 'from-flag'));
    await writeFile(join(dir, 'from-file', 'a.txt'), 'served by the config file\n');
    await writeFile(join(dir, 'from-flag', 'b.txt'), 'served by --static\n');
    await writeFile(
      join(dir, 'site.json'),
      JSON.stringify({ static: [{ prefix: '/file/', root: './from-file' }] }),
    );
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('--config FILE and --static /PREFIX/=DIR reach the httpserver', async () => {
    const running = await serve('test/fixtures/app', [
      '--config',
      join(dir, 'site.json'),
      '--static',
      `/flag/=${join(dir, 'from-flag')}`,
    ]);
    const url = `http://127.0.0.1:${running.port}`;
    assert.equal((await curl([`${url}/file/a.txt`])).body, 'served by the config file\n');
    assert.equal((await curl([`${url}/flag/b.txt`])).body, 'served by --static\n');
    assert.equal((await curl([`${url}/pid`])).status, 200, 'the rest still goes to the webframe');
    assert.equal(await running.stop(), 0);
  });

  for (const engine of HTTP_ENGINES) {
    for (const model of ['event', 'prefork'] as const) {
      test(`--engine ${engine} reaches the httpserver, which serves (model ${model})`, async () => {
        const running = await serve('test/fixtures/app', ['--engine', engine, '--model', model]);
        assert.equal((await curl([`http://127.0.0.1:${running.port}/pid`])).status, 200);
        assert.equal(await running.stop(), 0);
      });
    }
  }

  test("the webframe listens where the app's settings.ts says unless --webframe-port is given", async () => {
    const port = await freePort();
    const app = join(dir, 'app');
    await mkdir(app, { recursive: true });
    const index = new URL('../src/webframe/index.js', import.meta.url).href;
    // Outside the repository the app needs its own package.json to be ES modules.
    await writeFile(join(app, 'package.json'), '{ "type": "module" }\n');
    await writeFile(join(app, 'settings.ts'), `export default { host: '127.0.0.1', port: ${port} };\n`);
    await writeFile(
      join(app, 'urls.ts'),
      `import { text } from ${JSON.stringify(index)};\nexport default [['/hi', { GET: () => text('hi') }]];\n`,
    );
    const running = await startProcess(
      process.execPath,
      [CLI, 'serve', app, '--port', '0'],
      /Tandem is serving \S+ at http:\/\/127\.0\.0\.1:(\d+)\//,
      { detached: true },
    );
    groups.push(running.proc.pid as number);
    assert.match(running.stderr(), new RegExp(`webframe listening on 127\\.0\\.0\\.1:${port}\\b`));
    assert.equal((await curl([`http://127.0.0.1:${running.port}/hi`])).body, 'hi');
    assert.equal(await running.stop(), 0);
  });
});

/** Connects to 127.0.0.1:`port` and hangs up at once, sending nothing; resolves once the socket has closed. */
function hangUp(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end());
    socket.on('error', () => {});
    socket.resume();
    socket.once('close', () => resolve());
  });
}

/** A port nothing listens on just now (bound to 0 and closed again). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
