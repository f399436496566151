import type { Logger } from '../log/logger.js';
import { handlerModule } from '../net/handler-module.js';
import { type BoundAddress, NetServer } from '../net/net-server.js';
import type { FrameHandlerOptions } from './frame-handler.js';
import type { WebframeSettings } from './settings.js';

/** The handler module every worker of the webframe runs: the frame protocol for the app. */
const FRAME_HANDLER = handlerModule<typeof import('./frame-handler.js')>(
  new URL('./frame-handler.js', import.meta.url),
);

/**
 * The webframe's listener: connections from httpservers are served by the app's concurrency model, each
 * worker running the frame handler for the app. Nothing is bound until `listen()`.
 */
export class WebframeServer {
  readonly #server: NetServer;

  /** `settings` are the app's resolved settings (they decide address and model); `handler` travels to workers. */
  constructor(settings: WebframeSettings, handler: FrameHandlerOptions, log: Logger) {
    this.#server = new NetServer({
      transport: { kind: 'tcp', host: settings.host, port: settings.port },
      model: { kind: settings.model, workers: settings.workers },
      handler: FRAME_HANDLER.with(handler),
      report: (err, context) => log.error({ err }, `${context} failed`),
      drainTimeout: settings.drainTimeout,
      onCut: (cut) =>
        log.warn(
          { cut, drainTimeout: settings.drainTimeout },
          `webframe drain deadline of ${settings.drainTimeout} ms passed: cut ${cut} connection(s)`,
        ),
    });
  }

  /** Starts the model and listens; resolves with the bound address. */
  listen(): Promise<BoundAddress> {
    return this.#server.listen();
  }

  /** Graceful stop: GOAWAY on every connection, open streams finish, workers exit; cut at the drain deadline. */
  close(): Promise<void> {
    return this.#server.close();
  }
}
