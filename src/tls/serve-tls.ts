import type { Duplex } from 'node:stream';
import { TLSSocket } from 'node:tls';
import { reportToStderr, runConnection } from '../net/run-handler.js';
import type { ConnectionHandler, ConnectionInfo } from '../net/types.js';
import type { CertificateStore } from './certificate-store.js';

/** What serveTls terminates TLS with, and who serves the decrypted connection. */
export interface ServeTlsOptions {
  /** The certificates, chosen per handshake by SNI. */
  certificates: CertificateStore;
  /** Serves a connection whose client chose HTTP/1.1 (or offered no ALPN). */
  http1: ConnectionHandler;
  /** Serves a connection whose client chose `h2` by ALPN; without it only `http/1.1` is offered. */
  http2?: ConnectionHandler | undefined;
  /** Time a client has to finish its handshake, in ms; then the connection is closed. */
  handshakeTimeout: number;
  /** Told of a handshake that failed (a client that does not trust the certificate, a TLS 1.0 client). */
  onHandshakeError?: (error: Error, info: ConnectionInfo) => void;
  /** Told of what a reload() could not load (each keeps its last good version). */
  onReloadError?: (error: Error) => void;
}

/** Runs `handler` on `stream` and calls `done` once it is done with it, whichever way the handler serves. */
function serveInner(
  handler: ConnectionHandler,
  stream: Duplex,
  info: ConnectionInfo,
  done: (stream: Duplex) => void,
): void {
  if (handler.serve !== undefined && handler.setup === undefined && handler.finish === undefined) {
    handler.serve(stream, info, done);
    return;
  }
  void runConnection(handler, stream, info, reportToStderr).then(() => done(stream));
}

/**
 * Terminates TLS (1.2 and 1.3) on each connection a concurrency model hands over, in whichever process or thread
 * serves it, then hands the decrypted connection to the HTTP/1.1 or the HTTP/2 handler, as ALPN chose
 * (RFC 7301). `reload()` reads the certificate files again: new handshakes get the new certificates, open
 * connections go on with theirs.
 */
export function serveTls(options: ServeTlsOptions): ConnectionHandler {
  const { certificates, http1, http2 } = options;
  const alpn = http2 === undefined ? ['http/1.1'] : ['h2', 'http/1.1'];
  const SNICallback = (servername: string, callback: (error: Error | null, context?: unknown) => void) =>
    callback(null, certificates.contextFor(servername));
  /** The raw connection under each TLS socket, and whom to tell once it is done. */
  const raw = new WeakMap<Duplex, { stream: Duplex; done: (stream: Duplex) => void }>();
  const innerDone = (tls: Duplex) => {
    const entry = raw.get(tls);
    if (entry === undefined) return;
    raw.delete(tls);
    entry.done(entry.stream);
  };
  const serve = (stream: Duplex, info: ConnectionInfo, done: (stream: Duplex) => void): void => {
    const tls = new TLSSocket(stream, {
      isServer: true,
      secureContext: certificates.defaultContext,
      SNICallback,
      ALPNProtocols: alpn,
    } as ConstructorParameters<typeof TLSSocket>[1]);
    raw.set(tls, { stream, done });
    let secured = false;
    const timer = setTimeout(() => tls.destroy(), options.handshakeTimeout);
    const failed = (error: Error) => {
      clearTimeout(timer);
      options.onHandshakeError?.(error, info);
      tls.destroy();
      innerDone(tls);
    };
    tls.once('error', failed);
    tls.once('close', () => {
      if (!secured) failed(new Error('the client closed the connection during the handshake'));
    });
    tls.once('secure', () => {
      secured = true;
      // A TLSSocket made without a tls.Server stays `secureConnecting` after its handshake (only a server's
      // socket is told otherwise), and node:http2 would wait for a 'secureConnect' that never comes.
      (tls as TLSSocket & { secureConnecting: boolean }).secureConnecting = false;
      clearTimeout(timer);
      tls.off('error', failed);
      tls.on('error', () => {}); // the engine hears of errors through 'close'
      const handler = tls.alpnProtocol === 'h2' && http2 !== undefined ? http2 : http1;
      serveInner(handler, tls, info, innerDone);
    });
  };
  return {
    serve,
    handle: (stream: Duplex, info: ConnectionInfo) =>
      new Promise<void>((resolve) => serve(stream, info, () => resolve())),
    drain(): void {
      http1.drain?.();
      http2?.drain?.();
    },
    reload(): void {
      for (const error of certificates.reload()) options.onReloadError?.(error);
    },
    async close(): Promise<void> {
      await Promise.all([http1.close?.(), http2?.close?.()]);
    },
  };
}
