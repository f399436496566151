import {
  type CheckedResponseHead,
  checkResponseHead,
  ErrorCode,
  type Frame,
  FrameFlag,
  type RequestHead,
} from './frame-codec.js';
import { type ConnectionOptions, FrameConnection, type FrameSocket } from './frame-connection.js';
import type { FrameStream, StreamEvents } from './frame-stream.js';

/**
 * What the caller of `ClientSession.request` hears about its stream: the response head, its body, and then
 * exactly one of onDone and onAbort (neither after the caller's own `abort()`).
 */
export interface ResponseEvents {
  /** The response head; `end` is true when no DATA follows (the body is `head.data` or empty). */
  onHead(head: CheckedResponseHead, end: boolean): void;
  /** A piece of the body; report it with `consumed()` once it is passed on, or the sender stalls after one window. */
  onData(chunk: Buffer, end: boolean): void;
  /**
   * The stream is over and nothing went wrong: the whole response has arrived, and the webframe wants no more
   * of the request body (it was sent whole, or the webframe ended the stream with ABORT NO_ERROR after its
   * response): stop sending it.
   */
  onDone?(): void;
  /**
   * The stream ended abnormally: ABORT from the webframe before its response was complete, a lost
   * connection, or a refusal (`REFUSED_STREAM`: no view saw the request; safe to retry elsewhere).
   */
  onAbort(code: number, reason: string): void;
  /** The request body may be written again after a write returned false. */
  onWritable?(): void;
}

/** One request on a ClientSession, as its caller holds it: the sink its request body goes to. */
export type ClientStream = Pick<FrameStream, 'id' | 'open' | 'write' | 'end' | 'consumed' | 'abort'>;

/** Reports an exception thrown by one stream's ResponseEvents callback (that stream was aborted). */
export type ClientErrorReporter = (error: unknown, streamId: number) => void;

/** Options of the httpserver end of a connection. */
export interface ClientSessionOptions extends ConnectionOptions {
  onError?: ClientErrorReporter;
}

/** What request() hands back when no stream could be opened: it takes nothing. */
const NO_STREAM: ClientStream = Object.freeze({
  id: 0,
  open: false,
  write: () => false,
  end: () => {},
  consumed: () => {},
  abort: () => {},
});

/**
 * The httpserver end of a frame connection: opens one stream per request, and reports each response through
 * its ResponseEvents. A callback that throws costs only its own stream: it is aborted with INTERNAL_ERROR and
 * every other stream on the connection goes on.
 */
export class ClientSession {
  /** The frame connection: start it, await `ready`, close it; its streams are this session's requests. */
  readonly connection: FrameConnection;
  readonly #connection: FrameConnection<ResponseReader>;
  /** Called after a stream ended, when it may have made room for another. */
  onStreamEnded: (() => void) | undefined;
  readonly #onError: ClientErrorReporter | undefined;
  readonly #report = (error: unknown, streamId: number): void => {
    try {
      this.#onError?.(error, streamId);
    } catch {
      // a failing reporter must not cost the connection either
    }
  };

  constructor(socket: FrameSocket, options: ClientSessionOptions = {}) {
    this.#onError = options.onError;
    this.#connection = new FrameConnection(socket, options, (frame) => this.#onHead(frame));
    this.connection = this.#connection;
  }

  /** True when another stream may be opened now: HELLO exchanged, not going away, below maxStreams. */
  get available(): boolean {
    const c = this.connection;
    return c.established && c.activeStreams < c.peer.maxStreams;
  }

  /** Streams that may be opened now (0 when not `available`). */
  get freeStreams(): number {
    const c = this.connection;
    return c.established ? Math.max(0, c.peer.maxStreams - c.activeStreams) : 0;
  }

  /**
   * Opens a stream with the request head; `end` true means the request has no body. On a session that is not
   * `available` nothing is sent: `events.onAbort` hears REFUSED_STREAM (in a microtask), so the caller may
   * retry elsewhere as for a stream the webframe refused.
   */
  request(head: RequestHead, end: boolean, events: ResponseEvents): ClientStream {
    const c = this.#connection;
    if (!this.available) {
      const reason = c.closed ? 'connection closed' : c.goingAway ? 'going away' : 'no free stream';
      this.#refuseLater(events, ErrorCode.REFUSED_STREAM, reason);
      return NO_STREAM;
    }
    const reader = new ResponseReader(this, events, this.#report);
    const s = c.open(c.lastStreamId === 0 ? 1 : c.lastStreamId + 2, reader);
    reader.stream = s;
    if (!s.writeHead(head, end)) {
      s.abort(); // never announced: nothing goes to the webframe
      this.#refuseLater(
        events,
        ErrorCode.INTERNAL_ERROR,
        "request head larger than the webframe's maxFrameSize",
      );
    }
    return s;
  }

  /** Tells `events` of `code` in a microtask, as a stream that was never opened. */
  #refuseLater(events: ResponseEvents, code: number, reason: string): void {
    queueMicrotask(() => {
      try {
        events.onAbort(code, reason);
      } catch (error) {
        this.#report(error, 0);
      }
    });
  }

  #onHead(frame: Frame): void {
    const c = this.#connection;
    const id = frame.stream;
    const s = c.stream(id);
    if (s === undefined) {
      if (id <= c.lastStreamId) return; // it crossed an ABORT on the wire (docs §3)
      return c.fail(ErrorCode.PROTOCOL_ERROR, `HEAD for stream ${id} that was never opened`);
    }
    const reader = s.events;
    if (reader.headReceived) return c.fail(ErrorCode.PROTOCOL_ERROR, `second HEAD on stream ${id}`);
    const json = c.parseJson(frame);
    if (json === undefined) return;
    const end = (frame.flags & FrameFlag.END_STREAM) !== 0;
    const head = checkResponseHead(json, end);
    if (typeof head === 'string') {
      return c.fail(ErrorCode.PROTOCOL_ERROR, `response head on stream ${id}: ${head}`);
    }
    reader.headReceived = true;
    reader.notify(false, () => reader.events.onHead(head, end));
    if (end) s.endRemote();
  }
}

/** The client end's listener on one stream: passes what arrives on to the caller's ResponseEvents. */
class ResponseReader implements StreamEvents {
  readonly events: ResponseEvents;
  stream!: FrameStream<ResponseReader>;
  headReceived = false;
  readonly #session: ClientSession;
  readonly #report: ClientErrorReporter;
  /** onAbort was called, or the stream ended done: nothing more is told. */
  #finished = false;
  /** The webframe ended the stream with ABORT NO_ERROR after its whole response. */
  #done = false;

  constructor(session: ClientSession, events: ResponseEvents, report: ClientErrorReporter) {
    this.#session = session;
    this.events = events;
    this.#report = report;
  }

  onData(chunk: Buffer, end: boolean): void {
    if (!this.headReceived) {
      return this.#session.connection.fail(
        ErrorCode.PROTOCOL_ERROR,
        `DATA before HEAD on stream ${this.stream.id}`,
      );
    }
    this.notify(false, () => this.events.onData(chunk, end));
  }

  onWritable(): void {
    if (!this.stream.localEnded) this.notify(false, () => this.events.onWritable?.());
  }

  onAbort(code: number, reason: string): void {
    if (code === ErrorCode.NO_ERROR && this.stream.remoteEnded) {
      this.#done = true;
      return;
    }
    this.#finished = true;
    this.notify(true, () => this.events.onAbort(code, reason));
  }

  onClose(): void {
    this.#session.onStreamEnded?.();
    const s = this.stream;
    if (this.#finished || !(this.#done || (s.localEnded && s.remoteEnded))) return;
    this.#finished = true;
    this.notify(true, () => this.events.onDone?.());
  }

  /**
   * Runs one of the caller's callbacks (`last`: onAbort or onDone, after which nothing is told). If it throws,
   * the error is reported and only this stream ends: ABORT INTERNAL_ERROR to the webframe and onAbort with
   * that code, unless the stream is already over.
   */
  notify(last: boolean, callback: () => void): void {
    try {
      callback();
    } catch (error) {
      const s = this.stream;
      this.#report(error, s.id);
      // Already ended (the last callback threw, or a nested callback ended it): told once, not again.
      if (last || !s.open) return;
      const reason = `response handler failed: ${error instanceof Error ? error.message : String(error)}`;
      this.#finished = true;
      s.abort(ErrorCode.INTERNAL_ERROR, reason);
      try {
        this.events.onAbort(ErrorCode.INTERNAL_ERROR, reason);
      } catch (again) {
        this.#report(again, s.id);
      }
    }
  }
}
