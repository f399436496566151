import type { Logger } from '../log/logger.js';
import { handlerModule } from '../net/handler-module.js';
import { type BoundAddress, NetServer } from '../net/net-server.js';
import type { HttpServerConfig } from './config.js';

/** The handler module every worker of the front server runs. */
const FRONT_HANDLER = handlerModule<typeof import('./front-handler.js')>(
  new URL('./front-handler.js', import.meta.url),
);

/**
 * The front server: accepts HTTP/1.1 from browsers and forwards each request to the webframe over pools of
 * multiplexed frame connections, served by the configured concurrency model. Nothing happens until `listen()`.
 */
export class HttpServer {
  readonly #server: NetServer;

  constructor(config: HttpServerConfig, log: Logger) {
    this.#server = new NetServer({
      transport: { kind: 'tcp', host: config.host, port: config.port },
      model: { kind: config.model, workers: config.workers },
      handler: FRONT_HANDLER.with(config),
      report: (err, context) => log.error({ err }, `${context} failed`),
      drainTimeout: config.timeouts.drain,
      onCut: (cut) =>
        log.warn(
          { cut, drainTimeout: config.timeouts.drain },
          `httpserver drain deadline of ${config.timeouts.drain} ms passed: cut ${cut} connection(s)`,
        ),
    });
  }

  /** Starts the model and listens; resolves with the bound address. */
  listen(): Promise<BoundAddress> {
    return this.#server.listen();
  }

  /** Graceful stop: no new connections, idle ones closed, requests in flight finish, pools closed. */
  close(): Promise<void> {
    return this.#server.close();
  }
}
