import type { Duplex } from 'node:stream';

/** What a frame connection runs over: a TCP or Unix socket, or any Duplex that may offer setNoDelay. */
export type FrameSocket = Duplex & { setNoDelay?(noDelay?: boolean): unknown };

/** Limits one end of a connection announces in its HELLO (docs/protocol.md §4.1). */
export interface SessionLimits {
  /** Largest frame payload this end accepts. */
  maxFrameSize: number;
  /** Credit this end grants the peer on each new stream. */
  initialWindow: number;
  /** Open streams this end accepts at once. */
  maxStreams: number;
}

/** Options of either end of a connection. */
export interface SessionOptions extends Partial<SessionLimits> {
  /** How long to wait for the peer's HELLO, in ms (default 10000). */
  helloTimeout?: number;
  /**
   * Bytes of frames sent in reply to the peer (PING ACKs, WINDOW, ABORT, response HEADs) that may wait for a
   * peer that does not read before this end stops reading it (default DEFAULT_WRITE_BACKLOG).
   */
  maxWriteBacklog?: number;
  /**
   * The webframe end: a stream that makes no progress for this long, in ms, is aborted with TIMEOUT (default
   * 60000): its request body is open and no DATA came while httpserver had credit, or its response waits
   * for WINDOW credit.
   */
  streamIdleTimeout?: number;
}

/** The default `maxWriteBacklog`: 1 MiB. */
export const DEFAULT_WRITE_BACKLOG = 1 << 20;

/** The defaults of docs/protocol.md §4.1. */
export const DEFAULT_LIMITS: Readonly<SessionLimits> = Object.freeze({
  maxFrameSize: 1 << 20,
  initialWindow: 1 << 20,
  maxStreams: 256,
});

/** State of one stream that both ends keep: flow-control credit both ways and which directions ended. */
export class StreamState {
  readonly id: number;
  /** Bytes of DATA this end may still send. */
  sendWindow: number;
  /** Bytes of DATA the peer may still send before it needs more credit. */
  recvAllowed: number;
  /** Bytes consumed by the reader and not yet granted back in a WINDOW. */
  recvUnacked = 0;
  localEnded = false;
  remoteEnded = false;
  /** Part of the last write that did not fit the credit; sent when WINDOW arrives. */
  pending: Uint8Array | undefined;
  pendingEnd = false;
  /** Called once a write that returned false may be followed by the next. */
  onWritable: (() => void) | undefined;

  constructor(id: number, sendWindow: number, recvAllowed: number) {
    this.id = id;
    this.sendWindow = sendWindow;
    this.recvAllowed = recvAllowed;
  }
}
