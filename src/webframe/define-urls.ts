import type { MethodViews, Urls, View } from './types.js';

/**
 * An app's routes with each view typed by its own route: `req.params` of a view written in place has one
 * property per `:name` of the pattern, a view declared for other params (`View<'/users/:id'>` under
 * `'/users/:name'`) is a type error, and so is a method map key that is not an HTTP method (`{ GIT: view }`).
 * Returns `routes` unchanged, for urls.ts to default-export:
 * `export default defineUrls([['/api/hello/:name', { GET: (req) => ({ hello: req.params.name }) }]]);`.
 */
export function defineUrls<const Patterns extends readonly string[]>(
  routes: {
    readonly [I in keyof Patterns]: readonly [
      pattern: Patterns[I],
      view: View<NoInfer<Patterns[I]>> | MethodViews<NoInfer<Patterns[I]>>,
    ];
  },
): Urls {
  return routes as unknown as Urls;
}
