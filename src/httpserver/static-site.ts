import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors } from '../errors/catalogue.js';
import { createAccessLog } from '../http/access-log.js';
import { requestListenerHandler } from '../http/base-http-handler.js';
import type { ConnectionHandler } from '../net/types.js';
import { createStaticHandler, type StaticHandler } from '../static/index.js';
import { staticReplyFor, targetPath, writeStaticReply } from './static-routes.js';

/** Options of the static site handler module (they cross to workers, so plain data only). */
export interface StaticSiteOptions {
  /** The directory served. */
  root: string;
  /** Serve an HTML listing of a directory without index.html; default true. */
  listing?: boolean;
  /**
   * Keep connections open between requests; default true. The loop model wants false: it serves one
   * connection at a time, so an idle kept-alive one would hold every other client up (Python's http.server
   * answers HTTP/1.0 for the same reason).
   */
  keepAlive?: boolean;
}

/**
 * The handler module behind `tandem static`: a factory that makes a ConnectionHandler serving the files
 * under `options.root` over HTTP/1.1 (createStaticHandler, file bodies streamed with backpressure), with one
 * combined-format access line per request on stdout. Throws STATIC_ROOT_INVALID for a root that is not a
 * directory.
 */
export default function createStaticSite(options: StaticSiteOptions): ConnectionHandler {
  if (options === null || typeof options !== 'object' || typeof options.root !== 'string') {
    throw errors.STATIC_ROOT_INVALID(
      String((options as StaticSiteOptions | undefined)?.root),
      'root must be a path',
    );
  }
  const files = createStaticHandler({ root: options.root, listing: options.listing ?? true });
  const accessLog = createAccessLog(process.stdout);
  const keepAlive = options.keepAlive ?? true;
  return requestListenerHandler(
    (req, res, client) => {
      if (!keepAlive) res.setHeader('Connection', 'close');
      const time = new Date();
      let bytes = 0;
      res.once('close', () => {
        accessLog({
          remote: client.address,
          time,
          method: req.method ?? '',
          target: req.url ?? '',
          version: req.httpVersion,
          status: res.statusCode,
          bytes: req.method === 'HEAD' ? 0 : bytes,
          referer: header(req, 'referer'),
          userAgent: header(req, 'user-agent'),
        });
      });
      return serveStatic(files, req, res, (n) => {
        bytes += n;
      });
    },
    { onClose: () => accessLog.flush() },
  );
}

/**
 * Answers one request from `files` (an absolute-form target is served by its path, RFC 9112 §3.2.2);
 * `counted` is told how many body bytes went out.
 */
async function serveStatic(
  files: StaticHandler,
  req: IncomingMessage,
  res: ServerResponse,
  counted: (bytes: number) => void,
): Promise<void> {
  const reply = await staticReplyFor(files, req, targetPath(req.url ?? ''), (err) => {
    process.stderr.write(
      `tandem: static: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}\n`,
    );
  });
  await writeStaticReply(res, reply, counted);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
