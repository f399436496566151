import { type IncomingHttpHeaders, STATUS_CODES } from 'node:http';
import { Readable, type Writable } from 'node:stream';
import { format } from 'node:util';
import { errors, TandemError } from '../errors/catalogue.js';
import type { ConnectionHandler } from '../net/types.js';
import { errorPage } from './error-page.js';
import type { ClientAddress, Handler, HeaderMap, HttpReply, HttpRequest } from './handler.js';
import type { HttpServerOptions } from './http-engine.js';
import { isBodiless } from './run-handler.js';
import { serveHttp } from './serve-http.js';
import { WritableBody } from './writable-body.js';

/** What a request handler instance is made from; the adapter (handlerFromClass) passes it to the constructor. */
export interface HandlerContext {
  /** The request, as every Handler receives it. */
  request: HttpRequest;
  /** The options the handler module was given (structured-cloneable), or undefined. */
  options: unknown;
}

/** A class that extends BaseHTTPRequestHandler, as the helpers below take it. */
export type HandlerClass = new (context: HandlerContext) => BaseHTTPRequestHandler;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const VERB = /^[A-Z][A-Z0-9_-]*$/;
/** A reason phrase Node accepts in a status line (RFC 9112 §4: HTAB, SP, VCHAR, obs-text). */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** The response under way of an instance (its private field), for handlerFromClass. */
let replyOf: (handler: BaseHTTPRequestHandler) => ReplyUnderway;

/**
 * The base class of a class-based HTTP handler, after Python's `http.server.BaseHTTPRequestHandler`: a
 * subclass defines one method per HTTP verb (`GET()`, `POST()`, any uppercase name; sync or async), which
 * reads `rfile` and answers with `sendResponse`, `sendHeader`, `endHeaders` and `wfile`. One instance serves
 * one request; `handlerFromClass` makes the Handler that does so. A verb the class lacks gets 501; a method
 * that throws gets 500 (a TandemError with a status gets that status) and the connection goes on serving. A
 * method must resolve only once it has written its response; whatever is not ended then is ended for it.
 * Header names go out as given and values as latin-1, as http.server sends them; the body as written.
 */
export class BaseHTTPRequestHandler {
  /** The request method, e.g. `GET`. */
  readonly command: string;
  /** The request target as sent, query string included, e.g. `/echo?x=1`. */
  readonly path: string;
  /** The request's version, e.g. `HTTP/1.1`. */
  readonly requestVersion: string;
  /** The request line, e.g. `GET / HTTP/1.1`, as logRequest writes it. */
  readonly requestline: string;
  /** Request header fields by lower-case name. */
  readonly headers: IncomingHttpHeaders;
  /** The client's address and port. */
  readonly clientAddress: ClientAddress;
  /** The response body: writing sends the head first if endHeaders was not called. */
  readonly wfile: Writable;
  /** The handler module's options, or undefined. */
  readonly options: unknown;
  /** The product name sent in the Server header. */
  serverVersion = 'Tandem/0.1';
  /** The runtime sent after serverVersion in the Server header. */
  sysVersion = `Node/${process.versions.node}`;
  readonly #request: HttpRequest;
  readonly #reply: ReplyUnderway;
  #rfile: Readable | undefined;
  #responded = false;

  static {
    replyOf = (handler) => handler.#reply;
  }

  constructor(context: HandlerContext) {
    const { request } = context;
    this.command = request.method;
    this.path = request.target;
    this.requestVersion = `HTTP/${request.version}`;
    this.requestline = `${this.command} ${this.path} ${this.requestVersion}`;
    this.headers = request.headers as IncomingHttpHeaders;
    this.clientAddress = request.client;
    this.#reply = new ReplyUnderway(request.method);
    this.wfile = this.#reply.body;
    this.options = context.options;
    this.#request = request;
  }

  /** The request body, read as it is consumed: the runner's own stream when it is one (node:http's). */
  get rfile(): Readable {
    const body = this.#request.body;
    this.#rfile ??= body instanceof Readable ? body : Readable.from(body, { objectMode: false });
    return this.#rfile;
  }

  /** True once a response was started with sendResponse or sendError. */
  get responded(): boolean {
    return this.#responded;
  }

  /** The Server header's value. */
  versionString(): string {
    return `${this.serverVersion} ${this.sysVersion}`.trim();
  }

  /** Starts the response: status `code`, reason `message` (default: the standard one), a Server header. */
  sendResponse(code: number, message?: string): void {
    this.#responded = true;
    this.logRequest(code);
    this.#reply.status = code;
    this.#reply.reason = message !== undefined && REASON.test(message) ? message : undefined;
    this.sendHeader('Server', this.versionString());
  }

  /** Adds a response header field; sending one name twice sends it twice (as Set-Cookie needs). */
  sendHeader(name: string, value: string | number): void {
    this.#reply.addHeader(name, String(value));
  }

  /**
   * Ends the head and sends it at once. Without a Content-Length the body that follows is chunked (or, to an
   * HTTP/1.0 client, delimited by closing the connection).
   */
  endHeaders(): void {
    this.#reply.commit();
  }

  /**
   * Sends a complete error response as http.server does: status `code`, a short HTML page naming `message`
   * (default the standard reason) and `explain`, no body for 1xx, 204, 205 and 304. Headers set earlier are
   * dropped. When the head already went out nothing can be fixed, so the connection is cut.
   */
  sendError(code: number, message?: string, explain?: string): void {
    const short = STATUS_CODES[code] ?? 'Unknown';
    const text = message ?? short;
    this.logError('code %d, message %s', code, text);
    const reply = this.#reply;
    if (reply.committed) {
      reply.fail(new Error(`sendError(${code}) after the head was sent`));
      return;
    }
    reply.clearHeaders();
    this.sendResponse(code, text);
    // The rest of a body too large to read is not worth receiving just to keep the connection.
    if (code === 413) this.sendHeader('Connection', 'close');
    if (code < 200 || code === 204 || code === 205 || code === 304) {
      reply.finish();
      return;
    }
    const body = Buffer.from(errorPage(code, text, explain ?? short));
    this.sendHeader('Content-Type', 'text/html; charset=utf-8');
    this.sendHeader('Content-Length', body.length);
    this.sendHeader('X-Content-Type-Options', 'nosniff');
    this.endHeaders();
    this.wfile.end(body);
  }

  /**
   * Reads the whole request body (at most `maxBytes`, default 1 MiB; more throws HTTP_PAYLOAD_TOO_LARGE,
   * which the dispatcher answers with 413).
   */
  readBody(maxBytes = 1 << 20): Promise<Buffer> {
    const declared = Number(this.headers['content-length'] ?? 0);
    if (declared > maxBytes) return Promise.reject(errors.HTTP_PAYLOAD_TOO_LARGE(maxBytes));
    const body = this.rfile;
    // Not `for await`: leaving that loop early destroys the request, and with it the socket and the 413.
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        body.off('data', onData);
        body.off('end', onEnd);
        body.off('error', onError);
      };
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBytes) chunks.push(chunk);
        else {
          done();
          reject(errors.HTTP_PAYLOAD_TOO_LARGE(maxBytes));
        }
      };
      const onEnd = () => {
        done();
        resolve(Buffer.concat(chunks));
      };
      const onError = (err: Error) => {
        done();
        reject(err);
      };
      body.on('data', onData);
      body.on('end', onEnd);
      body.on('error', onError);
    });
  }

  /** Logs an answered request: `"GET / HTTP/1.1" 200 -`. */
  logRequest(code: number | string = '-', size: number | string = '-'): void {
    this.logMessage('"%s" %s %s', this.requestline, code, size);
  }

  /** Logs an error; by default the same as logMessage. */
  logError(fmt: string, ...args: unknown[]): void {
    this.logMessage(fmt, ...args);
  }

  /**
   * Writes one line to stderr: `ADDRESS - - [DD/Mon/YYYY HH:MM:SS] MESSAGE`, the message formatted as
   * util.format does, control characters (C0, DEL, C1) escaped as `\xHH` so a request cannot forge log lines,
   * and backslash too (`\x5c`, as nginx), so a literal `\x1b` in a request cannot pass for an escaped one.
   * Override it to log elsewhere or not at all.
   */
  logMessage(fmt: string, ...args: unknown[]): void {
    const message = format(fmt, ...args).replace(
      /[^\x20-\x5b\x5d-\x7e\u00a0-\uffff]/g,
      (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
    );
    process.stderr.write(`${this.clientAddress.address} - - [${logTime(new Date())}] ${message}\n`);
  }
}

/** The response a handler instance is writing: its head until it is sent, then its body as written. */
class ReplyUnderway {
  status = 200;
  reason: string | undefined;
  readonly body = new WritableBody(() => this.#written());
  /** The reply, once its head is complete; rejected with the error to answer when there is none. */
  readonly sent: Promise<HttpReply>;
  readonly #method: string;
  #headers: HeaderMap = {};
  #committed = false;
  #resolve!: (reply: HttpReply) => void;
  #reject!: (error: unknown) => void;

  constructor(method: string) {
    this.#method = method;
    this.sent = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** True once the head went to the runner (or an error was answered instead). */
  get committed(): boolean {
    return this.#committed;
  }

  addHeader(name: string, value: string): void {
    if (this.#committed) throw new Error(`sendHeader(${JSON.stringify(name)}) after the head was sent`);
    const previous = this.#headers[name];
    this.#headers[name] = previous === undefined ? value : [previous, value].flat();
  }

  clearHeaders(): void {
    this.#headers = {};
  }

  /**
   * Hands the head to the runner with the body as written. The body is always chunks, never a string: Node
   * writes the head as latin-1 before bytes (http.server's `'latin-1', 'strict'`), and leaves the length of
   * chunks to the head the handler wrote.
   */
  commit(body: HttpReply['body'] = this.body): void {
    if (this.#committed) return;
    this.#committed = true;
    this.#send(body);
  }

  /** Ends the response: the head if it is still pending (no body: `content-length: 0`), then the body. */
  finish(): void {
    this.commit(this.#declaresLength() ? this.body : null);
    if (!this.body.writableEnded) this.body.end();
  }

  /** The first write closes the head; it is sent a microtask later, once that turn's writes are in. */
  #written(): void {
    if (this.#committed) return;
    this.#committed = true;
    queueMicrotask(() => {
      // A body ended in the turn it began (`wfile.end(data)`) is sent with its length, as Node would send it.
      const ended = this.body.writableEnded && !isBodiless(this.#method, this.status);
      if (ended && !this.#declaresLength())
        this.#headers['Content-Length'] = String(this.body.writableLength);
      this.#send(this.body);
    });
  }

  #declaresLength(): boolean {
    return Object.keys(this.#headers).some((name) => name.toLowerCase() === 'content-length');
  }

  #send(body: HttpReply['body']): void {
    this.#resolve({ status: this.status, reason: this.reason, headers: this.#headers, body });
  }

  /** Answers `error` instead when the head is still pending; else cuts the response. */
  fail(error: unknown): void {
    if (this.#committed) return this.body.fail(error);
    this.#committed = true;
    this.#reject(error);
  }
}

/**
 * The Handler that serves each request with a new instance of `Class` (a subclass of BaseHTTPRequestHandler):
 * it calls the method named after the verb and answers once the head is complete. `options` reach every
 * instance as `this.options`. A failure the class cannot answer itself (a method that throws or sends
 * nothing) goes to the one error renderer, errorReply.
 */
export function handlerFromClass(Class: HandlerClass, options?: unknown): Handler {
  return (request) => {
    const handler = new Class({ request, options });
    const reply = replyOf(handler);
    // A client gone mid-body: later writes fail, as they would on a closed socket.
    request.signal.addEventListener('abort', () => reply.body.destroy(), { once: true });
    void dispatch(handler, reply);
    return reply.sent;
  };
}

/** Runs the verb's method of `handler`, making sure the response ends whatever happens. Never rejects. */
async function dispatch(handler: BaseHTTPRequestHandler, reply: ReplyUnderway): Promise<void> {
  const verb = handler.command;
  try {
    const method = VERB.test(verb) ? (handler as unknown as Record<string, unknown>)[verb] : undefined;
    if (typeof method !== 'function') {
      handler.sendError(501, `Unsupported method (${JSON.stringify(verb)})`);
      return;
    }
    try {
      await method.call(handler);
    } catch (err) {
      if (err instanceof TandemError && err.status !== undefined) {
        answerError(handler, reply, err);
        return;
      }
      handler.logError('%s failed: %s', verb, (err as Error)?.stack ?? String(err));
      answerError(handler, reply, errors.HTTP_INTERNAL_ERROR(`the ${verb} method failed`));
      return;
    }
    if (!handler.responded && !reply.committed) {
      answerError(handler, reply, errors.HTTP_INTERNAL_ERROR(`the ${verb} method sent no response`));
      return;
    }
    reply.finish();
  } catch (err) {
    // Only an override of sendError or the logging methods can get here.
    process.stderr.write(
      `tandem: ${handler.constructor.name} failed: ${(err as Error)?.stack ?? String(err)}\n`,
    );
    reply.fail(errors.HTTP_INTERNAL_ERROR(`the ${verb} method failed`));
  }
}

/** Logs `error` as sendError would, and has the runner answer it (or cut the response if it started). */
function answerError(handler: BaseHTTPRequestHandler, reply: ReplyUnderway, error: TandemError): void {
  handler.logError('code %d, message %s', error.status, error.message);
  if (!reply.committed) handler.logRequest(error.status);
  reply.fail(error);
}

/**
 * Makes a ConnectionHandler that serves HTTP with `Class` (handlerFromClass, run by serveHttp), one instance
 * per request; `options` reach every instance as `this.options`.
 */
export function connectionHandlerFromClass(
  Class: HandlerClass,
  options?: unknown,
  limits?: Partial<HttpServerOptions>,
): ConnectionHandler {
  return serveHttp(handlerFromClass(Class, options), { limits });
}

/**
 * Makes a handler-module factory from a handler class, so that an app file can
 * `export default serveHandlerClass(MyHandler)` and be served by any concurrency model.
 */
export function serveHandlerClass(
  Class: HandlerClass,
  limits?: Partial<HttpServerOptions>,
): (options?: unknown) => ConnectionHandler {
  return (options) => connectionHandlerFromClass(Class, options, limits);
}

/** `21/Nov/2026 05:04:43`, UTC. */
function logTime(t: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(t.getUTCDate())}/${MONTHS[t.getUTCMonth()]}/${t.getUTCFullYear()} ` +
    `${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())}`
  );
}
