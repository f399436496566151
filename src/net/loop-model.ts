import type { Socket } from 'node:net';
import { EventModel } from './event-model.js';
import type { ConnectionInfo, DatagramInfo } from './types.js';

/**
 * The `loop` model: one client at a time, the others wait their turn (their connections are accepted by the
 * kernel but not read until the one before them is done). The seed's simplest server; useful to show why the
 * others exist, and for handlers that must never run concurrently.
 */
export class LoopModel extends EventModel {
  override readonly name = 'loop' as const;
  /** Resolves once the last connection or datagram served so far is done: the next one's turn. */
  #tail: Promise<void> = Promise.resolve();

  override serveConnection(socket: Socket, info: ConnectionInfo): void {
    const host = this.host;
    if (host === undefined) return super.serveConnection(socket, info);
    socket.on('error', () => {}); // a waiting client that gives up must not crash the server
    const start = this.#tail.then(() => void socket.resume());
    // The next client's turn comes once the server is done with this one, not once this one has closed its
    // side: a client that keeps its socket open after the answer must not hold the others.
    let released = (): void => {};
    this.#tail = new Promise<void>((resolve) => (released = resolve));
    void host.serveConnection(socket, info, { start, released });
  }

  override serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    const host = this.host;
    if (host === undefined) return super.serveDatagram(message, from, reply);
    this.#tail = host.serveDatagram(message, from, reply, this.#tail);
  }
}
