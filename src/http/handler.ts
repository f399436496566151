/**
 * The one contract of every HTTP layer (docs/architecture.md, "One Handler"): a request in, a reply out.
 * `tandem static`, httpserver's static prefixes, the proxy to the webframes and the webframe app are all
 * Handlers; engines (`serveHttp`) and the frame protocol's server end (`serveFrames`) run them, and
 * combinators (`mount`, `first`) compose them.
 */

/** Header values as they travel: a string, or several strings for a repeated field such as set-cookie. */
export type HeaderMap = Record<string, string | string[]>;

/** Who sent a request: the peer's IP address and port ('' and 0 over a Unix socket). */
export interface ClientAddress {
  readonly address: string;
  readonly port: number;
}

/** One HTTP request as a Handler receives it, whatever transport brought it. */
export interface HttpRequest {
  /** The method as sent, e.g. `GET`. */
  readonly method: string;
  /** The request target as received: origin form (`/a?x=1`), or absolute form (`http://h/a`) as sent. */
  readonly target: string;
  /** The HTTP version without its name, e.g. `1.1`. */
  readonly version: string;
  /** The scheme the client used to reach the front server. */
  readonly scheme: string;
  /** Header fields by lower-case name; a repeated field other than set-cookie is joined with `, `. */
  readonly headers: Readonly<HeaderMap>;
  /** The client as the front server saw it. */
  readonly client: ClientAddress;
  /**
   * The body, chunk by chunk, already de-chunked; empty when there is none. It can be read once, and is pulled
   * only as fast as it is consumed: an unread body holds at most one flow-control window in memory.
   */
  readonly body: AsyncIterable<Uint8Array>;
  /** Fires when the client hangs up (or the connection that carries the request is lost) before the reply ends. */
  readonly signal: AbortSignal;
}

/** Bytes [start, end] (both inclusive) of the file at `path`, for the engine to stream its own way. */
export interface FileRange {
  readonly path: string;
  readonly start: number;
  readonly end: number;
}

/**
 * A reply's body: a string (sent as UTF-8), bytes, chunks pulled only as fast as the client takes them, a
 * byte range of a file, or none (null or undefined).
 */
export type ReplyBody = string | Uint8Array | AsyncIterable<Uint8Array> | FileRange | null | undefined;

/**
 * What a Handler answers. Header names are lower-case. Without `content-length` a body of chunks or a file
 * range is sent with its length unknown (chunked on HTTP/1.1); a string or bytes get their length.
 * The runner drops the body of a reply to HEAD and of a 204 or 304, keeping the head as it is.
 */
export interface HttpReply {
  status: number;
  /** The reason phrase of an HTTP/1.1 status line; the standard one when absent (the http.server API sets it). */
  reason?: string | undefined;
  headers?: HeaderMap;
  body?: ReplyBody;
}

/**
 * An HTTP handler: a reply for the request, or null when the request is not this handler's to answer (a
 * combinator then asks the next one; a runner answers 404). A TandemError with a status that it throws is
 * answered with that status by the one error renderer (errorReply); any other error is a 500, logged.
 */
export type Handler = (req: HttpRequest) => HttpReply | null | Promise<HttpReply | null>;
