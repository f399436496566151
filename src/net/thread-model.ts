import type { Socket } from 'node:net';
import { MessageChannel, type Worker } from 'node:worker_threads';
import { errors } from '../errors/catalogue.js';
import { deserializeError } from '../errors/serialized-error.js';
import { startWorker } from '../runtime/start-worker.js';
import { toTransferable } from './port-duplex.js';
import { reportToStderr, requireHandlerModule } from './run-handler.js';
import { bridgeSocket } from './socket-bridge.js';
import type { FromWorker, ThreadWorkerData, ToWorker } from './thread-worker.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  HandlerModule,
  HandlerSource,
  NetErrorReporter,
} from './types.js';

/** How long a worker whose connections were cut may take to exit before it is terminated. */
const CUT_GRACE_MS = 2000;

/** One worker thread of the pool and what it is serving. */
interface Slot {
  readonly worker: Worker;
  ready: boolean;
  /** False from its first error on: a dying thread gets nothing new. */
  alive: boolean;
  /** Aborts for the connections it serves (bridgeSocket), each removed once done. */
  readonly connections: Set<() => void>;
  readonly datagrams: Map<number, (data: Uint8Array) => void>;
  /** Resolves once the thread has exited. */
  readonly exited: Promise<void>;
}

/**
 * The `thread` model: a pool of worker threads runs the handler (loaded from its module in each thread) while
 * the main thread keeps the sockets, since Node cannot hand a socket to a thread. Each connection goes to the
 * least busy worker over a MessageChannel (bytes both ways with flow control); each datagram likewise, its
 * reply coming back. A worker that dies is reported, its connections closed, and a new one started.
 */
export class ThreadModel implements ConcurrencyModel {
  readonly name = 'thread' as const;
  readonly #workers: number;
  readonly #report: NetErrorReporter;
  #source: HandlerModule | undefined;
  readonly #slots = new Set<Slot>();
  #serves = { connections: true, datagrams: true };
  #nextDatagram = 0;
  #closing: Promise<void> | undefined;

  constructor(options: { workers: number }, report: NetErrorReporter = reportToStderr) {
    this.#workers = Math.max(1, options.workers);
    this.#report = report;
  }

  get active(): number {
    let active = 0;
    for (const slot of this.#slots) active += load(slot);
    return active;
  }

  async start(source: HandlerSource): Promise<void> {
    this.#source = requireHandlerModule(source, 'thread');
    const starting = Array.from({ length: this.#workers }, () => this.#spawn());
    const results = await Promise.allSettled(starting);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all([...this.#slots].map((slot) => slot.worker.terminate().then(() => slot.exited)));
      throw failed.reason;
    }
  }

  serveConnection(socket: Socket, info: ConnectionInfo): void {
    const slot = this.#closing === undefined ? this.#pick() : undefined;
    if (slot === undefined || !this.#serves.connections) {
      this.#refuse(
        slot === undefined ? 'no worker thread to serve it' : 'the handler does not serve connections',
      );
      socket.destroy();
      return;
    }
    const { port1, port2 } = new MessageChannel();
    const abort = bridgeSocket(socket, port1, () => slot.connections.delete(abort));
    slot.connections.add(abort);
    slot.worker.postMessage({ type: 'connection', info, port: port2 } satisfies ToWorker, [port2]);
  }

  serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    const slot = this.#closing === undefined ? this.#pick() : undefined;
    if (slot === undefined || !this.#serves.datagrams) {
      this.#refuse(
        slot === undefined ? 'no worker thread to serve it' : 'the handler does not serve datagrams',
      );
      return;
    }
    const id = ++this.#nextDatagram;
    slot.datagrams.set(id, reply);
    const buffer = toTransferable(message);
    slot.worker.postMessage({ type: 'datagram', id, message: buffer, from } satisfies ToWorker, [buffer]);
  }

  close(): Promise<void> {
    this.#closing ??= Promise.all(
      [...this.#slots].map((slot) => {
        slot.worker.postMessage({ type: 'close' } satisfies ToWorker);
        return slot.exited;
      }),
    ).then(() => {});
    return this.#closing;
  }

  cut(): number {
    let count = 0;
    for (const slot of this.#slots) {
      count += slot.connections.size;
      for (const abort of [...slot.connections]) abort();
      // Its connections' ports are closed, so it exits by itself; terminated if it has not in a moment.
      setTimeout(() => void slot.worker.terminate(), CUT_GRACE_MS).unref();
    }
    return count;
  }

  /** The least busy live worker, preferring those that have loaded the handler. */
  #pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (!slot.alive) continue;
      if (best === undefined || (slot.ready && !best.ready)) best = slot;
      else if (slot.ready === best.ready && load(slot) < load(best)) best = slot;
    }
    return best;
  }

  #refuse(reason: string): void {
    const why = this.#closing === undefined ? reason : 'the thread model is closing';
    this.#report(errors.APP_INVALID(this.#source?.module ?? 'thread model', why), 'thread model');
  }

  /** Starts one worker; resolves once it has loaded the handler, rejects if it fails before that. */
  #spawn(): Promise<void> {
    const data: ThreadWorkerData = { handler: this.#source as HandlerModule };
    const worker = startWorker(new URL('./thread-worker.js', import.meta.url), { workerData: data });
    const name = `thread model worker ${worker.threadId}`; // threadId reads -1 once the thread has exited
    let exited!: () => void;
    const slot: Slot = {
      worker,
      ready: false,
      alive: true,
      connections: new Set(),
      datagrams: new Map(),
      exited: new Promise((resolve) => (exited = resolve)),
    };
    this.#slots.add(slot);
    return new Promise<void>((resolveReady, rejectReady) => {
      let failure: unknown;
      worker.on('message', (message: FromWorker) => {
        switch (message.type) {
          case 'ready':
            slot.ready = true;
            this.#serves = { connections: message.connections, datagrams: message.datagrams };
            resolveReady();
            return;
          case 'reply':
            slot.datagrams.get(message.id)?.(new Uint8Array(message.data));
            return;
          case 'datagram-done':
            slot.datagrams.delete(message.id);
            return;
          case 'report':
            this.#report(deserializeError(message.error), message.context);
            return;
        }
      });
      worker.on('error', (error) => {
        failure = error;
        slot.alive = false;
        if (slot.ready) this.#report(error, name);
      });
      worker.once('exit', (code) => {
        this.#slots.delete(slot);
        slot.alive = false;
        // Most ports closed with the thread (which destroyed their sockets); one posted as it died did not.
        for (const abort of [...slot.connections]) abort();
        slot.datagrams.clear();
        exited();
        if (!slot.ready) {
          rejectReady(failure ?? errors.NET_WORKER_EXITED(name, code));
          return;
        }
        if (this.#closing !== undefined) return;
        if (failure === undefined) this.#report(errors.NET_WORKER_EXITED(name, code), 'thread model');
        this.#spawn().catch((error: unknown) => this.#report(error, 'thread model: restarting a worker'));
      });
    });
  }
}

/** What a worker is serving now. */
function load(slot: Slot): number {
  return slot.connections.size + slot.datagrams.size;
}
