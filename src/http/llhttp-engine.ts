import { open } from 'node:fs/promises';
import { STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import { errors, type TandemError } from '../errors/catalogue.js';
import { pumpFile } from '../file-transfer/file-pump.js';
import type { ConnectionHandler, ConnectionInfo } from '../net/types.js';
import { accessLogEntry } from './access-log.js';
import type { ClientAddress, FileRange, Handler, HeaderMap, HttpReply, HttpRequest } from './handler.js';
import { hostFieldRefusal } from './host-field.js';
import {
  clientAddress,
  DRAIN_QUIET_MS,
  type EngineOptions,
  LINGER_MS,
  SLOW_CLIENT_CHUNK,
  schemeOf,
} from './http-engine.js';
import { parseError } from './parse-error.js';
import { pumpBody } from './pump-body.js';
import {
  bodyLength,
  discardBody,
  failureReply,
  isBodiless,
  isFileRange,
  NO_BODY,
  runHandler,
  withoutBody,
} from './run-handler.js';
import { sentSoFar } from './send-timeout.js';
import { targetAuthority } from './target.js';

/** Node's llhttp binding (`HTTPParser` of `_http_common`), as far as this engine drives it. */
interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | ParserError;
  close(): void;
  [callback: number]: unknown;
  /** The connection the parser reads for; its callbacks are shared by all parsers and call this one. */
  owner?: Connection | undefined;
}
interface ParserError extends Error {
  code?: string;
  reason?: string;
  bytesParsed?: number;
}
interface Binding {
  HTTPParser: {
    new (): Parser;
    REQUEST: number;
    kOnMessageBegin: number;
    kOnHeaders: number;
    kOnHeadersComplete: number;
    kOnBody: number;
    kOnMessageComplete: number;
    kLenientNone: number;
  };
  methods: string[];
}

let binding: Binding | undefined;
let unavailable: string | undefined;
try {
  const loaded = createRequire(import.meta.url)('_http_common') as Partial<Binding>;
  if (typeof loaded.HTTPParser !== 'function' || !Array.isArray(loaded.methods)) {
    unavailable = '_http_common has no HTTPParser';
  } else {
    binding = loaded as Binding;
  }
} catch (err) {
  unavailable = (err as Error).message;
}

/** Why the llhttp binding cannot be used on this Node, or undefined when it can. */
export function llhttpUnavailable(): string | undefined {
  return unavailable;
}

/** Most header fields a request may have; more gets 431 (Apache's LimitRequestFields; node:http drops them). */
const MAX_HEADER_COUNT = 100;
/** Requests a client may have waiting for answers on one connection before the engine stops reading it. */
const MAX_PIPELINED = 16;
/** Request body bytes held for a handler that has not read them before the engine stops reading the socket. */
const BODY_HIGH_WATER = 64 * 1024;
/** A file body up to this size is read whole and written with its head; larger ones are pumped. */
const SMALL_FILE = 64 * 1024;
/** An unread request body up to this size is read and dropped to keep the connection; a larger one closes it. */
const DISCARDED_BODY = 64 * 1024;
/**
 * What on_headers_complete returns for a body the engine reads itself. llhttp takes 1 for "no body, parse
 * the next message at once" (it would read the body as the next head), and 2 for "no body, and stop after
 * this head" (HPE_PAUSED_UPGRADE, which Node's binding turns into a plain return of the bytes parsed): with 2
 * llhttp calls on_message_complete, execute() returns where the body starts, and the same parser then reads
 * the next message from the bytes after the body (checked on Node 20 and 24, llhttp 9.3 and 9.4).
 */
const SKIP_BODY = 2;
/** What #readBody hands back when a read held nothing after the body. */
const EMPTY = Buffer.alloc(0);
/** Parsers kept for reuse by connections to come. */
const FREE_PARSERS = 1000;
/** Methods that are safe (RFC 9110 §9.2.1): pipelined ones may run at once; any other runs alone. */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);
/** Fields of which a request keeps the first when repeated, as node:http does. */
const FIRST_WINS = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'max-forwards',
]);
/** Response fields the engine writes itself: a reply's own are dropped (framing is the engine's, RFC 9112 §6). */
const ENGINE_FIELDS = new Set(['connection', 'transfer-encoding', 'keep-alive', 'content-length']);
/** A field name: a token (RFC 9110 §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a field value or reason phrase may not hold: CR, LF, NUL and other controls but tab (RFC 9110 §5.5). */
const NOT_FIELD_TEXT = /[^\t\x20-\x7e\x80-\xff]/;
/** What makes a field value more than printable ASCII: the quick test, before NOT_FIELD_TEXT. */
const NOT_ASCII_TEXT = /[^\t\x20-\x7e]/;

const freeParsers: Parser[] = [];
/** The async resource of every parser: one object, so that a parser in the free list holds no connection. */
const PARSER_RESOURCE = {};
/** The connection a socket is read by, for the socket listeners every connection shares. */
const CONNECTION = Symbol('connection');
type ServedSocket = Duplex & { [CONNECTION]?: Connection; setNoDelay?(noDelay?: boolean): unknown };
let dateSecond = 0;
let dateText = '';

/** The Date field value for now, made at most once a second (RFC 9110 §6.6.1). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/**
 * The `llhttp` engine: runs `handler` on HTTP/1.1 over raw sockets that Node's own llhttp binding parses,
 * never in lenient mode, with Tandem's own HTTP semantics: keep-alive by version and `Connection`,
 * pipelined requests answered in order (safe methods run at once, any other alone: RFC 9112 §9.3.2), the
 * Host rules (§3.2), request bodies with backpressure and a size limit (413, also before `100 Continue`;
 * a Content-Length body is read by the engine itself, as views of the socket's reads, chunked ones by llhttp),
 * `Expect`, head size and field count limits (431), head, request and idle timeouts, a send timeout, and
 * responses framed by the engine (Content-Length or chunked; none for HEAD, 204, 304) with their fields
 * checked so that no reply can split a response. One access-log entry per request.
 */
export function serveOnLlhttp(handler: Handler, options: EngineOptions): ConnectionHandler {
  if (binding === undefined) throw new Error(`engine llhttp unavailable: ${unavailable}`);
  return new LlhttpEngine(binding, handler, options);
}

/** The connections of one serveOnLlhttp, and the one timer that checks their deadlines. */
class LlhttpEngine implements ConnectionHandler {
  readonly binding: Binding;
  readonly handler: Handler;
  readonly options: EngineOptions;
  /** The connection fields of an HTTP/1.1 answer that keeps the connection, made once. */
  readonly keepAliveLines: string;
  /** Idle connections that still hold a parser, longest idle first: one is taken from them before one is made. */
  readonly parserHolders = new Set<Connection>();
  readonly #connections = new Set<Connection>();
  #timer: NodeJS.Timeout | undefined;
  #draining = false;

  constructor(bound: Binding, handler: Handler, options: EngineOptions) {
    this.binding = bound;
    this.handler = handler;
    this.options = options;
    const seconds = Math.floor(options.limits.keepAliveTimeout / 1000);
    this.keepAliveLines = `Connection: keep-alive\r\nKeep-Alive: timeout=${seconds}\r\n`;
  }

  get draining(): boolean {
    return this.#draining;
  }

  handle(stream: Duplex, info: ConnectionInfo): Promise<void> {
    return new Promise((resolve) => this.serve(stream, info, () => resolve()));
  }

  serve(stream: Duplex, info: ConnectionInfo, done: (stream: Duplex) => void): void {
    const connection = new Connection(this, stream, info, done);
    this.#connections.add(connection);
    this.#watch();
    connection.start();
  }

  /** The connection's socket closed: it is no longer served nor watched. */
  forget(connection: Connection): void {
    this.#connections.delete(connection);
  }

  drain(): void {
    this.#draining = true;
    for (const connection of this.#connections) connection.drain();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.options.onClose?.();
  }

  #watch(): void {
    if (this.#timer !== undefined) return;
    const { headersTimeout, keepAliveTimeout, sendTimeout } = this.options.limits;
    // A quarter of the shortest timeout, half of the send timeout (as SendTimeout checks it).
    const shortest = Math.min(headersTimeout || 1000, keepAliveTimeout || 1000, sendTimeout * 2 || 1000);
    this.#timer = setInterval(
      () => {
        const now = Date.now();
        for (const connection of this.#connections) connection.check(now);
        if (this.#connections.size === 0) {
          clearInterval(this.#timer);
          this.#timer = undefined;
        }
      },
      Math.max(10, Math.min(1000, Math.floor(shortest / 4))),
    );
    this.#timer.unref();
  }
}

/** What a connection waits for from its client, which says what its deadline means. */
enum Wait {
  /** Nothing: every request has come whole and awaits its answer, or the connection is closing. */
  None,
  /** The next request (keep-alive idle): at the deadline the connection is closed quietly. */
  Idle,
  /** The rest of a request's head: at the deadline 408. */
  Head,
  /** The rest of a request's body: at the deadline 408. */
  Body,
}

/**
 * One client connection: its parser, the requests it has sent in order, and what it waits for. An idle one
 * holds as little as it can (a front may hold 10,000 of them): no closure of its own (the socket listeners
 * and parser callbacks are shared), no parser once idle, nothing of its last request.
 */
class Connection {
  readonly #engine: LlhttpEngine;
  readonly #socket: ServedSocket;
  readonly #info: ConnectionInfo;
  readonly #exchanges: Exchange[] = [];
  #parser: Parser | undefined;
  /** Told once the socket has closed, or all is sent after the engine ended it (ConnectionHandler.serve). */
  #done: ((stream: Duplex) => void) | undefined;
  #inMessage = false;
  /** Head fields llhttp flushed before the head was complete (more than 32, or a head in many reads). */
  #partialHeaders: string[] | undefined;
  #partialUrl = '';
  /** The request whose body is being received. */
  #receiving: Exchange | undefined;
  /** No more requests are read: one said `Connection: close`, was refused, or the server drains. */
  #closing = false;
  #wait = Wait.Head;
  #deadline = 0;
  #requestDeadline = 0;
  #lastByte = 0;
  /** What the client had taken of the output (sentSoFar) when last checked, and since when (Date.now()). */
  #sent = 0;
  #sentAt = 0;
  #paused = false;
  /** The request being parsed came after one that closes the connection: it is not served. */
  #ignoring = false;
  /** The last request asked for an Upgrade: llhttp stops after its head, and is started afresh. */
  #upgraded = false;
  /**
   * Bytes still to come of a Content-Length body that the engine reads itself: llhttp was told the message
   * has none (on_headers_complete returned SKIP_BODY), so the body reaches the handler as slices of the
   * socket's reads rather than as the binding's copies, and the parser takes up again after it.
   */
  #bodyLeft = 0;

  constructor(engine: LlhttpEngine, socket: Duplex, info: ConnectionInfo, done: (stream: Duplex) => void) {
    this.#engine = engine;
    this.#socket = socket;
    this.#info = info;
    this.#done = done;
  }

  get engine(): LlhttpEngine {
    return this.#engine;
  }

  get socket(): Duplex {
    return this.#socket;
  }

  /** The client's address, made anew on each call (an idle connection keeps only its ConnectionInfo). */
  get client(): ClientAddress {
    return clientAddress(this.#info.remoteAddress, this.#info.remotePort);
  }

  /** Serves the socket; `done` is called once it has closed, or once all is sent after the engine ended it. */
  start(): void {
    const socket = this.#socket;
    socket[CONNECTION] = this;
    // A response is one write: Nagle would hold it for the client's delayed ACK (node:http sets it too).
    socket.setNoDelay?.(true);
    this.#sent = sentSoFar(socket);
    this.#sentAt = Date.now();
    socket.on('data', Connection.#onData);
    socket.on('end', Connection.#onEnd);
    socket.on('close', Connection.#onClose);
    this.#expect(Wait.Head, this.#engine.options.limits.headersTimeout);
    if (this.#engine.draining) this.drain();
  }

  /** Tells the server, once, that the engine is done with the connection. */
  #release(): void {
    const done = this.#done;
    this.#done = undefined;
    done?.(this.#socket);
  }

  static readonly #onData = function (this: ServedSocket, data: Buffer): void {
    (this[CONNECTION] as Connection).#read(data);
  };

  static readonly #onEnd = function (this: ServedSocket): void {
    (this[CONNECTION] as Connection).#clientEnded();
  };

  static readonly #onClose = function (this: ServedSocket): void {
    const connection = this[CONNECTION];
    if (connection === undefined) return;
    this[CONNECTION] = undefined;
    connection.#engine.forget(connection);
    connection.#closed();
    connection.#release();
  };

  /** Sets what the connection waits for and when it gives up (0: never). */
  #expect(wait: Wait, ms: number): void {
    this.#wait = wait;
    this.#deadline = ms > 0 ? Date.now() + ms : 0;
  }

  #read(data: Buffer): void {
    this.#lastByte = Date.now();
    if (this.#wait === Wait.Idle) this.#engine.parserHolders.delete(this);
    // RFC 9112 §9.6: what follows a request that closes the connection is not read.
    if (this.#closing && !this.#inMessage) return;
    let rest = data;
    for (;;) {
      if (this.#bodyLeft > 0) {
        rest = this.#readBody(rest);
        if (rest.length === 0 || (this.#closing && !this.#inMessage)) break;
      }
      const parser = this.#parser ?? this.#takeParser();
      const result = parser.execute(rest);
      if (typeof result !== 'number') {
        this.#refuse(result, rest);
        break;
      }
      if (this.#upgraded) return this.#afterUpgrade(rest.subarray(result));
      // llhttp stops after a head whose body the engine reads; otherwise it took all of `rest`.
      if (this.#bodyLeft === 0 || result === rest.length) break;
      rest = rest.subarray(result);
    }
    // Handlers start only now: llhttp checks some of a head (Transfer-Encoding) after on_headers_complete,
    // and a head it refuses must reach no handler.
    if (this.#exchanges.length === 1) this.#startReady();
    else if (this.#exchanges.length > 1) {
      // Pipelined requests: the answers made in this turn leave in one write.
      this.#socket.cork();
      this.#startReady();
      this.#socket.uncork();
    } else if (!this.#inMessage && !this.#closing) this.#idle();
  }

  /**
   * Takes the next bytes of a Content-Length body read by the engine (no copy: the handler gets a view of the
   * socket's read, which no later read overwrites) and returns what follows it in `data`. The handler's
   * RequestBody keeps backpressure and the body limit as for llhttp's chunks; once the body is whole the
   * message is complete, and the parser reads what follows.
   */
  #readBody(data: Buffer): Buffer {
    const n = Math.min(this.#bodyLeft, data.length);
    this.#bodyLeft -= n;
    this.#receiving?.received(n === data.length ? data : data.subarray(0, n));
    if (this.#bodyLeft === 0) this.#messageComplete();
    return n === data.length ? EMPTY : data.subarray(n);
  }

  /** The parser stopped after a head that asked for an Upgrade: the rest is read by a parser started afresh. */
  #afterUpgrade(rest: Buffer): void {
    this.#upgraded = false;
    if (this.#inMessage) this.#messageComplete();
    this.#releaseParser();
    if (rest.length > 0) this.#read(rest);
    else if (this.#exchanges.length > 0) this.#startReady();
  }

  /** A request starts: it has headersTimeout for its head, requestTimeout in all; none once closing. */
  #messageBegin(): number {
    this.#ignoring = this.#closing;
    this.#inMessage = true;
    this.#partialHeaders = undefined;
    this.#partialUrl = '';
    const { headersTimeout, requestTimeout } = this.#engine.options.limits;
    this.#expect(Wait.Head, headersTimeout);
    this.#requestDeadline = requestTimeout > 0 ? Date.now() + requestTimeout : 0;
    return 0;
  }

  /**
   * A parser for this connection: a free one, else the one the longest idle connection holds (so a burst of
   * new connections does not make a parser each while idle ones keep theirs), else a new one.
   */
  #takeParser(): Parser {
    const { HTTPParser } = this.#engine.binding;
    if (freeParsers.length === 0) {
      const holder: Connection | undefined = this.#engine.parserHolders.values().next().value;
      if (holder !== undefined) holder.#releaseParser();
    }
    const parser = freeParsers.pop() ?? Connection.#newParser(HTTPParser);
    parser.initialize(
      HTTPParser.REQUEST,
      PARSER_RESOURCE,
      this.#engine.options.limits.maxHeaderSize,
      HTTPParser.kLenientNone,
    );
    parser.owner = this;
    this.#parser = parser;
    return parser;
  }

  static #newParser(HTTPParser: Binding['HTTPParser']): Parser {
    const parser = new HTTPParser();
    parser[HTTPParser.kOnMessageBegin] = Connection.#onMessageBegin;
    parser[HTTPParser.kOnHeaders] = Connection.#onHeaders;
    parser[HTTPParser.kOnHeadersComplete] = Connection.#onHeadersComplete;
    parser[HTTPParser.kOnBody] = Connection.#onBody;
    parser[HTTPParser.kOnMessageComplete] = Connection.#onMessageComplete;
    return parser;
  }

  static readonly #onMessageBegin = function (this: Parser): number {
    return (this.owner as Connection).#messageBegin();
  };

  static readonly #onHeaders = function (this: Parser, headers: string[], url: string): void {
    const owner = this.owner as Connection;
    owner.#partialHeaders ??= [];
    owner.#partialHeaders.push(...headers);
    owner.#partialUrl += url;
  };

  static readonly #onHeadersComplete = function (
    this: Parser,
    major: number,
    minor: number,
    headers: string[] | undefined,
    method: number,
    url: string | undefined,
    _status: unknown,
    _message: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number {
    return (this.owner as Connection).#headersComplete(
      major,
      minor,
      headers,
      method,
      url,
      upgrade,
      keepAlive,
    );
  };

  static readonly #onBody = function (this: Parser, chunk: Buffer): void {
    (this.owner as Connection).#receiving?.received(chunk);
  };

  static readonly #onMessageComplete = function (this: Parser): number {
    return (this.owner as Connection).#messageComplete();
  };

  /**
   * Gives the parser back. Never called from inside parser.execute() (a socket's 'close' comes on a later
   * tick), so one past the free list can be deleted at once, as node:http's closeParserInstance does.
   */
  #releaseParser(): void {
    const parser = this.#parser;
    if (parser === undefined) return;
    this.#parser = undefined;
    this.#engine.parserHolders.delete(this);
    parser.owner = undefined;
    if (freeParsers.length < FREE_PARSERS) freeParsers.push(parser);
    else parser.close();
  }

  #headersComplete(
    major: number,
    minor: number,
    rawHeaders: string[] | undefined,
    methodIndex: number,
    url: string | undefined,
    upgrade: boolean,
    keepAlive: boolean,
  ): number {
    if (this.#ignoring) return 0;
    let raw = rawHeaders;
    let target = url ?? '';
    if (this.#partialHeaders !== undefined || this.#partialUrl !== '') {
      raw = [...(this.#partialHeaders ?? []), ...(raw ?? [])];
      target = this.#partialUrl + target;
      this.#partialHeaders = undefined;
      this.#partialUrl = '';
    }
    const method = this.#engine.binding.methods[methodIndex] ?? 'GET';
    const version = `${major}.${minor}`;
    const { headers, hosts, count } = headerMap(raw ?? []);
    const exchange = new Exchange(this, method, target, version, headers);
    this.#exchanges.push(exchange);
    this.#receiving = exchange;
    this.#wait = Wait.Body;
    this.#deadline = this.#requestDeadline;
    // RFC 9112 §6.1: a Transfer-Encoding in an HTTP/1.0 request may have framed it wrongly; close after it.
    const te10 = version === '1.0' && headers['transfer-encoding'] !== undefined;
    if (!keepAlive || te10 || this.#engine.draining || this.#engine.options.closeEachConnection) {
      exchange.closes = true;
      this.#closing = true;
    }
    // No Upgrade is supported yet (RFC 9110 §7.8 lets a server ignore it): the request is answered as
    // HTTP/1.1 and the connection goes on as HTTP/1.1.
    if (upgrade) this.#upgraded = true;
    const refusal = refusalOf(exchange, hosts, count, this.#engine.options.maxBodySize);
    if (refusal !== undefined) {
      exchange.closes = true;
      this.#closing = true;
      exchange.refuse(refusal);
    } else if (headers.expect !== undefined && version !== '1.0') {
      exchange.continues = true;
    }
    if (this.#exchanges.length >= MAX_PIPELINED) this.pause();
    // A body framed by Content-Length alone is read by the engine (#readBody). Chunked bodies, refused requests
    // (their body is read and dropped after the answer) and Upgrade requests stay with llhttp.
    const length = exchange.declaredLength;
    const chunked = headers['transfer-encoding'] !== undefined;
    if (refusal === undefined && !upgrade && !chunked && length > 0 && Number.isSafeInteger(length)) {
      this.#bodyLeft = length;
      return SKIP_BODY;
    }
    return 0;
  }

  #messageComplete(): number {
    // llhttp calls it right after a head it was told has no body: the message goes on while #readBody reads it.
    if (this.#bodyLeft > 0) return 0;
    this.#inMessage = false;
    // Trailer fields come through kOnHeaders too; they are dropped (RFC 9112 §7.1.2 lets a recipient).
    this.#partialHeaders = undefined;
    this.#partialUrl = '';
    if (this.#ignoring) return 0;
    const exchange = this.#receiving;
    this.#receiving = undefined;
    exchange?.received(undefined);
    this.#requestDeadline = 0;
    this.#expect(Wait.None, 0);
    return 0;
  }

  /** Answers a request llhttp refused, in its turn, and reads nothing more from the connection. */
  #refuse(failure: ParserError, data: Buffer): void {
    const wasClosing = this.#closing;
    this.#closing = true;
    this.#inMessage = false;
    this.#expect(Wait.None, 0);
    const receiving = this.#receiving;
    if (receiving === undefined && (wasClosing || failure.code === 'HPE_CLOSED_CONNECTION')) {
      return; // bytes after a request that closes the connection: ignored, as #read ignores them
    }
    if (receiving !== undefined) {
      // Its head was accepted, its body is malformed (a bad chunk): the handler's read fails, the client gets
      // the 400 if no answer has started.
      this.#receiving = undefined;
      receiving.closes = true;
      receiving.bodyFailed(parseError(failure, undefined));
      return;
    }
    this.#answerUnread(parseError(failure, data));
  }

  /**
   * Answers `error` in its turn for bytes that never became a request (a head llhttp refused, a head that did
   * not come in time), then closes; nothing is logged, as no request was made.
   */
  #answerUnread(error: TandemError): void {
    const exchange = new Exchange(this, 'GET', '*', '1.1', {});
    exchange.closes = true;
    exchange.logged = false;
    this.#exchanges.push(exchange);
    exchange.refuse(error);
    this.#startReady();
  }

  /**
   * The client sent its FIN. The socket is not half-open (as under node:http): it ends too, and what is still
   * unanswered is abandoned when it closes (499, as nginx logs a client that closed first).
   */
  #clientEnded(): void {
    this.#closing = true;
    if (this.#inMessage && this.#receiving === undefined) {
      // It ended within a head: nothing to answer.
      return void this.#socket.destroy();
    }
    this.#receiving?.bodyFailed(errors.HTTP_BAD_REQUEST('the connection ended within the request body'));
    if (this.#exchanges.length === 0) this.#socket.end();
  }

  /** Starts each waiting exchange that may run now (RFC 9112 §9.3.2) and writes the one at the head. */
  #startReady(): void {
    const exchanges = this.#exchanges;
    let allSafe = true;
    for (let i = 0; i < exchanges.length; i++) {
      const exchange = exchanges[i] as Exchange;
      const safe = SAFE.has(exchange.method);
      if (!exchange.started && (i === 0 || (safe && allSafe))) exchange.run();
      allSafe &&= safe;
      if (!allSafe) break;
    }
    exchanges[0]?.becameHead();
  }

  /** Whether `exchange` is the one whose response goes on the wire now. */
  isHead(exchange: Exchange): boolean {
    return this.#exchanges[0] === exchange;
  }

  /** Called by the exchange at the head once its response is complete. */
  finished(exchange: Exchange): void {
    if (this.#exchanges[0] !== exchange) return;
    this.#exchanges.shift();
    if (exchange.closes) {
      for (const rest of this.#exchanges.splice(0)) rest.abandon();
      this.#closing = true;
      return void this.#end();
    }
    this.resume();
    if (this.#exchanges.length > 0) return this.#startReady();
    // Length 0 gives the array's backing store back (shift() keeps it): an idle connection holds none.
    this.#exchanges.length = 0;
    if (this.#closing) return void this.#end();
    if (!this.#inMessage) this.#idle();
  }

  #idle(): void {
    this.#expect(Wait.Idle, this.#engine.options.limits.keepAliveTimeout);
    if (this.#parser !== undefined) this.#engine.parserHolders.add(this);
    if (this.#engine.draining) this.#closeWhenQuiet();
  }

  #end(): void {
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    // Once all is sent the connection is done (handle() resolves: the loop model's next client may start);
    // a client that never closes its side is let go of after a while.
    socket.end(() => {
      this.#release();
      setTimeout(() => socket.destroy(), LINGER_MS).unref();
    });
  }

  /** Stops reading the socket: a handler holds BODY_HIGH_WATER unread bytes, or too many requests wait. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  /** Reads the socket again, unless too many requests still wait. */
  resume(): void {
    if (!this.#paused || this.#exchanges.length >= MAX_PIPELINED) return;
    this.#paused = false;
    this.#socket.resume();
  }

  /** Graceful close: answer what came, close when idle and quiet (see the node engine for why quiet). */
  drain(): void {
    if (this.#exchanges.length > 0) {
      this.#closing = true;
      this.#exchanges.at(-1)?.markClosing();
      return;
    }
    if (!this.#inMessage) this.#closeWhenQuiet();
  }

  #closeWhenQuiet(): void {
    this.#expect(Wait.Idle, 0);
    const check = () => {
      if (this.#wait !== Wait.Idle || this.#socket.destroyed) return;
      const quiet = Date.now() - this.#lastByte;
      if (quiet >= DRAIN_QUIET_MS) return void this.#end();
      setTimeout(check, DRAIN_QUIET_MS - quiet).unref();
    };
    check();
  }

  /**
   * Acts on the deadline if it passed: an idle connection closes, a slow request gets 408; and on the send
   * timeout (nginx's `send_timeout`, as SendTimeout keeps it for the node engine): a client that took none
   * of the bytes it has to take for `sendTimeout` ms is cut.
   */
  check(now: number): void {
    const { sendTimeout, onSendTimeout } = this.#engine.options.limits;
    if (sendTimeout > 0) {
      const socket = this.#socket;
      const sent = sentSoFar(socket);
      if (socket.writableLength === 0 || sent > this.#sent) {
        this.#sent = sent;
        this.#sentAt = now;
      } else if (now - this.#sentAt >= sendTimeout) {
        onSendTimeout?.(socket);
        return void socket.destroy();
      }
    }
    if (this.#deadline === 0 || now < this.#deadline) {
      if (this.#wait === Wait.Idle && this.#parser !== undefined && !this.#inMessage) this.#releaseParser();
      return;
    }
    this.#deadline = 0;
    if (this.#wait === Wait.Idle) return void this.#end();
    if (this.#wait === Wait.None) return;
    const { headersTimeout, requestTimeout } = this.#engine.options.limits;
    const error = errors.HTTP_REQUEST_TIMEOUT(this.#wait === Wait.Head ? headersTimeout : requestTimeout);
    this.#closing = true;
    const receiving = this.#receiving;
    this.#receiving = undefined;
    if (receiving !== undefined) {
      receiving.closes = true;
      receiving.bodyFailed(error);
      // Answered already (its body was being dropped): nothing more can come on this connection.
      if (receiving.done) return void this.#end();
      if (receiving.started) return;
    }
    if (this.#exchanges.some((exchange) => exchange.responding)) return void this.#socket.destroy();
    for (const waiting of this.#exchanges.splice(0)) waiting.abandon();
    this.#answerUnread(error);
  }

  /** The socket closed: every exchange still open is told, the parser goes back to the free list. */
  #closed(): void {
    this.#releaseParser();
    for (const exchange of this.#exchanges.splice(0)) exchange.abandon();
    this.#receiving?.bodyFailed(errors.HTTP_CLIENT_CLOSED());
  }
}

/** What a request's head makes of its fields: the map a handler sees, its Host values, its field count. */
function headerMap(raw: string[]): { headers: HeaderMap; hosts: number; count: number } {
  const headers: HeaderMap = {};
  let hosts = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    if (name === 'host') hosts++;
    const seen = headers[name];
    if (seen === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(seen)) seen.push(value);
    else if (!FIRST_WINS.has(name) && name !== 'host') {
      headers[name] = `${seen}${name === 'cookie' ? '; ' : ', '}${value}`;
    }
  }
  return { headers, hosts, count: raw.length / 2 };
}

/** Why a request whose head llhttp accepted is refused before its handler runs, if it is. */
function refusalOf(
  exchange: Exchange,
  hosts: number,
  count: number,
  maxBodySize: number | undefined,
): TandemError | undefined {
  const { method, version, headers } = exchange;
  if (count > MAX_HEADER_COUNT) return errors.HTTP_HEADERS_TOO_LARGE();
  const hostRefusal = hostFieldRefusal(hosts, version);
  if (hostRefusal !== undefined) return hostRefusal;
  if (method === 'CONNECT') return errors.HTTP_NOT_IMPLEMENTED('CONNECT');
  const authority = targetAuthority(exchange.target);
  if (authority !== undefined) headers.host = authority;
  else if (exchange.target === '*' && method !== 'OPTIONS') {
    return errors.HTTP_BAD_REQUEST('the target * is only for OPTIONS');
  }
  const expect = headers.expect;
  if (expect !== undefined && String(expect).toLowerCase() !== '100-continue') {
    return errors.HTTP_EXPECTATION_FAILED(String(expect));
  }
  if (maxBodySize !== undefined && exchange.declaredLength > maxBodySize) {
    return errors.HTTP_PAYLOAD_TOO_LARGE(maxBodySize);
  }
  return undefined;
}

/**
 * One request on a connection and its response: the HttpRequest a handler sees (its body fed by the parser,
 * pulled with backpressure), the reply once it comes, written when the exchange is at the head of its
 * connection's queue, and its access-log entry.
 */
class Exchange implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly version: string;
  readonly headers: HeaderMap;
  readonly declaredLength: number;
  readonly bodyless: boolean;
  /** The response closes the connection (the request said so, was refused, or the server drains). */
  closes = false;
  /** `Expect: 100-continue` not yet answered. */
  continues = false;
  /** False for a refusal that is not a request (a garbled head): not logged. */
  logged = true;
  started = false;
  responding = false;
  readonly #connection: Connection;
  readonly #time = new Date();
  #reply: HttpReply | undefined;
  #done = false;
  #bytes = 0;
  #status = 499;
  #controller: AbortController | undefined;
  #body: RequestBody | undefined;
  #client: ClientAddress | undefined;
  #logPending = false;
  #logWritten = false;

  constructor(connection: Connection, method: string, target: string, version: string, headers: HeaderMap) {
    this.#connection = connection;
    this.method = method;
    this.target = target;
    this.version = version;
    this.headers = headers;
    const length = headers['content-length'];
    this.declaredLength = length === undefined ? 0 : Number(length);
    this.bodyless = headers['transfer-encoding'] === undefined && this.declaredLength === 0;
  }

  get scheme(): string {
    return schemeOf(this.#connection.socket);
  }

  /** True once the response is complete, or will never be sent. */
  get done(): boolean {
    return this.#done;
  }

  get client(): ClientAddress {
    this.#client ??= this.#connection.client;
    return this.#client;
  }

  get body(): AsyncIterable<Uint8Array> {
    if (this.bodyless) return NO_BODY;
    this.#body ??= new RequestBody(this.#connection, this.#connection.engine.options.maxBodySize);
    return this.#body;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#connection.socket.destroyed && !this.#done) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** Body bytes from the parser; undefined when the body is complete. */
  received(chunk: Buffer | undefined): void {
    if (this.bodyless) return;
    this.#body ??= new RequestBody(this.#connection, this.#connection.engine.options.maxBodySize);
    if (chunk === undefined) this.#body.end();
    else this.#body.push(chunk);
  }

  /** The body cannot complete: a handler reading it gets `error`. */
  bodyFailed(error: TandemError): void {
    this.#body ??= new RequestBody(this.#connection, this.#connection.engine.options.maxBodySize);
    this.#body.fail(error);
    if (!this.started) this.refuse(error);
  }

  /** Runs the handler; its reply is written once this exchange is at the head. */
  run(): void {
    if (this.started) return;
    this.started = true;
    const { handler, options } = this.#connection.engine;
    const reply = runHandler(handler, this, options.onError);
    if (reply instanceof Promise) reply.then((value) => this.#replied(value));
    else this.#replied(reply);
  }

  /** Answers with the error page of `error` instead of running the handler. */
  refuse(error: TandemError): void {
    if (this.started) return;
    this.started = true;
    this.#replied(failureReply(error, this));
  }

  /** The response goes out with `Connection: close` (the server drains). */
  markClosing(): void {
    this.closes = true;
  }

  becameHead(): void {
    if (this.continues && this.started) this.#sendContinue();
    if (this.#reply !== undefined && !this.responding) this.#write(this.#reply);
  }

  /** The connection is gone or closed before this exchange's turn: nothing is sent; the handler is told. */
  abandon(): void {
    if (this.#done) return;
    this.#controller?.abort();
    if (this.#reply !== undefined && !this.responding) discardBody(this.#reply.body);
    this.#finish();
  }

  #sendContinue(): void {
    this.continues = false;
    if (!this.responding) this.#connection.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
  }

  #replied(reply: HttpReply): void {
    if (this.#done) return discardBody(reply.body);
    this.#reply = reply;
    if (this.#connection.isHead(this)) this.#write(reply);
  }

  #write(reply: HttpReply): void {
    this.responding = true;
    this.continues = false;
    if (!this.bodyless && this.#body?.complete !== true) {
      // The rest of the body will come: a short one is read and dropped, a longer one closes the connection.
      if (this.declaredLength > 0 && this.declaredLength <= DISCARDED_BODY) this.#bodyOf().discard();
      else this.closes = true;
    }
    if (reply.status === 413) this.closes = true;
    const socket = this.#connection.socket;
    if (socket.destroyed) return this.abandon();
    const bodiless = isBodiless(this.method, reply.status);
    const sent = bodiless ? withoutBody(reply, this.method) : reply;
    const body = bodiless ? null : sent.body;
    let head: string;
    let framing: Framing;
    try {
      [head, framing] = this.#head(sent, bodiless);
    } catch (err) {
      discardBody(body);
      return this.#failed(err);
    }
    this.#status = sent.status;
    if (body === null || body === undefined) {
      socket.write(head, 'latin1', this.#logWhenFlushed());
      return this.#finish();
    }
    if (typeof body === 'string') {
      this.#bytes = framing.length ?? 0;
      if (framing.latin1) writeTogether(socket, head, Buffer.from(body), this.#logWhenFlushed());
      else socket.write(head + body, this.#logWhenFlushed());
      return this.#finish();
    }
    if (body instanceof Uint8Array) {
      this.#bytes = body.byteLength;
      writeTogether(socket, head, body, this.#logWhenFlushed());
      return this.#finish();
    }
    if (isFileRange(body) && body.end - body.start < SMALL_FILE) {
      readRange(body).then(
        (bytes) => {
          if (socket.destroyed) return this.abandon();
          this.#bytes = bytes.byteLength;
          writeTogether(socket, head, bytes, this.#logWhenFlushed());
          this.#finish();
        },
        (err: unknown) => this.#failed(err),
      );
      return;
    }
    socket.write(head, 'latin1');
    const out = new BodyWriter(socket, framing.chunked, (n) => (this.#bytes += n));
    const sending = isFileRange(body)
      ? pumpFile(body.path, body.start, body.end, out, { slowChunkSize: SLOW_CLIENT_CHUNK })
      : pumpBody(body, out);
    sending.then(
      () => (framing.length !== undefined && this.#bytes !== framing.length ? this.#cut() : this.#finish()),
      () => this.#cut(),
    );
  }

  #bodyOf(): RequestBody {
    this.#body ??= new RequestBody(this.#connection, this.#connection.engine.options.maxBodySize);
    return this.#body;
  }

  /** Answers the error page of `error` in place of a reply whose head could not be made or whose file failed. */
  #failed(error: unknown): void {
    this.responding = false;
    this.#write(failureReply(error, this, this.#connection.engine.options.onError));
  }

  /** The status line and fields of `reply`, and how its body is framed. Throws on a field that is not valid. */
  #head(reply: HttpReply, bodiless: boolean): [string, Framing] {
    const status = reply.status;
    let head = statusLine(status, reply.reason);
    const fields = fieldLines(reply.headers ?? NO_FIELDS);
    if (fields.closes) this.closes = true;
    head += fields.text;
    const { hasDate, latin1, length: given } = fields;
    // The fields the engine writes itself are spelled as node:http spells them.
    if (!hasDate) head += `Date: ${httpDate()}\r\n`;
    const framing: Framing = { length: undefined, chunked: false, latin1 };
    const length = bodyLength(reply.body) ?? (given === undefined ? undefined : Number(given));
    const sized = length !== undefined && Number.isSafeInteger(length) && length >= 0;
    if (!bodiless) {
      if (sized) framing.length = length;
      else if (reply.body == null) framing.length = 0;
      else if (this.version === '1.1') framing.chunked = true;
      else this.closes = true; // HTTP/1.0: the body ends with the connection (RFC 9112 §6.3).
      if (framing.length !== undefined) head += `Content-Length: ${framing.length}\r\n`;
    } else if (sized && (this.method === 'HEAD' || status === 304)) {
      // A HEAD or 304 tells the length the body would have (RFC 9110 §8.6); a 204 or 1xx has none.
      head += `Content-Length: ${length}\r\n`;
    }
    if (this.closes) head += 'Connection: close\r\n';
    else if (this.version === '1.0') head += 'Connection: keep-alive\r\n';
    else head += this.#connection.engine.keepAliveLines;
    if (framing.chunked) head += 'Transfer-Encoding: chunked\r\n';
    return [`${head}\r\n`, framing];
  }

  /** Ends a response that started but cannot complete: the client sees it cut short, never passed off as whole. */
  #cut(): void {
    this.closes = true;
    this.#finish();
  }

  #finish(): void {
    if (this.#done) return;
    this.#done = true;
    if (!this.#logPending) this.#log();
    this.#connection.finished(this);
  }

  /**
   * The callback for the last write of a response in memory: the entry is logged once the client took it (or
   * the socket failed), so a client cut by the send timeout is logged when it is cut, not when the bytes
   * were queued. Undefined when there is no access log.
   */
  #logWhenFlushed(): (() => void) | undefined {
    if (!this.logged || this.#connection.engine.options.accessLog === undefined) return undefined;
    this.#logPending = true;
    return () => {
      this.#logPending = false;
      this.#log();
    };
  }

  #log(): void {
    if (!this.logged || this.#logWritten) return;
    this.#logWritten = true;
    this.#connection.engine.options.accessLog?.(accessLogEntry(this, this.#time, this.#status, this.#bytes));
  }
}

/** What a reply's own fields make of its head: their lines, checked, and what the engine must know of them. */
interface FieldLines {
  readonly text: string;
  /** The reply's own content-length, if it gave one. */
  readonly length: string | string[] | undefined;
  readonly hasDate: boolean;
  /** It said `Connection: close`. */
  readonly closes: boolean;
  /** A value has bytes beyond ASCII (written as latin-1). */
  readonly latin1: boolean;
}

const NO_FIELDS: HeaderMap = Object.freeze({});
/** The lines of header maps that cannot change (the static layer's kept replies are frozen), made once. */
const frozenFieldLines = new WeakMap<HeaderMap, FieldLines>();
/** Status lines with their standard reason phrase, by status. */
const statusLines: string[] = [];

/** `HTTP/1.1 200 OK` and CRLF; throws on a status out of range or a reason phrase that is not field text. */
function statusLine(status: number, reason: string | undefined): string {
  if (!Number.isInteger(status) || status < 100 || status > 999) {
    throw new Error(`invalid status code ${status}`);
  }
  if (reason === undefined) {
    statusLines[status] ??= `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    return statusLines[status];
  }
  if (NOT_FIELD_TEXT.test(reason)) throw new Error(`invalid reason phrase for ${status}`);
  return `HTTP/1.1 ${status} ${reason}\r\n`;
}

/** The lines of a reply's own fields but those the engine writes; throws on a name or value not allowed. */
function fieldLines(headers: HeaderMap): FieldLines {
  const frozen = Object.isFrozen(headers);
  const kept = frozen ? frozenFieldLines.get(headers) : undefined;
  if (kept !== undefined) return kept;
  let text = '';
  let length: string | string[] | undefined;
  let hasDate = false;
  let closes = false;
  let latin1 = false;
  for (const name in headers) {
    const value = headers[name] as string | string[];
    if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
    // Names are lower-case by the contract, but the http.server API keeps the case a class wrote.
    const lower = name.toLowerCase();
    if (lower === 'content-length') length = value;
    else if (lower === 'date') hasDate = true;
    else if (lower === 'connection' && /\bclose\b/i.test(String(value))) closes = true;
    if (ENGINE_FIELDS.has(lower)) continue;
    for (const item of Array.isArray(value) ? value : [value]) {
      const line = String(item);
      if (NOT_ASCII_TEXT.test(line)) {
        if (NOT_FIELD_TEXT.test(line)) throw new Error(`invalid character in header ${name}`);
        latin1 = true;
      }
      text += `${name}: ${line}\r\n`;
    }
  }
  const lines = { text, length, hasDate, closes, latin1 };
  if (frozen) frozenFieldLines.set(headers, lines);
  return lines;
}

/** How a response's body is delimited: a known length, chunked, or (neither) the connection's close. */
interface Framing {
  length: number | undefined;
  chunked: boolean;
  /** The head has bytes beyond ASCII: it is written as latin-1 (as node:http writes heads), apart from its body. */
  latin1: boolean;
}

/**
 * A request body as the handler reads it: chunks the parser gave, held until pulled. Past BODY_HIGH_WATER
 * unread bytes the connection stops reading its socket, and reads again once the handler has caught up.
 */
class RequestBody implements AsyncIterable<Uint8Array> {
  readonly #connection: Connection;
  readonly #max: number;
  readonly #chunks: Buffer[] = [];
  #held = 0;
  #received = 0;
  #ended = false;
  #error: TandemError | undefined;
  #wake: (() => void) | undefined;
  #iterated = false;
  #discarding = false;

  constructor(connection: Connection, max: number | undefined) {
    this.#connection = connection;
    this.#max = max ?? Number.POSITIVE_INFINITY;
  }

  /** True once the whole body came from the client. */
  get complete(): boolean {
    return this.#ended;
  }

  push(chunk: Buffer): void {
    this.#received += chunk.length;
    if (this.#discarding || this.#error !== undefined) return;
    if (this.#received > this.#max) return this.fail(errors.HTTP_PAYLOAD_TOO_LARGE(this.#max));
    this.#chunks.push(chunk);
    this.#held += chunk.length;
    if (this.#held > BODY_HIGH_WATER) this.#connection.pause();
    this.#wakeUp();
  }

  end(): void {
    this.#ended = true;
    this.#wakeUp();
  }

  /** Nobody will read the rest: what comes is dropped, what is held let go of. */
  discard(): void {
    this.#discarding = true;
    this.#chunks.length = 0;
    this.#held = 0;
    this.#connection.resume();
  }

  fail(error: TandemError): void {
    this.#error ??= error;
    this.#wakeUp();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterated) throw new Error('a request body can be read once');
    this.#iterated = true;
    for (;;) {
      if (this.#error !== undefined) throw this.#error;
      const chunk = this.#chunks.shift();
      if (chunk !== undefined) {
        this.#held -= chunk.length;
        if (this.#held <= BODY_HIGH_WATER) this.#connection.resume();
        yield chunk;
        continue;
      }
      if (this.#ended) return;
      this.#connection.resume();
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/**
 * The writable end a body is sent through: its bytes go to the socket as they are (a known length) or as
 * chunks (RFC 9112 §7.1); ending it writes the last chunk, never ends the socket.
 */
class BodyWriter extends Writable {
  readonly #socket: Duplex;
  readonly #chunked: boolean;
  readonly #counted: (bytes: number) => void;

  constructor(socket: Duplex, chunked: boolean, counted: (bytes: number) => void) {
    super({ highWaterMark: 64 * 1024 });
    this.#socket = socket;
    this.#chunked = chunked;
    this.#counted = counted;
    // A kept-alive socket carries many bodies: the listener goes with this one.
    const destroy = () => this.destroy();
    socket.once('close', destroy);
    this.once('close', () => socket.off('close', destroy));
  }

  override _write(chunk: Buffer, _encoding: string, done: (error?: Error | null) => void): void {
    if (this.#socket.destroyed) return done(new Error('the client closed the connection'));
    this.#counted(chunk.length);
    if (!this.#chunked) {
      if (this.#socket.write(chunk)) done();
      else this.#socket.once('drain', () => done());
      return;
    }
    this.#socket.cork();
    this.#socket.write(`${chunk.length.toString(16)}\r\n`);
    this.#socket.write(chunk);
    const more = this.#socket.write('\r\n');
    this.#socket.uncork();
    if (more) done();
    else this.#socket.once('drain', () => done());
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.#chunked && !this.#socket.destroyed) this.#socket.write('0\r\n\r\n');
    done();
  }
}

/** Bytes [start, end] of a file, read whole: for a range small enough to go out with its head in one write. */
async function readRange({ path, start, end }: FileRange): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const length = end - start + 1;
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await file.read(buffer, read, length - read, start + read);
      if (bytesRead === 0) throw new Error(`${path} is shorter than its range ${start}-${end}`);
      read += bytesRead;
    }
    return buffer;
  } finally {
    await file.close();
  }
}

/** A body up to this size is copied beside its head into one buffer; a larger one goes in a corked writev. */
const ONE_COPY = 16 * 1024;

/**
 * Where small responses are put together: one buffer, used again as long as each write that used it was done
 * before write() returned (the kernel took it all, so no write still points into it). A write left pending
 * keeps it, and the next response gets a new one. A 4 KiB file's response then costs no malloc of its own
 * (Buffer.allocUnsafe pools only up to 4 KiB).
 */
let scratch = Buffer.allocUnsafeSlow(ONE_COPY + 4096);

/** Writes a head (latin-1) and a body in one go (one buffer or a corked writev); `flushed` is called once it went out. */
function writeTogether(socket: Duplex, head: string, body: Uint8Array, flushed?: () => void): void {
  if (body.byteLength <= ONE_COPY) {
    // Copying a small body beside its head costs less than a corked writev's bookkeeping.
    const size = head.length + body.byteLength;
    const bytes = size <= scratch.length ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
    bytes.write(head, 0, 'latin1');
    bytes.set(body, head.length);
    socket.write(bytes, flushed);
    if (bytes.buffer === scratch.buffer && socket.writableLength > 0) {
      scratch = Buffer.allocUnsafeSlow(scratch.length);
    }
    return;
  }
  socket.cork();
  socket.write(head, 'latin1');
  socket.write(body, flushed);
  socket.uncork();
}
