import type { Logger } from '../log/logger.js';
import { handlerModule } from '../net/handler-module.js';
import { type BoundAddress, NetServer } from '../net/net-server.js';
import type { FtpServerConfig } from './ftp-config.js';

/** The handler module every worker of the FTP server runs. */
const FTP_HANDLER = handlerModule<typeof import('./ftp-handler.js')>(
  new URL('./ftp-handler.js', import.meta.url),
);

/**
 * The FTP server (`tandem ftpd`): accepts control connections and serves each with an FtpSession from the
 * handler module ftp-handler, under the configured concurrency model. Under `fork` each control connection
 * is one child, so at most `limits.connections` children run at once. Nothing happens until `listen()`.
 */
export class FtpServer {
  readonly #server: NetServer;

  constructor(config: FtpServerConfig, log: Logger) {
    const workers = config.model === 'fork' ? config.limits.connections : config.workers;
    const multiProcess = config.model !== 'event';
    this.#server = new NetServer({
      transport: { kind: 'tcp', host: config.host, port: config.port },
      model: { kind: config.model, workers },
      handler: FTP_HANDLER.with(config),
      report: (err, context) => log.error({ err }, `${context} failed`),
      // Each worker counts (and answers 421 for) its own connections; the total is capped here.
      verify: multiProcess ? () => this.#server.model.active < config.limits.connections : undefined,
    });
  }

  /** Starts the model and listens; resolves with the bound address. */
  listen(): Promise<BoundAddress> {
    return this.#server.listen();
  }

  /** Graceful stop: no new connections; open sessions get 421 and close; transfers are aborted. */
  close(): Promise<void> {
    return this.#server.close();
  }
}
