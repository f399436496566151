import type { ConnectionHandler } from '../net/types.js';
import type { Handler, HttpRequest } from './handler.js';
import { DEFAULT_HTTP_LIMITS, type EngineOptions, type ServeHttpOptions } from './http-engine.js';
import { type Http2Limits, serveOnHttp2 } from './http2-engine.js';
import { llhttpUnavailable, serveOnLlhttp } from './llhttp-engine.js';
import { serveOnNodeHttp } from './node-engine.js';

let fallbackTold = false;

/**
 * Runs `handler` on HTTP/1.1 as a ConnectionHandler that every concurrency model can serve, on the engine
 * `options.engine` names: `llhttp` (the default) or `node`. Where Node's llhttp binding cannot be loaded the
 * `node` engine runs instead, and stderr is told once, with the reason.
 */
export function serveHttp(handler: Handler, options: ServeHttpOptions = {}): ConnectionHandler {
  const engineOptions = withDefaults(options);
  if ((options.engine ?? 'llhttp') === 'node') return serveOnNodeHttp(handler, engineOptions);
  const unavailable = llhttpUnavailable();
  if (unavailable === undefined) return serveOnLlhttp(handler, engineOptions);
  if (!fallbackTold) {
    fallbackTold = true;
    process.stderr.write(`tandem: engine llhttp unavailable (${unavailable}); serving with engine node\n`);
  }
  return serveOnNodeHttp(handler, engineOptions);
}

/** How serveHttp2 runs a Handler: as serveHttp (`engine` aside), and HTTP/2's own limits. */
export interface ServeHttp2Options extends Omit<ServeHttpOptions, 'engine'> {
  /** Overrides of DEFAULT_HTTP2_LIMITS (streams at once, windows, the reset cap). */
  http2?: Partial<Http2Limits>;
}

/**
 * Runs `handler` on HTTP/2 (node:http2) as a ConnectionHandler: each connection it is handed is a TLS socket
 * whose ALPN chose `h2`, or a plain socket speaking h2c with prior knowledge. Limits and the error reporter
 * default as serveHttp's do.
 */
export function serveHttp2(handler: Handler, options: ServeHttp2Options = {}): ConnectionHandler {
  return serveOnHttp2(handler, withDefaults(options));
}

/** `options` as an engine is given them: the limits completed from DEFAULT_HTTP_LIMITS, onError to stderr. */
function withDefaults<T extends Omit<ServeHttpOptions, 'engine'>>(
  options: T,
): Omit<T, 'limits' | 'onError'> & EngineOptions {
  return {
    ...options,
    limits: { ...DEFAULT_HTTP_LIMITS, ...options.limits },
    onError: options.onError ?? reportToStderr,
  };
}

function reportToStderr(error: unknown, req: HttpRequest): void {
  process.stderr.write(`tandem: ${req.method} ${req.target}: ${(error as Error)?.stack ?? String(error)}\n`);
}
