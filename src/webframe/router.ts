import { METHODS } from 'node:http';
import { errors } from '../errors/catalogue.js';
import type { View } from './types.js';

/** What the router found for a method and path. */
export type RouteMatch =
  | { readonly kind: 'view'; readonly view: View; readonly params: Readonly<Record<string, string>> }
  /** The path is routed but not for this method; `allow` is the value of the 405's `Allow` header. */
  | { readonly kind: 'method'; readonly allow: string }
  | { readonly kind: 'none' };

interface CompiledRoute {
  readonly pattern: string;
  /** A plain function view: answers the methods in BARE_VIEW_METHODS. */
  any: View | undefined;
  readonly byMethod: Map<string, View>;
  allow: string;
  /** Per segment: a literal to compare, or a param name (`null` literal). */
  readonly segments: readonly { readonly literal: string | null; readonly name: string }[];
}

const NONE: RouteMatch = Object.freeze({ kind: 'none' });
const NO_PARAMS: Readonly<Record<string, string>> = Object.freeze({});
const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * What a bare `[pattern, view]` route answers: the methods of an application, not TRACE (it would echo the
 * request, cookies included: RFC 9110 §9.3.8), CONNECT (tunnels) or WebDAV's; those need a method map.
 */
const BARE_VIEW_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
]);
/** The method names a method map may use: those Node's parser accepts (any other never reaches a view). */
const HTTP_METHODS: ReadonlySet<string> = new Set(METHODS);

/**
 * A router compiled once from an app's `urls` list: exact paths are found with one Map lookup, `:name`
 * routes are tried after them in declaration order, grouped by segment count. Nothing is compiled per request.
 */
export class Router {
  readonly #exact = new Map<string, CompiledRoute>();
  readonly #bySegmentCount = new Map<number, CompiledRoute[]>();

  /** Validates `urls` (as exported by `file`) and builds the tables; a bad entry throws `APP_INVALID`. */
  constructor(urls: unknown, file: string) {
    if (!Array.isArray(urls)) {
      throw errors.APP_INVALID(
        file,
        urls === undefined
          ? "has no default export: urls.ts must default-export its routes (export default [['/', view], …])"
          : `must default-export an array of [pattern, view] entries, got ${describe(urls)}`,
      );
    }
    const byPattern = new Map<string, CompiledRoute>();
    urls.forEach((entry: unknown, i) => {
      const where = `entry ${i}`;
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw errors.APP_INVALID(file, `${where}: expected [pattern, view], got ${describe(entry)}`);
      }
      const [rawPattern, target] = entry as [unknown, unknown];
      if (typeof rawPattern !== 'string') {
        throw errors.APP_INVALID(file, `${where}: pattern must be a string, got ${describe(rawPattern)}`);
      }
      const pattern = normalisePattern(rawPattern, file, where);
      let route = byPattern.get(pattern);
      if (route === undefined) {
        route = {
          pattern,
          any: undefined,
          byMethod: new Map(),
          allow: '',
          segments: parseSegments(pattern, file, where),
        };
        byPattern.set(pattern, route);
      }
      addViews(route, target, file, `${where} (${pattern})`);
    });
    for (const route of byPattern.values()) {
      route.allow = allowHeader(route);
      if (route.segments.every((s) => s.literal !== null)) {
        this.#exact.set(route.pattern, route);
        continue;
      }
      const list = this.#bySegmentCount.get(route.segments.length) ?? [];
      list.push(route);
      this.#bySegmentCount.set(route.segments.length, list);
    }
  }

  /**
   * Finds the view for `method` and `rawPath` (still percent-encoded, no query). Throws `URIError` when the path's
   * percent-encoding is malformed.
   */
  match(method: string, rawPath: string): RouteMatch {
    let segments: string[] | undefined;
    let exactKey: string | null = rawPath;
    if (rawPath.includes('%')) {
      segments = rawPath.split('/').map(decodeURIComponent);
      // An encoded slash is data inside a segment, never a separator, so it cannot match an exact route.
      exactKey = segments.some((s) => s.includes('/')) ? null : segments.join('/');
    }
    let allow: string[] | undefined;
    const exact = exactKey === null ? undefined : this.#exact.get(exactKey);
    if (exact !== undefined) {
      const view = viewFor(exact, method);
      if (view !== undefined) return { kind: 'view', view, params: NO_PARAMS };
      allow = [exact.allow];
    }
    segments ??= rawPath.split('/');
    const candidates = this.#bySegmentCount.get(segments.length);
    if (candidates !== undefined) {
      for (const route of candidates) {
        const params = matchSegments(route, segments);
        if (params === undefined) continue;
        const view = viewFor(route, method);
        if (view !== undefined) return { kind: 'view', view, params };
        allow ??= [];
        allow.push(route.allow);
      }
    }
    if (allow === undefined) return NONE;
    return { kind: 'method', allow: allow.length === 1 ? allow[0]! : mergeAllow(allow) };
  }
}

function viewFor(route: CompiledRoute, method: string): View | undefined {
  const view = route.byMethod.get(method);
  if (view !== undefined) return view;
  // HEAD runs the GET view; the server end sends its head without the body.
  if (method === 'HEAD') return route.byMethod.get('GET') ?? route.any;
  return BARE_VIEW_METHODS.has(method) ? route.any : undefined;
}

function matchSegments(
  route: CompiledRoute,
  segments: readonly string[],
): Record<string, string> | undefined {
  let params: Record<string, string> | undefined;
  for (let i = 0; i < segments.length; i++) {
    const want = route.segments[i]!;
    const got = segments[i]!;
    if (want.literal === null) {
      if (got === '') return undefined;
      params ??= {};
      params[want.name] = got;
    } else if (want.literal !== got) {
      return undefined;
    }
  }
  return params ?? NO_PARAMS;
}

function normalisePattern(raw: string, file: string, where: string): string {
  const pattern = raw.startsWith('/') ? raw : `/${raw}`;
  if (/[\s?#]/.test(pattern)) {
    throw errors.APP_INVALID(
      file,
      `${where}: pattern "${raw}" must be a path without spaces, query or fragment`,
    );
  }
  return pattern;
}

function parseSegments(pattern: string, file: string, where: string): CompiledRoute['segments'] {
  const seen = new Set<string>();
  return pattern.split('/').map((segment) => {
    if (!segment.startsWith(':')) return { literal: segment, name: '' };
    const name = segment.slice(1);
    if (!PARAM_NAME.test(name)) {
      throw errors.APP_INVALID(file, `${where}: pattern "${pattern}" has an invalid parameter "${segment}"`);
    }
    if (seen.has(name)) {
      throw errors.APP_INVALID(file, `${where}: pattern "${pattern}" repeats the parameter ":${name}"`);
    }
    seen.add(name);
    return { literal: null, name };
  });
}

function addViews(route: CompiledRoute, target: unknown, file: string, where: string): void {
  if (typeof target === 'function') {
    if (route.any !== undefined) throw errors.APP_INVALID(file, `${where}: the route is defined twice`);
    route.any = target as View;
    return;
  }
  if (target === null || typeof target !== 'object' || Array.isArray(target)) {
    throw errors.APP_INVALID(
      file,
      `${where}: view must be a function or { GET: view, … }, got ${describe(target)}`,
    );
  }
  const entries = Object.entries(target);
  if (entries.length === 0) throw errors.APP_INVALID(file, `${where}: the method map is empty`);
  for (const [key, view] of entries) {
    const method = key.toUpperCase();
    if (!HTTP_METHODS.has(method)) {
      throw errors.APP_INVALID(
        file,
        `${where}: "${key}" is not an HTTP method name (${[...BARE_VIEW_METHODS].join(', ')}, …)`,
      );
    }
    if (typeof view !== 'function') {
      throw errors.APP_INVALID(file, `${where}: the ${key} view must be a function, got ${describe(view)}`);
    }
    if (route.byMethod.has(method)) throw errors.APP_INVALID(file, `${where}: ${method} is defined twice`);
    route.byMethod.set(method, view as View);
  }
}

function allowHeader(route: CompiledRoute): string {
  const methods = new Set(route.byMethod.keys());
  if (route.any !== undefined) for (const method of BARE_VIEW_METHODS) methods.add(method);
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort().join(', ');
}

function mergeAllow(values: readonly string[]): string {
  const methods = new Set(values.flatMap((v) => v.split(', ')));
  return [...methods].sort().join(', ');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === 'string') return `the string "${value}"`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
