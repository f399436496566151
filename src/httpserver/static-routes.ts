import { mount } from '../http/combinators.js';
import type { Handler } from '../http/handler.js';
import { files } from '../static/index.js';
import type { StaticRouteConfig } from './static-config.js';

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
        files({
          root: config.root,
          listing: config.listing,
          prefix: config.prefix,
          ...(config.cacheControl === undefined ? {} : { cacheControl: config.cacheControl }),
        }),
      ),
    );
}
