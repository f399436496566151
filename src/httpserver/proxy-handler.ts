import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { errors, TandemError } from '../errors/catalogue.js';
import type { AccessLogEntry } from '../http/access-log.js';
import { clientAddress, requestHeadersForUpstream, responseHeadersForClient } from '../http/forwarding.js';
import type { Logger } from '../log/logger.js';
import type { ClientSession, ClientStream, ResponseEvents } from '../protocol/client-session.js';
import { ErrorCode, errorCodeName } from '../protocol/frame-codec.js';
import {
  type CheckedResponseHead,
  declaredLength,
  headerProblem,
  type RequestHead,
} from '../protocol/head-check.js';
import type { WebframePool } from './webframe-pool.js';

/** What the proxy needs to know about its limits and surroundings. */
export interface ProxyOptions {
  pool: WebframePool;
  /** Largest request body in bytes; larger gets 413. */
  maxBodySize: number;
  /** No response head from the webframe within this many ms gets 504. */
  upstreamTimeout: number;
  debug: boolean;
  log: Logger;
  accessLog: (entry: AccessLogEntry) => void;
}

/** A short HTML error page naming what went wrong. */
export function errorPage(status: number, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const text = message.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html><head><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p><hr><address>tandem httpserver</address></body></html>\n`;
}

/**
 * Sends an error page. When a response already started, the connection is closed after what was written so
 * far: the client sees a body cut short (no final chunk, or fewer bytes than Content-Length), never a
 * truncated body passed off as complete. Returns the body bytes sent (0 for HEAD or a cut), for the access log.
 */
export function sendError(res: ServerResponse, error: TandemError, close = false): number {
  if (res.headersSent) {
    cutResponse(res);
    return 0;
  }
  const status = error.status ?? 500;
  const body = errorPage(status, error.message);
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (close) headers.connection = 'close';
  // The reason phrase is given: a writeHead that threw on a bad header has already set the status message.
  res.writeHead(status, STATUS_CODES[status] ?? 'Error', headers);
  res.end(body);
  return res.req?.method === 'HEAD' ? 0 : Buffer.byteLength(body);
}

/**
 * Ends a response that has started by closing its connection after what was written so far, so that the
 * client sees a body cut short, never a truncated body passed off as complete nor bytes of another response.
 */
function cutResponse(res: ServerResponse): void {
  const socket = res.socket;
  if (socket === null || socket.destroyed) return void res.destroy();
  // Node 24 hands what was just written to the socket a tick later: end the socket after those bytes.
  setImmediate(() => socket.end());
}

/**
 * The httpserver's request handler: forwards each HTTP request as a stream to the webframe and writes the
 * answer back, with the request body and the response body both flowing under the protocol's flow control.
 */
export function createProxyHandler(
  options: ProxyOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    new ProxiedRequest(options, req, res).start();
  };
}

/** One request in flight through the proxy. */
class ProxiedRequest implements ResponseEvents {
  readonly #o: ProxyOptions;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  #stream: ClientStream | undefined;
  #timer: NodeJS.Timeout | undefined;
  #bytesSent = 0;
  /** The body length the response head declared, when its body must be checked against it. */
  #expected: number | undefined;
  /** Body bytes written to the client while it was not taking them, not yet granted back to the webframe. */
  #unacked = 0;
  #waitingForDrain = false;
  #received = 0;
  #retried = false;

  constructor(options: ProxyOptions, req: IncomingMessage, res: ServerResponse) {
    this.#o = options;
    this.#req = req;
    this.#res = res;
  }

  start(): void {
    const req = this.#req;
    const res = this.#res;
    res.on('close', () => this.#onClose());
    if (req.method === 'CONNECT') {
      // An origin server, not a proxy: no tunnels (RFC 9110 §9.3.6); answered like any unsupported method.
      this.#fail(errors.HTTP_NOT_IMPLEMENTED('CONNECT'), true);
      return;
    }
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > this.#o.maxBodySize) {
      this.#fail(errors.HTTP_PAYLOAD_TOO_LARGE(this.#o.maxBodySize), true);
      return;
    }
    this.#send();
  }

  /**
   * Sends the request on a pooled connection once the pool has a stream for it. The upstream timeout runs from
   * here, so it also bounds the wait for a connection or a free stream.
   */
  #send(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#onTimeout(), this.#o.upstreamTimeout);
    this.#o.pool.session().then(
      (session) => {
        if (!this.#res.destroyed && !this.#res.writableEnded) this.#sendOn(session);
      },
      (err: unknown) => {
        clearTimeout(this.#timer);
        this.#fail(err as TandemError);
      },
    );
  }

  #sendOn(session: ClientSession): void {
    const req = this.#req;
    const hasBody =
      req.headers['content-length'] !== undefined
        ? req.headers['content-length'] !== '0'
        : req.headers['transfer-encoding'] !== undefined;
    const head: RequestHead = {
      method: req.method ?? 'GET',
      info: req.url ?? '/',
      version: req.httpVersion,
      scheme: 'http',
      client: { address: clientAddress(req) ?? '', port: req.socket.remotePort ?? 0 },
      headers: requestHeadersForUpstream(req, 'http'),
    };
    this.#stream = session.request(head, !hasBody, this);
    if (hasBody) this.#pumpBody();
  }

  #pumpBody(): void {
    const req = this.#req;
    req.on('data', (chunk: Buffer) => {
      this.#received += chunk.length;
      if (this.#received > this.#o.maxBodySize) {
        this.#stream?.abort(ErrorCode.CANCEL, 'request body too large');
        this.#fail(errors.HTTP_PAYLOAD_TOO_LARGE(this.#o.maxBodySize), true);
        req.destroy();
        return;
      }
      if (this.#stream?.write(chunk) === false) req.pause();
    });
    req.on('end', () => this.#stream?.end());
  }

  onWritable(): void {
    this.#req.resume();
  }

  onHead(head: CheckedResponseHead, end: boolean): void {
    clearTimeout(this.#timer);
    const declared = declaredLength(head.headers);
    const problem = headerProblem(head.headers) ?? (typeof declared === 'string' ? declared : undefined);
    if (problem !== undefined) return this.#refuse(problem);
    const req = this.#req;
    const res = this.#res;
    const headers = responseHeadersForClient(head.headers);
    // Responses that never carry a body, whatever content-length says (RFC 9110 §6.4.1, §8.6).
    const bodiless = req.method === 'HEAD' || head.status === 204 || head.status === 304;
    if (head.data === undefined && !bodiless && typeof declared === 'number') {
      if (end && declared > 0) return this.#refuse(`content-length ${declared} and no body`);
      this.#expected = declared;
    }
    try {
      if (head.data !== undefined) {
        // Passed on as a string: node:http then sends head and body in one buffer.
        const length = Buffer.byteLength(head.data);
        setContentLength(headers, length);
        res.writeHead(head.status, headers);
        this.#bytesSent = length;
        res.end(head.data);
      } else {
        // A reply with no body (a redirect, a null body) goes with `content-length: 0`, not as an empty chunked
        // body: the webframe sent END_STREAM on its head and no length.
        if (end && !bodiless && declared === undefined) setContentLength(headers, 0);
        res.writeHead(head.status, headers);
        if (end) res.end();
      }
    } catch (err) {
      return this.#refuse((err as Error).message);
    }
  }

  onData(chunk: Buffer, end: boolean): void {
    const res = this.#res;
    const expected = this.#expected;
    if (expected !== undefined) {
      const total = this.#bytesSent + chunk.length;
      if (total > expected) return this.#cut(`of at least ${total} bytes`, end);
      if (end && total < expected) {
        res.write(chunk);
        this.#bytesSent = total;
        return this.#cut(`of ${total} bytes`, end);
      }
    }
    if (end) {
      // The last piece: no credit to give back, and node:http sends it with whatever is still buffered.
      this.#bytesSent += chunk.length;
      res.end(chunk.length > 0 ? chunk : undefined);
      return;
    }
    if (chunk.length === 0) return;
    this.#bytesSent += chunk.length;
    // Credit goes back only for bytes the client socket took: a client that does not read stops its
    // stream after one window, and one drain listener serves every chunk written meanwhile.
    if (res.write(chunk) && !this.#waitingForDrain) {
      this.#stream!.consumed(chunk.length);
      return;
    }
    this.#unacked += chunk.length;
    if (this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    res.once('drain', this.#drained);
  }

  readonly #drained = (): void => {
    this.#waitingForDrain = false;
    const bytes = this.#unacked;
    this.#unacked = 0;
    this.#stream?.consumed(bytes);
  };

  /** A response head that cannot go to the client as it is: 502 for this request only, ABORT for its stream. */
  #refuse(problem: string): void {
    this.#o.log.warn(
      { url: this.#req.url, problem },
      'webframe sent a response head that cannot be passed on',
    );
    this.#stream?.abort(ErrorCode.PROTOCOL_ERROR, problem);
    this.#fail(errors.HTTP_BAD_GATEWAY(`the webframe's response head is invalid: ${problem}`));
  }

  /** A body that does not match its content-length: the client's connection is cut after what fits. */
  #cut(actual: string, ended: boolean): void {
    const mismatch = errors.RESPONSE_LENGTH_MISMATCH(this.#expected!, actual);
    this.#o.log.warn({ url: this.#req.url }, `webframe ${mismatch.message}: connection cut`);
    this.#expected = undefined;
    if (!ended) this.#stream?.abort(ErrorCode.PROTOCOL_ERROR, mismatch.message);
    cutResponse(this.#res);
  }

  onDone(): void {
    // The webframe has answered in full and wants no more of the request body.
    clearTimeout(this.#timer);
    if (this.#req.readableEnded || this.#req.listenerCount('data') === 0) return; // nothing left to stop
    this.#req.removeAllListeners('data');
    this.#req.resume();
  }

  onAbort(code: number, reason: string): void {
    clearTimeout(this.#timer);
    if (
      code === ErrorCode.REFUSED_STREAM &&
      !this.#res.headersSent &&
      !this.#retried &&
      this.#received === 0
    ) {
      this.#retried = true; // no view saw it: safe to send again on another connection
      this.#req.removeAllListeners('data');
      this.#send();
      return;
    }
    this.#o.log.warn(
      { url: this.#req.url, code: errorCodeName(code), reason },
      'webframe aborted the stream',
    );
    const detail = this.#o.debug && reason ? ` (${errorCodeName(code)}: ${reason})` : '';
    this.#fail(errors.HTTP_BAD_GATEWAY(`the webframe ended the request without an answer${detail}`));
  }

  #onTimeout(): void {
    this.#stream?.abort(ErrorCode.TIMEOUT, 'no response head in time');
    this.#fail(errors.HTTP_GATEWAY_TIMEOUT(this.#o.upstreamTimeout));
  }

  /** Answers with the error page of `error` (or cuts a response begun); the access log counts its bytes. */
  #fail(error: TandemError, close = false): void {
    this.#bytesSent += sendError(this.#res, error, close);
  }

  #onClose(): void {
    clearTimeout(this.#timer);
    const res = this.#res;
    if (!res.writableFinished) this.#stream?.abort(ErrorCode.CANCEL, 'client closed the connection');
    const req = this.#req;
    const referer = req.headers.referer;
    const userAgent = req.headers['user-agent'];
    this.#o.accessLog({
      remote: clientAddress(req) ?? '-',
      time: new Date(),
      method: req.method ?? '-',
      target: req.url ?? '-',
      version: req.httpVersion,
      status: res.headersSent ? res.statusCode : 499,
      bytes: this.#bytesSent,
      ...(referer === undefined ? {} : { referer }),
      ...(userAgent === undefined ? {} : { userAgent }),
    });
  }
}

/** Sets `content-length` to `length`, replacing one the webframe sent under any spelling of its name. */
function setContentLength(headers: Record<string, string | string[]>, length: number): void {
  for (const name in headers) if (name.toLowerCase() === 'content-length') delete headers[name];
  headers['content-length'] = String(length);
}

export { TandemError };
