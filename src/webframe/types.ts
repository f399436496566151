import type { HttpRequest } from '../http/handler.js';

/**
 * The request a view receives: the HttpRequest made convenient (its method, headers, client, body and
 * signal as they are), with the body also readable whole by `text()`, `json()` or `form()`. `R` types
 * `params`: a route's pattern (`WebframeRequest<'/api/hello/:name'>` has `params.name`) or the params
 * themselves (`WebframeRequest<{ name: string }>`); left out, params are any names (`params.x` may be undefined).
 */
export interface WebframeRequest<R extends string | object = string>
  extends Pick<HttpRequest, 'method' | 'headers' | 'client' | 'body' | 'signal'> {
  /** The path, percent-decoded, without the query. */
  readonly path: string;
  /** The raw request target as received (path and query, still encoded): the seed's `info`. */
  readonly info: string;
  /** Values of the route's `:name` segments, percent-decoded. */
  readonly params: ParamsOf<R>;
  /** The query string, parsed on first use. */
  readonly query: URLSearchParams;
  /** The whole body decoded as UTF-8. */
  text(): Promise<string>;
  /** The whole body parsed as JSON; invalid JSON answers 400 unless the view catches the error. */
  json<T = unknown>(): Promise<T>;
  /** The body parsed as a form (`application/x-www-form-urlencoded` or `multipart/form-data`). */
  form(): Promise<FormData>;
}

/**
 * What a view may return: a string (200 HTML), a plain object or array (200 JSON), bytes (200
 * application/octet-stream), a web `Response` (its status, headers and streamed body), or nothing (204).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a view with no return statement is typed `() => void`; it answers 204.
export type ViewResult = string | Uint8Array | Response | object | null | undefined | void;

/**
 * The params of a route pattern: one string property per `:name` segment, so `'/api/hello/:name'` gives
 * `{ readonly name: string }` and `'/datetime'` gives `{}`. For a pattern only known as `string`, any names.
 */
export type PathParams<P extends string> = string extends P
  ? Readonly<Record<string, string>>
  : { readonly [Name in ParamName<Segments<P>>]: string };

/** The segments of a path pattern, as a union (`'/a/:b'` → `'' | 'a' | ':b'`). */
type Segments<P extends string> = P extends `${infer Head}/${infer Tail}` ? Head | Segments<Tail> : P;

/** The param name of a `:name` segment; never for a literal segment. */
type ParamName<Segment extends string> = Segment extends `:${infer Name}` ? Name : never;

/** `params` of a WebframeRequest<R>: the PathParams of a pattern, or the params object given. */
export type ParamsOf<R extends string | object> = R extends string ? PathParams<R> : Readonly<R>;

/**
 * The HTTP methods a method map may name: those Node's parser knows (`http.METHODS` of Node 20.20 to 24),
 * the only ones that can reach a view.
 */
export type HttpMethod =
  | 'ACL'
  | 'BIND'
  | 'CHECKOUT'
  | 'CONNECT'
  | 'COPY'
  | 'DELETE'
  | 'GET'
  | 'HEAD'
  | 'LINK'
  | 'LOCK'
  | 'M-SEARCH'
  | 'MERGE'
  | 'MKACTIVITY'
  | 'MKCALENDAR'
  | 'MKCOL'
  | 'MOVE'
  | 'NOTIFY'
  | 'OPTIONS'
  | 'PATCH'
  | 'POST'
  | 'PROPFIND'
  | 'PROPPATCH'
  | 'PURGE'
  | 'PUT'
  | 'QUERY'
  | 'REBIND'
  | 'REPORT'
  | 'SEARCH'
  | 'SOURCE'
  | 'SUBSCRIBE'
  | 'TRACE'
  | 'UNBIND'
  | 'UNLINK'
  | 'UNLOCK'
  | 'UNSUBSCRIBE';

/** A key of a method map: an HTTP method, upper- or lower-case (`GET` or `get`). */
export type MethodKey = HttpMethod | Lowercase<HttpMethod>;

/**
 * A view: a function from the request to a result, synchronous or async. `R` types its `req.params` (see
 * WebframeRequest): `View<'/api/hello/:name'>`.
 */
export type View<R extends string | object = string> = (
  req: WebframeRequest<R>,
) => ViewResult | Promise<ViewResult>;

/** Views of one route by HTTP method, e.g. `{ GET: show, POST: save }`; `R` types their params. */
export type MethodViews<R extends string | object = string> = { readonly [M in MethodKey]?: View<R> };

/**
 * A view as a plain `Urls` list holds it: one written for any params (declared as a method, so compared
 * both ways), since only defineUrls can check a view's params against its own route's pattern.
 */
type RouteView = { view(req: WebframeRequest): ViewResult | Promise<ViewResult> }['view'];

/**
 * One route: a pattern (`/datetime`, `/api/hello/:name`, or the seed's `hi` meaning `/hi`) and the view that
 * answers every method, or the views by method. A method map's keys are checked; the views' params are
 * checked against the pattern only by defineUrls.
 */
export type Route = readonly [pattern: string, view: RouteView | { readonly [M in MethodKey]?: RouteView }];

/** What an app's `urls.ts` default-exports: its routes, in order. */
export type Urls = readonly Route[];
