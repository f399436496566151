import type { Socket } from 'node:net';
import {
  isConnectionHandler,
  isDatagramHandler,
  loadHandler,
  reportToStderr,
  runConnection,
  runDatagram,
} from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  Handler,
  HandlerSource,
  NetErrorReporter,
} from './types.js';

/**
 * The `event` model (I/O multiplexing): one process, every client served at once by the event loop. The
 * default, and the cheapest while handlers do not compute for long.
 */
export class EventModel implements ConcurrencyModel {
  readonly name: 'event' | 'loop' = 'event';
  protected handler: Handler | undefined;
  protected readonly report: NetErrorReporter;
  #active = 0;
  #idle: (() => void) | undefined;
  /** Sockets being served or waiting to be, for cut(). */
  readonly #sockets = new Set<Socket>();

  constructor(report: NetErrorReporter = reportToStderr) {
    this.report = report;
  }

  get active(): number {
    return this.#active;
  }

  async start(source: HandlerSource): Promise<void> {
    this.handler = await loadHandler(source);
  }

  serveConnection(socket: Socket, info: ConnectionInfo): void {
    const handler = this.handler;
    if (handler === undefined || !isConnectionHandler(handler)) {
      this.report(new Error('this handler does not serve connections'), 'event model');
      socket.destroy();
      return;
    }
    this.trackSocket(socket);
    this.track(runConnection(handler, socket, info, this.report));
    socket.resume();
  }

  serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    const handler = this.handler;
    if (handler === undefined || !isDatagramHandler(handler)) {
      this.report(new Error('this handler does not serve datagrams'), 'event model');
      return;
    }
    this.track(runDatagram(handler, message, from, reply, this.report));
  }

  async close(): Promise<void> {
    const handler = this.handler;
    if (handler !== undefined && isConnectionHandler(handler)) handler.drain?.();
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    await this.handler?.close?.();
  }

  cut(): number {
    const count = this.#sockets.size;
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    return count;
  }

  /** Keeps `socket` for cut() until it closes. */
  protected trackSocket(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once('close', () => this.#sockets.delete(socket));
  }

  /** Counts `work` as in flight until it settles. */
  protected track(work: Promise<void>): void {
    this.#active++;
    void work.then(this.#settled, this.#settled);
  }

  /** One function for every tracked piece of work, not a closure each. */
  readonly #settled = (): void => {
    this.#active--;
    if (this.#active === 0) this.#idle?.();
  };
}
