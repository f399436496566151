import { serveHttp } from '../http/serve-http.js';
import type { Logger } from '../log/logger.js';
import { handlerModule } from '../net/handler-module.js';
import { type BoundAddress, NetServer } from '../net/net-server.js';
import { CertificateStore } from '../tls/certificate-store.js';
import type { HttpServerConfig } from './config.js';
import { redirectToHttps } from './redirect-to-https.js';

/** The handler module every worker of the front server runs. */
const FRONT_HANDLER = handlerModule<typeof import('./front-handler.js')>(
  new URL('./front-handler.js', import.meta.url),
);

/**
 * The front server: accepts HTTP/1.1 (and, with `tls`, HTTPS and HTTP/2) from browsers and forwards each
 * request to the webframe over pools of multiplexed frame connections, served by the configured concurrency
 * model; with `tls.redirectPort`, a plain listener sends every request there to https. Nothing happens until
 * `listen()`.
 */
export class HttpServer {
  readonly #config: HttpServerConfig;
  readonly #log: Logger;
  readonly #server: NetServer;
  #redirect: NetServer | undefined;

  constructor(config: HttpServerConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
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

  /**
   * Checks the certificates (a clear error naming the file at fault), starts the model and listens, then the
   * redirect listener; resolves with the main listener's bound address.
   */
  async listen(): Promise<BoundAddress> {
    const tls = this.#config.tls;
    if (tls !== undefined) new CertificateStore(tls.certificates);
    const address = await this.#server.listen();
    if (tls?.redirectPort !== undefined) {
      this.#redirect = new NetServer({
        transport: { kind: 'tcp', host: this.#config.host, port: tls.redirectPort },
        handler: serveHttp(redirectToHttps(address.port), {
          onError: (err, req) => this.#log.error({ err, url: req.target }, 'redirect failed'),
        }),
        report: (err, context) => this.#log.error({ err }, `${context} failed`),
        drainTimeout: this.#config.timeouts.drain,
      });
      try {
        const plain = await this.#redirect.listen();
        this.#log.info(
          { port: plain.port },
          `httpserver redirecting http://${plain.host}:${plain.port} to https on port ${address.port}`,
        );
      } catch (error) {
        await this.#server.close();
        throw error;
      }
    }
    return address;
  }

  /** Reads the certificate files again in every worker: new handshakes get the new ones, nothing is dropped. */
  reload(): void {
    this.#server.reload();
  }

  /** Graceful stop: no new connections, idle ones closed, requests in flight finish, pools closed. */
  async close(): Promise<void> {
    await Promise.all([this.#server.close(), this.#redirect?.close()]);
  }
}
