import { errors, isError, type TandemError } from '../errors/catalogue.js';
import {
  ErrorCode,
  encodeCodeFrame,
  encodeJsonFrame,
  errorCodeName,
  type Frame,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
} from './frame-codec.js';
import { FrameSession } from './frame-session.js';
import { checkRequestHead, declaredLength, headerProblem } from './head-check.js';
import { InboundBody } from './inbound-body.js';
import type { FrameSocket } from './stream-state.js';
import { type SessionOptions, StreamState } from './stream-state.js';
import type { Reply, ServerStream, StreamHandler } from './types.js';

/**
 * String bodies up to this many characters travel inline as the response head's `data`: one frame, no copy.
 * Longer ones go as DATA, which spares both ends escaping and parsing them inside the JSON head.
 */
const INLINE_DATA_LIMIT = 1024;

class ServerStreamState extends StreamState {
  readonly body: InboundBody;
  /** Fires after streamIdleTimeout without progress (docs §6). */
  idleTimer: NodeJS.Timeout | undefined;
  #controller: AbortController | undefined;
  #abortReason: unknown;
  #aborted = false;

  constructor(
    id: number,
    sendWindow: number,
    recvAllowed: number,
    onConsumed: (s: ServerStreamState, n: number) => void,
  ) {
    super(id, sendWindow, recvAllowed);
    this.body = new InboundBody((n) => onConsumed(this, n));
  }

  /** The view's AbortSignal, made on first use: most views never look at it. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /** Fires the signal (now, or when it is first asked for). */
  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#abortReason = reason;
    this.#controller?.abort(reason);
  }
}

/** Reports what went wrong inside a handler or while writing a reply. */
export type ServerErrorReporter = (error: unknown, head: ServerStream['head']) => void;

/** Options of the webframe end of a connection. */
export interface ServerSessionOptions extends SessionOptions {
  onError?: ServerErrorReporter;
}

/**
 * The webframe end of a frame connection: each HEAD becomes a ServerStream handed to the handler, and the
 * handler's Reply is written back as HEAD and DATA frames within the stream's credit.
 */
export class ServerSession extends FrameSession<ServerStreamState> {
  readonly #handler: StreamHandler;
  readonly #onError: ServerErrorReporter | undefined;
  readonly #streamIdleTimeout: number;
  #lastSeen = 0;
  readonly #consume = (s: ServerStreamState, n: number) => this.consumed(s, n);

  constructor(socket: FrameSocket, handler: StreamHandler, options: ServerSessionOptions = {}) {
    super(socket, options);
    this.#handler = handler;
    this.#onError = options.onError;
    this.#streamIdleTimeout = options.streamIdleTimeout ?? 60_000;
  }

  /** Graceful close: finish the streams already received, refuse new ones, then close. */
  close(): void {
    this.goAway(this.#lastSeen);
  }

  protected lastStreamId(): number {
    return this.#lastSeen;
  }

  protected wasOpened(id: number): boolean {
    return id <= this.#lastSeen;
  }

  protected onHead(frame: Frame): void {
    const id = frame.stream;
    if (id <= this.#lastSeen) {
      return this.fail(
        ErrorCode.PROTOCOL_ERROR,
        `HEAD on stream ${id}, not greater than stream ${this.#lastSeen}`,
      );
    }
    this.#lastSeen = id;
    const json = this.parseJson(frame);
    if (json === undefined) return;
    const head = checkRequestHead(json);
    if (typeof head === 'string')
      return this.fail(ErrorCode.PROTOCOL_ERROR, `request head on stream ${id}: ${head}`);
    if (this.goingAway || this.streams.size >= this.limits.maxStreams) {
      const reason = this.goingAway ? 'going away' : `more than ${this.limits.maxStreams} open streams`;
      this.write(encodeCodeFrame(FrameType.ABORT, id, [ErrorCode.REFUSED_STREAM], reason));
      return;
    }
    const s = new ServerStreamState(id, this.peer.initialWindow, this.limits.initialWindow, this.#consume);
    this.streams.set(id, s);
    s.idleTimer = setTimeout(() => this.#idle(s), this.#streamIdleTimeout);
    s.idleTimer.unref();
    if ((frame.flags & FrameFlag.END_STREAM) !== 0) {
      s.remoteEnded = true;
      s.body.end();
    }
    const stream: ServerStream = {
      id,
      head,
      body: s.body,
      get signal() {
        return s.signal;
      },
    };
    try {
      this.#run(s, stream);
    } catch (err) {
      // One stream's failure is that stream's: the connection and its other streams go on.
      this.#report(err, head);
      this.sendAbort(s, ErrorCode.INTERNAL_ERROR, 'the handler failed');
      this.onStreamAbort(s, ErrorCode.INTERNAL_ERROR, 'the handler failed');
    }
  }

  protected onStreamData(s: ServerStreamState, chunk: Buffer, end: boolean): void {
    if (chunk.length > 0) s.body.push(chunk);
    if (end) s.body.end();
  }

  protected onStreamAbort(s: ServerStreamState, code: number, reason: string): void {
    clearTimeout(s.idleTimer); // a lost connection drops its streams without onStreamClosed
    const error = errors.PROTOCOL_STREAM_ABORTED(`${errorCodeName(code)}${reason ? `: ${reason}` : ''}`);
    s.body.fail(error);
    s.abort(error);
  }

  protected override onStreamProgress(s: ServerStreamState): void {
    s.idleTimer?.refresh();
  }

  protected override onStreamClosed(s: ServerStreamState): void {
    clearTimeout(s.idleTimer);
  }

  /**
   * No progress for streamIdleTimeout: if the stream waits for httpserver — request body open while it has
   * credit, or response waiting for WINDOW — it is aborted with TIMEOUT; if it waits for the view, it waits on.
   */
  #idle(s: ServerStreamState): void {
    if (!this.streams.has(s.id)) return;
    const waitsForPeer = (!s.remoteEnded && s.recvAllowed > 0) || s.pending !== undefined;
    if (!waitsForPeer) {
      s.idleTimer?.refresh();
      return;
    }
    const reason = `no progress within ${this.#streamIdleTimeout} ms`;
    this.sendAbort(s, ErrorCode.TIMEOUT, reason);
    this.onStreamAbort(s, ErrorCode.TIMEOUT, reason);
  }

  protected onGoAway(): void {
    // httpserver opens no new streams; the open ones finish and the socket then closes.
  }

  #run(s: ServerStreamState, stream: ServerStream): void {
    let reply: Reply | Promise<Reply>;
    try {
      reply = this.#handler(stream);
    } catch (err) {
      reply = this.#failed(err, stream);
    }
    if (reply instanceof Promise) {
      reply.then(
        (value) => this.#answer(s, stream, value),
        (err: unknown) => this.#answer(s, stream, this.#failed(err, stream)),
      );
    } else {
      this.#answer(s, stream, reply);
    }
  }

  #failed(err: unknown, stream: ServerStream): Reply {
    this.#report(err, stream.head);
    return INTERNAL_ERROR_REPLY;
  }

  /** Reports `err`; a reporter that throws costs nothing more. */
  #report(err: unknown, head: ServerStream['head']): void {
    try {
      this.#onError?.(err, head);
    } catch {
      // the stream it was about is answered or aborted all the same
    }
  }

  /** Writes the reply: in this turn when its body is in memory, else by pulling its stream. */
  #answer(s: ServerStreamState, stream: ServerStream, reply: Reply): void {
    if (!this.streams.has(s.id)) return; // aborted meanwhile
    try {
      this.#write(s, stream, reply);
    } catch (err) {
      this.#report(err, stream.head);
      this.sendAbort(s, ErrorCode.INTERNAL_ERROR, 'response could not be written');
    }
  }

  #write(s: ServerStreamState, stream: ServerStream, given: Reply): void {
    const problem = replyProblem(given, stream.head.method);
    const reply = problem === undefined ? given : this.#failed(problem, stream);
    const body = reply.body;
    const head: { status: string; headers: Reply['headers']; data?: string } = {
      status: String(reply.status),
      headers: reply.headers ?? {},
    };
    if (body === undefined || body === null) {
      this.#sendHead(s, head, true);
    } else if (typeof body === 'string') {
      this.#sendText(s, head, body);
    } else if (body instanceof Uint8Array) {
      this.#sendWhole(s, head, body);
    } else {
      this.#sendHead(s, head, false);
      // A HEAD request's body is never passed on, so its length need not match (RFC 9110 §9.3.2).
      const declared = stream.head.method === 'HEAD' ? undefined : declaredLength(reply.headers);
      this.#pull(s, body, typeof declared === 'number' ? declared : undefined).then(
        () => this.#completed(s),
        (err: unknown) => {
          this.#report(err, stream.head);
          const reason = isError(err, errors.RESPONSE_LENGTH_MISMATCH) ? err.message : 'response body failed';
          this.sendAbort(s, ErrorCode.INTERNAL_ERROR, reason);
        },
      );
      return;
    }
    this.#completed(s);
  }

  /** The reply is complete but the request body is still coming: tell httpserver to stop sending it. */
  #completed(s: ServerStreamState): void {
    if (this.streams.has(s.id) && !s.remoteEnded) this.sendAbort(s, ErrorCode.NO_ERROR, 'response complete');
  }

  #sendText(
    s: ServerStreamState,
    head: { status: string; headers: Reply['headers']; data?: string },
    body: string,
  ): void {
    if (body.length <= INLINE_DATA_LIMIT) {
      head.data = body;
      const frame = encodeJsonFrame(FrameType.HEAD, FrameFlag.END_STREAM, s.id, head);
      if (frame.length - HEADER_SIZE <= this.peer.maxFrameSize) {
        this.write(frame);
        s.localEnded = true;
        this.endStreamIfDone(s);
        return;
      }
      head.data = undefined;
    }
    this.#sendWhole(s, head, Buffer.from(body));
  }

  /** Sends a body held in memory as DATA, with its `content-length` unless the reply set one. */
  #sendWhole(
    s: ServerStreamState,
    head: { status: string; headers: Reply['headers'] },
    body: Uint8Array,
  ): void {
    if (declaredLength(head.headers) === undefined) {
      head.headers = { ...head.headers, 'content-length': String(body.byteLength) };
    }
    this.#sendHead(s, head, false);
    this.writeData(s, body, true);
  }

  /**
   * Sends a streamed body chunk by chunk, each only once the peer has granted credit for it. With `declared`
   * (its content-length), a body that would pass it or ends short of it rejects with RESPONSE_LENGTH_MISMATCH
   * before a byte too many is sent, so the stream is aborted instead of ended.
   */
  async #pull(s: ServerStreamState, body: AsyncIterable<Uint8Array>, declared?: number): Promise<void> {
    const iterator = body[Symbol.asyncIterator]();
    let sent = 0;
    try {
      for (;;) {
        const { value, done } = await iterator.next();
        if (!this.streams.has(s.id)) return;
        if (done) break;
        sent += value.byteLength;
        if (declared !== undefined && sent > declared) {
          throw errors.RESPONSE_LENGTH_MISMATCH(declared, `of at least ${sent} bytes`);
        }
        if (!this.writeData(s, value, false)) {
          await new Promise<void>((resolve) => {
            s.onWritable = resolve;
          });
          if (!this.streams.has(s.id)) return;
        }
      }
      if (declared !== undefined && sent < declared) {
        throw errors.RESPONSE_LENGTH_MISMATCH(declared, `of ${sent} bytes`);
      }
      this.writeData(s, Buffer.alloc(0), true);
    } finally {
      if (!s.localEnded) await iterator.return?.();
    }
  }

  #sendHead(s: ServerStreamState, head: object, end: boolean): void {
    this.write(encodeJsonFrame(FrameType.HEAD, end ? FrameFlag.END_STREAM : 0, s.id, head));
    if (end) {
      s.localEnded = true;
      this.endStreamIfDone(s);
    }
  }
}

/** The plain 500 sent for a handler that failed or a reply that cannot be sent as it is. */
const INTERNAL_ERROR_REPLY: Reply = Object.freeze({
  status: 500,
  headers: Object.freeze({ 'content-type': 'text/plain; charset=utf-8' }),
  body: 'Internal Server Error',
});

/**
 * Why `reply` cannot be sent as it is: a header no HTTP response may carry, a content-length that is not a
 * number, or a body held in memory whose length is not the declared one (a missing body declares 0 bytes,
 * except for a HEAD request or a 304, whose content-length describes a body not sent: RFC 9110 §8.6).
 * Sending it would let the client read part of this response as the next one.
 */
function replyProblem(reply: Reply, method: string): TandemError | undefined {
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
  } else return undefined; // a stream is counted as it is sent (#pull)
  return actual === declared ? undefined : errors.RESPONSE_LENGTH_MISMATCH(declared, `of ${actual} bytes`);
}
