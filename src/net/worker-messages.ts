import type { MessagePort } from 'node:worker_threads';
import type { SerializedError } from '../errors/serialized-error.js';
import type { ConnectionInfo, DatagramInfo, HandlerModuleCall } from './types.js';

/**
 * What a model tells its worker (a process or thread running worker-main.ts). A process is handed each
 * connection's socket with its `connection` message; a thread gets `port`, whose other end relays the socket's
 * bytes in the main thread (bridgeSocket).
 */
export type ToWorker =
  | { type: 'start'; handler: HandlerModuleCall; once: boolean }
  | { type: 'connection'; info: ConnectionInfo; port?: MessagePort }
  | { type: 'datagram'; id: number; message: ArrayBuffer; from: DatagramInfo }
  | { type: 'reload' }
  | { type: 'close' }
  | { type: 'cut' };

/** What a worker tells its model: `done` after each connection, `datagram-done` after each datagram. */
export type FromWorker =
  | { type: 'ready'; connections: boolean; datagrams: boolean }
  | { type: 'failed'; error: SerializedError }
  | { type: 'done' }
  | { type: 'reply'; id: number; data: ArrayBuffer }
  | { type: 'datagram-done'; id: number }
  | { type: 'report'; context: string; error: SerializedError };
