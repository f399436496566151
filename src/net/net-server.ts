import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { listen } from './listen.js';
import { createModel } from './models.js';
import { connectionCapacity, openFilesLimit, RefusedConnections } from './open-files-limit.js';
import { reportToStderr } from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  HandlerSource,
  ModelSpec,
  NetErrorReporter,
  TransportSpec,
} from './types.js';
import { bindUnixDatagram, type UnixDatagramSocket } from './unix-datagram.js';

/** A server's options: transport × concurrency model × handler. */
export interface NetServerOptions {
  transport: TransportSpec;
  /** Default `{ kind: 'event' }`. */
  model?: ModelSpec;
  handler: HandlerSource;
  report?: NetErrorReporter;
  /** The verify step: return false to refuse a connection (it is closed at once). */
  verify?: (info: ConnectionInfo) => boolean;
  /** How long close() lets connections finish, in ms, before it cuts the rest; default no deadline. */
  drainTimeout?: number;
  /** Called once if close() had to cut, with the number of connections cut (to log it). */
  onCut?: (count: number) => void;
}

/** Where a server listens once bound: host and port for TCP and UDP, a path for Unix sockets. */
export type BoundAddress = { kind: TransportSpec['kind']; host: string; port: number; path: string };

/**
 * A server = transport × concurrency model × handler, as a pipeline of named steps: accept → verify →
 * process (the model) → finish → close (in runConnection). Nothing is bound until `listen()`.
 */
export class NetServer {
  readonly #options: NetServerOptions;
  readonly #model: ConcurrencyModel;
  #stream: Server | undefined;
  #udp: UdpSocket | undefined;
  #unixDgram: UnixDatagramSocket | undefined;
  #closing: Promise<void> | undefined;
  #sending = 0;
  #sent: (() => void) | undefined;

  constructor(options: NetServerOptions) {
    this.#options = options;
    this.#model = createModel(options.model ?? { kind: 'event' }, options.report ?? reportToStderr);
  }

  /** The concurrency model serving this server's clients. */
  get model(): ConcurrencyModel {
    return this.#model;
  }

  /**
   * Starts the model (workers, handler), then binds; resolves with the bound address. A bind that fails (the
   * address in use) stops the model again before rejecting, so no worker process or thread is left behind.
   */
  async listen(): Promise<BoundAddress> {
    await this.#model.start(this.#options.handler);
    try {
      return await this.#bind();
    } catch (error) {
      this.#stream?.close();
      this.#udp?.close();
      await this.#model.close();
      throw error;
    }
  }

  async #bind(): Promise<BoundAddress> {
    const t = this.#options.transport;
    switch (t.kind) {
      case 'tcp':
      case 'unix': {
        const server = createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
        this.#stream = server;
        this.#capConnections(server);
        if (t.kind === 'unix') {
          await unlink(t.path).catch(() => {});
          await new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(t.path, () => resolve());
          });
          return { kind: t.kind, host: '', port: 0, path: t.path };
        }
        const address = await listen(server, t.port, t.host);
        return { kind: t.kind, host: address.address, port: address.port, path: '' };
      }
      case 'udp': {
        const socket = createSocket(t.host.includes(':') ? 'udp6' : 'udp4');
        this.#udp = socket;
        socket.on('message', (message, rinfo) => {
          const from = { transport: 'udp' as const, address: rinfo.address, port: rinfo.port };
          this.#model.serveDatagram(message, from, (data) => {
            // Counted so that close() lets replies in flight leave before the socket goes.
            this.#sending++;
            socket.send(data, rinfo.port, rinfo.address, () => {
              if (--this.#sending === 0) this.#sent?.();
            });
          });
        });
        await new Promise<void>((resolve, reject) => {
          socket.once('error', reject);
          socket.bind(t.port, t.host, () => resolve());
        });
        const address = socket.address();
        return { kind: 'udp', host: address.address, port: address.port, path: '' };
      }
      case 'unix-dgram': {
        const report = this.#options.report ?? reportToStderr;
        const socket = await bindUnixDatagram(
          t.path,
          (message, fromPath) => {
            const from = { transport: 'unix-dgram' as const, address: '', port: 0, path: fromPath };
            this.#model.serveDatagram(message, from, (data) => {
              if (fromPath !== undefined) socket.send(data, fromPath);
            });
          },
          (error) => report(error, 'unix datagram socket'),
        );
        this.#unixDgram = socket;
        return { kind: 'unix-dgram', host: '', port: 0, path: t.path };
      }
    }
  }

  /** Asks the handler, in every worker, to reload what it loaded at start (certificates); nothing is dropped. */
  reload(): void {
    this.#model.reload();
  }

  /**
   * Graceful close: stops accepting, lets the model finish what is in flight (cutting what is still open once
   * `drainTimeout` has passed, told to `onCut`), then releases the socket.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      const stream = this.#stream;
      const streamClosed = stream && new Promise<void>((resolve) => stream.close(() => resolve()));
      const deadline = this.#options.drainTimeout;
      const timer =
        deadline === undefined
          ? undefined
          : setTimeout(() => this.#options.onCut?.(this.#model.cut()), deadline);
      await this.#model.close();
      clearTimeout(timer);
      await streamClosed;
      if (this.#sending > 0) await new Promise<void>((resolve) => (this.#sent = resolve));
      this.#udp?.close();
      this.#unixDgram?.close();
    })();
    return this.#closing;
  }

  /**
   * Caps the connections this process holds below its open-files limit, and reports the ones refused (at most
   * once a second, with their count): at the limit, libuv would accept and close them without a word, and
   * every file or webframe connection the process opens would fail with EMFILE.
   */
  #capConnections(server: Server): void {
    const limit = openFilesLimit();
    if (limit === undefined) return;
    server.maxConnections = connectionCapacity(limit);
    const refused = new RefusedConnections(
      server.maxConnections,
      limit,
      this.#options.report ?? reportToStderr,
    );
    server.on('drop', () => refused.add());
  }

  #accept(socket: Socket): void {
    const t = this.#options.transport;
    const info: ConnectionInfo = {
      transport: t.kind,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    };
    if (this.#closing !== undefined || this.#options.verify?.(info) === false) {
      socket.destroy();
      return;
    }
    this.#model.serveConnection(socket, info);
  }
}
