/**
 * The entry of every worker process (fork, prefork) and worker thread (thread), started by a ModelWorker and
 * never run by hand: it serves for its model with a WorkerHost. On `start` it loads the handler module and says
 * `ready` (or `failed`, and exits 1); it serves each connection it is handed (a socket, or for a thread a
 * MessagePort whose other end relays the socket) and says `done` after each, and each datagram (`reply`,
 * `datagram-done`); on `close` it stops the host (drain, wait, close the handler) and exits 0, on `cut` it
 * destroys its connections first. With `once` (fork) it closes after its one connection. A worker process
 * serves connections only, stops gracefully on SIGTERM or when its parent goes (never outliving it for long),
 * and ignores a terminal's SIGINT and SIGHUP: a terminal sends those to the whole process group, and the
 * parent decides.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { parentPort } from 'node:worker_threads';
import { errors, TandemError } from '../errors/catalogue.js';
import { serializeError } from '../errors/serialized-error.js';
import { moduleName } from './handler-module.js';
import { PortDuplex, type PortMessage, toTransferable } from './port-duplex.js';
import { reportToStderr } from './run-handler.js';
import type { ConnectionInfo, NetErrorReporter } from './types.js';
import { WorkerHost } from './worker-host.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

/** How long connections may take to finish once the parent process is gone before the worker exits anyway. */
const ORPHAN_GRACE_MS = 3000;

/** The parent thread's port when this is a worker thread; null in a worker process. */
const thread = parentPort;
let host: Promise<WorkerHost | undefined> | undefined;
let once = false;
let stopping: Promise<void> | undefined;
let lastSend: Promise<void> = Promise.resolve();

/** Sends a message to the model; resolves once it is written (at once in a thread, or if the parent is gone). */
function send(message: FromWorker, transfer?: ArrayBuffer[]): Promise<void> {
  if (thread !== null) {
    thread.postMessage(message, transfer);
    return Promise.resolve();
  }
  lastSend = new Promise<void>((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    try {
      process.send(message, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
  return lastSend;
}

/** Handler failures go to the model's reporter; to stderr once a worker process's parent is gone. */
const report: NetErrorReporter = (error, context) => {
  if (thread === null && !process.connected) return reportToStderr(error, context);
  void send({ type: 'report', context, error: serializeError(error) });
};

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<WorkerHost | undefined> {
  once = message.once;
  const module = moduleName(message.handler);
  try {
    const loaded = await WorkerHost.load(message.handler, report);
    if (thread === null && !loaded.servesConnections) {
      throw errors.APP_INVALID(module, 'a worker process serves connections: the handler needs handle()');
    }
    void send({ type: 'ready', connections: loaded.servesConnections, datagrams: loaded.servesDatagrams });
    return loaded;
  } catch (err) {
    const failure =
      err instanceof TandemError
        ? err
        : errors.APP_LOAD_FAILED(module, (err as Error)?.message ?? String(err));
    await send({ type: 'failed', error: serializeError(failure) });
    process.exit(1);
  }
}

/** Serves one connection once the handler is loaded; `finished` then tells the stream's other end. */
async function serve(stream: Duplex | undefined, info: ConnectionInfo, finished?: () => void): Promise<void> {
  const loaded = await host;
  if (stream === undefined) report(new Error('a connection arrived without its socket'), 'worker');
  else if (loaded === undefined) stream.destroy();
  else await loaded.serveConnection(stream, info);
  finished?.();
  await send({ type: 'done' });
  if (once) void stop();
}

/** Stops the host once (drain, wait, close the handler), then exits 0. */
function stop(): Promise<void> {
  stopping ??= (async () => {
    const loaded = await host;
    await loaded?.close();
    await lastSend;
    process.exit(0);
  })();
  return stopping;
}

function receive(message: ToWorker, socket?: Socket): void {
  switch (message.type) {
    case 'start':
      host = start(message);
      return;
    case 'connection': {
      const port = message.port;
      if (port === undefined) {
        void serve(socket, message.info);
        return;
      }
      void serve(new PortDuplex(port, message.info), message.info, () => {
        port.postMessage({ t: 'done' } satisfies PortMessage);
        port.close();
      });
      return;
    }
    case 'datagram': {
      const { id, from } = message;
      const reply = (data: Uint8Array) => {
        const buffer = toTransferable(new Uint8Array(data));
        void send({ type: 'reply', id, data: buffer }, [buffer]);
      };
      void host?.then(async (loaded) => {
        await loaded?.serveDatagram(Buffer.from(message.message), from, reply);
        void send({ type: 'datagram-done', id });
      });
      return;
    }
    case 'reload':
      void host?.then((loaded) => loaded?.reload());
      return;
    case 'close':
      void stop();
      return;
    case 'cut':
      void stop();
      void host?.then((loaded) => loaded?.cut());
      return;
  }
}

if (thread !== null) thread.on('message', (message: ToWorker) => receive(message));
else {
  process.on('message', receive);
  // The parent died or let go: finish what is in flight, but never outlive it for long (no orphans).
  process.on('disconnect', () => {
    setTimeout(() => process.exit(1), ORPHAN_GRACE_MS).unref();
    void stop();
  });
  process.on('SIGINT', () => {});
  process.on('SIGHUP', () => {});
  // SIGTERM aimed at this worker (or its group) is a graceful stop of this worker.
  process.on('SIGTERM', () => void stop());
  // A thread that throws dies at once and its model hears of it first ('error'); a process says why, then goes.
  process.on('unhandledRejection', (reason) => report(reason, 'unhandled rejection in the handler'));
  process.on('uncaughtException', (err) => {
    report(err, 'uncaught exception in the handler; the worker exits');
    void lastSend.then(() => process.exit(1));
  });
}
