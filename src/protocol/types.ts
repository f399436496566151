/** Header values as they travel in a head: a string, or several strings for a repeated header such as set-cookie. */
export type HeaderMap = Record<string, string | string[]>;

/** The request head httpserver sends for each stream (docs/protocol.md §4.2); `method` and `info` are the seed's keys. */
export interface RequestHead {
  method: string;
  /** The request target as received: path and query. */
  info: string;
  version: string;
  scheme: string;
  client: { address: string; port: number };
  /** Lower-case names; hop-by-hop headers removed, x-forwarded-* added. */
  headers: HeaderMap;
}

/** The response head the webframe sends (docs/protocol.md §4.3); `status` and `data` are the seed's keys. */
export interface ResponseHead {
  status: string | number;
  headers?: HeaderMap;
  /** Whole body as text, for small text bodies; the frame then ends the stream. */
  data?: string;
}

/** One request as the server end of the protocol hands it to a handler. */
export interface ServerStream {
  readonly id: number;
  readonly head: RequestHead;
  /**
   * The request body, chunk by chunk, already de-chunked. Flow-control credit is returned to the peer as the
   * consumer pulls chunks, so an unread body holds at most one window in memory. Empty when there is no body.
   */
  readonly body: AsyncIterable<Uint8Array>;
  /** Fires when httpserver sends ABORT (the browser hung up) or the connection is lost. */
  readonly signal: AbortSignal;
}

/** What a handler answers; the protocol end writes it as HEAD (+ DATA frames) with flow control. */
export interface Reply {
  status: number;
  headers?: HeaderMap;
  /**
   * A string (sent inline as `data` when small, else as DATA), bytes, or a stream of chunks that is pulled only
   * as fast as the peer grants credit. null or undefined: empty body.
   */
  body?: string | Uint8Array | AsyncIterable<Uint8Array> | null;
}

/** The contract between the server end of the protocol and an application (the webframe app is one). */
export type StreamHandler = (stream: ServerStream) => Reply | Promise<Reply>;
