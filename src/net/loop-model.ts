import type { Socket } from 'node:net';
import { EventModel } from './event-model.js';
import { isConnectionHandler, isDatagramHandler, runConnection, runDatagram } from './run-handler.js';
import type { ConnectionInfo, DatagramInfo } from './types.js';

/**
 * The `loop` model: one client at a time, the others wait their turn (their connections are accepted by the
 * kernel but not read until the one before them is done). The seed's simplest server; useful to show why the
 * others exist, and for handlers that must never run concurrently.
 */
export class LoopModel extends EventModel {
  override readonly name = 'loop' as const;
  #queue: Array<() => Promise<void>> = [];
  #running = false;

  override serveConnection(socket: Socket, info: ConnectionInfo): void {
    const handler = this.handler;
    if (handler === undefined || !isConnectionHandler(handler)) {
      socket.destroy();
      return;
    }
    socket.on('error', () => {}); // a waiting client that gives up must not crash the server
    this.trackSocket(socket);
    this.#enqueue(() => {
      socket.resume();
      return runConnection(handler, socket, info, this.report);
    });
  }

  override serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    const handler = this.handler;
    if (handler === undefined || !isDatagramHandler(handler)) return;
    this.#enqueue(() => runDatagram(handler, message, from, reply, this.report));
  }

  #enqueue(job: () => Promise<void>): void {
    let done!: () => void;
    this.track(new Promise<void>((resolve) => (done = resolve)));
    this.#queue.push(() => job().finally(done));
    if (!this.#running) void this.#drain();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) await job();
    this.#running = false;
  }
}
