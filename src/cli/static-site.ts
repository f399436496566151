import { errors } from '../errors/catalogue.js';
import { createAccessLog } from '../http/access-log.js';
import type { HttpEngineName } from '../http/http-engine.js';
import { serveHttp } from '../http/serve-http.js';
import type { ConnectionHandler } from '../net/types.js';
import { files } from '../static/index.js';

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
  /** The HTTP/1.1 engine; unset, serveHttp picks its default. */
  engine?: HttpEngineName;
}

/**
 * The handler module behind `tandem static`: the static handler (`files`) served alone by serveHttp, with one
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
  const accessLog = createAccessLog(process.stdout);
  return serveHttp(files({ root: options.root, listing: options.listing ?? true }), {
    engine: options.engine,
    accessLog,
    closeEachConnection: options.keepAlive === false,
    onClose: () => accessLog.flush(),
  });
}
