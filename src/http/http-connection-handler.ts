import type { Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ConnectionHandler } from '../net/types.js';
import { DRAIN_QUIET_MS, LINGER_MS } from './http-engine.js';

/** One client connection: requests in flight and when it last went quiet. */
interface Connection {
  readonly stream: Duplex;
  busy: number;
  quietSince: number;
  /** Bytes read so far, for streams that do not count them (a thread model's PortDuplex). */
  received: number;
  timer: NodeJS.Timeout | undefined;
}

/** Bytes read from the client so far: net.Socket counts them even while llhttp reads the handle directly. */
function bytesRead(connection: Connection): number {
  const counted = (connection.stream as Duplex & { bytesRead?: number }).bytesRead;
  return typeof counted === 'number' ? counted : connection.received;
}

/**
 * Adapts an http.Server to the net seam: each connection a model hands over goes to Node's own parser
 * (llhttp) through `server.emit('connection', stream)`; `handle` resolves when the connection closes.
 *
 * `drain` never destroys a connection whose next request may already be in the kernel's buffer (that resets
 * it: the client sees ECONNRESET on a request it sent), as `server.closeIdleConnections()` would. Instead:
 * every response from then on carries `Connection: close` (Node closes the connection after it), a busy
 * connection is closed right after its current response, and an idle one is closed with a FIN only once it
 * has been quiet for DRAIN_QUIET_MS with no byte read. nginx and Go close idle keep-alive connections at once
 * and rely on clients to retry (RFC 9112 §9.3.1); waiting a moment for a looping client's next request
 * answers it instead. The race cannot vanish: a request sent just as our FIN leaves is lost on any HTTP/1.1
 * server, and it is left to the client to retry it. What stays open past the deadline is cut by the model.
 */
export function httpConnectionHandler(
  server: Server,
  onClose?: () => void | Promise<void>,
): ConnectionHandler {
  let draining = false;
  const connections = new Map<Duplex, Connection>();
  const inFlight = new Set<ServerResponse>();
  const closeAfter = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('connection', 'close');
    else res.once('finish', () => res.socket?.end());
  };
  /** Closes `connection` if it stayed quiet, else looks again once it has been quiet long enough. */
  const closeWhenQuiet = (connection: Connection, seen: number) => {
    clearTimeout(connection.timer);
    const wait = Math.max(0, connection.quietSince + DRAIN_QUIET_MS - Date.now());
    connection.timer = setTimeout(() => {
      connection.timer = undefined;
      if (connection.busy > 0) return; // its response carries Connection: close
      const now = bytesRead(connection);
      if (now !== seen) {
        // A request is arriving: it will be answered with Connection: close (or cut at the deadline).
        connection.quietSince = Date.now();
        return closeWhenQuiet(connection, now);
      }
      connection.stream.end();
      setTimeout(() => connection.stream.destroy(), LINGER_MS).unref();
    }, wait);
    connection.timer.unref();
  };
  // This server never listens itself, but Node starts checking headersTimeout and requestTimeout (408) on
  // 'listening'; announce it so slow clients are still cut off.
  server.emit('listening');
  server.prependListener('request', (req, res: ServerResponse) => {
    if (draining) closeAfter(res);
    inFlight.add(res);
    const connection = connections.get(req.socket);
    if (connection !== undefined) {
      connection.busy++;
      clearTimeout(connection.timer);
    }
    res.once('close', () => {
      inFlight.delete(res);
      if (connection === undefined) return;
      connection.busy--;
      connection.quietSince = Date.now();
      if (draining && connection.busy === 0) closeWhenQuiet(connection, bytesRead(connection));
    });
  });
  return {
    handle(stream: Duplex) {
      const connection: Connection = {
        stream,
        busy: 0,
        quietSince: Date.now(),
        received: 0,
        timer: undefined,
      };
      connections.set(stream, connection);
      if (typeof (stream as Duplex & { bytesRead?: number }).bytesRead !== 'number') {
        stream.on('data', (chunk: Buffer) => (connection.received += chunk.length));
      }
      if (draining) closeWhenQuiet(connection, 0);
      return new Promise<void>((resolve) => {
        stream.once('close', () => {
          clearTimeout(connection.timer);
          connections.delete(stream);
          resolve();
        });
        server.emit('connection', stream);
      });
    },
    drain() {
      if (draining) return;
      draining = true;
      for (const res of inFlight) closeAfter(res);
      for (const connection of connections.values()) {
        if (connection.busy === 0) closeWhenQuiet(connection, bytesRead(connection));
      }
    },
    async close() {
      server.close(() => {}); // stops the timeout checks; there is no listener to close
      await onClose?.();
    },
  };
}
