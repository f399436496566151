import type { FrameSocket } from './stream-state.js';

/** Queued frames up to this many bytes in all are copied into one buffer for the write; more go as a writev. */
const COPY_LIMIT = 64 * 1024;

/**
 * The outgoing side of a frame connection: frames queued during one event-loop turn leave in one socket write,
 * after every socket read of that turn's poll. The httpserver reads each client in its own callback, so
 * flushing per callback would cost a send per request; once per turn, the requests of many clients share one.
 */
export class FrameWriter {
  readonly #socket: FrameSocket;
  #out: Uint8Array[] = [];
  #bytes = 0;
  #scheduled = false;
  #blocked = false;
  readonly #flushLater = () => this.flush();

  constructor(socket: FrameSocket) {
    this.#socket = socket;
  }

  /** True after the socket refused more (its buffer is full) until it drains: producers should wait. */
  get blocked(): boolean {
    return this.#blocked;
  }

  /** Queues bytes for this turn's write; dropped when the socket is already destroyed. */
  write(buf: Uint8Array): void {
    if (this.#socket.destroyed) return;
    this.#out.push(buf);
    this.#bytes += buf.length;
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
    this.#out = [];
    this.#bytes = 0;
    const socket = this.#socket;
    if (socket.destroyed || socket.writableEnded) return;
    let ok = true;
    if (out.length === 1) ok = socket.write(out[0]!);
    else if (bytes <= COPY_LIMIT) ok = socket.write(Buffer.concat(out, bytes));
    else {
      socket.cork();
      for (const buf of out) ok = socket.write(buf);
      socket.uncork();
    }
    if (!ok) this.#blocked = true;
  }

  /** The socket drained: producers may go on. */
  drained(): void {
    this.#blocked = false;
  }
}
