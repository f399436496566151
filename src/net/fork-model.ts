import type { Socket } from 'node:net';
import { requireHandlerModule } from './handler-module.js';
import { ModelWorker, type ModelWorkerEvents, stoppedByTerminal } from './model-worker.js';
import { reportToStderr } from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  HandlerModuleCall,
  HandlerSource,
  NetErrorReporter,
} from './types.js';
import { WaitingConnections } from './waiting-connections.js';

/** Options of a fork child: one connection, then it exits. */
const CHILD = { once: true, label: 'fork child' };

/**
 * The `fork` model (socketserver's ForkingMixIn): a fresh worker process per connection, at most `workers`
 * alive at once; further connections wait, paused, until a child exits and is reaped. A handler that crashes
 * or leaks takes only its own connection with it. Needs a handler module; serves stream transports only.
 */
export class ForkModel implements ConcurrencyModel {
  readonly name = 'fork' as const;
  readonly #maxChildren: number;
  readonly #report: NetErrorReporter;
  /** Connections waiting for a free child slot. */
  readonly #queue = new WaitingConnections(() => this.#settle());
  readonly #children = new Set<ModelWorker>();
  readonly #events: ModelWorkerEvents = {
    done: () => {},
    exit: (child, code, signal) => this.#reap(child, code, signal),
  };
  #source: HandlerModuleCall | undefined;
  #closing: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  /** `workers`: the most children alive at once, a positive integer (createModel checks it). */
  constructor(options: { workers: number }, report: NetErrorReporter = reportToStderr) {
    this.#maxChildren = options.workers;
    this.#report = report;
  }

  /** Connections queued or being served by a child. */
  get active(): number {
    return this.#queue.size + this.#children.size;
  }

  /** Checks the handler module in a first child (it loads, says ready, exits), so a bad module fails here. */
  async start(source: HandlerSource): Promise<void> {
    const module = requireHandlerModule(source, 'fork');
    const events: ModelWorkerEvents = { done: () => {}, exit: () => {} };
    const probe = new ModelWorker('process', module, CHILD, events, this.#report);
    try {
      await probe.ready;
    } catch (err) {
      probe.kill();
      await probe.exited;
      throw err;
    }
    probe.close();
    await probe.exited;
    this.#source = module;
  }

  serveConnection(socket: Socket, info: ConnectionInfo): void {
    if (this.#source === undefined) {
      this.#report(new Error('the fork model was not started'), 'fork model');
      socket.destroy();
      return;
    }
    socket.on('error', () => {}); // a waiting client that gives up must not crash the server
    if (this.#children.size < this.#maxChildren) return this.#fork(socket, info);
    this.#queue.add(socket, info);
  }

  serveDatagram(_message: Buffer, _from: DatagramInfo, _reply: (data: Uint8Array) => void): void {
    this.#report(new Error('fork/prefork models serve stream transports only'), 'fork model');
  }

  /** Each child loads the handler when it is forked, so only the children serving now are told. */
  reload(): void {
    for (const child of this.#children) child.reload();
  }

  /** Serves every queued connection, then resolves once every child has exited. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const child of this.#children) child.close();
      if (this.active > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    })();
    return this.#closing;
  }

  cut(): number {
    let count = this.#queue.destroyAll();
    for (const child of this.#children) count += child.cut();
    this.#settle();
    return count;
  }

  #fork(socket: Socket, info: ConnectionInfo): void {
    const child = new ModelWorker('process', this.#source!, CHILD, this.#events, this.#report);
    this.#children.add(child);
    child.serve(socket, info);
    if (this.#closing !== undefined) child.close();
  }

  #reap(child: ModelWorker, code: number | null, signal: NodeJS.Signals | null): void {
    this.#children.delete(child);
    if (code !== 0 && !stoppedByTerminal(signal)) {
      this.#report(new Error(`fork child ${child.id} exited with ${signal ?? `code ${code}`}`), 'fork model');
    }
    while (this.#children.size < this.#maxChildren) {
      const next = this.#queue.shift();
      if (next === undefined) break;
      if (!next.socket.destroyed) this.#fork(next.socket, next.info);
    }
    this.#settle();
  }

  #settle(): void {
    if (this.active === 0) this.#idle?.();
  }
}
