/**
 * http: the one Handler contract of every HTTP layer (a request in, a reply out), the engines that run a
 * Handler on HTTP/1.1 (`serveHttp`) and on HTTP/2 (`serveHttp2`), the combinators that compose Handlers
 * (`mount`, `first`), the one error renderer (`errorReply`, `HttpError`) and the http.server API
 * (`BaseHTTPRequestHandler`), a class adapter that yields a Handler.
 */

export { HttpError, type HttpErrorInit } from '../errors/catalogue.js';
export type { AccessLogEntry } from './access-log.js';
export {
  BaseHTTPRequestHandler,
  connectionHandlerFromClass,
  type HandlerClass,
  type HandlerContext,
  handlerFromClass,
  serveHandlerClass,
} from './base-http-handler.js';
export { first, mount } from './combinators.js';
export { errorReply } from './error-reply.js';
export type {
  ClientAddress,
  FileRange,
  Handler,
  HeaderMap,
  HttpReply,
  HttpRequest,
  ReplyBody,
} from './handler.js';
export type { HttpServerOptions } from './http-engine.js';
export {
  DEFAULT_HTTP_LIMITS,
  HTTP_ENGINES,
  type HttpEngineName,
  type ServeHttpOptions,
} from './http-engine.js';
export { DEFAULT_HTTP2_LIMITS, type Http2Limits } from './http2-engine.js';
export { type ServeHttp2Options, serveHttp, serveHttp2 } from './serve-http.js';
