import { ErrorCode, encodeJsonFrame, type Frame, FrameFlag, FrameType } from './frame-codec.js';
import { FrameSession } from './frame-session.js';
import { type CheckedResponseHead, checkResponseHead } from './head-check.js';
import type { FrameSocket } from './stream-state.js';
import { type SessionOptions, StreamState } from './stream-state.js';
import type { RequestHead } from './types.js';

/** What the caller of `ClientSession.request` hears about its stream. */
export interface ResponseEvents {
  /** The response head; `end` is true when no DATA follows (the body is `head.data` or empty). */
  onHead(head: CheckedResponseHead, end: boolean): void;
  /** A piece of the body; report it with `consumed()` once it is passed on, or the sender stalls after one window. */
  onData(chunk: Buffer, end: boolean): void;
  /**
   * The stream ended abnormally: ABORT from the webframe, a lost connection or GOAWAY refusing it
   * (`REFUSED_STREAM`: no view saw the request; safe to retry). Also called with `NO_ERROR` when the webframe
   * has sent its whole response and wants no more of the request body.
   */
  onAbort(code: number, reason: string): void;
  /** The request body may be written again after a write returned false. */
  onWritable?(): void;
}

/** One request on a ClientSession, from the httpserver side. */
export class ClientStream extends StreamState {
  readonly events: ResponseEvents;
  readonly #session: ClientSession;
  headReceived = false;

  constructor(
    session: ClientSession,
    id: number,
    sendWindow: number,
    recvAllowed: number,
    events: ResponseEvents,
  ) {
    super(id, sendWindow, recvAllowed);
    this.#session = session;
    this.events = events;
    this.onWritable = () => this.#writable();
  }

  /** Sends request body bytes; false means wait for `events.onWritable`. */
  write(chunk: Uint8Array, end = false): boolean {
    return this.#session.writeBody(this, chunk, end);
  }

  /** Ends the request body. */
  end(): void {
    this.#session.writeBody(this, Buffer.alloc(0), true);
  }

  /** Reports `bytes` of response body as passed on, returning credit to the webframe. */
  consumed(bytes: number): void {
    this.#session.consume(this, bytes);
  }

  /** Cancels the stream (the browser hung up, a timeout): ABORT to the webframe, whose view sees its signal fire. */
  abort(code: number = ErrorCode.CANCEL, reason = ''): void {
    this.#session.abortStream(this, code, reason);
  }

  #writable(): void {
    if (this.localEnded) return;
    this.onWritable = () => this.#writable();
    this.#session.notify(this, false, () => this.events.onWritable?.());
  }
}

/** Reports an exception thrown by one stream's ResponseEvents callback (that stream was aborted). */
export type ClientErrorReporter = (error: unknown, streamId: number) => void;

/** Options of the httpserver end of a connection. */
export interface ClientSessionOptions extends SessionOptions {
  onError?: ClientErrorReporter;
}

/**
 * The httpserver end of a frame connection: opens one stream per request, writes the request body within
 * the stream's credit and reports the response through ResponseEvents. A callback that throws costs only its
 * own stream: it is aborted with INTERNAL_ERROR and every other stream on the connection goes on.
 */
export class ClientSession extends FrameSession<ClientStream> {
  #nextId = 1;
  readonly #onError: ClientErrorReporter | undefined;

  constructor(socket: FrameSocket, options: ClientSessionOptions = {}) {
    super(socket, options);
    this.#onError = options.onError;
  }

  /** True when another stream may be opened now: HELLO exchanged, not going away, below maxStreams. */
  get available(): boolean {
    return this.established && this.streams.size < this.peer.maxStreams;
  }

  /** Streams that may be opened now (0 when not `available`). */
  get freeStreams(): number {
    return this.established ? Math.max(0, this.peer.maxStreams - this.streams.size) : 0;
  }

  /** Called after a stream ended, when it may have made room for another. */
  onStreamEnded: (() => void) | undefined;

  protected override onStreamClosed(): void {
    this.onStreamEnded?.();
  }

  /**
   * Opens a stream with the request head; `end` true means the request has no body. On a session that is not
   * `available` nothing is sent: `events.onAbort` hears REFUSED_STREAM (in a microtask), so the caller may
   * retry elsewhere as for a stream the webframe refused.
   */
  request(head: RequestHead, end: boolean, events: ResponseEvents): ClientStream {
    if (!this.available) {
      const refused = new ClientStream(this, 0, 0, 0, events);
      refused.localEnded = true;
      const reason = this.closed ? 'connection closed' : this.goingAway ? 'going away' : 'no free stream';
      queueMicrotask(() =>
        this.notify(refused, true, () => events.onAbort(ErrorCode.REFUSED_STREAM, reason)),
      );
      return refused;
    }
    const id = this.#nextId;
    this.#nextId += 2;
    const s = new ClientStream(this, id, this.peer.initialWindow, this.limits.initialWindow, events);
    this.streams.set(id, s);
    this.writeFlowControlled(encodeJsonFrame(FrameType.HEAD, end ? FrameFlag.END_STREAM : 0, id, head));
    if (end) s.localEnded = true;
    return s;
  }

  /** Graceful close: no new streams; the connection closes when the open ones finish. */
  close(): void {
    this.goAway(this.lastStreamId());
  }

  /** See ClientStream.write. */
  writeBody(s: ClientStream, chunk: Uint8Array, end: boolean): boolean {
    if (!this.streams.has(s.id)) return false;
    return this.writeData(s, chunk, end);
  }

  /** See ClientStream.consumed. */
  consume(s: ClientStream, bytes: number): void {
    this.consumed(s, bytes);
  }

  /** See ClientStream.abort. */
  abortStream(s: ClientStream, code: number, reason: string): void {
    this.sendAbort(s, code, reason);
  }

  protected lastStreamId(): number {
    return Math.max(0, this.#nextId - 2);
  }

  protected wasOpened(id: number): boolean {
    return id < this.#nextId;
  }

  protected onHead(frame: Frame): void {
    const s = this.streams.get(frame.stream);
    if (s === undefined) {
      if (this.wasOpened(frame.stream)) return;
      return this.fail(ErrorCode.PROTOCOL_ERROR, `HEAD for stream ${frame.stream} that was never opened`);
    }
    if (s.headReceived) return this.fail(ErrorCode.PROTOCOL_ERROR, `second HEAD on stream ${s.id}`);
    const json = this.parseJson(frame);
    if (json === undefined) return;
    const end = (frame.flags & FrameFlag.END_STREAM) !== 0;
    const head = checkResponseHead(json, end);
    if (typeof head === 'string')
      return this.fail(ErrorCode.PROTOCOL_ERROR, `response head on stream ${s.id}: ${head}`);
    s.headReceived = true;
    if (end) s.remoteEnded = true;
    this.notify(s, false, () => s.events.onHead(head, end));
    if (end) this.endStreamIfDone(s);
  }

  protected onStreamData(s: ClientStream, chunk: Buffer, end: boolean): void {
    if (!s.headReceived) return this.fail(ErrorCode.PROTOCOL_ERROR, `DATA before HEAD on stream ${s.id}`);
    this.notify(s, false, () => s.events.onData(chunk, end));
  }

  protected onStreamAbort(s: ClientStream, code: number, reason: string): void {
    this.notify(s, true, () => s.events.onAbort(code, reason));
  }

  protected onGoAway(lastStreamId: number): void {
    for (const s of [...this.streams.values()]) {
      if (s.id <= lastStreamId) continue;
      this.removeStream(s);
      this.onStreamAbort(s, ErrorCode.REFUSED_STREAM, 'webframe is going away');
    }
  }

  /**
   * Runs one of `s`'s callbacks (`isAbort`: it is onAbort). If it throws, the error is reported and only `s`
   * ends: ABORT INTERNAL_ERROR to the webframe and onAbort with that code, unless onAbort is what threw.
   */
  notify(s: ClientStream, isAbort: boolean, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#report(error, s.id);
      // Already ended (onAbort threw, or a nested callback ended it): onAbort was told once, not again.
      if (isAbort || !this.streams.has(s.id)) return;
      const reason = `response handler failed: ${error instanceof Error ? error.message : String(error)}`;
      this.sendAbort(s, ErrorCode.INTERNAL_ERROR, reason);
      try {
        s.events.onAbort(ErrorCode.INTERNAL_ERROR, reason);
      } catch (again) {
        this.#report(again, s.id);
      }
    }
  }

  #report(error: unknown, streamId: number): void {
    try {
      this.#onError?.(error, streamId);
    } catch {
      // a failing reporter must not cost the connection either
    }
  }
}
