/**
 * The child process of the fork and prefork models (forked by ForkedChild, never run by hand). It loads the
 * handler module named by the first message, says `ready`, serves each socket it is handed with runConnection
 * and says `done` after each; on `close` (or SIGTERM, or when the parent goes away) it drains, waits for its
 * connections, closes the handler and exits 0; on `cut` (a drain deadline passed) it destroys them first. In
 * `once` mode (fork) it exits after its one connection.
 */
import type { Socket } from 'node:net';
import { errors, TandemError } from '../errors/catalogue.js';
import type { FromChild, ToChild } from './forked-child.js';
import { isConnectionHandler, loadHandler, reportToStderr, runConnection } from './run-handler.js';
import type { ConnectionHandler, ConnectionInfo, HandlerModule, NetErrorReporter } from './types.js';

/** How long connections may take to finish once the parent is gone before the child exits anyway. */
const ORPHAN_GRACE_MS = 3000;

let handler: Promise<ConnectionHandler | undefined> | undefined;
let once = false;
let open = 0;
let closing = false;
let finishing = false;
let lastSend: Promise<void> = Promise.resolve();
/** Sockets being served, for a `cut`. */
const sockets = new Set<Socket>();

/** Sends a message to the parent; resolves once it is written (at once if the parent is gone). */
function send(message: FromChild): Promise<void> {
  const sent = new Promise<void>((resolve) => {
    if (!process.connected || process.send === undefined) return resolve();
    try {
      process.send(message, undefined, {}, () => resolve());
    } catch {
      resolve();
    }
  });
  lastSend = sent;
  return sent;
}

/** Handler failures go to the parent's reporter; to stderr once the parent is gone. */
const report: NetErrorReporter = (error, context) => {
  if (!process.connected) return reportToStderr(error, context);
  // Errors survive structured clone (message and stack); other values travel as text.
  void send({ type: 'report', context, error: error instanceof Error ? error : new Error(String(error)) });
};

async function load(source: HandlerModule): Promise<ConnectionHandler | undefined> {
  try {
    const loaded = await loadHandler(source);
    if (!isConnectionHandler(loaded)) {
      throw errors.APP_INVALID(
        source.module,
        'the fork and prefork models serve connections: the handler needs handle()',
      );
    }
    void send({ type: 'ready' });
    return loaded;
  } catch (err) {
    const failure =
      err instanceof TandemError
        ? err
        : errors.APP_LOAD_FAILED(source.module, (err as Error)?.message ?? String(err));
    await send({ type: 'failed', code: failure.code, message: failure.message });
    process.exit(1);
  }
}

async function serve(socket: Socket | undefined, info: ConnectionInfo): Promise<void> {
  open++;
  const loaded = await handler;
  if (socket === undefined) report(new Error('a connection arrived without its socket'), 'process worker');
  else if (loaded === undefined) socket.destroy();
  else {
    sockets.add(socket);
    await runConnection(loaded, socket, info, report);
    sockets.delete(socket);
  }
  open--;
  await send({ type: 'done' });
  if (closing) {
    if (open === 0) await finish();
  } else if (once) await shutdown();
}

/** Starts a graceful close: drain, then finish once the last connection is done. */
async function shutdown(): Promise<void> {
  if (closing) return;
  closing = true;
  const loaded = await handler;
  try {
    loaded?.drain?.();
  } catch (err) {
    report(err, 'handler drain');
  }
  if (open === 0) await finish();
}

async function finish(): Promise<void> {
  if (finishing) return;
  finishing = true;
  const loaded = await handler;
  try {
    await loaded?.close?.();
  } catch (err) {
    report(err, 'handler close');
  }
  await lastSend;
  process.exit(0);
}

process.on('message', (message: ToChild, socket?: Socket) => {
  switch (message.type) {
    case 'start':
      once = message.once;
      handler = load(message.source);
      break;
    case 'connection':
      void serve(socket, message.info);
      break;
    case 'close':
      void shutdown();
      break;
    case 'cut':
      void shutdown();
      for (const open of sockets) open.destroy();
      break;
  }
});

// The parent died or let go: finish what is in flight, but never outlive it for long (no orphans).
process.on('disconnect', () => {
  setTimeout(() => process.exit(1), ORPHAN_GRACE_MS).unref();
  void shutdown();
});

// A terminal sends SIGINT and SIGHUP to the whole process group; the parent decides and says `close`. SIGTERM
// aimed at this worker (or the group) is a graceful stop of this worker.
process.on('SIGINT', () => {});
process.on('SIGHUP', () => {});
process.on('SIGTERM', () => void shutdown());

process.on('unhandledRejection', (reason) => report(reason, 'unhandled rejection in the handler'));
process.on('uncaughtException', (err) => {
  report(err, 'uncaught exception in the handler; the worker exits');
  void lastSend.then(() => process.exit(1));
});
