import {
  ErrorCode,
  encodeCodeFrame,
  FRAME_NAMES,
  type Frame,
  FrameFlag,
  FrameType,
  HEADER_SIZE,
  MAX_U31,
  writeHeader,
} from './frame-codec.js';
import { FrameConnection } from './frame-connection.js';
import type { StreamState } from './stream-state.js';

/**
 * What both ends of a frame connection share: HELLO exchange, frame batching (all frames written in one
 * event-loop turn leave in one writev), per-stream flow control, PING, GOAWAY and connection errors.
 * Subclasses decide what HEAD, DATA and ABORT mean for their side. The connection level lives in
 * FrameConnection; this class adds frame dispatch and the streams' flow control.
 */
export abstract class FrameSession<S extends StreamState = StreamState> extends FrameConnection<S> {
  #drainWaiters = new Set<S>();

  /**
   * Sends `chunk` as DATA frames within the stream's credit. Returns false when the caller should wait for
   * `onWritable`: part of the chunk waits for credit, the credit is spent, or the socket is full. So a producer
   * makes its next chunk only once it can be sent, and a stream holds at most one chunk beyond its window.
   */
  protected writeData(s: S, chunk: Uint8Array, end: boolean): boolean {
    if (s.localEnded || this.closed) return false;
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
        this.onStreamProgress(s); // from now on it waits for the peer's credit
        return false;
      }
      const last = offset + n === chunk.length;
      const header = Buffer.allocUnsafe(HEADER_SIZE);
      writeHeader(header, 0, n, FrameType.DATA, end && last ? FrameFlag.END_STREAM : 0, s.id);
      this.writeFlowControlled(header);
      if (n > 0) this.writeFlowControlled(chunk.subarray(offset, offset + n));
      s.sendWindow -= n;
      offset += n;
    } while (offset < chunk.length);
    if (end) {
      s.localEnded = true;
      this.endStreamIfDone(s);
    }
    if (this.writeBlocked) {
      this.#drainWaiters.add(s);
      return false;
    }
    return end || s.sendWindow > 0;
  }

  /** Reports `bytes` of a stream's DATA as consumed; grants them back once half a window has built up. */
  protected consumed(s: S, bytes: number): void {
    s.recvUnacked += bytes;
    if (s.remoteEnded || s.recvUnacked < this.limits.initialWindow / 2 || !this.streams.has(s.id)) return;
    s.recvAllowed += s.recvUnacked;
    this.write(encodeCodeFrame(FrameType.WINDOW, s.id, [s.recvUnacked]));
    s.recvUnacked = 0;
    this.onStreamProgress(s); // the peer has credit again from now on
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
    this.wake(s); // a producer waiting for credit resumes and sees the stream is gone
    this.closeIfIdle();
  }

  /** True when `id` names a stream that was opened on this connection at some time. */
  protected abstract wasOpened(id: number): boolean;
  /** A HEAD frame arrived (the peer's HELLO is known). */
  protected abstract onHead(frame: Frame): void;
  /** DATA for an open stream, already counted against its credit. */
  protected abstract onStreamData(s: S, chunk: Buffer, end: boolean): void;
  /** A stream was forgotten. */
  protected onStreamClosed(_s: S): void {}
  /** Something moved on a stream: DATA or WINDOW arrived, credit was granted, or it began to wait for credit. */
  protected onStreamProgress(_s: S): void {}

  /** Routes a frame that arrived after the peer's HELLO, on a connection not closed. */
  protected dispatch(frame: Frame): void {
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
        return this.onHead(frame);
      case FrameType.PING:
        return this.receivePing(frame);
      case FrameType.GOAWAY:
        return this.receiveGoAway(payload);
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
    this.onStreamProgress(s);
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
    this.onStreamProgress(s);
    const pending = s.pending;
    if (pending === undefined) {
      // A producer that spent the credit waits for it; with the socket full, for the drain as well.
      if (this.writeBlocked) this.#drainWaiters.add(s);
      else this.wake(s);
      return;
    }
    s.pending = undefined;
    if (this.writeData(s, pending, s.pendingEnd) && s.pending === undefined) this.wake(s);
  }

  /** The socket drained: wakes the streams that waited for it and have nothing pending. */
  protected onDrain(): void {
    const waiters = [...this.#drainWaiters];
    this.#drainWaiters.clear();
    for (const s of waiters) if (s.pending === undefined) this.wake(s);
  }
}
