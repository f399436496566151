import type { Logger } from '../log/logger.js';
import { siblingModule } from '../net/handler-path.js';
import { modelSpec } from '../net/models.js';
import { type BoundAddress, NetServer } from '../net/net-server.js';
import type { ModelSpec } from '../net/types.js';
import type { FtpServerConfig } from './ftp-config.js';

/**
 * The FTP server (`tandem ftpd`): accepts control connections and serves each with an FtpSession from the
 * handler module ftp-handler, under the configured concurrency model. Under `fork` each control connection
 * is one child, so at most `limits.connections` children run at once. Nothing happens until `listen()`.
 */
export class FtpServer {
  readonly #server: NetServer;

  constructor(config: FtpServerConfig, log: Logger) {
    const spec: ModelSpec =
      config.model === 'fork'
        ? { kind: 'fork', maxChildren: config.limits.connections }
        : modelSpec(config.model, config.workers);
    const multiProcess = spec.kind !== 'event' && spec.kind !== 'loop';
    this.#server = new NetServer({
      transport: { kind: 'tcp', host: config.host, port: config.port },
      model: spec,
      handler: { module: siblingModule(import.meta.url, 'ftp-handler'), options: config },
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
