import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { exitOf, waitFor } from '../../test/support/wait-for.js';
import { handlerModule } from './handler-module.js';
import { type BoundAddress, NetServer, type NetServerOptions } from './net-server.js';
import type { ModelSpec, TransportSpec } from './types.js';
import { bindUnixDatagram } from './unix-datagram.js';

/** The handler module every model serves in the suite (loaded by URL, so workers can load it too). */
export const ECHO_HANDLER = handlerModule<typeof import('./fixtures/echo-handler.js')>(
  new URL('./fixtures/echo-handler.js', import.meta.url),
);

/** A handler whose `handle` returns from inside `for await` and whose `finish` writes. */
const EARLY_RETURN_HANDLER = handlerModule<typeof import('./fixtures/early-return-handler.js')>(
  new URL('./fixtures/early-return-handler.js', import.meta.url),
);

/** A handler that pipes a connection back and resolves on its 'close'. */
export const PIPE_HANDLER = handlerModule<typeof import('./fixtures/pipe-handler.js')>(
  new URL('./fixtures/pipe-handler.js', import.meta.url),
);

/** Transports the suite runs over. */
export type SuiteTransport = 'tcp4' | 'tcp6' | 'unix' | 'udp' | 'unix-dgram';

let counter = 0;
function transportSpec(kind: SuiteTransport): TransportSpec {
  const path = join(tmpdir(), `tandem-net-${process.pid}-${++counter}.sock`);
  switch (kind) {
    case 'tcp4':
      return { kind: 'tcp', host: '127.0.0.1', port: 0 };
    case 'tcp6':
      return { kind: 'tcp', host: '::1', port: 0 };
    case 'udp':
      return { kind: 'udp', host: '127.0.0.1', port: 0 };
    case 'unix':
      return { kind: 'unix', path };
    case 'unix-dgram':
      return { kind: 'unix-dgram', path };
  }
}

/** Where the echo servers of this process log the commands they start; removed as the process exits. */
const LOGS = mkdtempSync(join(tmpdir(), 'tandem-echo-'));
process.on('exit', () => rmSync(LOGS, { recursive: true, force: true }));

/**
 * Starts a server with the echo handler (and any `extra` options); `close` stops it. `logged()` is what the
 * echo handler noted so far (`start COMMAND`, `end COMMAND`), in whichever process or thread the model runs it;
 * `started(command)` resolves once it has begun `command`: the request is in flight.
 */
export async function startEchoServer(
  model: ModelSpec,
  kind: SuiteTransport,
  extra: Partial<NetServerOptions> = {},
) {
  const log = join(LOGS, `${++counter}.log`);
  writeFileSync(log, '');
  const server = new NetServer({
    transport: transportSpec(kind),
    model,
    handler: ECHO_HANDLER.with({ log }),
    report: () => {},
    ...extra,
  });
  const address = await server.listen();
  const logged = () => readFileSync(log, 'utf8').split('\n').slice(0, -1);
  const started = (command: string) =>
    waitFor(() => logged().includes(`start ${command}`), `the handler to start "${command}"`);
  return { server, address, logged, started };
}

/**
 * A line client over TCP or a Unix stream socket: `ask(line)` resolves with the next answer line, and rejects
 * once the connection has closed without it.
 */
export function streamClient(address: BoundAddress) {
  const socket = address.path ? connect(address.path) : connect(address.port, address.host);
  let buffered = '';
  const waiting: Array<{ line: string; resolve: (answer: string) => void; reject: (e: Error) => void }> = [];
  socket.on('data', (d) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
      waiting.shift()?.resolve(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) =>
    socket.on('close', () => {
      resolve();
      for (const { line, reject } of waiting.splice(0))
        reject(new Error(`the connection closed before an answer to ${JSON.stringify(line)}`));
    }),
  );
  return {
    socket,
    closed,
    ask(line: string): Promise<string> {
      return new Promise((resolve, reject) => {
        if (socket.closed) {
          reject(new Error(`the connection is closed: cannot ask ${JSON.stringify(line)}`));
          return;
        }
        waiting.push({ line, resolve, reject });
        socket.write(`${line}\n`);
      });
    },
  };
}

/**
 * Sends one datagram and resolves with the reply, or with undefined once the sender gives up: after `giveUp`
 * ms without a reply, or as soon as the promise `giveUp` resolves (the sender vanishes, its socket closed;
 * rejects as `giveUp` does).
 */
export async function datagramAsk(
  address: BoundAddress,
  message: string,
  giveUp: number | Promise<unknown> = 10_000,
): Promise<string | undefined> {
  let answer!: (value: string | undefined) => void;
  let fail!: (error: unknown) => void;
  const reply = new Promise<string | undefined>((resolve, reject) => {
    answer = resolve;
    fail = reject;
  });
  const timer = typeof giveUp === 'number' ? setTimeout(() => answer(undefined), giveUp) : undefined;
  if (typeof giveUp !== 'number') giveUp.then(() => answer(undefined), fail);
  if (address.kind === 'udp') {
    const socket = createSocket('udp4');
    socket.on('message', (m) => answer(m.toString()));
    socket.send(message, address.port, address.host);
    try {
      return await reply;
    } finally {
      clearTimeout(timer);
      socket.close();
    }
  }
  const path = join(tmpdir(), `tandem-client-${process.pid}-${++counter}.sock`);
  const client = await bindUnixDatagram(path, (m) => answer(m.toString()));
  client.send(Buffer.from(message), address.path);
  try {
    return await reply;
  } finally {
    clearTimeout(timer);
    client.close();
    rmSync(path, { force: true });
  }
}

/** The program that listens on a taken address (fixtures/listen-in-use.ts). */
const LISTEN_IN_USE = fileURLToPath(new URL('./fixtures/listen-in-use.ts', import.meta.url));

/**
 * Holds an address of `kind` (TCP or UDP, loopback), then runs LISTEN_IN_USE on it under `model` in a process
 * group of its own; resolves with what it printed and whether it exited by itself (it is killed if not).
 */
async function listenOnTakenAddress(model: ModelSpec, kind: SuiteTransport) {
  const host = kind === 'tcp6' ? '::1' : '127.0.0.1';
  const holder = kind === 'udp' ? createSocket('udp4') : createServer();
  const port = await new Promise<number>((resolve) => {
    if ('bind' in holder) holder.bind(0, host, () => resolve(holder.address().port));
    else holder.listen(0, host, () => resolve((holder.address() as { port: number }).port));
  });
  const transport = { kind: kind === 'udp' ? 'udp' : 'tcp', host, port };
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', LISTEN_IN_USE, JSON.stringify(model), JSON.stringify(transport)],
    { stdio: ['ignore', 'pipe', 'inherit'], detached: true },
  );
  let out = '';
  proc.stdout.on('data', (d) => (out += d));
  let exited = true;
  try {
    await waitFor(() => proc.exitCode !== null, 'the program to exit by itself', 15_000);
  } catch {
    exited = false;
    process.kill(-proc.pid!, 'SIGKILL');
    await exitOf(proc);
  }
  holder.close();
  return { out: out.trim(), exited };
}

/** The shared conformance suite: the same tests for every model × transport pair that makes sense. */
export function conformance(model: ModelSpec, kind: SuiteTransport): void {
  const datagram = kind === 'udp' || kind === 'unix-dgram';
  describe(`${model.kind} model over ${kind}`, () => {
    if (kind !== 'unix' && kind !== 'unix-dgram') {
      test('listen on an address in use rejects and leaves no worker process or thread alive', {
        timeout: 30_000,
      }, async () => {
        const { out, exited } = await listenOnTakenAddress(model, kind);
        assert.equal(out, 'rejected EADDRINUSE');
        assert.ok(exited, 'the program exits once listen() has failed: nothing of the model is left running');
      });
    }
    if (datagram) {
      test('echo', async () => {
        const { server, address } = await startEchoServer(model, kind);
        assert.equal(await datagramAsk(address, 'echo hello'), 'hello');
        await server.close();
      });
      test('many concurrent clients', async () => {
        const { server, address } = await startEchoServer(model, kind);
        const replies = await Promise.all(
          Array.from({ length: 20 }, (_, i) => datagramAsk(address, `echo ${i}`)),
        );
        assert.deepEqual(
          replies,
          Array.from({ length: 20 }, (_, i) => String(i)),
        );
        await server.close();
      });
      test('a handler that throws: no reply, the next datagram is served', async () => {
        const { server, address } = await startEchoServer(model, kind);
        assert.equal(await datagramAsk(address, 'throw', 300), undefined);
        assert.equal(await datagramAsk(address, 'echo after'), 'after');
        await server.close();
      });
      test('a sender that vanishes before its reply does not disturb the next', async () => {
        const { server, address, started } = await startEchoServer(model, kind);
        assert.equal(await datagramAsk(address, 'slow 200', started('slow 200')), undefined);
        assert.equal(await datagramAsk(address, 'echo next'), 'next');
        await server.close();
      });
      test('close while busy: the reply in flight is still sent', async () => {
        const { server, address, started } = await startEchoServer(model, kind);
        const pending = datagramAsk(address, 'slow 300');
        await started('slow 300');
        await server.close();
        assert.equal(await pending, 'done');
      });
      return;
    }
    test('close with no connection alive resolves (never served, and after the last client left)', {
      timeout: 15_000,
    }, async () => {
      const idle = await startEchoServer(model, kind);
      await idle.server.close();
      const { server, address } = await startEchoServer(model, kind);
      const client = streamClient(address);
      assert.equal(await client.ask('echo served'), 'served');
      client.socket.end();
      await client.closed;
      await waitFor(() => server.model.active === 0, 'every connection done');
      await server.close();
    });
    test('echo', async () => {
      const { server, address } = await startEchoServer(model, kind);
      const client = streamClient(address);
      assert.equal(await client.ask('echo hello'), 'hello');
      assert.equal(await client.ask('echo again'), 'again');
      client.socket.end();
      await client.closed;
      await server.close();
    });
    test('handle() returning from inside for-await: what finish() writes still reaches the client', async () => {
      const { server, address } = await startEchoServer(model, kind, {
        handler: EARLY_RETURN_HANDLER.with(),
      });
      const socket = address.path ? connect(address.path) : connect(address.port, address.host);
      let received = '';
      socket.on('data', (d) => (received += d.toString()));
      socket.on('error', () => {});
      socket.write('hello\n');
      await new Promise((resolve) => socket.once('close', resolve));
      assert.equal(received, 'got hello\nbye\n');
      await server.close();
    });
    test('a client that hangs up before it is served: close() resolves and cuts nothing', {
      timeout: 30_000,
    }, async () => {
      const cuts: number[] = [];
      const { server, address } = await startEchoServer(model, kind, {
        handler: PIPE_HANDLER.with(),
        drainTimeout: 5000,
        onCut: (count) => cuts.push(count),
      });
      // Under fork the FIN comes before the child is up, so the child receives the socket already destroyed.
      const socket = address.path ? connect(address.path) : connect(address.port, address.host);
      socket.once('connect', () => socket.end());
      socket.on('error', () => {});
      socket.resume();
      await new Promise((resolve) => socket.once('close', resolve));
      await server.close();
      assert.deepEqual(cuts, [], 'nothing was left open for the drain deadline to cut');
    });
    test('many concurrent clients', async () => {
      const { server, address } = await startEchoServer(model, kind);
      const answers = await Promise.all(
        Array.from({ length: 12 }, async (_, i) => {
          const client = streamClient(address);
          const answer = await client.ask(`echo ${i}`);
          client.socket.end();
          await client.closed;
          return answer;
        }),
      );
      assert.deepEqual(
        answers,
        Array.from({ length: 12 }, (_, i) => String(i)),
      );
      await server.close();
    });
    test('a client that vanishes mid-request does not disturb the next', async () => {
      const { server, address, started } = await startEchoServer(model, kind);
      const gone = streamClient(address);
      gone.socket.write('slow 100\n');
      await started('slow 100');
      gone.socket.destroy();
      const next = streamClient(address);
      assert.equal(await next.ask('echo next'), 'next');
      next.socket.end();
      await next.closed;
      await server.close();
    });
    test('a handler that throws closes that connection; the server keeps serving', async () => {
      const { server, address } = await startEchoServer(model, kind);
      const bad = streamClient(address);
      bad.socket.write('throw\n');
      await bad.closed;
      const next = streamClient(address);
      assert.equal(await next.ask('echo still here'), 'still here');
      next.socket.end();
      await next.closed;
      await server.close();
    });
    test('close while busy: the request in flight finishes, then close resolves', async () => {
      const { server, address, started } = await startEchoServer(model, kind);
      const client = streamClient(address);
      const pending = client.ask('slow 300');
      await started('slow 300');
      let closed = false;
      const closing = server.close().then(() => {
        closed = true;
      });
      assert.equal(await pending, 'done');
      assert.equal(closed, false, 'close waits for the connection');
      client.socket.end();
      await closing;
    });
    test('close with a drainTimeout: what is still open at the deadline is cut and counted', {
      timeout: 15_000,
    }, async () => {
      const cuts: number[] = [];
      const { server, address } = await startEchoServer(model, kind, {
        drainTimeout: 300,
        onCut: (count) => cuts.push(count),
      });
      const client = streamClient(address);
      assert.equal(await client.ask('echo served'), 'served'); // accepted and being served; never ended
      const started = performance.now();
      await server.close();
      const took = performance.now() - started;
      await client.closed;
      assert.deepEqual(cuts, [1]);
      assert.ok(took >= 250 && took < 300 + 2500, `close took ${Math.round(took)} ms`);
    });
  });
}
