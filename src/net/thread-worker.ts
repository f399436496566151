import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors/serialized-error.js';
import { PortDuplex, type PortMessage, toTransferable } from './port-duplex.js';
import {
  isConnectionHandler,
  isDatagramHandler,
  loadHandler,
  runConnection,
  runDatagram,
} from './run-handler.js';
import type { ConnectionInfo, DatagramInfo, HandlerModule, NetErrorReporter } from './types.js';

/** What a thread-model worker is started with (`workerData`). */
export interface ThreadWorkerData {
  handler: HandlerModule;
}

/** A message from the main thread to a worker. */
export type ToWorker =
  | { type: 'connection'; port: MessagePort; info: ConnectionInfo }
  | { type: 'datagram'; id: number; message: ArrayBuffer; from: DatagramInfo }
  | { type: 'close' };

/** A message from a worker to the main thread. */
export type FromWorker =
  | { type: 'ready'; connections: boolean; datagrams: boolean }
  | { type: 'reply'; id: number; data: ArrayBuffer }
  | { type: 'datagram-done'; id: number }
  | { type: 'report'; error: ReturnType<typeof serializeError>; context: string };

// This module is only ever a worker thread's entry (see ThreadModel), so parentPort is there.
const parent = parentPort as MessagePort;
const send = (message: FromWorker, transfer?: ArrayBuffer[]) => parent.postMessage(message, transfer);
const report: NetErrorReporter = (error, context) =>
  send({ type: 'report', error: serializeError(error), context });

const handler = await loadHandler((workerData as ThreadWorkerData).handler);
let open = 0;
let closing = false;
let exiting = false;

/** Counts `work` as open until it settles; the last one out after a close request lets the worker exit. */
function track(work: Promise<void>): void {
  open++;
  void work.finally(() => {
    open--;
    void exitWhenIdle();
  });
}

async function exitWhenIdle(): Promise<void> {
  if (!closing || open > 0 || exiting) return;
  exiting = true;
  try {
    await handler.close?.();
  } catch (error) {
    report(error, 'handler close');
  }
  process.exit(0);
}

parent.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'connection': {
      const { port, info } = message;
      const done = () => {
        port.postMessage({ t: 'done' } satisfies PortMessage);
        port.close();
      };
      if (!isConnectionHandler(handler)) {
        port.postMessage({ t: 'destroy' } satisfies PortMessage);
        done();
        return;
      }
      const stream = new PortDuplex(port, info);
      track(runConnection(handler, stream, info, report).finally(done));
      return;
    }
    case 'datagram': {
      const { id } = message;
      if (!isDatagramHandler(handler)) {
        send({ type: 'datagram-done', id });
        return;
      }
      const reply = (data: Uint8Array) => {
        const buffer = toTransferable(new Uint8Array(data));
        send({ type: 'reply', id, data: buffer }, [buffer]);
      };
      const work = runDatagram(handler, Buffer.from(message.message), message.from, reply, report);
      track(work.finally(() => send({ type: 'datagram-done', id })));
      return;
    }
    case 'close':
      closing = true;
      if (isConnectionHandler(handler)) {
        try {
          handler.drain?.();
        } catch (error) {
          report(error, 'handler drain');
        }
      }
      void exitWhenIdle();
      return;
  }
});

send({ type: 'ready', connections: isConnectionHandler(handler), datagrams: isDatagramHandler(handler) });
