import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors } from '../errors/catalogue.js';
import { createAccessLog } from '../http/access-log.js';
import { httpConnectionHandler } from '../http/http-connection-handler.js';
import { createHttpServer } from '../http/http-server.js';
import { createLogger } from '../log/logger.js';
import type { ConnectionHandler } from '../net/types.js';
import type { HttpServerConfig } from './config.js';
import { createProxyHandler, sendError } from './proxy-handler.js';
import { createStaticRouter, createStaticRoutes } from './static-routes.js';
import { WebframePool } from './webframe-pool.js';

/**
 * The httpserver's connection handler, as a handler module so every concurrency model can load it (once per
 * process or thread): an http.Server on Node's llhttp whose requests under a configured static prefix are
 * answered from disk by the static layer, and every other request goes to the webframe through this worker's
 * own pool of multiplexed connections.
 */
export default function createFrontHandler(config: HttpServerConfig): ConnectionHandler {
  const log = createLogger('httpserver', config.debug ? 'debug' : undefined);
  const pool = new WebframePool({
    host: config.webframe.host,
    port: config.webframe.port,
    connections: config.connections,
    log,
  });
  const accessLog = createAccessLog(process.stdout);
  const proxy = createProxyHandler({
    pool,
    maxBodySize: config.limits.maxBodySize,
    upstreamTimeout: config.timeouts.upstream,
    debug: config.debug,
    log,
    accessLog,
  });
  const statics = createStaticRouter(createStaticRoutes(config.static), {
    accessLog,
    report: (err, req) => log.error({ err, url: req.url }, 'static file request failed'),
  });
  const route =
    config.static.length === 0
      ? proxy
      : (req: IncomingMessage, res: ServerResponse): void => {
          if (!statics(req, res)) proxy(req, res);
        };
  // The loop model serves one connection at a time: a kept-alive client idle between requests would hold
  // every other one for the keep-alive timeout, so each response closes its connection (docs/models.md).
  const handler =
    config.model === 'loop'
      ? (req: IncomingMessage, res: ServerResponse): void => {
          res.setHeader('connection', 'close');
          route(req, res);
        }
      : route;
  const server = createHttpServer(
    {
      maxHeaderSize: config.limits.maxHeaderSize,
      headersTimeout: config.timeouts.headers,
      requestTimeout: config.timeouts.request,
      keepAliveTimeout: config.timeouts.keepAlive,
      sendTimeout: config.timeouts.send,
      onSendTimeout: (socket) =>
        log.warn(
          { client: (socket as { remoteAddress?: string }).remoteAddress, timeout: config.timeouts.send },
          `client took no bytes for ${config.timeouts.send} ms: connection cut`,
        ),
    },
    handler,
  );
  // Node hands a CONNECT request's socket to 'connect' listeners and, with none, closes it without a word
  // (and without an access-log line). Answered through the usual path instead, which refuses it with a 501.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    res.once('finish', () => socket.end());
    handler(req, res);
  });
  // Expect: 100-continue (RFC 9110 §10.1.1): refuse an oversized body before the client sends it.
  server.on('checkContinue', (req, res) => {
    if (Number(req.headers['content-length'] ?? 0) > config.limits.maxBodySize) {
      sendError(res, errors.HTTP_PAYLOAD_TOO_LARGE(config.limits.maxBodySize), true);
      return;
    }
    res.writeContinue();
    handler(req, res);
  });
  return httpConnectionHandler(server, () => {
    pool.close();
    accessLog.flush();
  });
}
