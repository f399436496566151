import type { Socket } from 'node:net';
import type { ConnectionInfo } from './types.js';
import type { FromWorker, ToWorker } from './worker-messages.js';

/** What a link reports to its ModelWorker. */
export interface LinkEvents {
  message(message: FromWorker): void;
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  error(error: unknown, context: string): void;
}

/** How a ModelWorker reaches its process or thread: ProcessLink or ThreadLink. */
export interface WorkerLink {
  /** The process id or thread id (0 for a process that could not be spawned). */
  readonly id: number;
  /** True while messages reach the worker. */
  readonly connected: boolean;
  send(message: ToWorker, transfer?: ArrayBuffer[]): void;
  /** Hands a paused socket to the worker; `undelivered` is called if it cannot be. */
  handOver(socket: Socket, info: ConnectionInfo, undelivered: (error: unknown) => void): void;
  /** Destroys the sockets this side still holds for the worker. */
  release(): void;
  /** Stops the worker at once. */
  kill(): void;
}
