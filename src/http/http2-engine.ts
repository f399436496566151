import {
  constants,
  createServer,
  type Http2Server,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import { errors } from '../errors/catalogue.js';
import { pumpFile } from '../file-transfer/file-pump.js';
import type { ConnectionHandler, ConnectionInfo } from '../net/types.js';
import { accessLogEntry } from './access-log.js';
import type { ClientAddress, Handler, HeaderMap, HttpReply, HttpRequest } from './handler.js';
import { clientAddress, type EngineOptions, LINGER_MS, SLOW_CLIENT_CHUNK, schemeOf } from './http-engine.js';
import { pumpBody } from './pump-body.js';
import {
  bodyLength,
  discardBody,
  failureReply,
  isBodiless,
  isFileRange,
  limitBody,
  NO_BODY,
  runHandler,
  withoutBody,
} from './run-handler.js';
import { SendTimeout } from './send-timeout.js';

/** HTTP/2's own limits (RFC 9113 §6.5.2 settings, and the abuse caps); sizes in bytes, times in milliseconds. */
export interface Http2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: streams a client may have open at once on one connection. */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: request body bytes a stream may send before the handler reads them. */
  initialWindowSize: number;
  /** The connection's receive window (setLocalWindowSize), shared by all of its streams' request bodies. */
  connectionWindowSize: number;
  /** Streams the client may reset (or abandon) before their answer, per `resetWindowMs`, before GOAWAY. */
  maxResets: number;
  /** The period `maxResets` is counted over. */
  resetWindowMs: number;
  /** Invalid frames a connection may send before it is closed (Node's maxSessionInvalidFrames). */
  maxInvalidFrames: number;
  /** Streams refused (over the concurrency limit) before the connection is closed (maxSessionRejectedStreams). */
  maxRejectedStreams: number;
}

/**
 * The HTTP/2 limits a Handler is served with unless told otherwise. The reset cap answers rapid reset
 * (CVE-2023-44487): a browser cancels a few streams as it navigates, not 20 a second for 10 seconds.
 */
export const DEFAULT_HTTP2_LIMITS: Readonly<Http2Limits> = Object.freeze({
  maxConcurrentStreams: 128,
  initialWindowSize: 65_535,
  connectionWindowSize: 1024 * 1024,
  maxResets: 200,
  resetWindowMs: 10_000,
  maxInvalidFrames: 1000,
  maxRejectedStreams: 100,
});

/** EngineOptions and the HTTP/2 limits, as serveOnHttp2 is given them. */
export interface Http2EngineOptions extends EngineOptions {
  /** Overrides of DEFAULT_HTTP2_LIMITS. */
  readonly http2?: Partial<Http2Limits> | undefined;
}

/**
 * Fields that are connection-specific in HTTP/1.1 and malformed in HTTP/2 (RFC 9113 §8.2.2): dropped from
 * replies (a Handler written for HTTP/1.1, or a proxied reply, may carry them).
 */
const CONNECTION_FIELDS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'http2-settings',
]);

/** One connection (HTTP/2 session) and what the engine keeps about it. */
interface Session {
  readonly session: ServerHttp2Session;
  readonly scheme: string;
  readonly client: ClientAddress;
  open: number;
  /** Streams the client reset or left before their answer, since `resetsSince`. */
  resets: number;
  resetsSince: number;
  /** The idle timer: headersTimeout before the first stream, keepAliveTimeout once no stream is open. */
  timer: NodeJS.Timeout | undefined;
}

/**
 * The `http2` engine: runs `handler` on HTTP/2 through node:http2 as a ConnectionHandler. Each stream it is
 * handed is one HTTP/2 connection: a TLS socket whose ALPN chose `h2` (handshake done, preface unread), or a
 * plain socket speaking h2c with prior knowledge. It answers as the HTTP/1.1 engines do (the same runner,
 * error pages, HEAD/204/304 handling and access-log entries) and bounds what one client can hold: streams at
 * once, request bodies to the flow-control windows (read only as fast as the handler reads), reply bodies
 * pulled only as fast as the client takes them, resets per period (rapid reset), idle and send timeouts.
 * Response trailers are not sent: an HttpReply has no place for them.
 */
export function serveOnHttp2(handler: Handler, options: Http2EngineOptions): ConnectionHandler {
  return new Http2Engine(handler, options);
}

class Http2Engine implements ConnectionHandler {
  readonly #handler: Handler;
  readonly #options: Http2EngineOptions;
  readonly #limits: Readonly<Http2Limits>;
  readonly #server: Http2Server;
  readonly #sessions = new Map<ServerHttp2Session, Session>();
  readonly #sendTimeout: SendTimeout | undefined;
  /** The connection being handed to the server: 'session' is emitted within server.emit('connection'). */
  #handing: { stream: Duplex; info: ConnectionInfo } | undefined;
  #draining = false;

  constructor(handler: Handler, options: Http2EngineOptions) {
    this.#handler = handler;
    this.#options = options;
    const limits = { ...DEFAULT_HTTP2_LIMITS, ...options.http2 };
    this.#limits = limits;
    this.#server = createServer({
      maxSessionInvalidFrames: limits.maxInvalidFrames,
      maxSessionRejectedStreams: limits.maxRejectedStreams,
      settings: {
        maxConcurrentStreams: limits.maxConcurrentStreams,
        initialWindowSize: limits.initialWindowSize,
        maxHeaderListSize: options.limits.maxHeaderSize,
      },
    });
    const { sendTimeout, onSendTimeout } = options.limits;
    this.#sendTimeout =
      sendTimeout > 0
        ? new SendTimeout(sendTimeout, (stream) => {
            ours.add(stream);
            onSendTimeout?.(stream);
            // RST_STREAM(CANCEL) before SendTimeout destroys it: a plain destroy() would say NO_ERROR.
            (stream as ServerHttp2Stream).close(constants.NGHTTP2_CANCEL);
          })
        : undefined;
    this.#server.on('session', (session: ServerHttp2Session) => this.#session(session));
    this.#server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) =>
      this.#stream(stream, headers, flags),
    );
    // A TLS socket whose ALPN chose no protocol (or http/1.1) is not ours to serve.
    this.#server.on('unknownProtocol', (socket: Duplex) => socket.destroy());
  }

  handle(stream: Duplex, info: ConnectionInfo): Promise<void> {
    return new Promise((resolve) => this.serve(stream, info, () => resolve()));
  }

  serve(stream: Duplex, info: ConnectionInfo, done: (stream: Duplex) => void): void {
    let called = false;
    const finish = () => {
      if (called) return;
      called = true;
      done(stream);
    };
    stream.once('close', finish);
    this.#handing = { stream, info };
    try {
      this.#server.emit('connection', stream);
    } finally {
      this.#handing = undefined;
    }
    // A model hands a socket paused (nothing read yet); the session reads its handle once it is resumed.
    if (stream.isPaused()) stream.resume();
  }

  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const { session } of this.#sessions.values()) closeSession(session);
  }

  async close(): Promise<void> {
    for (const state of this.#sessions.values()) clearTimeout(state.timer);
    await this.#options.onClose?.();
  }

  #session(session: ServerHttp2Session): void {
    const handing = this.#handing;
    const socket = handing?.stream;
    const state: Session = {
      session,
      scheme: socket === undefined ? 'http' : schemeOf(socket),
      client: clientAddress(handing?.info.remoteAddress, handing?.info.remotePort),
      open: 0,
      resets: 0,
      resetsSince: performance.now(),
      timer: undefined,
    };
    this.#sessions.set(session, state);
    session.on('error', () => {}); // a broken connection only ends its own streams
    session.once('close', () => {
      clearTimeout(state.timer);
      this.#sessions.delete(session);
      // Node ended the socket after the last frames; one whose client reads nothing more is not kept.
      if (socket !== undefined && !socket.destroyed) {
        setTimeout(() => socket.destroy(), LINGER_MS).unref();
      }
    });
    // The connection window covers every stream's request body at once; the default (64 KiB) would make
    // concurrent uploads wait on each other.
    const window = this.#limits.connectionWindowSize;
    if (window > 65_535) {
      try {
        session.setLocalWindowSize(window);
      } catch {
        // the session is already gone
      }
    }
    this.#idle(state, this.#options.limits.headersTimeout);
    if (this.#draining) closeSession(session);
  }

  /** Closes `state`'s session with GOAWAY once it has had no open stream for `ms`. */
  #idle(state: Session, ms: number): void {
    clearTimeout(state.timer);
    if (ms <= 0) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      if (state.open === 0) closeSession(state.session);
    }, ms);
    state.timer.unref();
  }

  #stream(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number): void {
    const state = this.#sessions.get(stream.session as ServerHttp2Session);
    if (state === undefined) return void stream.close(constants.NGHTTP2_REFUSED_STREAM);
    state.open++;
    clearTimeout(state.timer);
    state.timer = undefined;
    const exchange = new Exchange(stream, headers, flags, state, this.#options);
    const sendTimeout = this.#sendTimeout;
    sendTimeout?.watch(stream);
    stream.on('error', () => {}); // a reset stream is seen by its 'close'
    stream.once('close', () => {
      sendTimeout?.forget(stream);
      exchange.closed();
      state.open--;
      if (!exchange.answered && !ours.has(stream) && !state.session.destroyed) this.#reset(state);
      if (state.open === 0) this.#idle(state, this.#options.limits.keepAliveTimeout);
    });
    if (this.#options.closeEachConnection) closeSession(state.session);
    const requestTimeout = this.#options.limits.requestTimeout;
    if (requestTimeout > 0 && !exchange.requestEnded) exchange.limitRequestTime(requestTimeout);
    const refusal = exchange.refusal();
    if (refusal !== undefined) return exchange.fail(refusal);
    const reply = runHandler(this.#handler, exchange, this.#options.onError);
    if (reply instanceof Promise) reply.then((value) => exchange.reply(value));
    else exchange.reply(reply);
  }

  /** Counts a stream the client reset before its answer; too many in a period end the connection. */
  #reset(state: Session): void {
    const now = performance.now();
    if (now - state.resetsSince > this.#limits.resetWindowMs) {
      state.resets = 0;
      state.resetsSince = now;
    }
    if (++state.resets > this.#limits.maxResets) {
      // With an error its GOAWAY carries the code; destroy(undefined, code) would send NO_ERROR.
      state.session.destroy(new Error('too many streams reset'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
    }
  }
}

/** Streams the engine itself reset or destroyed: not counted as the client's resets. */
const ours = new WeakSet<object>();

/** GOAWAY (NO_ERROR): no new stream is taken, open ones finish, then Node ends the connection. */
function closeSession(session: ServerHttp2Session): void {
  if (!session.closed && !session.destroyed) session.close();
}

/** One request stream and its reply: the request as a Handler sees it, and the writer of the answer. */
class Exchange implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly version = '2.0';
  readonly scheme: string;
  readonly headers: HeaderMap;
  readonly client: ClientAddress;
  /** True once the reply ended well (its last byte handed to the stream), or was refused by us. */
  answered = false;
  readonly #stream: ServerHttp2Stream;
  readonly #options: Http2EngineOptions;
  readonly #authority: string | undefined;
  readonly #hasBody: boolean;
  readonly #time = new Date();
  #controller: AbortController | undefined;
  #status = 0;
  #bytes = 0;

  constructor(
    stream: ServerHttp2Stream,
    fields: IncomingHttpHeaders,
    flags: number,
    session: Session,
    options: Http2EngineOptions,
  ) {
    this.#stream = stream;
    this.#options = options;
    this.scheme = session.scheme;
    this.client = session.client;
    this.method = String(fields[':method'] ?? 'GET');
    const authority = fields[':authority'];
    this.#authority = authority === undefined ? undefined : String(authority);
    this.target = String(fields[':path'] ?? this.#authority ?? '/');
    const headers: HeaderMap = {};
    for (const name in fields) {
      if (name.charCodeAt(0) === 58 /* ':' */) continue;
      const value = fields[name];
      if (value !== undefined) headers[name] = value;
    }
    // RFC 9113 §8.3.1: :authority stands for Host; filled in for handlers and proxies that read Host.
    if (headers.host === undefined && this.#authority !== undefined) headers.host = this.#authority;
    this.headers = headers;
    this.#hasBody = (flags & constants.NGHTTP2_FLAG_END_STREAM) === 0;
  }

  /** True when the client has sent the whole request (its END_STREAM), read by the handler or not. */
  get requestEnded(): boolean {
    const stream = this.#stream;
    return !this.#hasBody || stream.readableEnded || stream.state.remoteClose === 1;
  }

  get body(): AsyncIterable<Uint8Array> {
    if (!this.#hasBody) return NO_BODY;
    // Not destroyed when the handler stops reading: the reply still goes out on this stream.
    const body = this.#stream.iterator({ destroyOnReturn: false });
    const max = this.#options.maxBodySize;
    return max === undefined ? body : limitBody(body, max);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const stream = this.#stream;
      if (stream.destroyed) this.answered || controller.abort();
      else stream.once('close', () => this.answered || controller.abort());
    }
    return this.#controller.signal;
  }

  /** Why the request is refused before the handler sees it, if it is. */
  refusal(): Error | undefined {
    const host = this.headers.host;
    if (this.#authority !== undefined && host !== undefined && host !== this.#authority) {
      // RFC 9113 §8.3.1: a Host that names another authority than :authority makes the request malformed.
      return errors.HTTP_BAD_REQUEST('Host differs from :authority');
    }
    if (this.#authority === undefined && host === undefined) {
      return errors.HTTP_BAD_REQUEST('no :authority and no Host header field');
    }
    if (this.method === 'CONNECT') return errors.HTTP_NOT_IMPLEMENTED('CONNECT');
    const max = this.#options.maxBodySize;
    const length = this.headers['content-length'];
    if (max !== undefined && length !== undefined && Number(length) > max) {
      return errors.HTTP_PAYLOAD_TOO_LARGE(max);
    }
    return undefined;
  }

  /** Answers 408 (or resets the stream once its answer has begun) unless the request is in within `ms`. */
  limitRequestTime(ms: number): void {
    const stream = this.#stream;
    const timer = setTimeout(() => {
      if (this.requestEnded || stream.destroyed) return;
      if (stream.headersSent) return this.#cut(constants.NGHTTP2_CANCEL);
      this.fail(errors.HTTP_REQUEST_TIMEOUT(ms));
    }, ms);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
  }

  /** Writes `reply` to the stream, its body within what the client takes. */
  reply(reply: HttpReply): void {
    const stream = this.#stream;
    if (stream.destroyed || stream.closed || stream.headersSent) return discardBody(reply.body);
    const method = this.method;
    const bodiless = isBodiless(method, reply.status);
    const sent = bodiless ? withoutBody(reply, method) : reply;
    const body = sent.body;
    const length = bodiless ? undefined : (bodyLength(body) ?? (body == null ? 0 : undefined));
    const head = responseHead(sent.status, sent.headers, length);
    const endStream = body === null || body === undefined;
    try {
      stream.respond(head, { endStream });
    } catch (err) {
      discardBody(body);
      return this.fail(err);
    }
    this.#status = sent.status;
    stream.once('finish', () => this.#finished());
    if (endStream) return;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      this.#bytes = length ?? 0;
      return void stream.end(body);
    }
    const counted = (n: number) => (this.#bytes += n);
    const sending = isFileRange(body)
      ? pumpFile(body.path, body.start, body.end, stream, { counted, slowChunkSize: SLOW_CLIENT_CHUNK })
      : pumpBody(body, stream, counted);
    sending.catch(() => this.#cut(constants.NGHTTP2_INTERNAL_ERROR));
  }

  /** Answers with the page of `error` (failureReply), or resets the stream when its head is already out. */
  fail(error: unknown): void {
    if (this.#stream.headersSent) return this.#cut(constants.NGHTTP2_INTERNAL_ERROR);
    this.reply(failureReply(error, this, this.#options.onError));
  }

  /** The stream closed: its access-log entry. */
  closed(): void {
    const status = this.#stream.headersSent && this.#status !== 0 ? this.#status : 499;
    this.#options.accessLog?.(accessLogEntry(this, this.#time, status, this.#bytes));
  }

  /** The whole reply went to the stream. */
  #finished(): void {
    this.answered = true;
    const stream = this.#stream;
    // RFC 9113 §8.1: a complete answer to a request whose body is still coming may end it with
    // RST_STREAM(NO_ERROR); the handler did not want the rest, and the client stops sending it.
    if (!stream.readableEnded && !stream.destroyed && this.#hasBody) {
      ours.add(stream);
      stream.close(constants.NGHTTP2_NO_ERROR);
    }
  }

  /** Resets the stream (RST_STREAM `code`): a reply cut short is never passed off as complete. */
  #cut(code: number): void {
    const stream = this.#stream;
    ours.add(stream);
    if (!stream.destroyed) stream.close(code);
  }
}

/** The HEADERS of a reply: :status, its fields without connection-specific ones, the body's length if known. */
function responseHead(status: number, headers: HeaderMap | undefined, length: number | undefined) {
  const head: OutgoingHttpHeaders = { ':status': status };
  if (headers !== undefined) {
    for (const name in headers) {
      if (!CONNECTION_FIELDS.has(name)) head[name] = headers[name];
    }
  }
  if (length !== undefined) head['content-length'] = String(length);
  return head;
}
