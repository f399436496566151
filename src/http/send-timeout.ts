import type { Duplex } from 'node:stream';

/** A connection as Node's net.Socket keeps it: bytes handed to libuv, and those libuv has not yet sent. */
type SocketCounters = Duplex & { _bytesDispatched?: number; _handle?: { writeQueueSize?: number } | null };

interface Watched {
  /** What the client has taken so far (sentSoFar). */
  sent: number;
  /** When the client last took bytes, or had nothing left to take. */
  since: number;
}

/**
 * The send timeout of an HTTP server (nginx's `send_timeout`): a connection that has bytes to send and whose
 * client takes none of them for `ms` milliseconds is destroyed, so a client that never reads cannot hold a
 * response (and its memory) forever. Progress is seen where Node shows it: when one of the socket's writes
 * completes (libuv does not report a write the kernel took only in part). So a client that reads, but takes
 * longer than `ms` to take one write (a body chunk as it came from the webframe, or what queued behind the
 * previous write), is cut too. One timer checks every connection, about twice per `ms`. (The node engine's;
 * the llhttp engine checks the same in the sweep that checks its other deadlines.)
 */
export class SendTimeout {
  readonly #ms: number;
  readonly #onTimeout: (socket: Duplex) => void;
  readonly #sockets = new Map<Duplex, Watched>();
  #timer: NodeJS.Timeout | undefined;

  /** `onTimeout` is told of each connection cut, just before it is destroyed. */
  constructor(ms: number, onTimeout: (socket: Duplex) => void) {
    this.#ms = ms;
    this.#onTimeout = onTimeout;
  }

  /** Watches `socket` until forget(socket): the caller forgets it when it closes (no listener of its own here). */
  watch(socket: Duplex): void {
    this.#sockets.set(socket, { sent: sentSoFar(socket), since: performance.now() });
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => this.#check(), Math.max(10, Math.min(1000, this.#ms / 2)));
      this.#timer.unref();
    }
  }

  /** Stops watching `socket` (it closed). */
  forget(socket: Duplex): void {
    this.#sockets.delete(socket);
    if (this.#sockets.size === 0) this.#stop();
  }

  #check(): void {
    const now = performance.now();
    for (const [socket, watched] of this.#sockets) {
      const sent = sentSoFar(socket);
      if (socket.writableLength === 0 || sent > watched.sent) {
        watched.sent = sent;
        watched.since = now;
      } else if (now - watched.since >= this.#ms) {
        this.#sockets.delete(socket);
        this.#onTimeout(socket);
        socket.destroy();
      }
    }
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * What the client has taken of this connection's output, as a number that grows when it takes bytes: for a
 * net.Socket the bytes of completed writes; for another Duplex (a thread's port) minus what is buffered.
 */
export function sentSoFar(socket: Duplex): number {
  const counters = socket as SocketCounters;
  if (typeof counters._bytesDispatched === 'number') {
    return counters._bytesDispatched - (counters._handle?.writeQueueSize ?? 0);
  }
  return -socket.writableLength;
}
