import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors, type TandemError } from '../errors/catalogue.js';
import { errorReply } from './error-reply.js';
import type { HttpReply } from './handler.js';
import type { HttpServerOptions } from './http-engine.js';
import { parseError } from './parse-error.js';
import { SendTimeout } from './send-timeout.js';

/**
 * Creates an HTTP/1.1 server on Node's own parser (llhttp, never the insecure mode) with the given limits,
 * and a 'clientError' listener that answers parse errors with 400, oversized heads with 431 and slow
 * clients with 408, as a short text response with `Connection: close`, then destroys the socket; a client
 * that takes no bytes of its response for `sendTimeout` is cut (SendTimeout).
 * It does not listen: call `.listen()` or hand it accepted sockets with `server.emit('connection', socket)`.
 */
export function createHttpServer(
  options: HttpServerOptions,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): http.Server {
  const { maxHeaderSize, requestTimeout, keepAliveTimeout } = options;
  // Node requires headersTimeout <= requestTimeout when requestTimeout is set; the head is part of the request.
  const headersTimeout =
    requestTimeout > 0 ? Math.min(options.headersTimeout, requestTimeout) : options.headersTimeout;
  const server = http.createServer(
    {
      maxHeaderSize,
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      insecureHTTPParser: false,
      // The Host rules (RFC 9112 §3.2) are the engines' own (hostFieldRefusal): node:http's own 400 for a
      // missing Host comes from no renderer of Tandem's and leaves no access-log line.
      requireHostHeader: false,
      // Node checks the two timeouts every 30 s by default, far too coarse for a short headers timeout.
      connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    handler,
  );
  if (options.sendTimeout > 0) {
    const sendTimeout = new SendTimeout(options.sendTimeout, (socket) => options.onSendTimeout?.(socket));
    server.on('connection', (socket: Duplex) => {
      sendTimeout.watch(socket);
      socket.once('close', () => sendTimeout.forget(socket));
    });
  }
  server.on(
    'clientError',
    (err: NodeJS.ErrnoException & { reason?: string; rawPacket?: Buffer }, socket: Duplex) => {
      if (socket.writable && !responseStarted(socket)) {
        const error = clientErrorResponse(err, socket, headersTimeout, requestTimeout);
        // Destroy once the response is flushed: destroying at once could drop it from the socket's buffer.
        socket.end(closingResponse(errorReply(error, undefined)), () => socket.destroy());
      } else {
        socket.destroy();
      }
    },
  );
  return server;
}

/** The catalogue error a client error becomes, chosen by Node's error code. */
function clientErrorResponse(
  err: NodeJS.ErrnoException & { reason?: string; rawPacket?: Buffer },
  socket: Duplex,
  headersTimeout: number,
  requestTimeout: number,
): TandemError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // With a request in flight its head arrived, so the request timeout fired, not the headers timeout.
    return errors.HTTP_REQUEST_TIMEOUT(inFlight(socket) ? requestTimeout : headersTimeout);
  }
  return parseError(err, err.rawPacket);
}

/** The raw bytes of an error reply (from errorReply: a string body, lower-case names) that closes the connection. */
function closingResponse(reply: HttpReply): string {
  let head = `HTTP/1.1 ${reply.status} ${http.STATUS_CODES[reply.status] ?? 'Error'}\r\n`;
  // RFC 9110 §6.6.1: an origin server with a clock sends Date in every response, errors included.
  head += `Date: ${new Date().toUTCString()}\r\n`;
  for (const [name, value] of Object.entries(reply.headers ?? {})) {
    // Written as most servers spell them (Content-Type), as this path always has.
    head += `${name.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase())}: ${value}\r\n`;
  }
  return `${head}Connection: close\r\n\r\n${String(reply.body ?? '')}`;
}

type HttpSocket = Duplex & { _httpMessage?: ServerResponse | null };

function inFlight(socket: Duplex): boolean {
  return (socket as HttpSocket)._httpMessage != null;
}

// Writing a response after part of another one went out would corrupt what the client reads.
function responseStarted(socket: Duplex): boolean {
  return (socket as HttpSocket)._httpMessage?.headersSent === true;
}
