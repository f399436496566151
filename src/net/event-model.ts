import type { Socket } from 'node:net';
import { reportToStderr } from './run-handler.js';
import type {
  ConcurrencyModel,
  ConnectionInfo,
  DatagramInfo,
  HandlerSource,
  NetErrorReporter,
} from './types.js';
import { WorkerHost } from './worker-host.js';

/**
 * The `event` model (I/O multiplexing): one process, every client served at once by the event loop, on a
 * WorkerHost in the server's own process. The default, and the cheapest while handlers do not compute for long.
 */
export class EventModel implements ConcurrencyModel {
  readonly name: 'event' | 'loop' = 'event';
  protected host: WorkerHost | undefined;
  protected readonly report: NetErrorReporter;

  constructor(report: NetErrorReporter = reportToStderr) {
    this.report = report;
  }

  get active(): number {
    return this.host?.open ?? 0;
  }

  async start(source: HandlerSource): Promise<void> {
    this.host = await WorkerHost.load(source, this.report);
  }

  serveConnection(socket: Socket, info: ConnectionInfo): void {
    const host = this.#started(socket);
    if (host === undefined) return;
    host.serveDetached(socket, info);
    socket.resume();
  }

  serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void {
    void this.#started()?.serveDatagram(message, from, reply);
  }

  reload(): void {
    this.host?.reload();
  }

  async close(): Promise<void> {
    await this.host?.close();
  }

  cut(): number {
    return this.host?.cut() ?? 0;
  }

  /** The host once start() has loaded the handler; before that, reports and destroys what came. */
  #started(socket?: Socket): WorkerHost | undefined {
    if (this.host === undefined) {
      this.report(new Error(`the ${this.name} model was not started`), `${this.name} model`);
      socket?.destroy();
    }
    return this.host;
  }
}
