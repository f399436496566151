import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors } from '../errors/catalogue.js';
import { createAccessLog } from '../http/access-log.js';
import { createHttpServer } from '../http/http-server.js';
import type { Logger } from '../log/logger.js';
import { closeServer, listen } from '../net/listen.js';
import type { HttpServerConfig } from './config.js';
import { createProxyHandler, sendError } from './proxy-handler.js';
import { WebframePool } from './webframe-pool.js';

/**
 * The front server: accepts HTTP/1.1 from browsers and forwards each request to the webframe over a pool of
 * multiplexed frame connections. Nothing happens until `listen()`.
 */
export class HttpServer {
  readonly #config: HttpServerConfig;
  readonly #log: Logger;
  #server: Server | undefined;
  #pool: WebframePool | undefined;

  constructor(config: HttpServerConfig, log: Logger) {
    this.#config = config;
    this.#log = log;
  }

  /** Starts listening; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const c = this.#config;
    const pool = new WebframePool({
      host: c.webframe.host,
      port: c.webframe.port,
      connections: c.connections,
      log: this.#log,
    });
    const accessLog = createAccessLog(process.stdout);
    const handler = createProxyHandler({
      pool,
      maxBodySize: c.limits.maxBodySize,
      upstreamTimeout: c.timeouts.upstream,
      debug: c.debug,
      log: this.#log,
      accessLog,
    });
    const server = createHttpServer(
      {
        maxHeaderSize: c.limits.maxHeaderSize,
        headersTimeout: c.timeouts.headers,
        requestTimeout: c.timeouts.request,
        keepAliveTimeout: c.timeouts.keepAlive,
      },
      handler,
    );
    // Expect: 100-continue (RFC 9110 §10.1.1): refuse an oversized body before the client sends it.
    server.on('checkContinue', (req, res) => {
      if (Number(req.headers['content-length'] ?? 0) > c.limits.maxBodySize) {
        sendError(res, errors.HTTP_PAYLOAD_TOO_LARGE(c.limits.maxBodySize), true);
        return;
      }
      res.writeContinue();
      handler(req, res);
    });
    this.#server = server;
    this.#pool = pool;
    return listen(server, c.port, c.host);
  }

  /** Graceful stop: no new connections, idle ones closed, requests in flight finish, pool closed. */
  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    await closeServer(server, () => {
      server.closeIdleConnections();
      this.#pool?.close();
    });
  }
}
