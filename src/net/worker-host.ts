import type { Duplex } from 'node:stream';
import { loadHandler } from './handler-module.js';
import {
  endStream,
  ignoreError,
  isConnectionHandler,
  isDatagramHandler,
  runConnection,
  runDatagram,
} from './run-handler.js';
import type {
  ConnectionHandler,
  ConnectionInfo,
  DatagramInfo,
  Handler,
  HandlerSource,
  NetErrorReporter,
} from './types.js';

/**
 * Runs one handler wherever a model serves with it: loads it, serves connections and datagrams through the
 * pipeline (runConnection, runDatagram) while counting them, and stops it once: drain, wait until nothing is
 * open, close. The loop and event models run one in the server's process; every worker process (fork,
 * prefork) and worker thread (thread) runs one (worker-main.ts).
 */
export class WorkerHost {
  readonly #handler: Handler;
  readonly #report: NetErrorReporter;
  /** Connections being served or waiting for their turn, for cut(). */
  readonly #streams = new Set<Duplex>();
  #open = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;

  private constructor(handler: Handler, report: NetErrorReporter) {
    this.#handler = handler;
    this.#report = report;
  }

  /** Loads the handler (a handler object is used as it is); rejects as loadHandler does. */
  static async load(source: HandlerSource, report: NetErrorReporter): Promise<WorkerHost> {
    return new WorkerHost(await loadHandler(source), report);
  }

  /** True when the handler serves connections (it has `handle`). */
  get servesConnections(): boolean {
    return isConnectionHandler(this.#handler);
  }

  /** True when the handler serves datagrams (it has `handleDatagram`). */
  get servesDatagrams(): boolean {
    return isDatagramHandler(this.#handler);
  }

  /** Connections and datagrams being served or waiting for their turn. */
  get open(): number {
    return this.#open;
  }

  /**
   * Serves one connection; resolves when it is closed, never rejects. A handler that does not serve
   * connections gets none: the stream is destroyed. With a `turn` (the loop model's queue) it is served once
   * the turn has resolved, and `released` is called once the server is done with it (runConnection), at the
   * latest when it has closed: the next one's turn.
   */
  serveConnection(
    stream: Duplex,
    info: ConnectionInfo,
    turn?: { start: Promise<void>; released: () => void },
  ): Promise<void> {
    const handler = this.#handler;
    if (!isConnectionHandler(handler)) {
      this.#report(new Error('this handler does not serve connections'), 'worker host');
      stream.destroy();
      turn?.released();
      return Promise.resolve();
    }
    this.#streams.add(stream);
    this.#open++;
    const work =
      turn === undefined
        ? runConnection(handler, stream, info, this.#report)
        : this.#inTurn(turn.start, turn.released, handler, stream, info);
    // One reaction per connection (an idle one holds it): the stream is forgotten and counted done at once.
    return work.then(() => {
      this.#streams.delete(stream);
      this.#settled();
    });
  }

  /**
   * Serves one connection with nothing to wait for (the event model): as serveConnection, but a handler with
   * `serve()` and no `setup` or `finish` is served through it, so that an idle connection holds no promise.
   */
  serveDetached(stream: Duplex, info: ConnectionInfo): void {
    const handler = this.#handler;
    if (!isConnectionHandler(handler) || handler.serve === undefined || handler.setup || handler.finish) {
      return void this.serveConnection(stream, info);
    }
    if (stream.destroyed) return;
    this.#streams.add(stream);
    this.#open++;
    stream.on('error', ignoreError);
    try {
      handler.serve(stream, info, this.#served);
    } catch (error) {
      this.#report(error, 'connection handler');
      this.#served(stream);
    }
  }

  /** A connection served by `serve()` is done: it is ended, and once closed forgotten and counted done (once). */
  readonly #served = (stream: Duplex): void => {
    void endStream(stream).then(() => {
      if (!this.#streams.delete(stream)) return;
      this.#settled();
    });
  };

  /** Serves `stream` once `start` has resolved: apart, so that serveConnection's own closure holds less. */
  async #inTurn(
    start: Promise<void>,
    released: () => void,
    handler: ConnectionHandler,
    stream: Duplex,
    info: ConnectionInfo,
  ): Promise<void> {
    await start;
    try {
      await runConnection(handler, stream, info, this.#report, released);
    } finally {
      released();
    }
  }

  /** Serves one datagram (once `turn` has resolved, if given); resolves when it is done, never rejects. */
  serveDatagram(
    message: Buffer,
    from: DatagramInfo,
    reply: (data: Uint8Array) => void,
    turn?: Promise<void>,
  ): Promise<void> {
    const handler = this.#handler;
    if (!isDatagramHandler(handler)) {
      this.#report(new Error('this handler does not serve datagrams'), 'worker host');
      return Promise.resolve();
    }
    const work =
      turn === undefined
        ? runDatagram(handler, message, from, reply, this.#report)
        : turn.then(() => runDatagram(handler, message, from, reply, this.#report));
    return this.#track(work);
  }

  /** Tells the handler to reload what it loaded at start; a throwing hook is reported. */
  reload(): void {
    const handler = this.#handler;
    if (!isConnectionHandler(handler)) return;
    try {
      handler.reload?.();
    } catch (error) {
      this.#report(error, 'handler reload');
    }
  }

  /**
   * Graceful stop, once: asks the handler to drain (`drain()`: close idle connections, send GOAWAY), waits
   * until every connection and datagram is done, then closes the handler. A throwing hook is reported.
   */
  close(): Promise<void> {
    this.#closing ??= this.#stop();
    return this.#closing;
  }

  /** Destroys every connection being served or waiting; returns how many there were. */
  cut(): number {
    const count = this.#streams.size;
    for (const stream of this.#streams) stream.destroy();
    return count;
  }

  async #stop(): Promise<void> {
    const handler = this.#handler;
    if (isConnectionHandler(handler)) {
      try {
        handler.drain?.();
      } catch (error) {
        this.#report(error, 'handler drain');
      }
    }
    if (this.#open > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    try {
      await handler.close?.();
    } catch (error) {
      this.#report(error, 'handler close');
    }
  }

  /** Counts `work` as open until it settles. */
  #track(work: Promise<void>): Promise<void> {
    this.#open++;
    return work.then(this.#settled);
  }

  /** One function for every tracked piece of work, not a closure each. */
  readonly #settled = (): void => {
    this.#open--;
    if (this.#open === 0) this.#idle?.();
  };
}
