import type { ClientAddress, HeaderMap } from '../http/handler.js';

/** The request a view receives: the HttpRequest made convenient, with the body read on demand. */
export interface WebframeRequest {
  /** The HTTP method, upper-case as sent (`GET`, `POST`, …). */
  readonly method: string;
  /** The path, percent-decoded, without the query. */
  readonly path: string;
  /** The raw request target as received (path and query, still encoded): the seed's `info`. */
  readonly info: string;
  /** Values of the route's `:name` segments, percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The query string, parsed on first use. */
  readonly query: URLSearchParams;
  /** Request headers with lower-case names; repeated `set-cookie` is an array. */
  readonly headers: Readonly<HeaderMap>;
  /** Address and port of the browser, as seen by httpserver. */
  readonly client: ClientAddress;
  /** The body as chunks; it can be read once, by iterating it or by `text()`, `json()` or `form()`. */
  readonly body: AsyncIterable<Uint8Array>;
  /** Fires when the browser hangs up or the connection to httpserver is lost. */
  readonly signal: AbortSignal;
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

/** A view: a function from the request to a result, synchronous or async. */
export type View = (req: WebframeRequest) => ViewResult | Promise<ViewResult>;

/** Views of one route by HTTP method, e.g. `{ GET: show, POST: save }`. */
export type MethodViews = { readonly [method: string]: View };

/**
 * One route: a pattern (`/datetime`, `/api/hello/:name`, or the seed's `hi` meaning `/hi`) and the view that
 * answers every method, or the views by method.
 */
export type Route = readonly [pattern: string, view: View | MethodViews];

/** What an app's `urls.ts` default-exports: its routes, in order. */
export type Urls = readonly Route[];
