import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { ConnectionInfo } from './types.js';
import type { LinkEvents, WorkerLink } from './worker-link.js';
import type { ToWorker } from './worker-messages.js';

/** The worker's entry, by its built name: from source (under tsx, which the child inherits) tsx finds the `.ts`. */
const WORKER_MAIN = fileURLToPath(new URL('./worker-main.js', import.meta.url));

/**
 * A worker process (fork, prefork) seen from its ModelWorker: forked on worker-main.ts with an IPC channel,
 * it is handed each connection's socket itself, so its bytes never pass through the parent.
 */
export class ProcessLink implements WorkerLink {
  readonly #process: ChildProcess;
  readonly #events: LinkEvents;
  /** Sockets given to send() and not written yet: a child that dies may leave them queued in Node. */
  readonly #handingOver = new Set<Socket>();
  #exited = false;

  constructor(events: LinkEvents) {
    this.#events = events;
    this.#process = fork(WORKER_MAIN, [], {
      serialization: 'advanced',
      // A session of its own: a terminal's Ctrl-C (SIGINT to the process group) would otherwise kill a child
      // that is still starting, before it can ignore it. The parent tells it to stop; it stops if orphaned.
      detached: true,
      // The child inherits --import tsx and the like, but not a debugger port it could not bind again.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')),
    });
    const child = this.#process;
    child.on('message', events.message);
    child.on('exit', (code, signal) => this.#exit(code, signal));
    child.on('error', (error) => {
      events.error(error, '');
      if (child.pid === undefined) this.#exit(null, null); // never spawned: no 'exit' will come
    });
  }

  get id(): number {
    return this.#process.pid ?? 0;
  }

  get connected(): boolean {
    return !this.#exited && this.#process.connected;
  }

  send(message: ToWorker): void {
    try {
      this.#process.send(message, undefined, {}, (error) => {
        // A channel that broke (EPIPE) belongs to a child that died: its exit is reported, with why.
        if (error && !this.#exited && (error as NodeJS.ErrnoException).code !== 'EPIPE')
          this.#events.error(error, `: sending ${message.type}`);
      });
    } catch (error) {
      this.#events.error(error, `: sending ${message.type}`);
    }
  }

  handOver(socket: Socket, info: ConnectionInfo, undelivered: (error: unknown) => void): void {
    if (!this.#process.connected) return undelivered(new Error('the child is gone'));
    untrackFromServer(socket);
    const message: ToWorker = { type: 'connection', info };
    // keepOpen, and the parent's copy closed here once written: Node would otherwise hold the handle until
    // the child acknowledges it, and a child that dies first never does (the connection would hang open).
    // Once written, the descriptor travels in the kernel: a dead receiver's queue is purged, closing it.
    this.#handingOver.add(socket);
    try {
      this.#process.send(message, socket, { keepOpen: true }, (error) => {
        this.#handingOver.delete(socket);
        socket.destroy();
        if (error) undelivered(error);
      });
    } catch (error) {
      this.#handingOver.delete(socket);
      undelivered(error);
    }
  }

  release(): void {
    for (const socket of this.#handingOver) socket.destroy();
    this.#handingOver.clear();
  }

  kill(): void {
    if (!this.#exited) this.#process.kill('SIGKILL');
  }

  #exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#events.exit(code, signal);
  }
}

/**
 * Keeps Node from tracking a socket sent to a child in the listening server: for a socket whose `server` is set,
 * `child.send()` registers the child with the server, and `server.close()` then asks each registered child that
 * is still alive whether its copies have closed. With none alive any more (every fork child exits after one
 * connection) Node's close waits on an empty list and never calls back (Node 20 and 24, lib/net.js
 * Server#close). The models track their workers themselves, so the server only needs its own count, which the
 * socket's internal `_server` keeps.
 */
function untrackFromServer(socket: Socket): void {
  (socket as Socket & { server: unknown }).server = null;
}
