import type { Duplex } from 'node:stream';

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
