import { errors, TandemError } from '../errors/catalogue.js';
import type { Handler, HeaderMap, HttpReply, HttpRequest } from '../http/handler.js';
import { isBodiless } from '../http/run-handler.js';
import type { Logger } from '../log/logger.js';
import type { ClientSession, ClientStream, ResponseEvents } from '../protocol/client-session.js';
import {
  type CheckedResponseHead,
  declaredLength,
  ErrorCode,
  errorCodeName,
  headerProblem,
} from '../protocol/frame-codec.js';
import { ResponseBody } from './response-body.js';
import type { SessionWaiter, WebframePool } from './webframe-pool.js';

/** How the proxy treats the webframe. */
export interface ProxyOptions {
  /** No response head from the webframe within this many ms is a 504; it also bounds the wait for a stream. */
  upstreamTimeout: number;
  /** Name the code and reason of a webframe's ABORT in the 502 it becomes. */
  debug?: boolean;
  log?: Logger;
}

/**
 * A Handler that forwards each request as a stream on `pool` (docs/protocol.md), its head without hop-by-hop
 * fields and with X-Forwarded-* added, and answers with the webframe's reply, hop-by-hop fields removed: its
 * inline `data` as a string, else its DATA as chunks whose flow-control credit goes back as the engine pulls
 * them. The request body follows as DATA within the stream's credit, its abort signal as
 * ABORT. A head that cannot be passed on is a 502 for this request only (ABORT PROTOCOL_ERROR to the
 * webframe), a body that does not match its content-length fails the chunks (the engine cuts the connection
 * after what fits), no head within `upstreamTimeout` is a 504, and a stream the webframe refused before any of
 * the body was read is sent once more.
 */
export function proxy(pool: WebframePool, options: ProxyOptions): Handler {
  return (req) => new ProxiedRequest(pool, options, req).reply;
}

const ONCE: AddEventListenerOptions = Object.freeze({ once: true });

/**
 * How long a request runs before the proxy watches its abort signal. Making an AbortSignal costs about 10 µs
 * on Node 20, a quarter of a whole proxied request, so a request answered sooner never makes one. A client
 * that left before then is seen at once when it is made (the signal is made aborted): a view hears of it at
 * most this late.
 */
const WATCH_SIGNAL_MS = 100;

/** One request in flight through the proxy: the ResponseEvents of its stream, and the pump of its body. */
class ProxiedRequest implements ResponseEvents, SessionWaiter {
  readonly reply: Promise<HttpReply>;
  readonly #pool: WebframePool;
  readonly #o: ProxyOptions;
  readonly #req: HttpRequest;
  #resolve!: (reply: HttpReply) => void;
  #reject!: (error: TandemError) => void;
  #stream: ClientStream | undefined;
  /** The signal watch (WATCH_SIGNAL_MS), then the upstream timeout until the head comes. */
  #timer: NodeJS.Timeout | undefined;
  /** The request's abort signal is watched. */
  #watching = false;
  /** In the pool's line for a stream. */
  #waiting = false;
  /** The reply is settled: what goes wrong from now on can only fail its body. */
  #answered = false;
  #body: ResponseBody | undefined;
  /** The body length the response head declared, when the body must be checked against it. */
  #expected: number | undefined;
  #bodyBytes = 0;
  #retried = false;
  /** The request has a body, to be pumped into the stream. */
  readonly #hasBody: boolean;
  #pumping = false;
  /** Request body bytes read from the client. */
  #uploaded = 0;
  /** The last write returned false: wait for onWritable. */
  #blocked = false;
  /** Nobody wants the rest of the request body: it is read and dropped. */
  #dropping = false;
  #wake: (() => void) | undefined;

  constructor(pool: WebframePool, options: ProxyOptions, req: HttpRequest) {
    this.#pool = pool;
    this.#o = options;
    this.#req = req;
    this.reply = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    const { 'content-length': length, 'transfer-encoding': chunked } = req.headers;
    this.#hasBody = length !== undefined ? length !== '0' : chunked !== undefined;
    this.#send();
  }

  /**
   * Asks the pool for a stream. The upstream timeout runs from here, so it also bounds the wait for a
   * connection or a free stream.
   */
  #send(): void {
    clearTimeout(this.#timer);
    const upstream = this.#o.upstreamTimeout;
    this.#timer = this.#watching
      ? setTimeout(this.#timedOut, upstream)
      : setTimeout(this.#watch, Math.min(WATCH_SIGNAL_MS, upstream));
    this.#waiting = true;
    this.#pool.acquire(this);
  }

  onSession(session: ClientSession): void {
    this.#waiting = false;
    if (this.#dropping) return; // given up meanwhile
    const req = this.#req;
    this.#blocked = false;
    this.#stream = session.request(
      {
        method: req.method,
        info: req.target,
        version: req.version,
        scheme: req.scheme,
        client: req.client,
        headers: requestHeadersForUpstream(req),
      },
      !this.#hasBody,
      this,
    );
    if (!this.#hasBody) return;
    if (this.#pumping) return this.#resume();
    this.#pumping = true;
    void this.#pump();
  }

  onUnavailable(error: TandemError): void {
    this.#waiting = false;
    this.#fail(error);
  }

  /** Sends the request body within the stream's credit, reading the next chunk only once it can go. */
  async #pump(): Promise<void> {
    try {
      for await (const chunk of this.#req.body) {
        this.#uploaded += chunk.length;
        while (!this.#dropping && (this.#stream === undefined || this.#blocked)) await this.#wait();
        if (this.#dropping) continue;
        if (!(this.#stream as ClientStream).write(chunk)) this.#blocked = true;
      }
      while (!this.#dropping && this.#stream === undefined) await this.#wait();
      if (!this.#dropping) (this.#stream as ClientStream).end();
    } catch (err) {
      // Over maxBodySize (serveHttp's 413), else the client went away mid-body (its signal tells the rest).
      if (err instanceof TandemError && err.status !== undefined) {
        this.#abort(ErrorCode.CANCEL, 'request body too large');
        this.#fail(err);
      } else this.#abort(ErrorCode.CANCEL, 'request body failed');
    }
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #resume(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Stops sending the request body: the rest is read and dropped. */
  #drop(): void {
    this.#dropping = true;
    if (this.#waiting) {
      this.#waiting = false;
      this.#pool.forget(this);
    }
    this.#resume();
  }

  onWritable(): void {
    this.#blocked = false;
    this.#resume();
  }

  onHead(head: CheckedResponseHead, end: boolean): void {
    this.#headCame(end);
    const declared = declaredLength(head.headers);
    const problem = headerProblem(head.headers) ?? (typeof declared === 'string' ? declared : undefined);
    if (problem !== undefined) return this.#refuse(problem);
    // Replies that never carry a body, whatever content-length says (RFC 9110 §6.4.1, §8.6).
    const bodiless = isBodiless(this.#req.method, head.status);
    const checked = head.data === undefined && !bodiless && typeof declared === 'number';
    if (checked && end && declared > 0) return this.#refuse(`content-length ${declared} and no body`);
    const headers = responseHeadersForClient(head.headers);
    this.#answered = true;
    if (head.data !== undefined) {
      setContentLength(headers, Buffer.byteLength(head.data));
      return this.#resolve({ status: head.status, headers, body: head.data });
    }
    if (end) {
      // A reply with no body (a redirect) goes with `content-length: 0`, not as an empty chunked body.
      if (!bodiless) setContentLength(headers, 0);
      return this.#resolve({ status: head.status, headers, body: null });
    }
    const body = new ResponseBody(
      (bytes) => this.#stream?.consumed(bytes),
      () => this.#abort(ErrorCode.CANCEL, 'the client takes no body'),
    );
    this.#body = body;
    if (!checked) return this.#resolve({ status: head.status, headers, body });
    this.#expected = declared;
    // Answered once this turn's frames are in: a body that came whole with its head (a view's reply held in
    // memory) then goes out with it in one write, not pulled chunk by chunk.
    queueMicrotask(() => {
      const whole = body.takeWhole();
      if (whole !== undefined) setContentLength(headers, whole.length);
      this.#resolve({ status: head.status, headers, body: whole ?? body });
    });
  }

  onData(chunk: Buffer, end: boolean): void {
    if (end) clearTimeout(this.#timer); // the watch: nothing is left to abort
    const body = this.#body as ResponseBody;
    const expected = this.#expected;
    if (expected !== undefined) {
      const total = this.#bodyBytes + chunk.length;
      if (total > expected) return this.#mismatch(`of at least ${total} bytes`, end);
      this.#bodyBytes = total;
      if (end && total < expected) {
        body.push(chunk, false);
        return this.#mismatch(`of ${total} bytes`, end);
      }
    }
    body.push(chunk, end);
  }

  /** A response head that cannot go to the client as it is: 502 for this request only, ABORT for its stream. */
  #refuse(problem: string): void {
    this.#o.log?.warn(
      { url: this.#req.target, problem },
      'webframe sent a response head that cannot be passed on',
    );
    this.#abort(ErrorCode.PROTOCOL_ERROR, problem);
    this.#fail(errors.HTTP_BAD_GATEWAY(`the webframe's response head is invalid: ${problem}`));
  }

  /** A body that does not match its content-length: the body fails, and the engine cuts the connection. */
  #mismatch(actual: string, ended: boolean): void {
    const mismatch = errors.RESPONSE_LENGTH_MISMATCH(this.#expected as number, actual);
    this.#o.log?.warn({ url: this.#req.target }, `webframe ${mismatch.message}: connection cut`);
    this.#expected = undefined;
    if (!ended) this.#abort(ErrorCode.PROTOCOL_ERROR, mismatch.message);
    this.#fail(mismatch);
  }

  /** The webframe has answered in full and wants no more of the request body. */
  onDone(): void {
    clearTimeout(this.#timer);
    this.#drop();
  }

  onAbort(code: number, reason: string): void {
    clearTimeout(this.#timer);
    if (code === ErrorCode.REFUSED_STREAM && !this.#answered && !this.#retried && this.#uploaded === 0) {
      this.#retried = true; // no view saw it: safe to send again on another connection
      this.#stream = undefined;
      return this.#send();
    }
    this.#o.log?.warn(
      { url: this.#req.target, code: errorCodeName(code), reason },
      'webframe aborted the stream',
    );
    const detail = this.#o.debug && reason ? ` (${errorCodeName(code)}: ${reason})` : '';
    this.#fail(errors.HTTP_BAD_GATEWAY(`the webframe ended the request without an answer${detail}`));
  }

  /** Starts watching the abort signal; the upstream timeout runs on while no head came. */
  readonly #watch = (): void => {
    this.#timer = undefined;
    this.#watching = true;
    const signal = this.#req.signal;
    if (signal.aborted) return this.#clientGone();
    signal.addEventListener('abort', this.#clientGone, ONCE);
    const upstream = this.#o.upstreamTimeout;
    if (!this.#answered) this.#timer = setTimeout(this.#timedOut, Math.max(0, upstream - WATCH_SIGNAL_MS));
  };

  /** The head came: the upstream timeout ends, and so does the watch when nothing follows the head. */
  #headCame(complete: boolean): void {
    if (this.#watching || complete) clearTimeout(this.#timer);
  }

  readonly #timedOut = (): void => {
    this.#abort(ErrorCode.TIMEOUT, 'no response head in time');
    this.#fail(errors.HTTP_GATEWAY_TIMEOUT(this.#o.upstreamTimeout));
  };

  readonly #clientGone = (): void => {
    this.#abort(ErrorCode.CANCEL, 'client closed the connection');
    this.#fail(errors.HTTP_CLIENT_CLOSED());
  };

  /** ABORT for the stream; the rest of the request body has nowhere to go then. */
  #abort(code: number, reason: string): void {
    this.#stream?.abort(code, reason);
    this.#drop();
  }

  /** Ends the request with `error`: its reply when none was given yet, else its body (a cut connection). */
  #fail(error: TandemError): void {
    clearTimeout(this.#timer);
    this.#drop();
    if (this.#answered) return this.#body?.fail(error);
    this.#answered = true;
    this.#reject(error);
  }
}

/** Sets `content-length` to `length`, replacing one the webframe sent under another spelling of its name. */
function setContentLength(headers: HeaderMap, length: number): void {
  for (const name in headers) {
    if (name.length === 14 && name !== 'content-length' && name.toLowerCase() === 'content-length')
      delete headers[name];
  }
  headers['content-length'] = String(length);
}

/**
 * The hop-by-hop header names (RFC 9110 §7.6.1), lower case: they describe one connection and are
 * never forwarded, in either direction.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a client may not set for the upstream: the proxy sets them itself. */
const SET_BY_PROXY: ReadonlySet<string> = new Set(['x-forwarded-proto', 'x-forwarded-host']);

/**
 * The request headers to send upstream: `req.headers` without hop-by-hop headers and without any header named
 * in `Connection`, plus `x-forwarded-for` (the client address appended to any value the client sent),
 * `x-forwarded-proto` (the request's scheme) and `x-forwarded-host` (from `Host`).
 */
export function requestHeadersForUpstream(
  req: Pick<HttpRequest, 'headers' | 'client' | 'scheme'>,
): Record<string, string | string[]> {
  const source = req.headers;
  const named = connectionTokens(source.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in source) {
    const value = source[name];
    if (value === undefined || HOP_BY_HOP.has(name) || SET_BY_PROXY.has(name)) continue;
    if (named?.includes(name)) continue;
    out[name] = value;
  }
  const client = req.client.address;
  if (client !== '') {
    const prior = out['x-forwarded-for'];
    // Node joins repeated X-Forwarded-For lines with ', ' already, so `prior` is a string.
    out['x-forwarded-for'] = typeof prior === 'string' && prior.length > 0 ? `${prior}, ${client}` : client;
  }
  out['x-forwarded-proto'] = req.scheme;
  const host = source.host;
  if (typeof host === 'string' && host.length > 0) out['x-forwarded-host'] = host;
  return out;
}

/**
 * The response headers to send to the client: the upstream's headers without hop-by-hop headers and without
 * any header named in the upstream's `Connection`. Names are matched case-insensitively and kept as given.
 */
export function responseHeadersForClient(
  headers: Record<string, string | string[]> | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (headers === undefined) return out;
  let named: string[] | undefined;
  for (const name in headers) {
    if (name.length === 10 && name.toLowerCase() === 'connection') named = connectionTokens(headers[name]);
  }
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (named?.includes(lower)) continue;
    out[name] = value;
  }
  return out;
}

/** The lower-case header names listed in a Connection header (RFC 9110 §7.6.1), or undefined if none. */
function connectionTokens(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.join(',');
  let tokens: string[] | undefined;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 0x2c /* , */) {
      const token = text.slice(start, i).trim().toLowerCase();
      // close and keep-alive are options, not header names; both are hop-by-hop anyway.
      if (token.length > 0 && !HOP_BY_HOP.has(token) && token !== 'close') {
        tokens ??= [];
        tokens.push(token);
      }
      start = i + 1;
    }
  }
  return tokens;
}
