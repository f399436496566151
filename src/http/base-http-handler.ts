import { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Readable, Writable } from 'node:stream';
import { format } from 'node:util';
import { errors, TandemError } from '../errors/catalogue.js';
import type { ConnectionHandler } from '../net/types.js';
import { errorPage } from './error-page.js';
import type { HttpServerOptions } from './http-server.js';
import { type ClientAddress, requestListenerHandler } from './request-listener-handler.js';

/** The Node-parser request listener handler the class helpers build on, re-exported for existing importers. */
export {
  type ClientAddress,
  type ClientRequestListener,
  DEFAULT_HTTP_LIMITS,
  type RequestListenerOptions,
  requestListenerHandler,
} from './request-listener-handler.js';

/** What a request handler instance is made from; the dispatcher passes it to the constructor. */
export interface HandlerContext {
  request: IncomingMessage;
  response: ServerResponse;
  clientAddress: ClientAddress;
  /** The options the handler module was given (structured-cloneable), or undefined. */
  options: unknown;
}

/** A class that extends BaseHTTPRequestHandler, as the helpers below take it. */
export type HandlerClass = new (context: HandlerContext) => BaseHTTPRequestHandler;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const VERB = /^[A-Z][A-Z0-9_-]*$/;
/** A reason phrase Node accepts in a status line (RFC 9112 §4: HTAB, SP, VCHAR, obs-text). */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * The base class of a class-based HTTP handler, after Python's `http.server.BaseHTTPRequestHandler`: a
 * subclass defines one method per HTTP verb (`GET()`, `POST()`, any uppercase name; sync or async), which
 * reads `rfile` and answers with `sendResponse`, `sendHeader`, `endHeaders` and `wfile`. One instance serves
 * one request. A verb the class lacks gets 501; a method that throws gets 500 (a TandemError with a status
 * gets that status) and the connection goes on serving. A method must resolve only once it has written its
 * response; whatever is not ended then is ended for it.
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
  /** The request body. */
  readonly rfile: Readable;
  /** The response body: writing sends the head first if endHeaders was not called. */
  readonly wfile: Writable;
  /** The handler module's options, or undefined. */
  readonly options: unknown;
  /** The product name sent in the Server header. */
  serverVersion = 'Tandem/0.1';
  /** The runtime sent after serverVersion in the Server header. */
  sysVersion = `Node/${process.versions.node}`;
  readonly #response: ServerResponse;
  #responded = false;

  constructor(context: HandlerContext) {
    const { request, response } = context;
    this.command = request.method ?? '';
    this.path = request.url ?? '';
    this.requestVersion = `HTTP/${request.httpVersion}`;
    this.requestline = `${this.command} ${this.path} ${this.requestVersion}`;
    this.headers = request.headers;
    this.clientAddress = context.clientAddress;
    this.rfile = request;
    this.wfile = response;
    this.options = context.options;
    this.#response = response;
    headInLatin1(response);
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
    const res = this.#response;
    this.#responded = true;
    this.logRequest(code);
    res.statusCode = code;
    res.statusMessage = message !== undefined && REASON.test(message) ? message : (STATUS_CODES[code] ?? '');
    this.sendHeader('Server', this.versionString());
  }

  /** Adds a response header field; sending one name twice sends it twice (as Set-Cookie needs). */
  sendHeader(name: string, value: string | number): void {
    this.#response.appendHeader(name, String(value));
  }

  /**
   * Ends the head and sends it at once. Without a Content-Length the body that follows is chunked (or, to an
   * HTTP/1.0 client, delimited by closing the connection).
   */
  endHeaders(): void {
    // Not flushHeaders(): it writes the head as UTF-8 (see headInLatin1). Nothing is sent for HEAD yet.
    this.#response.write(Buffer.alloc(0));
  }

  /**
   * Sends a complete error response: status `code`, a short HTML page naming `message` (default the standard
   * reason) and `explain`, no body for HEAD, 1xx, 204, 205 and 304. Headers set earlier are dropped. When the
   * head already went out nothing can be fixed, so the connection is cut.
   */
  sendError(code: number, message?: string, explain?: string): void {
    const res = this.#response;
    const short = STATUS_CODES[code] ?? 'Unknown';
    const text = message ?? short;
    this.logError('code %d, message %s', code, text);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    this.sendResponse(code, text);
    // The rest of a body too large to read is not worth receiving just to keep the connection.
    if (code === 413) this.sendHeader('Connection', 'close');
    if (code < 200 || code === 204 || code === 205 || code === 304) {
      res.end();
      return;
    }
    const body = errorPage(code, text, explain ?? short);
    this.sendHeader('Content-Type', 'text/html; charset=utf-8');
    this.sendHeader('Content-Length', Buffer.byteLength(body));
    this.sendHeader('X-Content-Type-Options', 'nosniff');
    res.end(this.command === 'HEAD' ? undefined : body);
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

/**
 * Makes `res` send its head as latin-1, as http.server does (`'latin-1', 'strict'`): Node writes the head in
 * the encoding of the first body chunk when that is a string (UTF-8, so `café` became `cafÃ©`), but as
 * latin-1 before a Buffer, so string chunks given to write and end are turned into Buffers here.
 */
function headInLatin1(res: ServerResponse): void {
  const write = res.write;
  const end = res.end;
  const bytes = (chunk: unknown, encoding: unknown): unknown =>
    typeof chunk === 'string'
      ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
      : chunk;
  const rest = (args: unknown[]): unknown[] => (typeof args[0] === 'string' ? args.slice(1) : args);
  res.write = function (this: ServerResponse, chunk: unknown, ...args: unknown[]) {
    return (write as (...a: unknown[]) => boolean).call(this, bytes(chunk, args[0]), ...rest(args));
  } as ServerResponse['write'];
  res.end = function (this: ServerResponse, chunk?: unknown, ...args: unknown[]) {
    if (typeof chunk === 'function' || chunk === undefined) {
      return (end as (...a: unknown[]) => ServerResponse).call(this, chunk, ...args);
    }
    return (end as (...a: unknown[]) => ServerResponse).call(this, bytes(chunk, args[0]), ...rest(args));
  } as ServerResponse['end'];
}

/**
 * Serves one request with a new instance of `Class`: calls the method named after the verb and makes sure
 * the response ends whatever happens. Never rejects.
 */
export async function dispatchRequest(Class: HandlerClass, context: HandlerContext): Promise<void> {
  const res = context.response;
  let handler: BaseHTTPRequestHandler;
  try {
    handler = new Class(context);
  } catch (err) {
    process.stderr.write(`tandem: cannot create ${Class.name}: ${(err as Error).stack ?? String(err)}\n`);
    if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' }).end();
    else res.destroy();
    return;
  }
  try {
    const verb = handler.command;
    const method = VERB.test(verb) ? (handler as unknown as Record<string, unknown>)[verb] : undefined;
    if (typeof method !== 'function') {
      handler.sendError(501, `Unsupported method (${JSON.stringify(verb)})`);
      return;
    }
    try {
      await method.call(handler);
    } catch (err) {
      if (err instanceof TandemError && err.status !== undefined) {
        handler.sendError(err.status, err.message);
        return;
      }
      handler.logError('%s failed: %s', verb, (err as Error).stack ?? String(err));
      handler.sendError(500, 'Internal Server Error', `The ${verb} method failed.`);
      return;
    }
    if (!handler.responded && !res.headersSent) {
      handler.sendError(500, 'Internal Server Error', `The ${verb} method sent no response.`);
      return;
    }
    if (!res.writableEnded) res.end();
  } catch (err) {
    // Only an override of sendError or the logging methods can get here.
    process.stderr.write(`tandem: ${Class.name} failed: ${(err as Error).stack ?? String(err)}\n`);
    if (!res.headersSent) res.writeHead(500, { 'Content-Length': '0' }).end();
    else res.destroy();
  }
}

/**
 * Makes a ConnectionHandler that serves HTTP with `Class` (a subclass of BaseHTTPRequestHandler), one
 * instance per request; `options` reach every instance as `this.options`.
 */
export function connectionHandlerFromClass(
  Class: HandlerClass,
  options?: unknown,
  limits?: Partial<HttpServerOptions>,
): ConnectionHandler {
  return requestListenerHandler(
    (request, response, clientAddress) =>
      dispatchRequest(Class, { request, response, clientAddress, options }),
    { limits },
  );
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
