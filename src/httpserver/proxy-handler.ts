import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { errors, TandemError } from '../errors/catalogue.js';
import type { AccessLogEntry } from '../http/access-log.js';
import { clientAddress, requestHeadersForUpstream, responseHeadersForClient } from '../http/forwarding.js';
import type { Logger } from '../log/logger.js';
import type { ClientSession, ClientStream, ResponseEvents } from '../protocol/client-session.js';
import { ErrorCode, errorCodeName } from '../protocol/frame-codec.js';
import type { CheckedResponseHead } from '../protocol/head-check.js';
import type { RequestHead } from '../protocol/types.js';
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
 * truncated body passed off as complete.
 */
export function sendError(res: ServerResponse, error: TandemError, close = false): void {
  if (res.headersSent) {
    if (res.socket !== null && !res.socket.destroyed) res.socket.end();
    else res.destroy();
    return;
  }
  const status = error.status ?? 500;
  const body = errorPage(status, error.message);
  const headers: Record<string, string | number> = {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  };
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(body);
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
  #received = 0;
  #responded = false;
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
    const length = req.headers['content-length'];
    if (length !== undefined && Number(length) > this.#o.maxBodySize) {
      sendError(res, errors.HTTP_PAYLOAD_TOO_LARGE(this.#o.maxBodySize), true);
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
        sendError(this.#res, err as TandemError);
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
        sendError(this.#res, errors.HTTP_PAYLOAD_TOO_LARGE(this.#o.maxBodySize), true);
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
    const res = this.#res;
    const headers = responseHeadersForClient(head.headers);
    if (head.data !== undefined) {
      // Passed on as a string: node:http then sends head and body in one buffer.
      const length = Buffer.byteLength(head.data);
      headers['content-length'] = String(length);
      res.writeHead(head.status, headers);
      this.#bytesSent = length;
      res.end(head.data);
    } else if (end) {
      res.writeHead(head.status, headers);
      res.end();
    } else {
      res.writeHead(head.status, headers);
    }
    if (end) this.#responded = true;
  }

  onData(chunk: Buffer, end: boolean): void {
    const res = this.#res;
    if (end) {
      // The last piece: no credit to give back, and node:http sends it with whatever is still buffered.
      this.#bytesSent += chunk.length;
      this.#responded = true;
      res.end(chunk.length > 0 ? chunk : undefined);
      return;
    }
    if (chunk.length > 0) {
      this.#bytesSent += chunk.length;
      const stream = this.#stream as ClientStream;
      if (res.write(chunk)) stream.consumed(chunk.length);
      else res.once('drain', () => stream.consumed(chunk.length));
    }
  }

  onAbort(code: number, reason: string): void {
    clearTimeout(this.#timer);
    if (code === ErrorCode.NO_ERROR && this.#responded) {
      // The webframe has answered in full and wants no more of the request body.
      this.#req.removeAllListeners('data');
      this.#req.resume();
      return;
    }
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
    sendError(
      this.#res,
      errors.HTTP_BAD_GATEWAY(`the webframe ended the request without an answer${detail}`),
    );
  }

  #onTimeout(): void {
    this.#stream?.abort(ErrorCode.TIMEOUT, 'no response head in time');
    sendError(this.#res, errors.HTTP_GATEWAY_TIMEOUT(this.#o.upstreamTimeout));
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

export { TandemError };
