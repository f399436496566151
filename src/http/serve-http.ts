import type { ConnectionHandler } from '../net/types.js';
import type { Handler, HttpRequest } from './handler.js';
import { DEFAULT_HTTP_LIMITS, type ServeHttpOptions } from './http-engine.js';
import { llhttpUnavailable, serveOnLlhttp } from './llhttp-engine.js';
import { serveOnNodeHttp } from './node-engine.js';

let fallbackTold = false;

/**
 * Runs `handler` on HTTP/1.1 as a ConnectionHandler that every concurrency model can serve, on the engine
 * `options.engine` names: `llhttp` (the default) or `node`. Where Node's llhttp binding cannot be loaded the
 * `node` engine runs instead, and stderr is told once, with the reason.
 */
export function serveHttp(handler: Handler, options: ServeHttpOptions = {}): ConnectionHandler {
  const engineOptions = {
    ...options,
    limits: { ...DEFAULT_HTTP_LIMITS, ...options.limits },
    onError: options.onError ?? reportToStderr,
  };
  if ((options.engine ?? 'llhttp') === 'node') return serveOnNodeHttp(handler, engineOptions);
  const unavailable = llhttpUnavailable();
  if (unavailable === undefined) return serveOnLlhttp(handler, engineOptions);
  if (!fallbackTold) {
    fallbackTold = true;
    process.stderr.write(`tandem: engine llhttp unavailable (${unavailable}); serving with engine node\n`);
  }
  return serveOnNodeHttp(handler, engineOptions);
}

function reportToStderr(error: unknown, req: HttpRequest): void {
  process.stderr.write(`tandem: ${req.method} ${req.target}: ${(error as Error)?.stack ?? String(error)}\n`);
}
