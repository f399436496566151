import type { Readable } from 'node:stream';
import { mount } from '../http/combinators.js';
import type { Handler, HeaderMap, ReplyBody } from '../http/handler.js';
import { splitTarget } from '../http/target.js';
import {
  createStaticHandler,
  openStaticBody,
  type StaticHandler,
  type StaticReply,
} from '../static/index.js';
import type { StaticRouteConfig } from './config.js';

/**
 * The httpserver's static prefixes as Handlers, longest prefix first: each is `mount(prefix, files)` for its
 * root, so a request under a prefix is answered from disk and a miss there is a 404 that never reaches a
 * later handler (the webframe). Throws STATIC_ROOT_INVALID for a root that is not a directory.
 */
export function staticRoutes(configs: readonly StaticRouteConfig[]): Handler[] {
  return [...configs]
    .sort((a, b) => b.prefix.length - a.prefix.length)
    .map((config) =>
      mount(
        config.prefix,
        staticLayerHandler(
          createStaticHandler({
            root: config.root,
            listing: config.listing,
            prefix: config.prefix,
            ...(config.cacheControl === undefined ? {} : { cacheControl: config.cacheControl }),
          }),
        ),
      ),
    );
}

/**
 * The static layer's StaticHandler seen as a Handler (null where nothing exists): the one adapter between
 * the two, until the static layer answers as a Handler itself. Header names become lower case; a byte range
 * of a file goes to the engine as a FileRange, multipart and compressed bodies as the stream that makes them.
 */
export function staticLayerHandler(files: StaticHandler): Handler {
  return async (req) => {
    const { path, query } = splitTarget(req.target);
    const reply = await files({
      method: req.method,
      path,
      query: query === '' ? '' : `?${query}`,
      headers: req.headers,
    });
    if (reply === null) return null;
    const headers: HeaderMap = {};
    for (const name in reply.headers) headers[name.toLowerCase()] = reply.headers[name] as string;
    return { status: reply.status, headers, body: bodyOf(reply) };
  };
}

function bodyOf(reply: StaticReply): ReplyBody {
  const body = reply.body;
  if (body === null || typeof body === 'string' || Buffer.isBuffer(body) || !('kind' in body)) return body;
  return openStaticBody(reply) as Readable;
}
