import type { Duplex } from 'node:stream';
import { errors } from '../errors/catalogue.js';
import {
  ErrorCode,
  encodeCodeFrame,
  encodeFrame,
  errorCodeName,
  FRAME_NAMES,
  type Frame,
  FrameDecoder,
  type FrameError,
  FrameFlag,
  FrameType,
} from './frame-codec.js';
import { FrameStream, type StreamEvents, type StreamLink } from './frame-stream.js';
import { DEFAULT_LIMITS, encodeHello, type FrameLimits, readHello } from './hello.js';

/** Options of either end of a connection. */
export interface ConnectionOptions extends Partial<FrameLimits> {
  /** How long to wait for the peer's HELLO, in ms (default 10000). */
  helloTimeout?: number;
  /**
   * Bytes of frames sent in reply to the peer (PING ACKs, WINDOW, ABORT, response HEADs) that may wait for a
   * peer that does not read before this end stops reading it (default DEFAULT_WRITE_BACKLOG).
   */
  maxWriteBacklog?: number;
}

/** The default `maxWriteBacklog`: 1 MiB. */
export const DEFAULT_WRITE_BACKLOG = 1 << 20;

/** What a frame connection runs over: a TCP or Unix socket, or any Duplex that may offer setNoDelay. */
export type FrameSocket = Duplex & { setNoDelay?(noDelay?: boolean): unknown };

/** Queued frames up to this many bytes in all are copied into one buffer for the write; more go as a writev. */
const COPY_LIMIT = 64 * 1024;

/** How the writer tells its connection that too many reply bytes wait: `over` true, then false once below half. */
export type BacklogListener = (over: boolean) => void;

/**
 * The outgoing side of a frame connection: frames queued during one event-loop turn leave in one socket write,
 * after every socket read of that turn's poll. The httpserver reads each client in its own callback, so
 * flushing per callback would cost a send per request; once per turn, the requests of many clients share one.
 *
 * It also counts the *backlog*: bytes written with `counted` (frames made in reply to what the peer sent,
 * which no credit bounds) that are queued here or in the socket and not yet handed to the kernel. Past
 * `maxBacklog` the listener hears `true` (the connection stops reading the peer), and `false` once the
 * backlog is back under half of it.
 */
export class FrameWriter {
  readonly #socket: FrameSocket;
  #out: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;
  #blocked = false;
  readonly #flushLater = () => this.flush();
  readonly #maxBacklog: number;
  readonly #onBacklog: BacklogListener | undefined;
  #queuedCounted = 0;
  #backlog = 0;
  #over = false;

  constructor(socket: FrameSocket, maxBacklog = Number.POSITIVE_INFINITY, onBacklog?: BacklogListener) {
    this.#socket = socket;
    this.#maxBacklog = maxBacklog;
    this.#onBacklog = onBacklog;
  }

  /** True after the socket refused more (its buffer is full) until it drains: producers should wait. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Counted bytes queued or in the socket and not yet handed to the kernel. */
  get backlog(): number {
    return this.#backlog;
  }

  /**
   * Queues bytes for this turn's write; dropped when the socket is already destroyed. `counted`: the bytes
   * are a reply to the peer and count towards the backlog.
   */
  write(buf: Uint8Array, counted = false): void {
    if (this.#socket.destroyed) return;
    this.#out.push(buf);
    this.#bytes += buf.length;
    if (counted) {
      this.#queuedCounted += buf.length;
      this.#backlog += buf.length;
      if (!this.#over && this.#backlog > this.#maxBacklog) {
        this.#over = true;
        this.#onBacklog?.(true);
      }
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
  }

  /** Writes what is queued now: small frames copied into one buffer, large ones handed over as they are. */
  flush(): void {
    this.#scheduled = false;
    const out = this.#out;
    if (out.length === 0) return;
    const bytes = this.#bytes;
    const counted = this.#queuedCounted;
    this.#out = [];
    this.#bytes = 0;
    this.#queuedCounted = 0;
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    // Called once the batch is handed to the kernel (or the socket failed): its counted bytes leave the backlog.
    const done = counted === 0 ? undefined : () => this.#sent(counted);
    let ok = true;
    if (out.length === 1) ok = socket.write(out[0]!, done);
    else if (bytes <= COPY_LIMIT) ok = socket.write(Buffer.concat(out, bytes), done);
    else {
      socket.cork();
      for (let i = 0; i < out.length; i++)
        ok = socket.write(out[i]!, i === out.length - 1 ? done : undefined);
      socket.uncork();
    }
    if (!ok) this.#blocked = true;
  }

  #sent(counted: number): void {
    this.#backlog -= counted;
    if (this.#over && this.#backlog <= this.#maxBacklog / 2) {
      this.#over = false;
      this.#onBacklog?.(false);
    }
  }

  /** The socket drained: producers may go on. */
  drained(): void {
    this.#blocked = false;
  }
}

/**
 * One frame connection, whichever end it is: the HELLO exchange, frame batching (FrameWriter: all frames
 * written in one event-loop turn leave in one write), PING, GOAWAY, connection errors and close, and the table of open
 * streams, to which it routes DATA, WINDOW and ABORT. What a HEAD frame means is the end's business: the
 * connection hands each one to `onHead`, and the end opens or accepts a stream for it. The client end
 * (ClientSession) and the server end (serveFrames) are built on it.
 */
export class FrameConnection<E extends StreamEvents = StreamEvents> {
  /** This end's limits, announced in its HELLO. */
  readonly limits: Readonly<FrameLimits>;
  /** Called once when the connection is gone; `error` is set when it ended on an error. */
  onClose: ((error?: FrameError) => void) | undefined;

  readonly #socket: FrameSocket;
  readonly #onHead: (frame: Frame) => void;
  readonly #decoder: FrameDecoder;
  readonly #writer: FrameWriter;
  readonly #link: StreamLink;
  readonly #streams = new Map<number, FrameStream<E>>();
  readonly #drainWaiters = new Set<FrameStream>();
  #lastStreamId = 0;
  #peer: Readonly<FrameLimits> = DEFAULT_LIMITS;
  readonly #helloTimeout: number;
  #helloTimer: NodeJS.Timeout | undefined;
  #peerReady = false;
  readonly #ready: { promise: Promise<void>; resolve: () => void; reject: (e: Error) => void };
  readonly #pings = new Map<string, { resolve(): void; reject(err: Error): void }>();
  #pingSeq = 0;
  #closed = false;
  #goingAway = false;
  #peerGoAway: FrameError | undefined;
  #lastError: FrameError | undefined;

  /** A connection over `socket`; `onHead` receives every HEAD frame once the peer's HELLO is known. */
  constructor(socket: FrameSocket, options: ConnectionOptions, onHead: (frame: Frame) => void) {
    this.#socket = socket;
    this.#onHead = onHead;
    this.limits = {
      maxFrameSize: options.maxFrameSize ?? DEFAULT_LIMITS.maxFrameSize,
      initialWindow: options.initialWindow ?? DEFAULT_LIMITS.initialWindow,
      maxStreams: options.maxStreams ?? DEFAULT_LIMITS.maxStreams,
    };
    this.#decoder = new FrameDecoder(this.limits.maxFrameSize, { splitData: true });
    // Stop reading a peer that does not read our replies (docs §8): its requests wait in its own socket.
    const writer = new FrameWriter(socket, options.maxWriteBacklog ?? DEFAULT_WRITE_BACKLOG, (over) => {
      if (over) socket.pause();
      else socket.resume();
    });
    this.#writer = writer;
    const connection = this;
    this.#link = {
      send: (frame, counted) => writer.write(frame, counted),
      get writeBlocked() {
        return writer.blocked;
      },
      get peerMaxFrameSize() {
        return connection.#peer.maxFrameSize;
      },
      initialWindow: this.limits.initialWindow,
      waitForDrain: (s) => this.#drainWaiters.add(s),
      forget: (s) => {
        this.#streams.delete(s.id);
        this.#drainWaiters.delete(s);
        this.#closeIfIdle();
      },
    };
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

  /** The peer's limits from its HELLO (the defaults until it arrived). */
  get peer(): Readonly<FrameLimits> {
    return this.#peer;
  }

  /** Open streams on this connection. */
  get activeStreams(): number {
    return this.#streams.size;
  }

  /**
   * The highest stream id opened on this connection so far (0 before the first): a frame for an id at or
   * below it that names no open stream crossed an ABORT or the stream's end on the wire (docs §3).
   */
  get lastStreamId(): number {
    return this.#lastStreamId;
  }

  /** Starts reading and sends this end's HELLO. */
  start(): void {
    const socket = this.#socket;
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
    this.#writer.write(encodeHello(this.limits), true);
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
      this.#writer.write(encodeFrame(FrameType.PING, 0, 0, payload), true);
    });
  }

  /**
   * Starts a graceful close: GOAWAY naming the last stream this end processes; no new streams, and the
   * socket ends once the open ones finish.
   */
  close(): void {
    if (this.#closed || this.#goingAway) return;
    this.#goingAway = true;
    this.#writer.write(encodeCodeFrame(FrameType.GOAWAY, 0, [this.#lastStreamId, ErrorCode.NO_ERROR]), true);
    this.#closeIfIdle();
  }

  /** Ends the connection on a connection error: GOAWAY with `code` and `message`, then close (docs §8). */
  fail(code: number, message: string): void {
    if (this.#closed) return;
    this.#decoder.fail({ code, message });
    this.#writer.write(encodeCodeFrame(FrameType.GOAWAY, 0, [this.#lastStreamId, code], message), true);
    this.#shutdown({ code, message });
  }

  /** Destroys the connection at once. */
  destroy(): void {
    this.#socket.destroy();
  }

  /** Opens a stream from this end on `id`, above every id used so far; its owner sends the HEAD. */
  open(id: number, events: E): FrameStream<E> {
    if (id <= this.#lastStreamId) throw new RangeError(`stream id ${id} is not above ${this.#lastStreamId}`);
    return this.#add(
      new FrameStream(this.#link, id, events, this.#peer.initialWindow, this.limits.initialWindow, false),
    );
  }

  /**
   * Accepts the stream that the peer's HEAD opened on `id` (the end has checked that it is above
   * lastStreamId); `ended`: the HEAD carried END_STREAM.
   */
  accept(id: number, events: E, ended: boolean): FrameStream<E> {
    const s = this.#add(
      new FrameStream(this.#link, id, events, this.#peer.initialWindow, this.limits.initialWindow, true),
    );
    if (ended) s.endRemote();
    return s;
  }

  /** Refuses the stream that the peer's HEAD opened on `id`: ABORT REFUSED_STREAM; no handler saw it. */
  refuse(id: number, reason: string): void {
    this.#lastStreamId = Math.max(this.#lastStreamId, id);
    this.#writer.write(encodeCodeFrame(FrameType.ABORT, id, [ErrorCode.REFUSED_STREAM], reason), true);
  }

  /** The open stream `id`, if there is one. */
  stream(id: number): FrameStream<E> | undefined {
    return this.#streams.get(id);
  }

  /** Parses a JSON payload, or fails the connection naming the frame. */
  parseJson(frame: Frame): Record<string, unknown> | undefined {
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

  #add(s: FrameStream<E>): FrameStream<E> {
    this.#lastStreamId = s.id;
    this.#streams.set(s.id, s);
    return s;
  }

  #onData(chunk: Buffer): void {
    try {
      const error = this.#decoder.push(chunk, (frame) => {
        if (this.#closed) return;
        if (this.#peerReady) return this.#dispatch(frame);
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
    this.#peer = peer;
    this.#peerReady = true;
    clearTimeout(this.#helloTimer);
    this.#ready.resolve();
  }

  /** Routes a frame that arrived after the peer's HELLO, on a connection not closed. */
  #dispatch(frame: Frame): void {
    const { type, stream, payload } = frame;
    const name = FRAME_NAMES[type];
    const connectionLevel = type === FrameType.HELLO || type === FrameType.PING || type === FrameType.GOAWAY;
    if (connectionLevel !== (stream === 0)) {
      return this.fail(ErrorCode.PROTOCOL_ERROR, `${name} frame on stream ${stream}`);
    }
    switch (type) {
      case FrameType.HELLO:
        return this.fail(ErrorCode.PROTOCOL_ERROR, 'second HELLO');
      case FrameType.HEAD:
        return this.#onHead(frame);
      case FrameType.PING:
        return this.#receivePing(frame);
      case FrameType.GOAWAY:
        return this.#receiveGoAway(payload);
    }
    const s = this.#streams.get(stream);
    if (s === undefined) {
      if (stream <= this.#lastStreamId) return; // it crossed an ABORT on the wire (docs §3)
      return this.fail(ErrorCode.PROTOCOL_ERROR, `${name} for stream ${stream} that was never opened`);
    }
    let error: FrameError | undefined;
    if (type === FrameType.DATA) {
      error = s.receiveData(payload, (frame.flags & FrameFlag.END_STREAM) !== 0);
    } else if (type === FrameType.WINDOW) {
      if (payload.length !== 4) return this.fail(ErrorCode.PROTOCOL_ERROR, 'WINDOW payload must be 4 bytes');
      error = s.receiveWindow(payload.readUInt32BE(0));
    } else {
      if (payload.length < 4)
        return this.fail(ErrorCode.PROTOCOL_ERROR, 'ABORT payload shorter than 4 bytes');
      s.aborted(payload.readUInt32BE(0), payload.toString('utf8', 4));
    }
    if (error !== undefined) this.fail(error.code, error.message);
  }

  /** A PING frame on stream 0: answers it, or settles the ping() it acknowledges. */
  #receivePing(frame: Frame): void {
    if (frame.payload.length !== 8) {
      return this.fail(ErrorCode.PROTOCOL_ERROR, 'PING payload must be 8 bytes');
    }
    if ((frame.flags & FrameFlag.ACK) === 0) {
      this.#writer.write(encodeFrame(FrameType.PING, FrameFlag.ACK, 0, frame.payload), true);
      return;
    }
    const key = frame.payload.toString('hex');
    const pending = this.#pings.get(key);
    this.#pings.delete(key);
    pending?.resolve();
  }

  /**
   * A GOAWAY frame on stream 0: no new streams; the open streams above its last stream id were not processed
   * and end with REFUSED_STREAM (safe to retry elsewhere); the connection closes once the others finish.
   */
  #receiveGoAway(payload: Buffer): void {
    if (payload.length < 8) return this.fail(ErrorCode.PROTOCOL_ERROR, 'GOAWAY payload shorter than 8 bytes');
    this.#goingAway = true;
    const last = payload.readUInt32BE(0);
    this.#peerGoAway = { code: payload.readUInt32BE(4), message: payload.toString('utf8', 8) };
    for (const s of [...this.#streams.values()]) {
      if (s.id > last) s.aborted(ErrorCode.REFUSED_STREAM, 'the peer is going away');
    }
    this.#closeIfIdle();
  }

  /** The socket drained: wakes the streams that waited for it. */
  #onDrain(): void {
    this.#writer.drained();
    const waiters = [...this.#drainWaiters];
    this.#drainWaiters.clear();
    for (const s of waiters) s.drained();
  }

  /** Closes the connection when it is going away and no stream is left. */
  #closeIfIdle(): void {
    if (this.#goingAway && !this.#closed && this.#streams.size === 0) this.#shutdown(undefined);
  }

  #shutdown(error: FrameError | undefined): void {
    this.#closed = true;
    clearTimeout(this.#helloTimer);
    if (error !== undefined) {
      this.#ready.reject(errors.PROTOCOL_CONNECTION_CLOSED(`${errorCodeName(error.code)}: ${error.message}`));
    }
    this.#writer.flush();
    this.#socket.end();
    const timer = setTimeout(() => this.#socket.destroy(), 2000);
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

  #abortAll(error: FrameError | undefined): void {
    if (error !== undefined) this.#lastError = error;
    const reason =
      error === undefined ? 'connection closed' : `${errorCodeName(error.code)}: ${error.message}`;
    for (const s of [...this.#streams.values()]) s.aborted(error?.code ?? ErrorCode.INTERNAL_ERROR, reason);
    for (const pending of this.#pings.values()) pending.reject(new Error(`PING unanswered: ${reason}`));
    this.#pings.clear();
  }
}
