import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { errors, TandemError } from '../errors/catalogue.js';
import type { AccessLogEntry } from '../http/access-log.js';
import { errorReply } from '../http/error-reply.js';
import { clientAddress } from '../http/forwarding.js';
import { type Handler, type HeaderMap, type HttpReply, isFileRange } from '../http/handler.js';
import { pumpFile } from '../net/file-pump.js';
import { files } from '../static/index.js';
import type { StaticRouteConfig } from './config.js';

/** A static route: the files under one URL path prefix, answered by the static layer. */
export interface StaticRoute {
  /** Starts and ends with '/'; compared with the raw (percent-encoded) request path. */
  readonly prefix: string;
  readonly files: Handler;
}

/** A request listener that answers the requests under a static prefix; false means "not mine, pass it on". */
export type StaticRouter = (req: IncomingMessage, res: ServerResponse) => boolean;

/** What a file transfer holds at a time for a client that reads slowly: 500 of them hold 8 MiB, not 128. */
const SLOW_CLIENT_CHUNK = 16 * 1024;

// RFC 9112 §3.2.2: a server must accept the absolute form (`GET http://host/a.txt`); only its path matters here.
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The path of a request target, still percent-encoded: `scheme://authority` of an http(s) absolute-form
 * target removed (an empty path then is '/'), query and fragment cut. Other targets keep their text, so `*`
 * or `x` reach the static layer as they are (it answers 400).
 */
export function targetPath(target: string): string {
  const absolute = ABSOLUTE_FORM.exec(target);
  const rest = absolute === null ? target : target.slice(absolute[0].length);
  const cut = rest.search(/[?#]/);
  const path = cut === -1 ? rest : rest.slice(0, cut);
  return absolute !== null && path === '' ? '/' : path;
}

/** The query of a request target with its '?' (`?x=1`), '' when there is none; a fragment is cut. */
export function targetQuery(target: string): string {
  const start = target.indexOf('?');
  if (start === -1) return '';
  const end = target.indexOf('#', start);
  return end === -1 ? target.slice(start) : target.slice(start, end);
}

/**
 * Creates one static handler per configured prefix (throws STATIC_ROOT_INVALID for a root that is not a
 * directory), ordered longest prefix first so that matchStaticRoute finds the longest match.
 */
export function createStaticRoutes(configs: readonly StaticRouteConfig[]): StaticRoute[] {
  return [...configs]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((config) => ({
      prefix: config.prefix,
      files: files({
        root: config.root,
        listing: config.listing,
        prefix: config.prefix,
        ...(config.cacheControl === undefined ? {} : { cacheControl: config.cacheControl }),
      }),
    }));
}

/**
 * The route whose prefix starts `path` (the first of `routes`, so the longest when they come from
 * createStaticRoutes) and the path below it, which keeps the prefix's last '/': `/assets/app.js` under
 * `/assets/` is `/app.js`. The prefix ends with '/', so `/assetsX/` never matches `/assets/`.
 */
export function matchStaticRoute(
  routes: readonly StaticRoute[],
  path: string,
): { route: StaticRoute; path: string } | undefined {
  for (const route of routes) {
    if (path.startsWith(route.prefix)) return { route, path: path.slice(route.prefix.length - 1) };
  }
  return undefined;
}

/**
 * The static layer's reply to a request for `path` (percent-encoded, origin-form): its own reply, a 404 naming
 * `shownPath` when nothing is there, the status of a TandemError it throws (400 for a bad path), else 500
 * after `report(err)`.
 */
export async function staticReplyFor(
  handler: Handler,
  req: IncomingMessage,
  path: string,
  report: (err: unknown) => void,
  shownPath = path,
): Promise<HttpReply> {
  const accept = req.headers.accept;
  try {
    const reply = await handler({
      method: req.method ?? '',
      target: path + targetQuery(req.url ?? ''),
      version: req.httpVersion,
      scheme: 'http',
      headers: req.headers as HeaderMap,
      client: { address: req.socket.remoteAddress ?? '', port: req.socket.remotePort ?? 0 },
      body: req,
      signal: new AbortController().signal,
    });
    return reply ?? errorReply(errors.HTTP_NOT_FOUND(shownPath), accept);
  } catch (err) {
    if (err instanceof TandemError && err.status !== undefined) return errorReply(err, accept);
    report(err);
    return errorReply(errors.HTTP_INTERNAL_ERROR('the static file could not be served'), accept);
  }
}

/**
 * Writes a static reply to `res`: the head, then the body, streamed from disk with backpressure (a slow
 * client slows the file read instead of filling memory); a plain byte range of a file goes through pumpFile. `counted` is told how many body bytes went out.
 * Resolves once the body is written or the response was cut (client gone or file read failed).
 */
export async function writeStaticReply(
  res: ServerResponse,
  reply: HttpReply,
  counted: (bytes: number) => void = () => {},
): Promise<void> {
  res.writeHead(reply.status, reply.headers);
  const body = reply.body;
  if (isFileRange(body)) {
    try {
      await pumpFile(body.path, body.start, body.end, res, { counted, slowChunkSize: SLOW_CLIENT_CHUNK });
    } catch {
      // As below: the head is out, so a client gone or a failed read can only cut the response.
      res.destroy();
    }
    return;
  }
  if (body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array) {
    if (body != null) counted(Buffer.byteLength(body));
    res.end(body ?? undefined);
    return;
  }
  try {
    await pipeline(async function* () {
      for await (const chunk of body) {
        counted(chunk.length);
        yield chunk;
      }
    }, res);
  } catch {
    // The client left, or the file went away mid-read: the head is out, so the response can only be cut.
    res.destroy();
  }
}

/** What a static router needs besides its routes. */
export interface StaticRouterOptions {
  /** Receives one entry per static request, when its response closes. */
  accessLog: (entry: AccessLogEntry) => void;
  /** Told of unexpected errors (the client gets a 500). */
  report: (err: unknown, req: IncomingMessage) => void;
}

/**
 * The httpserver's static front: a request whose path (absolute form reduced to its path) lies under a
 * route's prefix is answered from disk, a miss being 404 (it never falls through to the webframe); any
 * other request is left to the caller (false). Each static request gets an access-log line.
 */
export function createStaticRouter(
  routes: readonly StaticRoute[],
  options: StaticRouterOptions,
): StaticRouter {
  return (req, res) => {
    const path = targetPath(req.url ?? '');
    const match = matchStaticRoute(routes, path);
    if (match === undefined) return false;
    const time = new Date();
    const remote = clientAddress(req) ?? '-';
    let bytes = 0;
    res.once('close', () => {
      const { referer, 'user-agent': userAgent } = req.headers;
      options.accessLog({
        remote,
        time,
        method: req.method ?? '-',
        target: req.url ?? '-',
        version: req.httpVersion,
        status: res.headersSent ? res.statusCode : 499,
        bytes: req.method === 'HEAD' ? 0 : bytes,
        ...(referer === undefined ? {} : { referer }),
        ...(userAgent === undefined ? {} : { userAgent }),
      });
    });
    const report = (err: unknown) => options.report(err, req);
    staticReplyFor(match.route.files, req, match.path, report, path)
      .then((reply) =>
        writeStaticReply(res, reply, (n) => {
          bytes += n;
        }),
      )
      .catch((err: unknown) => {
        report(err);
        res.destroy();
      });
    return true;
  };
}
