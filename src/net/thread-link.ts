import type { Socket } from 'node:net';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/start-worker.js';
import { bridgeSocket } from './socket-bridge.js';
import type { ConnectionInfo } from './types.js';
import type { LinkEvents, WorkerLink } from './worker-link.js';
import type { ToWorker } from './worker-messages.js';

/**
 * A worker thread (thread model) seen from its ModelWorker: started on worker-main.ts. Node cannot hand a
 * socket to a thread, so the socket stays here and bridgeSocket relays its bytes over a MessagePort, with
 * flow control both ways.
 */
export class ThreadLink implements WorkerLink {
  readonly #worker: Worker;
  /** Read at the start: a thread's threadId reads -1 once it has exited. */
  readonly id: number;
  /** Aborts of the bridges of the connections it serves, each removed once done. */
  readonly #bridges = new Set<() => void>();
  #alive = true;

  constructor(events: LinkEvents) {
    this.#worker = startWorker(new URL('./worker-main.js', import.meta.url));
    this.id = this.#worker.threadId;
    this.#worker.on('message', events.message);
    this.#worker.on('error', (error) => {
      this.#alive = false; // a dying thread gets nothing new
      events.error(error, '');
    });
    this.#worker.once('exit', (code) => {
      this.#alive = false;
      events.exit(code, null);
    });
  }

  get connected(): boolean {
    return this.#alive;
  }

  send(message: ToWorker, transfer?: ArrayBuffer[]): void {
    this.#worker.postMessage(message, transfer);
  }

  handOver(socket: Socket, info: ConnectionInfo): void {
    const { port1, port2 } = new MessageChannel();
    const abort = bridgeSocket(socket, port1, () => this.#bridges.delete(abort));
    this.#bridges.add(abort);
    this.#worker.postMessage({ type: 'connection', info, port: port2 } satisfies ToWorker, [port2]);
  }

  /** Closes the bridges: most close with the thread (which destroyed their sockets); one posted as it died did not. */
  release(): void {
    for (const abort of [...this.#bridges]) abort();
  }

  kill(): void {
    void this.#worker.terminate();
  }
}
