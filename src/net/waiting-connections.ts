import type { Socket } from 'node:net';
import type { ConnectionInfo } from './types.js';

/** A connection accepted and not yet handed to a worker; its socket stays paused. */
export interface WaitingConnection {
  readonly socket: Socket;
  readonly info: ConnectionInfo;
}

/**
 * The connections a model holds until a worker can take them, first come first served. One whose socket closes
 * while it waits (its client gave up) leaves the queue, and `gone` is told.
 */
export class WaitingConnections {
  readonly #entries: WaitingConnection[] = [];
  readonly #gone: () => void;

  constructor(gone: () => void) {
    this.#gone = gone;
  }

  /** How many connections wait. */
  get size(): number {
    return this.#entries.length;
  }

  add(socket: Socket, info: ConnectionInfo): void {
    const entry: WaitingConnection = { socket, info };
    this.#entries.push(entry);
    socket.once('close', () => {
      const index = this.#entries.indexOf(entry);
      if (index === -1) return;
      this.#entries.splice(index, 1);
      this.#gone();
    });
  }

  /** Takes the connection that has waited longest (its socket may have been destroyed meanwhile). */
  shift(): WaitingConnection | undefined {
    return this.#entries.shift();
  }

  /** Destroys every waiting connection's socket and empties the queue; returns how many there were. */
  destroyAll(): number {
    const count = this.#entries.length;
    for (const entry of this.#entries.splice(0)) entry.socket.destroy();
    return count;
  }
}
