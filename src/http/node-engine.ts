import { type IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { errors } from '../errors/catalogue.js';
import { pumpFile } from '../file-transfer/file-pump.js';
import type { ConnectionHandler } from '../net/types.js';
import { type AccessLogEntry, accessLogEntry } from './access-log.js';
import type { ClientAddress, Handler, HeaderMap, HttpReply, HttpRequest } from './handler.js';
import { countHostFields, hostFieldRefusal } from './host-field.js';
import { httpConnectionHandler } from './http-connection-handler.js';
import { clientAddress, type EngineOptions, SLOW_CLIENT_CHUNK, schemeOf } from './http-engine.js';
import { createHttpServer } from './http-server.js';
import {
  bodyLength,
  discardBody,
  failureReply,
  type HandlerErrorReporter,
  isBodiless,
  isFileRange,
  limitBody,
  NO_BODY,
  runHandler,
  withoutBody,
} from './run-handler.js';

/**
 * The `node` engine: runs `handler` on HTTP/1.1 through node:http (createHttpServer: llhttp, never lenient)
 * as a ConnectionHandler that every concurrency model can serve. It owns what every HTTP handler would otherwise
 * repeat: request bodies over `maxBodySize` (413, Expect: 100-continue included), CONNECT (501: an origin
 * server, not a tunnel), a null reply (404), errors thrown (the one error renderer), HEAD/204/304 bodies
 * (never sent), the content-length of a body in memory, backpressure, and one access-log entry per request.
 */
export function serveOnNodeHttp(handler: Handler, options: EngineOptions): ConnectionHandler {
  const clients = new WeakMap<object, ClientAddress>();
  const maxBodySize = options.maxBodySize ?? Number.POSITIVE_INFINITY;
  const onError = options.onError;
  /** Sockets whose last request was refused: what node:http parsed behind it is not run (RFC 9112 §9.6). */
  const refused = new WeakSet<object>();
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    if (refused.has(req.socket)) {
      res.shouldKeepAlive = false;
      return; // node:http closes the connection once the refusal is sent, dropping this response
    }
    const request = new NodeRequest(req, res, clients.get(req.socket), maxBodySize);
    const exchange = new Exchange(request, res, options.accessLog, onError);
    if (options.closeEachConnection) res.setHeader('connection', 'close');
    const hostRefusal = hostFieldRefusal(countHostFields(req.rawHeaders), req.httpVersion);
    if (hostRefusal !== undefined) {
      refused.add(req.socket);
      res.shouldKeepAlive = false;
      exchange.fail(hostRefusal);
      return;
    }
    if (req.method === 'CONNECT') {
      // RFC 9110 §9.3.6: a tunnel is a proxy's job; answered like any method this server does not implement.
      res.shouldKeepAlive = false;
      exchange.fail(errors.HTTP_NOT_IMPLEMENTED('CONNECT'));
      return;
    }
    if (request.declaredLength > maxBodySize) {
      exchange.fail(errors.HTTP_PAYLOAD_TOO_LARGE(maxBodySize));
      return;
    }
    const reply = runHandler(handler, request, onError);
    // A synchronous answer is written in this same turn; only a promise costs a microtask.
    if (reply instanceof Promise) reply.then((value) => exchange.reply(value));
    else exchange.reply(reply);
  };
  const server = createHttpServer(options.limits, serve);
  // Node hands a CONNECT request's socket to 'connect' listeners and, with none, closes it without a word
  // (and without an access-log line): answered through the usual path instead.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    const res = new ServerResponse(req);
    res.assignSocket(socket as Parameters<ServerResponse['assignSocket']>[0]);
    res.once('finish', () => socket.end());
    serve(req, res);
  });
  // Expect: 100-continue (RFC 9110 §10.1.1): an oversized body is refused before the client sends it.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    if (Number(req.headers['content-length'] ?? 0) <= maxBodySize) res.writeContinue();
    serve(req, res);
  });
  const inner = httpConnectionHandler(server, options.onClose);
  return {
    ...inner,
    handle(stream, info) {
      clients.set(stream, clientAddress(info.remoteAddress, info.remotePort));
      return inner.handle(stream, info);
    },
  };
}

/** An IncomingMessage seen as an HttpRequest; the body and the signal are made only when asked for. */
class NodeRequest implements HttpRequest {
  readonly client: ClientAddress;
  /** The Content-Length the client declared, 0 when it declared none. */
  readonly declaredLength: number;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #maxBodySize: number;
  #controller: AbortController | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    client: ClientAddress | undefined,
    maxBodySize: number,
  ) {
    this.#req = req;
    this.#res = res;
    this.#maxBodySize = maxBodySize;
    this.client = client ?? clientAddress(req.socket.remoteAddress, req.socket.remotePort);
    const length = req.headers['content-length'];
    this.declaredLength = length === undefined ? 0 : Number(length);
  }

  get method(): string {
    return this.#req.method ?? 'GET';
  }

  get target(): string {
    return this.#req.url ?? '/';
  }

  get version(): string {
    return this.#req.httpVersion;
  }

  get scheme(): string {
    return schemeOf(this.#req.socket);
  }

  get headers(): Readonly<HeaderMap> {
    return this.#req.headers as HeaderMap;
  }

  get body(): AsyncIterable<Uint8Array> {
    const req = this.#req;
    const hasBody =
      req.headers['transfer-encoding'] !== undefined ||
      (this.declaredLength > 0 && req.headers['content-length'] !== undefined);
    if (!hasBody) return NO_BODY;
    return this.#maxBodySize === Number.POSITIVE_INFINITY ? req : limitBody(req, this.#maxBodySize);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const res = this.#res;
      if (res.destroyed && !res.writableFinished) controller.abort();
      else res.once('close', () => res.writableFinished || controller.abort());
    }
    return this.#controller.signal;
  }
}

/** One request and its response: writes the reply (or the error page) and logs the exchange once it closes. */
class Exchange {
  readonly #req: NodeRequest;
  readonly #res: ServerResponse;
  readonly #accessLog: ((entry: AccessLogEntry) => void) | undefined;
  readonly #onError: HandlerErrorReporter;
  readonly #time = new Date();
  #bytes = 0;

  constructor(
    req: NodeRequest,
    res: ServerResponse,
    accessLog: ((entry: AccessLogEntry) => void) | undefined,
    onError: HandlerErrorReporter,
  ) {
    this.#req = req;
    this.#res = res;
    this.#accessLog = accessLog;
    this.#onError = onError;
    if (accessLog !== undefined) res.once('close', () => this.#log());
  }

  /** Writes `reply` to the client, its body within what the client takes. */
  reply(reply: HttpReply): void {
    const res = this.#res;
    if (res.destroyed || res.writableEnded) return discardBody(reply.body);
    if (reply.status === 413) {
      // A refused body is not read: the connection is closed after the answer, as it would carry the body next.
      res.setHeader('connection', 'close');
      res.once('finish', () => (res as ServerResponse & { req: IncomingMessage }).req.destroy());
    }
    const method = this.#req.method;
    const bodiless = isBodiless(method, reply.status);
    const sent = bodiless ? withoutBody(reply, method) : reply;
    const body = sent.body;
    let headers = sent.headers ?? {};
    const length = bodiless ? undefined : (bodyLength(body) ?? (body == null ? 0 : undefined));
    // A body in memory or a file range goes with its own length; one with no body with 0, not an empty chunked body.
    if (length !== undefined && headers['content-length'] !== String(length)) {
      headers = { ...headers, 'content-length': String(length) };
    }
    if (!this.#writeHead(sent, headers)) return discardBody(body);
    if (body === null || body === undefined) return void res.end();
    if (typeof body === 'string' || body instanceof Uint8Array) {
      this.#bytes = length ?? 0;
      return void res.end(body);
    }
    if (isFileRange(body)) {
      pumpFile(body.path, body.start, body.end, res, {
        counted: (n) => (this.#bytes += n),
        slowChunkSize: SLOW_CLIENT_CHUNK,
      }).catch(() => cut(res));
      return;
    }
    this.#pump(body).catch(() => cut(res));
  }

  /** Answers with the page of `error` (failureReply), or cuts the response when its head is already out. */
  fail(error: unknown): void {
    if (this.#res.headersSent) return cut(this.#res);
    this.reply(failureReply(error, this.#req, this.#onError));
  }

  /** Writes the head; false when Node refused a header (then the client gets a 500 and the error is reported). */
  #writeHead({ status, reason }: HttpReply, headers: HeaderMap): boolean {
    try {
      if (reason === undefined) this.#res.writeHead(status, headers);
      else this.#res.writeHead(status, reason, headers);
      return true;
    } catch (err) {
      this.#res.removeHeader('content-length');
      // node:http keeps a refused reason phrase; cleared, the error page gets its status's own.
      this.#res.statusMessage = '';
      this.fail(err);
      return false;
    }
  }

  /** Writes `body` chunk by chunk, pulling the next one only once the client took the last. */
  async #pump(body: AsyncIterable<Uint8Array>): Promise<void> {
    const res = this.#res;
    for await (const chunk of body) {
      if (res.destroyed) return;
      this.#bytes += chunk.length;
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
  }

  #log(): void {
    const status = this.#res.headersSent ? this.#res.statusCode : 499;
    this.#accessLog?.(accessLogEntry(this.#req, this.#time, status, this.#bytes));
  }
}

/** Resolves when `res` can take more, or when it closed (the caller then sees it destroyed). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Ends a response that has started by closing its connection after what was written so far, so that the
 * client sees a body cut short, never a truncated body passed off as complete nor bytes of another response.
 */
function cut(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null || socket.destroyed) return void res.destroy();
  // Node 24 hands what was just written to the socket a tick later: end the socket after those bytes.
  setImmediate(() => socket.end());
}
