import type { Socket } from 'node:net';
import { errors } from '../errors/catalogue.js';
import { ForkedChild, type ForkedChildEvents, stoppedByTerminal } from './forked-child.js';
import { reportToStderr, requireHandlerModule } from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  HandlerModule,
  HandlerSource,
  NetErrorReporter,
} from './types.js';

/** A connection waiting for a free child slot; its socket stays paused. */
interface Queued {
  socket: Socket;
  info: ConnectionInfo;
}

/**
 * The `fork` model (socketserver's ForkingMixIn): a fresh child process per connection, at most `maxChildren`
 * alive at once; further connections wait, paused, until a child exits and is reaped. A handler that crashes
 * or leaks takes only its own connection with it. Needs a handler module; serves stream transports only.
 */
export class ForkModel implements ConcurrencyModel {
  readonly name = 'fork' as const;
  readonly #maxChildren: number;
  readonly #report: NetErrorReporter;
  readonly #queue: Queued[] = [];
  readonly #children = new Set<ForkedChild>();
  readonly #events: ForkedChildEvents = {
    done: () => {},
    exit: (child, code, signal) => this.#reap(child, code, signal),
  };
  #source: HandlerModule | undefined;
  #closing: Promise<void> | undefined;
  #idle: (() => void) | undefined;

  constructor(options: { maxChildren: number }, report: NetErrorReporter = reportToStderr) {
    if (!Number.isInteger(options.maxChildren) || options.maxChildren < 1) {
      throw errors.CLI_USAGE(
        `fork model: maxChildren must be a positive integer, got ${options.maxChildren}`,
      );
    }
    this.#maxChildren = options.maxChildren;
    this.#report = report;
  }

  /** Connections queued or being served by a child. */
  get active(): number {
    return this.#queue.length + this.#children.size;
  }

  /** Checks the handler module in a first child (it loads, says ready, exits), so a bad module fails here. */
  async start(source: HandlerSource): Promise<void> {
    const module = requireHandlerModule(source, 'fork');
    const events: ForkedChildEvents = { done: () => {}, exit: () => {} };
    const probe = ForkedChild.spawn(module, { once: true, label: 'fork child' }, events, this.#report);
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
    const entry: Queued = { socket, info };
    this.#queue.push(entry);
    socket.once('close', () => {
      const index = this.#queue.indexOf(entry);
      if (index === -1) return;
      this.#queue.splice(index, 1);
      this.#settle();
    });
  }

  serveDatagram(_message: Buffer, _from: DatagramInfo, _reply: (data: Uint8Array) => void): void {
    this.#report(new Error('fork/prefork models serve stream transports only'), 'fork model');
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
    let count = 0;
    for (let entry = this.#queue.shift(); entry !== undefined; entry = this.#queue.shift()) {
      entry.socket.destroy();
      count++;
    }
    for (const child of this.#children) count += child.cut();
    this.#settle();
    return count;
  }

  #fork(socket: Socket, info: ConnectionInfo): void {
    const source = this.#source!;
    untrackFromServer(socket);
    const child = ForkedChild.spawn(source, { once: true, label: 'fork child' }, this.#events, this.#report);
    this.#children.add(child);
    child.serve(socket, info);
    if (this.#closing !== undefined) child.close();
  }

  #reap(child: ForkedChild, code: number | null, signal: NodeJS.Signals | null): void {
    this.#children.delete(child);
    if (code !== 0 && !stoppedByTerminal(signal)) {
      this.#report(
        new Error(`fork child ${child.pid} exited with ${signal ?? `code ${code}`}`),
        'fork model',
      );
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

/**
 * Keeps Node from tracking a socket sent to a child in the listening server: for a socket whose `server` is set,
 * `child.send()` registers the child with the server, and `server.close()` then asks each registered child that
 * is still alive whether its copies have closed. With none alive any more (every fork child exits after one
 * connection) Node's close waits on an empty list and never calls back (Node 20 and 24, lib/net.js
 * Server#close). This model tracks its children itself, so the server only needs its own count, which the
 * socket's internal `_server` keeps.
 */
function untrackFromServer(socket: Socket): void {
  (socket as Socket & { server: unknown }).server = null;
}
