import { type ChildProcess, fork } from 'node:child_process';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { TandemError } from '../errors/catalogue.js';
import type { ConnectionInfo, HandlerModule, NetErrorReporter } from './types.js';

/** A message from a model to its child process (process-worker.ts). */
export type ToChild =
  | { type: 'start'; source: HandlerModule; once: boolean }
  | { type: 'connection'; info: ConnectionInfo }
  | { type: 'close' }
  | { type: 'cut' };

/** A message from a child process to its model. */
export type FromChild =
  | { type: 'ready' }
  | { type: 'failed'; code: string; message: string }
  | { type: 'done' }
  | { type: 'report'; context: string; error: unknown };

/** How long a child told to cut its connections may take to exit before it is killed. */
const CUT_GRACE_MS = 2000;

/** The child entry next to this module: `.ts` when running from source under tsx, `.js` from dist/. */
export const PROCESS_WORKER_ENTRY = fileURLToPath(
  new URL(`./process-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/**
 * True for a child that died of SIGINT or SIGHUP. Children run in sessions of their own and ignore both, so
 * this is a terminal's signal to the whole process group that caught a child being born (after fork, before
 * it left the group): its parent got the same signal and is stopping, as the user asked. Not a failure.
 */
export function stoppedByTerminal(signal: NodeJS.Signals | null): boolean {
  return signal === 'SIGINT' || signal === 'SIGHUP';
}

/** What a ForkedChild tells its model. */
export interface ForkedChildEvents {
  /** A connection given to the child is finished (served, or never delivered). */
  done(child: ForkedChild): void;
  /** The child exited; `lost` connections it held were never finished. */
  exit(child: ForkedChild, code: number | null, signal: NodeJS.Signals | null, lost: number): void;
}

/**
 * A child process running process-worker.ts, seen from the parent: it loads the handler module, serves the
 * sockets handed to it, and exits when told to close (or, with `once`, after its one connection).
 */
export class ForkedChild {
  readonly #process: ChildProcess;
  readonly #events: ForkedChildEvents;
  readonly #report: NetErrorReporter;
  readonly #label: string;
  readonly #once: boolean;
  #open = 0;
  /** Sockets given to send() and not written yet: a child that dies may leave them queued in Node. */
  readonly #handingOver = new Set<Socket>();
  #ready = false;
  #exited = false;
  #failure: Error | undefined;
  #resolveReady!: () => void;
  #rejectReady!: (error: Error) => void;
  #resolveExited!: () => void;
  /** Resolves once the child has loaded the handler; rejects if it cannot (the child then exits). */
  readonly ready: Promise<void>;
  /** Resolves once the child process has exited and been reaped. */
  readonly exited: Promise<void>;

  private constructor(
    child: ChildProcess,
    options: { once: boolean; label: string },
    events: ForkedChildEvents,
    report: NetErrorReporter,
  ) {
    this.#process = child;
    this.#events = events;
    this.#report = report;
    this.#label = options.label;
    this.#once = options.once;
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // a child nobody waits for must not raise an unhandled rejection
    this.exited = new Promise((resolve) => (this.#resolveExited = resolve));
    child.on('message', (message: FromChild) => this.#receive(message));
    child.on('exit', (code, signal) => this.#exit(code, signal));
    child.on('error', (error) => {
      this.#report(error, `${this.#label} ${this.pid}`);
      if (child.pid === undefined) this.#exit(null, null); // never spawned: no 'exit' will come
    });
  }

  /** Forks a child that loads `source`; with `once` it serves one connection and exits. */
  static spawn(
    source: HandlerModule,
    options: { once: boolean; label: string },
    events: ForkedChildEvents,
    report: NetErrorReporter,
  ): ForkedChild {
    const child = fork(PROCESS_WORKER_ENTRY, [], {
      serialization: 'advanced',
      // A session of its own: a terminal's Ctrl-C (SIGINT to the process group) would otherwise kill a child
      // that is still starting, before it can ignore it. The parent tells it to stop; it stops if orphaned.
      detached: true,
      // The child inherits --import tsx and the like, but not a debugger port it could not bind again.
      execArgv: process.execArgv.filter((arg) => !arg.startsWith('--inspect')),
    });
    const forked = new ForkedChild(child, options, events, report);
    forked.#send({ type: 'start', source, once: options.once });
    return forked;
  }

  /** The child's process id (0 if it could not be spawned). */
  get pid(): number {
    return this.#process.pid ?? 0;
  }

  /** Connections handed to the child and not finished yet. */
  get open(): number {
    return this.#open;
  }

  /** True once the child has loaded the handler and said so. */
  get isReady(): boolean {
    return this.#ready;
  }

  /** True until the child process has exited. */
  get alive(): boolean {
    return !this.#exited;
  }

  /** True while connections can be handed to the child (its IPC channel is open). */
  get connected(): boolean {
    return !this.#exited && this.#process.connected;
  }

  /** Hands a paused socket to the child; the parent's copy is closed once the handle is sent. */
  serve(socket: Socket, info: ConnectionInfo): void {
    this.#open++;
    const undelivered = (error: unknown) => {
      socket.destroy();
      this.#report(error, `${this.#label} ${this.pid}: handing over a connection`);
      if (this.#exited) return; // already counted as lost when the child exited
      this.#open--;
      this.#events.done(this);
      if (this.#once) this.kill();
    };
    if (!this.#process.connected) return undelivered(new Error('the child is gone'));
    const message: ToChild = { type: 'connection', info };
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

  /** Asks the child to drain, finish its connections, close the handler and exit. */
  close(): void {
    if (this.#process.connected) this.#send({ type: 'close' });
  }

  /**
   * Past a drain deadline: the child destroys its connections, closes its handler and exits; killed if it has
   * not exited `grace` ms later. Returns how many connections it was serving.
   */
  cut(grace = CUT_GRACE_MS): number {
    const count = this.#open;
    if (this.#process.connected) this.#send({ type: 'cut' });
    else this.kill();
    setTimeout(() => this.kill(), grace).unref();
    return count;
  }

  /** Stops the child at once (SIGKILL by default). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.#exited) this.#process.kill(signal);
  }

  #send(message: ToChild): void {
    try {
      this.#process.send(message, undefined, {}, (error) => {
        // A channel that broke (EPIPE) belongs to a child that died: its exit is reported, with why.
        if (error && !this.#exited && (error as NodeJS.ErrnoException).code !== 'EPIPE')
          this.#report(error, `${this.#label} ${this.pid}: sending ${message.type}`);
      });
    } catch (error) {
      this.#report(error, `${this.#label} ${this.pid}: sending ${message.type}`);
    }
  }

  #receive(message: FromChild): void {
    switch (message.type) {
      case 'ready':
        this.#ready = true;
        this.#resolveReady();
        break;
      case 'failed':
        this.#failure = new TandemError(message.code, message.message);
        this.#rejectReady(this.#failure);
        break;
      case 'done':
        if (this.#exited || this.#open === 0) return;
        this.#open--;
        this.#events.done(this);
        break;
      case 'report':
        this.#report(message.error, `${this.#label} ${this.pid}: ${message.context}`);
        break;
    }
  }

  #exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    for (const socket of this.#handingOver) socket.destroy();
    this.#handingOver.clear();
    const lost = this.#open;
    this.#open = 0;
    this.#rejectReady(
      this.#failure ??
        new Error(`${this.#label} ${this.pid} exited (${signal ?? `code ${code}`}) before it was ready`),
    );
    this.#resolveExited();
    this.#events.exit(this, code, signal, lost);
  }
}
