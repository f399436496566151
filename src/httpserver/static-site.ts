import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errors, TandemError } from '../errors/catalogue.js';
import { createAccessLog } from '../http/access-log.js';
import { requestListenerHandler } from '../http/base-http-handler.js';
import type { ConnectionHandler } from '../net/types.js';
import {
  createStaticHandler,
  openStaticBody,
  type StaticHandler,
  type StaticReply,
  textReply,
} from '../static/index.js';

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

/** Answers one request from `files`; `counted` is told how many body bytes went out. */
async function serveStatic(
  files: StaticHandler,
  req: IncomingMessage,
  res: ServerResponse,
  counted: (bytes: number) => void,
): Promise<void> {
  const method = req.method ?? '';
  const target = req.url ?? '';
  const query = target.search(/[?#]/);
  const path = query === -1 ? target : target.slice(0, query);
  let reply: StaticReply | null;
  try {
    reply = await files({ method, path, headers: req.headers });
  } catch (err) {
    // canonicalisePath throws a 400 for targets that are not origin-form, e.g. `*` or `http://host/`.
    if (!(err instanceof TandemError) || err.status === undefined) {
      process.stderr.write(`tandem: static: ${method} ${target}: ${(err as Error).stack ?? String(err)}\n`);
    }
    reply = textReply(err instanceof TandemError ? (err.status ?? 500) : 500, `${errorText(err)}\n`, method);
  }
  reply ??= textReply(404, `${errors.HTTP_NOT_FOUND(path).message}\n`, method);
  res.writeHead(reply.status, reply.headers);
  const body = openStaticBody(reply);
  if (body === null || typeof body === 'string' || Buffer.isBuffer(body)) {
    if (body !== null) counted(Buffer.byteLength(body));
    res.end(body ?? undefined);
    return;
  }
  body.on('data', (chunk: Buffer) => counted(chunk.length));
  try {
    // pipeline waits on `res` draining, so a slow client slows the file read instead of filling memory.
    await pipeline(body, res);
  } catch {
    // The client left, or the file went away mid-read: the head is out, so the response can only be cut.
    res.destroy();
  }
}

function errorText(err: unknown): string {
  return err instanceof TandemError && err.status !== undefined ? err.message : 'Internal server error';
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
