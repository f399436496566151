import { createReadStream } from 'node:fs';
import type { Duplex } from 'node:stream';
import { errors, isError, type TandemError } from '../errors/catalogue.js';
import { errorReply } from '../http/error-reply.js';
import type { ClientAddress, Handler, HeaderMap, HttpReply, HttpRequest } from '../http/handler.js';
import {
  discardBody,
  type HandlerErrorReporter,
  isBodiless,
  isFileRange,
  NO_BODY,
  runHandler,
  withoutBody,
} from '../http/run-handler.js';
import type { ConnectionHandler } from '../net/types.js';
import {
  checkRequestHead,
  declaredLength,
  ErrorCode,
  errorCodeName,
  type Frame,
  type FrameError,
  FrameFlag,
  headerProblem,
  type RequestHead,
} from './frame-codec.js';
import { type ConnectionOptions, FrameConnection } from './frame-connection.js';
import type { FrameStream, StreamEvents } from './frame-stream.js';
import { InboundBody } from './inbound-body.js';

/** How serveFrames runs a Handler. */
export interface ServeFramesOptions extends ConnectionOptions {
  /** Told of an error a handler threw that is not a TandemError with a status, or of a reply it could not send. */
  onError?: HandlerErrorReporter;
  /** Told when a connection ended on a connection error (docs §8), with its code and message. */
  onConnectionError?: (error: FrameError) => void;
  /**
   * A stream that makes no progress for this long, in ms, is aborted with TIMEOUT (default 60000): its
   * request body is open and no DATA came while httpserver had credit, or its response waits for WINDOW.
   */
  streamIdleTimeout?: number;
  /** A connection with no open streams for this long is closed with GOAWAY, in ms (default 120000). */
  idleTimeout?: number;
}

/**
 * Runs `handler` on the server end of the frame protocol (docs/protocol.md), as a ConnectionHandler that
 * every concurrency model can serve: each stream an httpserver opens is an HttpRequest for the handler, and
 * its reply goes back as HEAD and DATA within the stream's credit. A null reply is a 404 and a thrown error
 * is answered by the one error renderer (runHandler); HEAD, 204 and 304 replies carry no body. `drain()`
 * sends GOAWAY on every connection: the streams already received finish, new ones are refused.
 */
export function serveFrames(handler: Handler, options: ServeFramesOptions = {}): ConnectionHandler {
  const connections = new Set<FrameConnection<ServedStream>>();
  const idleTimeout = options.idleTimeout ?? 120_000;
  const streamOptions: ServedStreamOptions = {
    onError: options.onError,
    streamIdleTimeout: options.streamIdleTimeout ?? 60_000,
  };
  return {
    handle(socket: Duplex) {
      const connection: FrameConnection<ServedStream> = new FrameConnection(socket, options, (frame) =>
        acceptStream(connection, frame, handler, streamOptions),
      );
      connections.add(connection);
      const timed = socket as Duplex & { setTimeout?(ms: number, cb: () => void): unknown };
      timed.setTimeout?.(idleTimeout, () => {
        if (connection.activeStreams === 0) connection.close();
      });
      return new Promise<void>((resolve) => {
        connection.onClose = (error) => {
          connections.delete(connection);
          if (error !== undefined) options.onConnectionError?.(error);
          resolve();
        };
        connection.start();
      });
    },
    drain() {
      for (const connection of connections) connection.close();
    },
  };
}

/**
 * A request HEAD opened a stream: it becomes a ServedStream that `handler` answers, unless the connection is
 * going away or at maxStreams (ABORT REFUSED_STREAM: httpserver may retry it elsewhere).
 */
function acceptStream(
  connection: FrameConnection<ServedStream>,
  frame: Frame,
  handler: Handler,
  options: ServedStreamOptions,
): void {
  const id = frame.stream;
  if (id <= connection.lastStreamId) {
    return connection.fail(
      ErrorCode.PROTOCOL_ERROR,
      `HEAD on stream ${id}, not greater than stream ${connection.lastStreamId}`,
    );
  }
  const json = connection.parseJson(frame);
  if (json === undefined) return;
  const head = checkRequestHead(json);
  if (typeof head === 'string') {
    return connection.fail(ErrorCode.PROTOCOL_ERROR, `request head on stream ${id}: ${head}`);
  }
  const max = connection.limits.maxStreams;
  if (connection.goingAway || connection.activeStreams >= max) {
    return connection.refuse(id, connection.goingAway ? 'going away' : `more than ${max} open streams`);
  }
  const ended = (frame.flags & FrameFlag.END_STREAM) !== 0;
  new ServedStream(connection, id, head, ended, options).serve(handler);
}

/**
 * String bodies up to this many characters travel inline as the response head's `data`: one frame, no copy.
 * Longer ones go as DATA, which spares both ends escaping and parsing them inside the JSON head.
 */
const INLINE_DATA_LIMIT = 1024;

/** How a stream's reply is sent: to whom errors are told, and after how long a stalled stream is ended. */
interface ServedStreamOptions {
  readonly onError: HandlerErrorReporter | undefined;
  /** No progress for this long, in ms, while the stream waits for the peer: ABORT TIMEOUT (docs §6). */
  readonly streamIdleTimeout: number;
}

/** The response head as it goes on the wire (docs/protocol.md §4.3). */
interface WireHead {
  status: string;
  headers: HeaderMap;
  data?: string;
}

/**
 * One request on the server end of a frame connection: the HttpRequest its handler sees (the fields of the
 * request head, the body as its DATA arrives, an abort signal made on first use), and the writing of the
 * handler's reply as HEAD and DATA frames within the stream's credit. HEAD, 204 and 304 replies are sent
 * without a body here, so none crosses the wire.
 */
class ServedStream implements HttpRequest, StreamEvents {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly scheme: string;
  readonly headers: Readonly<HeaderMap>;
  readonly client: ClientAddress;
  /** The request body as its DATA arrives; NO_BODY when the HEAD ended the stream (most GETs). */
  readonly body: InboundBody | AsyncIterable<Uint8Array>;
  readonly #out: FrameStream<ServedStream>;
  readonly #options: ServedStreamOptions;
  readonly #idleTimer: NodeJS.Timeout;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;
  /** Resolves the wait of a body being pulled for credit. */
  #wake: (() => void) | undefined;

  /** Accepts the stream `id` that `head` opened on `connection`; `ended`: the HEAD carried END_STREAM. */
  constructor(
    connection: FrameConnection<ServedStream>,
    id: number,
    head: RequestHead,
    ended: boolean,
    options: ServedStreamOptions,
  ) {
    this.method = head.method;
    this.target = head.info;
    this.version = head.version;
    this.scheme = head.scheme;
    this.headers = head.headers;
    this.client = head.client;
    this.#options = options;
    this.body = ended ? NO_BODY : new InboundBody((n) => this.#out.consumed(n));
    this.#out = connection.accept(id, this, ended);
    this.#idleTimer = setTimeout(() => this.#idle(), options.streamIdleTimeout);
    this.#idleTimer.unref();
  }

  /** Fires when httpserver sends ABORT (the browser hung up) or the connection is lost; made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Runs `handler` for this request and sends its reply: in this turn when the handler answers at once. */
  serve(handler: Handler): void {
    const reply = runHandler(handler, this, this.#options.onError);
    if (reply instanceof Promise) reply.then((value) => this.#answer(value));
    else this.#answer(reply);
  }

  onData(chunk: Buffer, end: boolean): void {
    const body = this.body;
    if (!(body instanceof InboundBody)) return; // the connection refuses DATA after END_STREAM
    if (chunk.length > 0) body.push(chunk);
    if (end) body.end();
  }

  onWritable(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  onAbort(code: number, reason: string): void {
    const error = errors.PROTOCOL_STREAM_ABORTED(`${errorCodeName(code)}${reason ? `: ${reason}` : ''}`);
    if (this.body instanceof InboundBody) this.body.fail(error);
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = error;
    this.#controller?.abort(error);
  }

  onClose(): void {
    clearTimeout(this.#idleTimer);
    this.onWritable(); // a body waiting for credit sees the stream is gone
  }

  onProgress(): void {
    this.#idleTimer.refresh();
  }

  /**
   * No progress for streamIdleTimeout: if the stream waits for httpserver (request body open while it has
   * credit, or response waiting for WINDOW) it is aborted with TIMEOUT; if it waits for the view, it waits on.
   */
  #idle(): void {
    const out = this.#out;
    if (!out.open) return;
    if (!out.waitsForPeer) {
      this.#idleTimer.refresh();
      return;
    }
    const reason = `no progress within ${this.#options.streamIdleTimeout} ms`;
    out.abort(ErrorCode.TIMEOUT, reason);
    this.onAbort(ErrorCode.TIMEOUT, reason);
  }

  /** Reports `err`; a reporter that throws costs nothing more. */
  #report(err: unknown): void {
    try {
      this.#options.onError?.(err, this);
    } catch {
      // the stream it was about is answered or aborted all the same
    }
  }

  /** Writes the reply: in this turn when its body is in memory, else by pulling its chunks as credit comes. */
  #answer(reply: HttpReply): void {
    if (!this.#out.open) return discardBody(reply.body); // aborted meanwhile
    try {
      this.#write(reply);
    } catch (err) {
      // One stream's failure is that stream's: the connection and its other streams go on.
      this.#report(err);
      this.#out.abort(ErrorCode.INTERNAL_ERROR, 'response could not be written');
      this.onAbort(ErrorCode.INTERNAL_ERROR, 'response could not be written');
    }
  }

  #write(given: HttpReply): void {
    const problem = replyProblem(given, this.method);
    let reply = given;
    if (problem !== undefined) {
      this.#report(problem);
      reply = errorReply(
        errors.HTTP_INTERNAL_ERROR('the reply could not be sent (details are in the server log)'),
        this.headers.accept,
      );
    }
    if (isBodiless(this.method, reply.status)) reply = withoutBody(reply, this.method);
    const out = this.#out;
    const body = reply.body;
    const head: WireHead = { status: String(reply.status), headers: reply.headers ?? {} };
    if (body === undefined || body === null) {
      out.writeHead(head, true);
    } else if (typeof body === 'string') {
      this.#sendText(head, body);
    } else if (body instanceof Uint8Array) {
      this.#sendWhole(head, body);
    } else {
      let chunks: AsyncIterable<Uint8Array>;
      if (isFileRange(body)) {
        if (declaredLength(head.headers) === undefined) {
          head.headers = { ...head.headers, 'content-length': String(body.end - body.start + 1) };
        }
        chunks = createReadStream(body.path, { start: body.start, end: body.end });
      } else {
        chunks = body;
      }
      out.writeHead(head, false);
      const declared = declaredLength(head.headers);
      this.#pull(chunks, typeof declared === 'number' ? declared : undefined).then(
        () => this.#completed(),
        (err: unknown) => {
          this.#report(err);
          const reason = isError(err, errors.RESPONSE_LENGTH_MISMATCH) ? err.message : 'response body failed';
          out.abort(ErrorCode.INTERNAL_ERROR, reason);
        },
      );
      return;
    }
    this.#completed();
  }

  /** The reply is complete but the request body is still coming: tell httpserver to stop sending it. */
  #completed(): void {
    const out = this.#out;
    if (out.open && !out.remoteEnded) out.abort(ErrorCode.NO_ERROR, 'response complete');
  }

  #sendText(head: WireHead, body: string): void {
    if (body.length <= INLINE_DATA_LIMIT) {
      head.data = body;
      if (this.#out.writeHead(head, true)) return;
      head.data = undefined; // too large for one frame of the peer's
    }
    this.#sendWhole(head, Buffer.from(body));
  }

  /** Sends a body held in memory as DATA, with its `content-length` unless the reply set one. */
  #sendWhole(head: WireHead, body: Uint8Array): void {
    if (declaredLength(head.headers) === undefined) {
      head.headers = { ...head.headers, 'content-length': String(body.byteLength) };
    }
    this.#out.writeHead(head, false);
    this.#out.write(body, true);
  }

  /**
   * Sends a body of chunks, each only once the peer has granted credit for it. With `declared` (its
   * content-length), a body that would pass it or ends short of it rejects with RESPONSE_LENGTH_MISMATCH
   * before a byte too many is sent, so the stream is aborted instead of ended.
   */
  async #pull(body: AsyncIterable<Uint8Array>, declared: number | undefined): Promise<void> {
    const out = this.#out;
    const iterator = body[Symbol.asyncIterator]();
    let sent = 0;
    try {
      for (;;) {
        const { value, done } = await iterator.next();
        if (!out.open) return;
        if (done) break;
        sent += value.byteLength;
        if (declared !== undefined && sent > declared) {
          throw errors.RESPONSE_LENGTH_MISMATCH(declared, `of at least ${sent} bytes`);
        }
        if (!out.write(value, false)) {
          await new Promise<void>((resolve) => {
            this.#wake = resolve;
          });
          if (!out.open) return;
        }
      }
      if (declared !== undefined && sent < declared) {
        throw errors.RESPONSE_LENGTH_MISMATCH(declared, `of ${sent} bytes`);
      }
      out.end();
    } finally {
      if (!out.localEnded) await iterator.return?.();
    }
  }
}

/**
 * Why `reply` cannot be sent as it is: a header no HTTP response may carry, a content-length that is not a
 * number, or a body held in memory whose length is not the declared one (a missing body declares 0 bytes,
 * except for a HEAD request or a 304, whose content-length describes a body not sent: RFC 9110 §8.6).
 * Sending it would let the client read part of this response as the next one.
 */
function replyProblem(reply: HttpReply, method: string): TandemError | undefined {
  const headers = reply.headers;
  if (headers === undefined) return undefined;
  const problem = headerProblem(headers);
  if (problem !== undefined) return errors.RESPONSE_INVALID(problem);
  const declared = declaredLength(headers);
  if (declared === undefined) return undefined;
  if (typeof declared === 'string') return errors.RESPONSE_INVALID(declared);
  const body = reply.body;
  let actual: number;
  if (typeof body === 'string') actual = Buffer.byteLength(body);
  else if (body instanceof Uint8Array) actual = body.byteLength;
  else if (body === null || body === undefined) {
    if (method === 'HEAD' || reply.status === 304) return undefined;
    actual = 0;
  } else return undefined; // chunks and file ranges are counted as they are sent (#pull)
  return actual === declared ? undefined : errors.RESPONSE_LENGTH_MISMATCH(declared, `of ${actual} bytes`);
}
