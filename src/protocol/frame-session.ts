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
  MAX_U31,
  writeHeader,
} from './frame-codec.js';
import { FrameWriter } from './frame-writer.js';
import { encodeHello, readHello } from './hello.js';
import type { FrameSocket } from './stream-state.js';
import { DEFAULT_LIMITS, type SessionLimits, type SessionOptions, type StreamState } from './stream-state.js';

/**
 * What both ends of a frame connection share: HELLO exchange, frame batching (all frames written in one
 * event-loop turn leave in one writev), per-stream flow control, PING, GOAWAY and connection errors.
 * Subclasses decide what HEAD, DATA and ABORT mean for their side.
 */
export abstract class FrameSession<S extends StreamState = StreamState> {
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
  #drainWaiters = new Set<S>();
  #pings = new Map<string, (rtt: number) => void>();
  #pingSeq = 0;
  #closed = false;
  #goingAway = false;

  constructor(socket: FrameSocket, options: SessionOptions = {}) {
    this.socket = socket;
    this.limits = {
      maxFrameSize: options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
      initialWindow: options.initialWindow ?? DEFAULT_LIMITS.initialWindow,
      maxStreams: options.maxStreams ?? DEFAULT_LIMITS.maxStreams,
    };
    this.#decoder = new FrameDecoder(this.limits.maxFrameSize, { splitData: true });
    this.#writer = new FrameWriter(socket);
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

  /** Resolves once the peer's HELLO arrived; rejects if the connection ends first. */
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

  /** Open streams on this connection. */
  get activeStreams(): number {
    return this.streams.size;
  }

  /** Starts reading and sends this end's HELLO. */
  start(): void {
    const socket = this.socket;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
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

  /** Sends a PING and resolves with the round-trip time in ms. */
  ping(): Promise<number> {
    const payload = Buffer.alloc(8);
    payload.writeUInt32BE(++this.#pingSeq, 4);
    const started = performance.now();
    return new Promise((resolve) => {
      this.#pings.set(payload.toString('hex'), () => resolve(performance.now() - started));
      this.write(this.#frame(FrameType.PING, 0, 0, payload));
    });
  }

  /** Starts a graceful close: GOAWAY with the last stream this end processes; the socket ends when streams finish. */
  goAway(lastStreamId: number): void {
    if (this.#closed || this.#goingAway) return;
    this.#goingAway = true;
    this.write(encodeCodeFrame(FrameType.GOAWAY, 0, [lastStreamId, ErrorCode.NO_ERROR]));
    this.#closeIfIdle();
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

  /** Queues bytes; everything written in one event-loop turn leaves in one socket write (FrameWriter). */
  protected write(buf: Uint8Array): void {
    this.#writer.write(buf);
  }

  /** Sends `chunk` as DATA frames within the stream's credit. Returns false when the caller should wait for `onWritable`. */
  protected writeData(s: S, chunk: Uint8Array, end: boolean): boolean {
    if (s.localEnded || this.#closed) return false;
    if (s.pending !== undefined) {
      s.pending = Buffer.concat([s.pending, chunk]);
      s.pendingEnd = end;
      return false;
    }
    let offset = 0;
    do {
      const n = Math.min(chunk.length - offset, s.sendWindow, this.peer.maxFrameSize);
      if (n === 0 && offset < chunk.length) {
        s.pending = chunk.subarray(offset);
        s.pendingEnd = end;
        return false;
      }
      const last = offset + n === chunk.length;
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, n, FrameType.DATA, end && last ? FrameFlag.END_STREAM : 0, s.id);
      this.write(header);
      if (n > 0) this.write(chunk.subarray(offset, offset + n));
      s.sendWindow -= n;
      offset += n;
    } while (offset < chunk.length);
    if (end) {
      s.localEnded = true;
      this.endStreamIfDone(s);
    }
    if (this.#writer.blocked) {
      this.#drainWaiters.add(s);
      return false;
    }
    return true;
  }

  /** Reports `bytes` of a stream's DATA as consumed; grants them back once half a window has built up. */
  protected consumed(s: S, bytes: number): void {
    s.recvUnacked += bytes;
    if (s.remoteEnded || s.recvUnacked < this.limits.initialWindow / 2 || !this.streams.has(s.id)) return;
    s.recvAllowed += s.recvUnacked;
    this.write(encodeCodeFrame(FrameType.WINDOW, s.id, [s.recvUnacked]));
    s.recvUnacked = 0;
  }

  /** Sends ABORT for `s` and forgets it. */
  protected sendAbort(s: S, code: number, reason = ''): void {
    if (!this.streams.has(s.id)) return;
    this.write(encodeCodeFrame(FrameType.ABORT, s.id, [code], reason));
    this.removeStream(s);
  }

  /** Forgets a stream once both directions ended. */
  protected endStreamIfDone(s: S): void {
    if (s.localEnded && s.remoteEnded) this.removeStream(s);
  }

  protected removeStream(s: S): void {
    if (!this.streams.delete(s.id)) return;
    this.#drainWaiters.delete(s);
    s.pending = undefined;
    this.onStreamClosed(s);
    this.#wake(s); // a producer waiting for credit resumes and sees the stream is gone
    this.#closeIfIdle();
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
  /** True when `id` names a stream that was opened on this connection at some time. */
  protected abstract wasOpened(id: number): boolean;
  /** A HEAD frame arrived (the peer's HELLO is known). */
  protected abstract onHead(frame: Frame): void;
  /** DATA for an open stream, already counted against its credit. */
  protected abstract onStreamData(s: S, chunk: Buffer, end: boolean): void;
  /** The stream ended abnormally: ABORT from the peer, or the connection is gone. */
  protected abstract onStreamAbort(s: S, code: number, reason: string): void;
  /** The peer sent GOAWAY. */
  protected abstract onGoAway(lastStreamId: number, code: number, message: string): void;
  /** A stream was forgotten. */
  protected onStreamClosed(_s: S): void {}

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
      const error = this.#decoder.push(chunk, (frame) => this.#dispatch(frame));
      if (error !== undefined) this.fail(error.code, error.message);
    } catch (err) {
      this.fail(ErrorCode.INTERNAL_ERROR, `internal error: ${(err as Error).message}`);
    }
  }

  #dispatch(frame: Frame): void {
    if (this.#closed) return;
    const { type, stream, payload } = frame;
    const name = FRAME_NAMES[type];
    if (!this.#peerReady) {
      if (type !== FrameType.HELLO) return this.fail(ErrorCode.PROTOCOL_ERROR, `expected HELLO, got ${name}`);
      return this.#onHello(frame);
    }
    const connectionLevel = type === FrameType.HELLO || type === FrameType.PING || type === FrameType.GOAWAY;
    if (connectionLevel !== (stream === 0)) {
      return this.fail(ErrorCode.PROTOCOL_ERROR, `${name} frame on stream ${stream}`);
    }
    switch (type) {
      case FrameType.HELLO:
        return this.fail(ErrorCode.PROTOCOL_ERROR, 'second HELLO');
      case FrameType.HEAD:
        return this.onHead(frame);
      case FrameType.PING:
        return this.#onPing(frame);
      case FrameType.GOAWAY: {
        if (payload.length < 8)
          return this.fail(ErrorCode.PROTOCOL_ERROR, 'GOAWAY payload shorter than 8 bytes');
        this.#goingAway = true;
        this.onGoAway(payload.readUInt32BE(0), payload.readUInt32BE(4), payload.toString('utf8', 8));
        return this.#closeIfIdle();
      }
    }
    const s = this.streams.get(stream);
    if (s === undefined) {
      if (this.wasOpened(stream)) return; // it crossed an ABORT on the wire (docs §3)
      return this.fail(ErrorCode.PROTOCOL_ERROR, `${name} for stream ${stream} that was never opened`);
    }
    if (type === FrameType.DATA) return this.#onStreamData(s, frame);
    if (type === FrameType.WINDOW) return this.#onWindow(s, payload);
    if (payload.length < 4) return this.fail(ErrorCode.PROTOCOL_ERROR, 'ABORT payload shorter than 4 bytes');
    this.removeStream(s);
    this.onStreamAbort(s, payload.readUInt32BE(0), payload.toString('utf8', 4));
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

  #onPing(frame: Frame): void {
    if (frame.payload.length !== 8)
      return this.fail(ErrorCode.PROTOCOL_ERROR, 'PING payload must be 8 bytes');
    if ((frame.flags & FrameFlag.ACK) === 0) {
      this.write(this.#frame(FrameType.PING, FrameFlag.ACK, 0, frame.payload));
      return;
    }
    const key = frame.payload.toString('hex');
    const done = this.#pings.get(key);
    this.#pings.delete(key);
    done?.(0);
  }

  #onStreamData(s: S, frame: Frame): void {
    if (s.remoteEnded) return this.fail(ErrorCode.PROTOCOL_ERROR, `DATA on stream ${s.id} after END_STREAM`);
    const length = frame.payload.length;
    if (length > s.recvAllowed) {
      return this.fail(
        ErrorCode.FLOW_CONTROL_ERROR,
        `DATA of ${length} bytes on stream ${s.id} exceeds its credit of ${s.recvAllowed}`,
      );
    }
    s.recvAllowed -= length;
    const end = (frame.flags & FrameFlag.END_STREAM) !== 0;
    if (end) s.remoteEnded = true;
    this.onStreamData(s, frame.payload, end);
    if (end) this.endStreamIfDone(s);
  }

  #onWindow(s: S, payload: Buffer): void {
    if (payload.length !== 4) return this.fail(ErrorCode.PROTOCOL_ERROR, 'WINDOW payload must be 4 bytes');
    const increment = payload.readUInt32BE(0);
    if (increment === 0 || s.sendWindow + increment > MAX_U31) {
      return this.fail(
        ErrorCode.FLOW_CONTROL_ERROR,
        `WINDOW increment ${increment} on stream ${s.id} is out of range`,
      );
    }
    s.sendWindow += increment;
    const pending = s.pending;
    if (pending === undefined) return;
    s.pending = undefined;
    if (this.writeData(s, pending, s.pendingEnd) && s.pending === undefined) this.#wake(s);
  }

  #wake(s: S): void {
    const callback = s.onWritable;
    s.onWritable = undefined;
    callback?.();
  }

  #onDrain(): void {
    this.#writer.drained();
    const waiters = [...this.#drainWaiters];
    this.#drainWaiters.clear();
    for (const s of waiters) if (s.pending === undefined) this.#wake(s);
  }

  #closeIfIdle(): void {
    if (this.#goingAway && !this.#closed && this.streams.size === 0) this.#shutdown(undefined);
  }

  #shutdown(error: FrameError | undefined): void {
    this.#closed = true;
    clearTimeout(this.#helloTimer);
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
    this.#ready.reject(new Error('connection closed before HELLO'));
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
      this.#wake(s);
    }
  }
}
