import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { waitFor } from '../../test/support/wait-for.js';
import { errors, isError } from '../errors/catalogue.js';
import createEchoHandler from './fixtures/echo-handler.js';
import { handlerModule } from './handler-module.js';
import { ECHO_HANDLER, streamClient } from './models.case.js';
import { type BoundAddress, NetServer } from './net-server.js';
import { PoolModel } from './pool-model.js';
import type { ConnectionHandler, HandlerModuleCall } from './types.js';

function pidOf(who: string): number {
  return Number(who.split(':')[0]);
}

function isGone(pid: number): boolean {
  try {
    process.kill(pid, 0); // succeeds for a live process and for an unreaped zombie alike
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** True once `pid` has exited, reaped or not (an orphan's reaper is init, not us). */
function hasExited(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

async function startPrefork(workers: number, handler: HandlerModuleCall = ECHO_HANDLER.with()) {
  const reports: string[] = [];
  const server = new NetServer({
    transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    model: { kind: 'prefork', workers },
    handler,
    report: (error) => reports.push(String(error)),
  });
  const address = await server.listen();
  return { server, address, model: server.model as PoolModel, reports };
}

/** Opens a connection and learns which worker holds it; the connection stays open. */
async function connectAndAsk(address: BoundAddress) {
  const client = streamClient(address);
  const pid = pidOf(await client.ask('who'));
  return { client, pid };
}

describe('prefork model', () => {
  test('connections spread over the workers: the fewest open connections wins, ties take turns', async () => {
    const { server, address, model } = await startPrefork(2);
    const workers = model.workerIds;
    assert.equal(workers.length, 2);
    assert.ok(!workers.includes(process.pid));
    const c1 = await connectAndAsk(address);
    const c2 = await connectAndAsk(address);
    const c3 = await connectAndAsk(address);
    assert.deepEqual([c1.pid, c2.pid].sort(), [...workers].sort(), 'one each');
    assert.equal(c3.pid, c1.pid, 'a tie goes to the next worker in turn');
    // c1's worker now holds 0 connections and c2's 1: the fewest wins, although turn order says c2's.
    for (const c of [c1, c3]) c.client.socket.end();
    await Promise.all([c1.client.closed, c3.client.closed]);
    await waitFor(() => model.active === 1, 'the server to count the two closed connections');
    const c4 = await connectAndAsk(address);
    assert.equal(c4.pid, c1.pid, 'the worker with the fewest connections');
    const c5 = await connectAndAsk(address);
    assert.equal(c5.pid, c2.pid, 'a tie again: the next in turn');
    for (const c of [c2, c4, c5]) c.client.socket.end();
    await Promise.all([c2, c4, c5].map((c) => c.client.closed));
    await server.close();
    assert.ok(workers.every(isGone), 'every worker exited and was reaped');
  });

  test('a worker killed mid-connection: only its connection is lost, and a new worker serves', async () => {
    const { server, address, model, reports } = await startPrefork(2);
    try {
      const a = await connectAndAsk(address);
      const b = await connectAndAsk(address);
      assert.notEqual(a.pid, b.pid);
      const cut = a.client.ask('slow 5000');
      process.kill(a.pid, 'SIGKILL');
      await assert.rejects(cut, /closed before an answer/);
      assert.equal(await b.client.ask('echo unaffected'), 'unaffected');
      assert.equal(pidOf(await b.client.ask('who')), b.pid);

      // b's worker holds one connection, the replacement none: once ready, the replacement gets the next one.
      // (It is started at once, with no backoff.)
      let fresh: number | undefined;
      await waitFor(async () => {
        // Until the server has seen the worker's exit, a connection may still go to it and be closed.
        const probe = streamClient(address);
        const who = await probe.ask('who').catch(() => undefined);
        const pid = who === undefined ? undefined : pidOf(who);
        if (pid !== undefined && pid !== a.pid && pid !== b.pid) fresh = pid;
        probe.socket.end();
        await probe.closed;
        return fresh !== undefined;
      }, 'a replacement worker to serve');
      assert.ok(fresh !== undefined);
      assert.ok(isGone(a.pid));
      assert.deepEqual(model.workerIds.sort(), [b.pid, fresh].sort());
      // 2 when a probe reached the dead worker before its exit was seen.
      const lost = new RegExp(`prefork worker ${a.pid} exited \\(SIGKILL\\); [12] connection\\(s\\) lost`);
      assert.ok(
        reports.some((r) => lost.test(r)),
        reports.join('\n'),
      );

      b.client.socket.end();
      await b.client.closed;
      await server.close();
      assert.equal(model.active, 0);
      assert.ok([a.pid, b.pid, fresh].every(isGone), 'no worker outlives close');
    } finally {
      // A failed assertion must not leave workers behind that keep the test file alive.
      for (const pid of model.workerIds) process.kill(pid, 'SIGKILL');
      await server.close();
    }
  });

  test('a connection handed to a worker as it dies is closed, not left hanging', {
    timeout: 10_000,
  }, async () => {
    const accepted: Socket[] = [];
    const listener = createServer({ pauseOnConnect: true }, (socket) => accepted.push(socket));
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    const model = new PoolModel('prefork', { workers: 1 }, () => {});
    await model.start(ECHO_HANDLER.with());
    const [victim] = model.workerIds as [number];
    const client = streamClient({ kind: 'tcp', host: '127.0.0.1', port, path: '' });
    await once(listener, 'connection');
    process.kill(victim, 'SIGKILL');
    // Same tick: the model cannot know yet, so the socket goes to the dying worker.
    model.serveConnection(accepted[0]!, { transport: 'tcp', remoteAddress: '127.0.0.1', remotePort: 0 });
    await client.closed;
    await waitFor(() => model.active === 0, 'the model to count the connection gone');
    await model.close();
    listener.close();
  });

  test('close: each worker drains, waits for its connections, closes the handler and exits', async () => {
    const dir = tmpdir();
    const module = join(dir, `tandem-prefork-handler-${process.pid}.mjs`);
    const log = join(dir, `tandem-prefork-log-${process.pid}.txt`);
    writeFileSync(log, '');
    writeFileSync(
      module,
      `import { appendFileSync } from 'node:fs';
export function create(options) {
  const note = (what) => appendFileSync(options.log, what + ' ' + process.pid + '\\n');
  return {
    async handle(stream) { for await (const chunk of stream) stream.write(chunk); note('finished'); },
    drain() { note('drain'); },
    close() { note('close'); },
  };
}
`,
    );
    const created = handlerModule<{ create: (options: { log: string }) => ConnectionHandler }, 'create'>(
      pathToFileURL(module),
      'create',
    );
    const { server, address, model } = await startPrefork(2, created.with({ log }));
    const workers = model.workerIds;
    const client = streamClient(address);
    assert.equal(await client.ask('hello'), 'hello');
    const closing = server.close();
    const drained = () => readFileSync(log, 'utf8').match(/^drain /gm)?.length ?? 0;
    await waitFor(() => drained() === workers.length, 'every worker to be told to drain');
    client.socket.end();
    await closing;
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    for (const pid of workers) {
      const mine = lines.filter((line) => line.endsWith(` ${pid}`)).map((line) => line.split(' ')[0]);
      assert.equal(mine.at(0), 'drain');
      assert.equal(mine.at(-1), 'close');
    }
    assert.equal(
      lines.filter((line) => line.startsWith('finished')).length,
      1,
      'the open connection finished',
    );
    assert.ok(workers.every(isGone));
    rmSync(module);
    rmSync(log);
  });

  test('workers outlive a dead server only to finish what is in flight (no orphans)', {
    timeout: 10_000,
  }, async () => {
    const script = join(tmpdir(), `tandem-prefork-parent-${process.pid}.mts`);
    writeFileSync(
      script,
      `import { handlerModule } from ${JSON.stringify(new URL('./handler-module.ts', import.meta.url).href)};
import { NetServer } from ${JSON.stringify(new URL('./net-server.ts', import.meta.url).href)};
const server = new NetServer({
  transport: { kind: 'tcp', host: '127.0.0.1', port: 0 },
  model: { kind: 'prefork', workers: 2 },
  handler: handlerModule(new URL(${JSON.stringify(ECHO_HANDLER.url)})).with(),
  report: () => {},
});
const address = await server.listen();
process.stdout.write(JSON.stringify({ address, pids: server.model.workerIds }) + '\\n');
`,
    );
    const parent = spawn(process.execPath, [...process.execArgv, script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(parent.stdout, 'data')) as [Buffer];
    const { address, pids } = JSON.parse(line.toString()) as { address: BoundAddress; pids: number[] };
    const { client, pid: holder } = await connectAndAsk(address);
    const idle = pids.find((pid) => pid !== holder)!;
    const inFlight = client.ask('slow 300');
    parent.kill('SIGKILL');
    await once(parent, 'exit');
    assert.equal(await inFlight, 'done', 'the request in flight still gets its answer');
    await waitFor(() => hasExited(idle), 'an idle worker to exit as soon as its server is gone');
    // ORPHAN_GRACE_MS (3 s) from the same moment: the holder must still be there.
    assert.ok(!hasExited(holder), 'a worker with an open connection gives it a grace period');
    await client.closed; // the client never hangs up: the grace period ends it
    await waitFor(() => hasExited(holder), 'the holder to exit at the end of its grace period');
    rmSync(script);
  });

  test('start fails clearly for a handler object or a module that cannot load, leaving no worker', async () => {
    const model = new PoolModel('prefork', { workers: 2 }, () => {});
    await assert.rejects(model.start(createEchoHandler()), (err) =>
      isError(err, errors.NET_HANDLER_MODULE_REQUIRED),
    );
    const broken = new PoolModel('prefork', { workers: 2 }, () => {});
    const nothing = handlerModule<{ nothing: () => ConnectionHandler }, 'nothing'>(
      new URL(ECHO_HANDLER.url),
      'nothing',
    );
    await assert.rejects(broken.start(nothing.with()), (err) => isError(err, errors.APP_INVALID));
    assert.deepEqual(broken.workerIds, []);
  });

  test('datagrams are reported, not served', () => {
    const reports: string[] = [];
    const model = new PoolModel('prefork', { workers: 1 }, (error) => reports.push(String(error)));
    model.serveDatagram(Buffer.from('echo x'), { transport: 'udp', address: '127.0.0.1', port: 1 }, () => {
      assert.fail('no reply expected');
    });
    assert.match(reports.join(), /stream transports only/);
  });
});
