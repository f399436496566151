import type { Socket } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { serializeError } from '../errors/serialized-error.js';
import { PORT_WINDOW, type PortMessage, postData } from './port-duplex.js';

/**
 * Pipes a main-thread socket to the worker's end of `port` (a PortDuplex) and back, with flow control both
 * ways. `done` is called once, when the worker says the handler finished or the port closed (the worker
 * died); after that the socket is left to close by itself, or destroyed if the worker died mid-connection.
 * The socket must still be paused; it is resumed here. Returns an abort: destroys the socket and closes
 * the port unless the worker is already done (for a worker that died before it could take the connection).
 */
export function bridgeSocket(socket: Socket, port: MessagePort, done: () => void): () => void {
  let unacked = 0;
  let paused = false;
  let finished = false;
  let socketError: Error | undefined;
  const post = (message: PortMessage) => {
    if (!finished) port.postMessage(message);
  };
  const finish = () => {
    if (finished) return;
    finished = true;
    port.close();
    // Whatever the client still sends is dropped, so that its FIN is seen and the socket can close.
    if (paused) socket.resume();
    done();
  };
  // The worker's handler decides when its side ends, as over a half-open socket.
  socket.allowHalfOpen = true;
  socket.on('data', (chunk: Buffer) => {
    if (finished) return;
    // The socket's chunk is ours alone: transferred when it owns its whole buffer.
    unacked += postData(port, chunk, true);
    if (unacked >= PORT_WINDOW && !paused) {
      paused = true;
      socket.pause();
    }
  });
  socket.on('end', () => post({ t: 'end' }));
  socket.on('error', (error) => {
    socketError = error;
  });
  socket.on('close', (hadError) => {
    if (hadError || !socket.readableEnded) {
      post(
        socketError === undefined ? { t: 'destroy' } : { t: 'destroy', error: serializeError(socketError) },
      );
    }
  });
  port.on('message', (message: PortMessage) => {
    switch (message.t) {
      case 'data': {
        const n = message.b.byteLength;
        socket.write(Buffer.from(message.b), () => post({ t: 'ack', n }));
        return;
      }
      case 'ack':
        unacked -= message.n;
        if (paused && unacked < PORT_WINDOW) {
          paused = false;
          socket.resume();
        }
        return;
      case 'end':
        socket.end();
        return;
      case 'destroy':
        socket.destroy();
        return;
      case 'done':
        if (!socket.writableEnded) socket.end();
        finish();
        return;
    }
  });
  port.once('close', () => {
    if (!finished) socket.destroy();
    finish();
  });
  socket.resume();
  return () => {
    if (finished) return;
    socket.destroy();
    finish();
  };
}
