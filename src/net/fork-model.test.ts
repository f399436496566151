import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { waitFor } from '../../test/support/wait-for.js';
import { errors, isError } from '../errors/catalogue.js';
import createEchoHandler from './fixtures/echo-handler.js';
import { ForkModel } from './fork-model.js';
import { handlerModule } from './handler-module.js';
import { startEchoServer, streamClient } from './models.case.js';
import { createModel } from './models.js';
import type { BoundAddress } from './net-server.js';

/** The worker-process children of this process, alive or zombie, read from /proc. */
function workerChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('worker-main')) {
        pids.push(Number(entry));
      }
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

/** Connects, asks `who`, hangs up; resolves with the serving pid. */
async function whoServes(address: BoundAddress): Promise<number> {
  const client = streamClient(address);
  const answer = await client.ask('who');
  client.socket.end();
  await client.closed;
  return Number(answer.split(':')[0]);
}

describe('fork model', () => {
  test('each connection is served by a fresh child, never by the server process', async () => {
    const { server, address } = await startEchoServer({ kind: 'fork', workers: 4 }, 'tcp4');
    const pids = [await whoServes(address), await whoServes(address), await whoServes(address)];
    assert.equal(new Set(pids).size, 3, `three connections, three children: ${pids}`);
    assert.ok(!pids.includes(process.pid));
    await server.close();
    assert.deepEqual(workerChildren(), [], 'every child reaped');
  });

  test('at most workers children at once; the others wait, then are served as children are reaped', async () => {
    const { server, address } = await startEchoServer({ kind: 'fork', workers: 2 }, 'unix');
    const clients = Array.from({ length: 4 }, () => streamClient(address));
    const answered: number[] = [];
    const answers = clients.map((client, i) =>
      client.ask('who').then((who) => {
        answered.push(i);
        return Number(who.split(':')[0]);
      }),
    );
    await new Promise<void>((resolve) => {
      for (const a of answers) void a.then(() => answered.length === 2 && resolve());
    });
    // All four accepted: two served, two queued (and never served while the first two stay).
    await waitFor(() => server.model.active === 4, 'the server to accept all four connections');
    assert.equal(answered.length, 2, 'the queued connections are not served yet');
    assert.equal(workerChildren().length, 2);

    // Hang up the first two: their children exit, are reaped, and the queued two get their turn.
    const [first, second] = answered as [number, number];
    const firstPids = await Promise.all([answers[first]!, answers[second]!]);
    for (const i of [first, second]) clients[i]!.socket.end();
    const laterPids = await Promise.all(answers.filter((_, i) => i !== first && i !== second));
    for (const pid of firstPids)
      assert.throws(() => process.kill(pid, 0), /ESRCH/, 'reaped before the next fork');
    assert.equal(new Set([...firstPids, ...laterPids]).size, 4);
    assert.ok(workerChildren().length <= 2);

    for (const client of clients) client.socket.end();
    await Promise.all(clients.map((client) => client.closed));
    await server.close();
    assert.equal(server.model.active, 0);
    assert.deepEqual(workerChildren(), [], 'no child alive and no zombie after close');
  });

  test('close serves the queued connections before it resolves', async () => {
    const { server, address, started } = await startEchoServer({ kind: 'fork', workers: 1 }, 'tcp4');
    const busy = streamClient(address);
    const first = busy.ask('slow 300');
    await started('slow 300');
    const waiting = streamClient(address);
    const second = waiting.ask('echo queued');
    await waitFor(() => server.model.active === 2, 'the second connection to be accepted and queued');
    const closing = server.close();
    assert.equal(await first, 'done');
    busy.socket.end();
    assert.equal(await second, 'queued');
    waiting.socket.end();
    await closing;
    assert.deepEqual(workerChildren(), []);
  });

  test('a child killed mid-connection closes only that connection and frees its slot', async () => {
    const reports: string[] = [];
    const { server, address, started } = await startEchoServer({ kind: 'fork', workers: 1 }, 'tcp4', {
      report: (error) => reports.push(String(error)),
    });
    const victim = streamClient(address);
    const pid = Number((await victim.ask('who')).split(':')[0]);
    const cut = victim.ask('slow 5000');
    await started('slow 5000');
    process.kill(pid, 'SIGKILL');
    await assert.rejects(cut, /closed before an answer/);
    assert.notEqual(await whoServes(address), pid);
    await server.close();
    assert.ok(
      reports.some((r) => r.includes(`fork child ${pid} exited with SIGKILL`)),
      reports.join('\n'),
    );
  });

  test('a handler object is refused: the children must load the handler themselves', async () => {
    const model = new ForkModel({ workers: 2 }, () => {});
    await assert.rejects(model.start(createEchoHandler()), (err) =>
      isError(err, errors.NET_HANDLER_MODULE_REQUIRED),
    );
  });

  test('a handler module that cannot load fails start, and leaves no child behind', async () => {
    const model = new ForkModel({ workers: 2 }, () => {});
    const missing = handlerModule<typeof import('./fixtures/echo-handler.js')>(
      new URL('./no/such/handler.js', import.meta.url),
    );
    await assert.rejects(model.start(missing.with()), (err) => isError(err, errors.APP_LOAD_FAILED));
    assert.deepEqual(workerChildren(), []);
  });

  test('datagrams are reported, not served', () => {
    const reports: string[] = [];
    const model = new ForkModel({ workers: 2 }, (error) => reports.push(String(error)));
    model.serveDatagram(Buffer.from('echo x'), { transport: 'udp', address: '127.0.0.1', port: 1 }, () => {
      assert.fail('no reply expected');
    });
    assert.match(reports.join(), /stream transports only/);
  });

  test('workers (the most children at once) must be a positive integer', () => {
    assert.throws(() => createModel({ kind: 'fork', workers: 0 }, () => {}), /workers/);
  });
});
