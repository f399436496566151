import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { closeServer, listen } from '../net/listen.js';
import { ServerSession } from '../protocol/server-session.js';
import type { StreamHandler } from '../protocol/types.js';

/** Where and how the webframe serves the frame protocol. */
export interface WebframeServerOptions {
  host: string;
  port: number;
  /** A connection with no open streams for this long is closed with GOAWAY, in ms (default 120000). */
  idleTimeout?: number;
  log: Logger;
}

/**
 * The webframe's listener: every accepted connection becomes a ServerSession that hands its streams to the
 * app's handler. Nothing is bound until `listen()`.
 */
export class WebframeServer {
  readonly #handler: StreamHandler;
  readonly #options: WebframeServerOptions;
  readonly #sessions = new Set<ServerSession>();
  #server: Server | undefined;

  constructor(handler: StreamHandler, options: WebframeServerOptions) {
    this.#handler = handler;
    this.#options = options;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const server = createServer((socket) => this.#accept(socket));
    this.#server = server;
    return listen(server, this.#options.port, this.#options.host);
  }

  /** Graceful stop: GOAWAY on every connection, open streams finish, then the listener closes. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await closeServer(server, () => {
      for (const session of this.#sessions) session.close();
    });
  }

  #accept(socket: Socket): void {
    const log = this.#options.log;
    const session = new ServerSession(socket, this.#handler, {
      onError: (error, head) =>
        log.error({ err: error, method: head.method, info: head.info }, 'view failed'),
    });
    this.#sessions.add(session);
    session.onClose = (error) => {
      this.#sessions.delete(session);
      if (error !== undefined)
        log.warn({ peer: socket.remoteAddress, ...error }, 'frame connection closed on an error');
    };
    socket.setTimeout(this.#options.idleTimeout ?? 120_000, () => {
      if (session.activeStreams === 0) session.close();
    });
    session.start();
  }
}
