import { errors } from '../errors/catalogue.js';
import {
  ErrorCode,
  encodeCodeFrame,
  errorCodeName,
  FRAME_NAMES,
  type Frame,
  FrameDecoder,
  type FrameError,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  writeHeader,
} from './frame-codec.js';
import { FrameWriter } from './frame-writer.js';
import { encodeHello, readHello } from './hello.js';
import type { FrameSocket } from './stream-state.js';
import {
  DEFAULT_LIMITS,
  DEFAULT_WRITE_BACKLOG,
  type SessionLimits,
  type SessionOptions,
  type StreamState,
} from './stream-state.js';

/**
 * The connection level of a frame session: HELLO exchange, frame batching (all frames written in one
 * event-loop turn leave in one writev), PING, GOAWAY, connection errors and close, and the table of open
 * streams that a closing connection aborts. FrameSession adds frame dispatch and per-stream flow control.
 */
export abstract class FrameConnection<S extends StreamState = StreamState> {
  protected readonly socket: FrameSocket;
  protected readonly limits: SessionLimits;
  /** The peer's limits, known once its HELLO arrived. */
  protected peer: SessionLimits = { ...DEFAULT_LIMITS };
  protected readonly streams = new Map<number, S>();
  /** Called once when the connection is gone; `error` is set when it ended on an error. */
  onClose: ((error?: FrameError) => void) | undefined;

  readonly #decoder: FrameDecoder;
  readonly #helloTimeout: number;
  #helloTimer: NodeJS.Timeout | undefined;
  #peerReady = false;
  #ready: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };
  readonly #writer: FrameWriter;
  readonly #pings = new Map<string, { resolve(rtt: number): void; reject(err: Error): void }>();
  #pingSeq = 0;
  #closed = false;
  #goingAway = false;
  #peerGoAway: FrameError | undefined;

  constructor(socket: FrameSocket, options: SessionOptions = {}) {
    this.socket = socket;
    this.limits = {
      maxFrameSize: options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
      initialWindow: options.initialWindow ?? DEFAULT_LIMITS.initialWindow,
      maxStreams: options.maxStreams ?? DEFAULT_LIMITS.maxStreams,
    };
    this.#decoder = new FrameDecoder(this.limits.maxFrameSize, { splitData: true });
    // Stop reading a peer that does not read our replies (docs §8): its requests wait in its own socket.
    this.#writer = new FrameWriter(socket, options.maxWriteBacklog ?? DEFAULT_WRITE_BACKLOG, (over) => {
      if (over) socket.pause();
      else socket.resume();
    });
    this.#helloTimeout = options.helloTimeout ?? 10_000;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => {});
    this.#ready = { promise, resolve, reject };
  }

  /**
   * Resolves once the peer's HELLO arrived; rejects if the connection ends first, with the connection error
   * that ended it (a bad HELLO, a timeout) or, when the socket just closed, with that.
   */
  get ready(): Promise<void> {
    return this.#ready.promise;
  }

  /** True once the connection is closed or closing on an error. */
  get closed(): boolean {
    return this.#closed;
  }

  /** True once either side sent GOAWAY: no new streams. */
  get goingAway(): boolean {
    return this.#goingAway;
  }

  /** True from the peer's HELLO until either side goes away or the connection closes: streams may open. */
  get established(): boolean {
    return this.#peerReady && !this.#closed && !this.#goingAway;
  }

  /** The GOAWAY the peer sent, if it sent one. */
  get peerGoAway(): FrameError | undefined {
    return this.#peerGoAway;
  }

  /** Open streams on this connection. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** Starts reading and sends this end's HELLO. */
  start(): void {
    const socket = this.socket;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => {
      this.#writer.drained();
      this.onDrain();
    });
    socket.on('error', () => {}); // 'close' follows and reports the loss
    socket.on('close', () => this.#onSocketClose());
    socket.on('end', () => socket.end());
    this.#helloTimer = setTimeout(
      () => this.fail(ErrorCode.TIMEOUT, `no HELLO within ${this.#helloTimeout} ms`),
      this.#helloTimeout,
    );
    this.#helloTimer.unref();
    this.write(encodeHello(this.limits));
  }

  /** Sends a PING and resolves with the round-trip time in ms; rejects if the connection closes first. */
  ping(): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('PING on a closed connection'));
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.#pingSeq, 4);
    const started = performance.now();
    return new Promise((resolve, reject) => {
      this.#pings.set(payload.toString('hex'), {
        resolve: () => resolve(performance.now() - started),
        reject,
      });
      this.write(this.#frame(FrameType.PING, 0, 0, payload));
    });
  }

  /** Starts a graceful close: GOAWAY with the last stream this end processes; the socket ends when streams finish. */
  goAway(lastStreamId: number): void {
    if (this.#closed || this.#goingAway) return;
    this.#goingAway = true;
    this.write(encodeCodeFrame(FrameType.GOAWAY, 0, [lastStreamId, ErrorCode.NO_ERROR]));
    this.closeIfIdle();
  }

  /** Ends the connection on a connection error: GOAWAY with `code` and `message`, then close (docs §8). */
  fail(code: number, message: string): void {
    if (this.#closed) return;
    this.#decoder.fail({ code, message });
    this.write(encodeCodeFrame(FrameType.GOAWAY, 0, [this.lastStreamId(), code], message));
    this.#shutdown({ code, message });
  }

  /** Destroys the connection at once. */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Queues a frame made in reply to the peer (a PING ACK, WINDOW, ABORT, a response HEAD); everything written
   * in one event-loop turn leaves in one socket write (FrameWriter). These count towards the write backlog:
   * past `maxWriteBacklog` the connection stops reading until the peer has taken them.
   */
  protected write(buf: Uint8Array): void {
    this.#writer.write(buf, true);
  }

  /** Queues bytes that something else already bounds (DATA within credit, a request HEAD within maxStreams). */
  protected writeFlowControlled(buf: Uint8Array): void {
    this.#writer.write(buf, false);
  }

  /** True after the socket refused more until it drains (then onDrain runs): producers should wait. */
  protected get writeBlocked(): boolean {
    return this.#writer.blocked;
  }

  /** Encodes a frame with a binary payload. */
  #frame(type: number, flags: number, stream: number, payload: Uint8Array): Buffer {
    const buf = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
    writeHeader(buf, 0, payload.length, type, flags, stream);
    buf.set(payload, HEADER_SIZE);
    return buf;
  }

  /** The highest stream id this end has seen or opened (for GOAWAY). */
  protected abstract lastStreamId(): number;
  /** A frame arrived after the peer's HELLO, on a connection not closed. */
  protected abstract dispatch(frame: Frame): void;
  /** The stream ended abnormally: ABORT from the peer, or the connection is gone. */
  protected abstract onStreamAbort(s: S, code: number, reason: string): void;
  /** The peer sent GOAWAY. */
  protected abstract onGoAway(lastStreamId: number, code: number, message: string): void;
  /** The socket drained after writeBlocked: producers may go on. */
  protected abstract onDrain(): void;

  /** Parses a JSON payload, or fails the connection naming the frame. */
  protected parseJson(frame: Frame): Record<string, unknown> | undefined {
    let value: unknown;
    try {
      value = JSON.parse(frame.payload.toString('utf8'));
    } catch {
      this.fail(ErrorCode.PROTOCOL_ERROR, `${FRAME_NAMES[frame.type]} payload is not valid JSON`);
      return undefined;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      this.fail(ErrorCode.PROTOCOL_ERROR, `${FRAME_NAMES[frame.type]} payload is not a JSON object`);
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  #onData(chunk: Buffer): void {
    try {
      const error = this.#decoder.push(chunk, (frame) => {
        if (this.#closed) return;
        if (this.#peerReady) return this.dispatch(frame);
        if (frame.type !== FrameType.HELLO) {
          return this.fail(ErrorCode.PROTOCOL_ERROR, `expected HELLO, got ${FRAME_NAMES[frame.type]}`);
        }
        this.#onHello(frame);
      });
      if (error !== undefined) this.fail(error.code, error.message);
    } catch (err) {
      this.fail(ErrorCode.INTERNAL_ERROR, `internal error: ${(err as Error).message}`);
    }
  }

  #onHello(frame: Frame): void {
    const hello = this.parseJson(frame);
    if (hello === undefined) return;
    const peer = readHello(hello);
    if ('code' in peer) return this.fail(peer.code, peer.message);
    this.peer = peer;
    this.#peerReady = true;
    clearTimeout(this.#helloTimer);
    this.#ready.resolve();
  }

  /** A PING frame on stream 0: answers it, or settles the ping() it acknowledges. */
  protected receivePing(frame: Frame): void {
    if (frame.payload.length !== 8)
      return this.fail(ErrorCode.PROTOCOL_ERROR, 'PING payload must be 8 bytes');
    if ((frame.flags & FrameFlag.ACK) === 0) {
      this.write(this.#frame(FrameType.PING, FrameFlag.ACK, 0, frame.payload));
      return;
    }
    const key = frame.payload.toString('hex');
    const pending = this.#pings.get(key);
    this.#pings.delete(key);
    pending?.resolve(0);
  }

  /** A GOAWAY frame on stream 0: no new streams; the connection closes once the open ones finish. */
  protected receiveGoAway(payload: Buffer): void {
    if (payload.length < 8) return this.fail(ErrorCode.PROTOCOL_ERROR, 'GOAWAY payload shorter than 8 bytes');
    this.#goingAway = true;
    const code = payload.readUInt32BE(4);
    const message = payload.toString('utf8', 8);
    this.#peerGoAway = { code, message };
    this.onGoAway(payload.readUInt32BE(0), code, message);
    this.closeIfIdle();
  }

  /** Calls the stream's onWritable once, if set. */
  protected wake(s: S): void {
    const callback = s.onWritable;
    s.onWritable = undefined;
    callback?.();
  }

  /** Closes the connection when it is going away and no stream is left. */
  protected closeIfIdle(): void {
    if (this.#goingAway && !this.#closed && this.streams.size === 0) this.#shutdown(undefined);
  }

  #shutdown(error: FrameError | undefined): void {
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    if (error !== undefined) {
      this.#ready.reject(errors.PROTOCOL_CONNECTION_CLOSED(`${errorCodeName(error.code)}: ${error.message}`));
    }
    this.#writer.flush();
    this.socket.end();
    const timer = setTimeout(() => this.socket.destroy(), 2000);
    timer.unref();
    this.#abortAll(error);
  }

  #onSocketClose(): void {
    if (!this.#closed) {
      this.#closed = true;
      clearTimeout(this.#helloTimer);
      this.#abortAll({ code: ErrorCode.INTERNAL_ERROR, message: 'connection lost' });
    }
    this.#ready.reject(errors.PROTOCOL_CONNECTION_CLOSED("the socket closed before the peer's HELLO"));
    const onClose = this.onClose;
    this.onClose = undefined;
    onClose?.(this.#lastError);
  }

  #lastError: FrameError | undefined;

  #abortAll(error: FrameError | undefined): void {
    if (error !== undefined) this.#lastError = error;
    const reason =
      error === undefined ? 'connection closed' : `${errorCodeName(error.code)}: ${error.message}`;
    for (const s of [...this.streams.values()]) {
      this.streams.delete(s.id);
      this.onStreamAbort(s, error?.code ?? ErrorCode.INTERNAL_ERROR, reason);
      this.wake(s);
    }
    for (const pending of this.#pings.values()) pending.reject(new Error(`PING unanswered: ${reason}`));
    this.#pings.clear();
  }
}
