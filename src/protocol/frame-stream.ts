import {
  ErrorCode,
  encodeCodeFrame,
  encodeJsonFrame,
  type FrameError,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  MAX_U31,
  writeHeader,
} from './frame-codec.js';

/** What the owner of a stream (a request on the client end, a handler's exchange on the server end) hears. */
export interface StreamEvents {
  /** DATA arrived, already counted against this end's credit; `end`: the peer's direction has ended. */
  onData(chunk: Buffer, end: boolean): void;
  /** A write that returned false may be followed by the next: credit came, or the socket drained. */
  onWritable(): void;
  /** The peer sent ABORT, or the connection is gone (never for this end's own abort()); onClose follows. */
  onAbort(code: number, reason: string): void;
  /** The stream is forgotten: both directions ended, or it was aborted either way. Always the last event. */
  onClose(): void;
  /** Something moved: DATA or WINDOW arrived, credit was granted, or a write began to wait for credit. */
  onProgress?(): void;
}

/** What a stream needs of its connection; the connection makes one for all its streams. */
export interface StreamLink {
  /** Queues a frame for this turn's write; `counted`: a reply to the peer, counted towards the write backlog. */
  send(frame: Uint8Array, counted: boolean): void;
  /** True after the socket refused more, until it drains. */
  readonly writeBlocked: boolean;
  /** The largest payload the peer accepts. */
  readonly peerMaxFrameSize: number;
  /** The credit this end grants per stream: a WINDOW goes back once half of it has been consumed. */
  readonly initialWindow: number;
  /** Calls `s.drained()` once the socket drains. */
  waitForDrain(s: FrameStream): void;
  /** The stream ended: the connection forgets it. */
  forget(s: FrameStream): void;
}

const EMPTY = Buffer.alloc(0);

/**
 * One stream of a frame connection as the sink its owner writes to: HEAD, DATA within the stream's credit,
 * WINDOW as the owner consumes what arrived, ABORT. It keeps the flow control of both directions (docs §5)
 * and which of them ended, and tells its owner what happens through StreamEvents. The connection feeds it
 * the frames that arrive for it (receiveData, receiveWindow, aborted).
 */
export class FrameStream<E extends StreamEvents = StreamEvents> {
  readonly id: number;
  /** The owner: told of data, credit, abort and close. */
  readonly events: E;
  readonly #link: StreamLink;
  /** The peer opened it: what this end sends on it are replies, counted towards the write backlog. */
  readonly #reply: boolean;
  /** The peer knows the stream: it opened it, or this end sent its HEAD. */
  #announced: boolean;
  #sendWindow: number;
  #recvAllowed: number;
  #recvUnacked = 0;
  #localEnded = false;
  #remoteEnded = false;
  #open = true;
  /** Part of the last write that did not fit the credit; sent when WINDOW arrives. */
  #pending: Uint8Array | undefined;
  #pendingEnd = false;
  /** A write returned false: onWritable is owed once it may go on. */
  #waiting = false;

  /**
   * `sendWindow`: the credit the peer granted (its HELLO's initialWindow); `recvAllowed`: the credit this end
   * grants; `openedByPeer`: the peer's HEAD opened it (the server end).
   */
  constructor(
    link: StreamLink,
    id: number,
    events: E,
    sendWindow: number,
    recvAllowed: number,
    openedByPeer: boolean,
  ) {
    this.#link = link;
    this.id = id;
    this.events = events;
    this.#sendWindow = sendWindow;
    this.#recvAllowed = recvAllowed;
    this.#reply = openedByPeer;
    this.#announced = openedByPeer;
  }

  /** True until the stream is forgotten (both directions ended, or ABORT either way). */
  get open(): boolean {
    return this.#open;
  }

  /** True once this end's direction has ended (its last frame carried END_STREAM). */
  get localEnded(): boolean {
    return this.#localEnded;
  }

  /** True once the peer's direction has ended. */
  get remoteEnded(): boolean {
    return this.#remoteEnded;
  }

  /**
   * True when the stream waits for the peer: its direction is open and it has credit to send, or this end's
   * DATA waits for credit. A stream that waits only for its owner (a view at work) does not.
   */
  get waitsForPeer(): boolean {
    return (!this.#remoteEnded && this.#recvAllowed > 0) || this.#pending !== undefined;
  }

  /**
   * Sends a HEAD frame with `head` as its JSON payload, with END_STREAM when `end`. Returns false, sending
   * nothing, when the frame would not fit the peer's maxFrameSize (or the stream is over).
   */
  writeHead(head: object, end: boolean): boolean {
    if (!this.#open || this.#localEnded) return false;
    const frame = encodeJsonFrame(FrameType.HEAD, end ? FrameFlag.END_STREAM : 0, this.id, head);
    if (frame.length - HEADER_SIZE > this.#link.peerMaxFrameSize) return false;
    this.#link.send(frame, this.#reply);
    this.#announced = true;
    if (end) this.#endLocal();
    return true;
  }

  /**
   * Sends `chunk` as DATA frames within the stream's credit, with END_STREAM on the last when `end`. Returns
   * false when the caller should wait for onWritable: part of the chunk waits for credit, the credit is spent,
   * or the socket is full. So a producer makes its next chunk only once it can be sent, and a stream holds at
   * most one chunk beyond its window. Also false, for good, once the stream is over.
   */
  write(chunk: Uint8Array, end = false): boolean {
    if (!this.#open || this.#localEnded) return false;
    if (this.#pending !== undefined) {
      this.#pending = Buffer.concat([this.#pending, chunk]);
      this.#pendingEnd = end;
      this.#waiting = true;
      return false;
    }
    return this.#send(chunk, end);
  }

  /** Ends this end's direction: an empty DATA with END_STREAM, after what waits for credit. */
  end(): void {
    this.write(EMPTY, true);
  }

  /** Reports `bytes` of received DATA as consumed; grants them back in a WINDOW once half a window built up. */
  consumed(bytes: number): void {
    this.#recvUnacked += bytes;
    if (!this.#open || this.#remoteEnded || this.#recvUnacked < this.#link.initialWindow / 2) return;
    this.#recvAllowed += this.#recvUnacked;
    this.#link.send(encodeCodeFrame(FrameType.WINDOW, this.id, [this.#recvUnacked]), true);
    this.#recvUnacked = 0;
    this.events.onProgress?.(); // the peer has credit again from now on
  }

  /**
   * Ends the stream at once in both directions: ABORT with `code` and `reason` to the peer (when the peer knows
   * the stream), then onClose. Its owner does not hear onAbort: it is the one aborting.
   */
  abort(code: number = ErrorCode.CANCEL, reason = ''): void {
    if (!this.#open) return;
    if (this.#announced) {
      this.#link.send(encodeCodeFrame(FrameType.ABORT, this.id, [code], reason), true);
    }
    this.#close();
  }

  /** The peer's direction ended with its HEAD (END_STREAM): the stream closes if this end's has ended too. */
  endRemote(): void {
    if (!this.#open) return;
    this.#remoteEnded = true;
    if (this.#localEnded) this.#close();
  }

  /** Called by the connection: DATA arrived. Returns the connection error it makes, if it breaks a rule. */
  receiveData(payload: Buffer, end: boolean): FrameError | undefined {
    if (this.#remoteEnded) {
      return { code: ErrorCode.PROTOCOL_ERROR, message: `DATA on stream ${this.id} after END_STREAM` };
    }
    const length = payload.length;
    if (length > this.#recvAllowed) {
      return {
        code: ErrorCode.FLOW_CONTROL_ERROR,
        message: `DATA of ${length} bytes on stream ${this.id} exceeds its credit of ${this.#recvAllowed}`,
      };
    }
    this.#recvAllowed -= length;
    this.events.onProgress?.();
    if (end) this.#remoteEnded = true;
    this.events.onData(payload, end);
    if (end && this.#localEnded && this.#open) this.#close();
    return undefined;
  }

  /** Called by the connection: WINDOW arrived. Returns the connection error it makes, if it breaks a rule. */
  receiveWindow(increment: number): FrameError | undefined {
    if (increment === 0 || this.#sendWindow + increment > MAX_U31) {
      return {
        code: ErrorCode.FLOW_CONTROL_ERROR,
        message: `WINDOW increment ${increment} on stream ${this.id} is out of range`,
      };
    }
    this.#sendWindow += increment;
    this.events.onProgress?.();
    const pending = this.#pending;
    if (pending === undefined) {
      // A producer that spent the credit waits for it; with the socket full, for the drain as well.
      if (this.#link.writeBlocked) this.#link.waitForDrain(this);
      else this.#wake();
      return undefined;
    }
    this.#pending = undefined;
    if (this.#send(pending, this.#pendingEnd) && this.#pending === undefined) this.#wake();
    return undefined;
  }

  /** Called by the connection: the socket drained after writeBlocked. */
  drained(): void {
    if (this.#pending === undefined) this.#wake();
  }

  /** Called by the connection: ABORT arrived, the connection is gone, or GOAWAY left the stream out. */
  aborted(code: number, reason: string): void {
    if (!this.#open) return;
    this.#forget();
    this.events.onAbort(code, reason);
    this.events.onClose();
  }

  #send(chunk: Uint8Array, end: boolean): boolean {
    const link = this.#link;
    let offset = 0;
    do {
      const n = Math.min(chunk.length - offset, this.#sendWindow, link.peerMaxFrameSize);
      if (n === 0 && offset < chunk.length) {
        this.#pending = chunk.subarray(offset);
        this.#pendingEnd = end;
        this.#waiting = true;
        this.events.onProgress?.(); // from now on it waits for the peer's credit
        return false;
      }
      const last = offset + n === chunk.length;
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, n, FrameType.DATA, end && last ? FrameFlag.END_STREAM : 0, this.id);
      link.send(header, false);
      if (n > 0) link.send(chunk.subarray(offset, offset + n), false);
      this.#sendWindow -= n;
      offset += n;
    } while (offset < chunk.length);
    if (end) this.#endLocal();
    if (link.writeBlocked && this.#open) {
      this.#waiting = true;
      link.waitForDrain(this);
      return false;
    }
    if (end || this.#sendWindow > 0) return true;
    this.#waiting = true;
    return false;
  }

  #endLocal(): void {
    this.#localEnded = true;
    if (this.#remoteEnded) this.#close();
  }

  #wake(): void {
    if (!this.#waiting || !this.#open) return;
    this.#waiting = false;
    this.events.onWritable();
  }

  #forget(): void {
    this.#open = false;
    this.#pending = undefined;
    this.#link.forget(this);
  }

  #close(): void {
    this.#forget();
    this.events.onClose();
  }
}
