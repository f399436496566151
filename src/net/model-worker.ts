import type { Socket } from 'node:net';
import { deserializeError } from '../errors/serialized-error.js';
import { toTransferable } from './port-duplex.js';
import { ProcessLink } from './process-link.js';
import { ThreadLink } from './thread-link.js';
import type { ConnectionInfo, DatagramInfo, HandlerModuleCall, NetErrorReporter } from './types.js';
import type { LinkEvents, WorkerLink } from './worker-link.js';
import type { FromWorker } from './worker-messages.js';

/** How long a worker told to cut its connections may take to exit before it is killed. */
const CUT_GRACE_MS = 2000;

/** Where a worker runs: a child process (fork, prefork) or a worker thread (thread). */
export type WorkerKind = 'process' | 'thread';

/**
 * True for a worker process that died of SIGINT or SIGHUP. Worker processes run in sessions of their own and
 * ignore both, so this is a terminal's signal to the whole process group that caught one being born (after
 * fork, before it left the group): its parent got the same signal and is stopping, as the user asked.
 */
export function stoppedByTerminal(signal: NodeJS.Signals | null): boolean {
  return signal === 'SIGINT' || signal === 'SIGHUP';
}

/** What a ModelWorker tells its model. */
export interface ModelWorkerEvents {
  /** A connection handed to the worker is finished (served, or never delivered). */
  done(worker: ModelWorker): void;
  /** The worker exited; `lost` connections and datagrams it held were never finished. */
  exit(worker: ModelWorker, code: number | null, signal: NodeJS.Signals | null, lost: number): void;
}

/**
 * One worker of a model (worker-main.ts in a child process or a worker thread), seen from the model: it loads
 * the handler module, serves the connections and datagrams handed to it, and exits when told to close (or,
 * with `once`, after its one connection). The model counts on `open`, `ready` and `exited`.
 */
export class ModelWorker {
  readonly #link: WorkerLink;
  readonly #events: ModelWorkerEvents;
  readonly #report: NetErrorReporter;
  readonly #label: string;
  readonly #once: boolean;
  readonly #replies = new Map<number, (data: Uint8Array) => void>();
  #nextDatagram = 0;
  #open = 0;
  #serves = { connections: false, datagrams: false };
  #ready = false;
  #exited = false;
  #failure: Error | undefined;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  #resolveExited!: () => void;
  /** Resolves once the worker has loaded the handler; rejects if it cannot (the worker then exits). */
  readonly ready: Promise<void>;
  /** Resolves once the worker has exited. */
  readonly exited: Promise<void>;

  /** Starts a worker of `kind` that loads `handler`; with `once` it serves one connection and exits. */
  constructor(
    kind: WorkerKind,
    handler: HandlerModuleCall,
    options: { once: boolean; label: string },
    events: ModelWorkerEvents,
    report: NetErrorReporter,
  ) {
    this.#events = events;
    this.#report = report;
    this.#label = options.label;
    this.#once = options.once;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // a worker nobody waits for must not raise an unhandled rejection
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
    const linkEvents: LinkEvents = {
      message: (message) => this.#receive(message),
      exit: (code, signal) => this.#exit(code, signal),
      error: (error, context) => {
        if (this.#ready) this.#report(error, `${this.#label} ${this.id}${context}`);
        else this.#failure ??= error as Error;
      },
    };
    this.#link = kind === 'process' ? new ProcessLink(linkEvents) : new ThreadLink(linkEvents);
    this.#link.send({ type: 'start', handler, once: options.once });
  }

  /** The worker's process id or thread id. */
  get id(): number {
    return this.#link.id;
  }

  /** Connections and datagrams handed to the worker and not finished yet. */
  get open(): number {
    return this.#open;
  }

  /** True once the worker has loaded the handler and said so. */
  get isReady(): boolean {
    return this.#ready;
  }

  /** What the loaded handler serves (both false until ready). */
  get serves(): { readonly connections: boolean; readonly datagrams: boolean } {
    return this.#serves;
  }

  /** True until the worker has exited. */
  get alive(): boolean {
    return !this.#exited;
  }

  /** True while connections can be handed to the worker. */
  get connected(): boolean {
    return !this.#exited && this.#link.connected;
  }

  /** Hands a paused socket to the worker. */
  serve(socket: Socket, info: ConnectionInfo): void {
    this.#open++;
    this.#link.handOver(socket, info, (error) => {
      socket.destroy();
      this.#report(error, `${this.#label} ${this.id}: handing over a connection`);
      if (this.#exited) return; // already counted as lost when the worker exited
      this.#finished();
      if (this.#once) this.kill();
    });
  }

  /** Hands a datagram to the worker; `reply` sends the handler's answer back to its sender. */
  serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    this.#open++;
    const id = ++this.#nextDatagram;
    this.#replies.set(id, reply);
    const buffer = toTransferable(message);
    this.#link.send({ type: 'datagram', id, message: buffer, from }, [buffer]);
  }

  /** Asks the worker's handler to reload what it loaded at start. */
  reload(): void {
    if (this.#link.connected) this.#link.send({ type: 'reload' });
  }

  /** Asks the worker to drain, finish its connections, close the handler and exit. */
  close(): void {
    if (this.#link.connected) this.#link.send({ type: 'close' });
  }

  /**
   * Past a drain deadline: the worker destroys its connections, closes its handler and exits; killed if it
   * has not exited `grace` ms later. Returns how many connections and datagrams it was serving.
   */
  cut(grace = CUT_GRACE_MS): number {
    const count = this.#open;
    this.#link.release();
    if (this.#link.connected) this.#link.send({ type: 'cut' });
    else this.kill();
    setTimeout(() => this.kill(), grace).unref();
    return count;
  }

  /** Stops the worker at once. */
  kill(): void {
    if (!this.#exited) this.#link.kill();
  }

  #finished(): void {
    this.#open--;
    this.#events.done(this);
  }

  #receive(message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        this.#ready = true;
        this.#serves = { connections: message.connections, datagrams: message.datagrams };
        this.#resolveReady();
        return;
      case 'failed':
        this.#failure = deserializeError(message.error);
        this.#rejectReady(this.#failure);
        return;
      case 'done':
        if (!this.#exited && this.#open > 0) this.#finished();
        return;
      case 'reply':
        this.#replies.get(message.id)?.(new Uint8Array(message.data));
        return;
      case 'datagram-done':
        if (this.#replies.delete(message.id)) this.#finished();
        return;
      case 'report':
        this.#report(deserializeError(message.error), `${this.#label} ${this.id}: ${message.context}`);
        return;
    }
  }

  #exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#link.release();
    this.#replies.clear();
    const lost = this.#open;
    this.#open = 0;
    this.#rejectReady(
      this.#failure ??
        new Error(`${this.#label} ${this.id} exited (${signal ?? `code ${code}`}) before it was ready`),
    );
    this.#resolveExited();
    this.#events.exit(this, code, signal, lost);
  }
}
