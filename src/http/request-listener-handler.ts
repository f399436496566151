import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConnectionHandler } from '../net/types.js';
import { httpConnectionHandler } from './http-connection-handler.js';
import { createHttpServer, type HttpServerOptions } from './http-server.js';

/** Who sent a request: the peer's IP address and port ('' and 0 over a Unix socket). */
export interface ClientAddress {
  address: string;
  port: number;
}

/** The limits an HTTP handler's server uses unless told otherwise (the httpserver's defaults). */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpServerOptions> = Object.freeze({
  maxHeaderSize: 16384,
  headersTimeout: 30_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 5_000,
  sendTimeout: 60_000,
});

/** A request listener that is also told who the client is (from the model's ConnectionInfo). */
export type ClientRequestListener = (
  req: IncomingMessage,
  res: ServerResponse,
  client: ClientAddress,
) => void | Promise<void>;

/** Options of requestListenerHandler. */
export interface RequestListenerOptions {
  /** Overrides of DEFAULT_HTTP_LIMITS. */
  limits?: Partial<HttpServerOptions>;
  /** Runs once when the server is closed, after the last connection. */
  onClose?: () => void | Promise<void>;
}

/**
 * Makes a ConnectionHandler that serves HTTP/1.1 on Node's parser (createHttpServer + httpConnectionHandler)
 * and calls `listener` for each request with the client's address as the model reported it.
 */
export function requestListenerHandler(
  listener: ClientRequestListener,
  options: RequestListenerOptions = {},
): ConnectionHandler {
  const clients = new WeakMap<object, ClientAddress>();
  const server = createHttpServer({ ...DEFAULT_HTTP_LIMITS, ...options.limits }, (req, res) => {
    const client = clients.get(req.socket) ?? {
      address: req.socket.remoteAddress ?? '',
      port: req.socket.remotePort ?? 0,
    };
    Promise.resolve()
      .then(() => listener(req, res, client))
      .catch((err: unknown) => {
        process.stderr.write(`tandem: request listener failed: ${(err as Error).stack ?? String(err)}\n`);
        if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' }).end();
        else res.destroy();
      });
  });
  const inner = httpConnectionHandler(server, options.onClose);
  return {
    ...inner,
    handle(stream, info) {
      clients.set(stream, { address: info.remoteAddress, port: info.remotePort });
      return inner.handle(stream, info);
    },
  };
}
