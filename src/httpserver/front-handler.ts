import { createAccessLog } from '../http/access-log.js';
import { first } from '../http/combinators.js';
import type { Handler } from '../http/handler.js';
import { type ServeHttp2Options, serveHttp, serveHttp2 } from '../http/serve-http.js';
import { createLogger } from '../log/logger.js';
import type { ConnectionHandler } from '../net/types.js';
import { CertificateStore } from '../tls/certificate-store.js';
import { serveTls } from '../tls/serve-tls.js';
import type { HttpServerConfig } from './config.js';
import { proxy } from './proxy.js';
import { staticRoutes } from './static-routes.js';
import { WebframePool } from './webframe-pool.js';

/** `handler` with a Strict-Transport-Security field added to each of its replies (RFC 6797 §6.1). */
function withHsts(handler: Handler, value: string): Handler {
  return async (req) => {
    const reply = await handler(req);
    if (reply !== null) reply.headers = { ...reply.headers, 'strict-transport-security': value };
    return reply;
  };
}

/**
 * The httpserver's connection handler, as a handler module so every concurrency model can load it (once per
 * process or thread): `serveHttp(first(static prefixes…, proxy(pool)))`, behind TLS when `tls` is configured.
 * A request under a configured static prefix is answered from disk by the static layer; every other one goes
 * to the webframe through this worker's own pool of multiplexed connections.
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
  const forward = proxy(pool, { upstreamTimeout: config.timeouts.upstream, debug: config.debug, log });
  const statics = staticRoutes(config.static);
  const routes = statics.length === 0 ? forward : first(...statics, forward);
  const tls = config.tls;
  const served = tls?.hsts === undefined ? routes : withHsts(routes, tls.hsts);
  const options: ServeHttp2Options = {
    limits: {
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
    maxBodySize: config.limits.maxBodySize,
    accessLog,
    // The loop model serves one connection at a time: a kept-alive client idle between requests would hold
    // every other one for the keep-alive timeout, so each response closes its connection (docs/models.md).
    closeEachConnection: config.model === 'loop',
    onError: (err, req) => log.error({ err, url: req.target }, 'request failed'),
  };
  const http1 = serveHttp(served, {
    ...options,
    engine: config.engine,
    onClose: () => {
      pool.close();
      accessLog.flush();
    },
  });
  if (tls === undefined) return http1;
  return serveTls({
    certificates: new CertificateStore(tls.certificates),
    http1,
    http2: tls.http2 ? serveHttp2(served, options) : undefined,
    handshakeTimeout: tls.handshakeTimeout,
    onHandshakeError: (err, info) =>
      log.debug({ err, client: info.remoteAddress }, `TLS handshake failed: ${err.message}`),
    onReloadError: (err) =>
      log.error({ err }, `certificate reload failed, the old one stays: ${err.message}`),
  });
}
