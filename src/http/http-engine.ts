/**
 * The HTTP engine seam (docs/architecture.md, Seams, "HTTP/1.1 engine"): the engines' names, the options
 * each runs a Handler with, and what every engine makes the same way.
 */
import type { Duplex } from 'node:stream';
import type { AccessLogEntry } from './access-log.js';
import type { ClientAddress, HttpRequest } from './handler.js';
import type { HandlerErrorReporter } from './run-handler.js';

/** Limits of an HTTP engine (every engine keeps them); times in milliseconds, sizes in bytes. */
export interface HttpServerOptions {
  /** Largest request head; larger gets 431. */
  maxHeaderSize: number;
  /** Time for a client to send the request head (or, on a fresh connection, anything at all); then 408. */
  headersTimeout: number;
  /** Time for a client to send the whole request; 0 disables. */
  requestTimeout: number;
  /** Idle time of a kept-alive connection between requests. */
  keepAliveTimeout: number;
  /** A client that takes none of the bytes it is sent for this long is cut (SendTimeout); 0 disables. */
  sendTimeout: number;
  /** Told of each connection the send timeout cuts. */
  onSendTimeout?: (socket: Duplex) => void;
}

/**
 * While draining, a connection with no request in flight is closed once it has been quiet this long: a client
 * looping requests sends its next one within a round trip of the last response, and that request is answered
 * (with `Connection: close`) rather than lost. Both engines keep it.
 */
export const DRAIN_QUIET_MS = 1000;
/** How long a closing connection may stay half-closed (our FIN sent) before it is destroyed. */
export const LINGER_MS = 2000;
/** What a file transfer holds at a time for a client that reads slowly: 500 of them hold 8 MiB, not 128. */
export const SLOW_CLIENT_CHUNK = 16 * 1024;

/** The limits a Handler is served with unless told otherwise (the httpserver's defaults). */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpServerOptions> = Object.freeze({
  maxHeaderSize: 16384,
  headersTimeout: 30_000,
  requestTimeout: 300_000,
  keepAliveTimeout: 5_000,
  sendTimeout: 60_000,
});

/**
 * The HTTP/1.1 engines serveHttp runs a Handler on: `llhttp` is Tandem's own engine on raw sockets driving
 * Node's llhttp binding; `node` is node:http (the reference, and the fallback where the binding cannot load).
 * HTTP/2 is not one of them: serveHttp2 (http2-engine.ts, node:http2) serves connections whose ALPN chose
 * `h2`, or h2c with prior knowledge, with the same EngineOptions.
 */
export type HttpEngineName = 'llhttp' | 'node';

/** The engines, for option parsers and messages. */
export const HTTP_ENGINES: readonly HttpEngineName[] = Object.freeze(['llhttp', 'node']);

/** How serveHttp runs a Handler. */
export interface ServeHttpOptions {
  /** Which engine parses and writes HTTP/1.1 (HttpEngineName). */
  engine?: HttpEngineName;
  /** Overrides of DEFAULT_HTTP_LIMITS. */
  limits?: Partial<HttpServerOptions>;
  /** Largest request body in bytes; a larger one gets 413 and the connection is closed. Default: no limit. */
  maxBodySize?: number;
  /** Receives one entry per request, when its response is done or the client left. */
  accessLog?: (entry: AccessLogEntry) => void;
  /**
   * Close each connection after its response (the loop model: it serves one connection at a time, so an idle
   * kept-alive client would hold every other one up).
   */
  closeEachConnection?: boolean;
  /** Told of an error a handler threw that is not a TandemError with a status (the client gets a 500). */
  onError?: (error: unknown, req: HttpRequest) => void;
  /** Runs once when the server is closed, after the last connection. */
  onClose?: () => void | Promise<void>;
}

/** ServeHttpOptions as an engine is given them: the limits complete, an error reporter always there. */
export interface EngineOptions extends Omit<ServeHttpOptions, 'limits' | 'onError'> {
  readonly limits: Readonly<HttpServerOptions>;
  readonly onError: HandlerErrorReporter;
}

/**
 * The client as a Handler sees it, from what the transport says: an IPv4-mapped IPv6 address
 * (`::ffff:1.2.3.4`) is shown as IPv4, as logs and X-Forwarded-For want it.
 */
export function clientAddress(address: string | undefined, port: number | undefined): ClientAddress {
  const text = address ?? '';
  return {
    address: text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text,
    port: port ?? 0,
  };
}

/** The scheme a client used on `stream`: `https` over TLS (a tls.TLSSocket says `encrypted`), else `http`. */
export function schemeOf(stream: Duplex): 'http' | 'https' {
  return (stream as Duplex & { encrypted?: boolean }).encrypted === true ? 'https' : 'http';
}
