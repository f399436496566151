import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionHandler } from '../net/types.js';

/**
 * Adapts an http.Server to the net seam: each connection a model hands over goes to Node's own parser
 * (llhttp) through `server.emit('connection', stream)`; `handle` resolves when the connection closes.
 * `drain` closes idle keep-alive connections at once and every busy one right after its current response.
 */
export function httpConnectionHandler(
  server: Server,
  onClose?: () => void | Promise<void>,
): ConnectionHandler {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
    else res.once('finish', () => res.socket?.end());
  };
  // This server never listens itself, but Node starts checking headersTimeout and requestTimeout (408) on
  // 'listening'; announce it so slow clients are still cut off.
  server.emit('listening');
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (draining) closeAfter(res);
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    handle(stream: Duplex) {
      return new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        server.emit('connection', stream);
      });
    },
    drain() {
      if (draining) return;
      draining = true;
      for (const res of inFlight) closeAfter(res);
      server.closeIdleConnections();
    },
    async close() {
      server.close(() => {}); // stops the timeout checks; there is no listener to close
      await onClose?.();
    },
  };
}
