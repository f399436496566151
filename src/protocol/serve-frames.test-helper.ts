import { createServer, type Socket } from 'node:net';
import type { Handler } from '../http/handler.js';
import type { ConnectionHandler } from '../net/types.js';
import { type ServeFramesOptions, serveFrames } from './serve-frames.js';

/** A TCP listener on 127.0.0.1 that serves a Handler on the frame protocol, for tests of the server end. */
export interface FramesListener {
  port: number;
  /** The serveFrames connection handler: `drain()` sends GOAWAY on every connection. */
  frames: ConnectionHandler;
  /** Every socket accepted so far. */
  sockets: Socket[];
  /** Destroys every socket and stops listening. */
  close(): void;
}

/** Listens on 127.0.0.1 port 0 and serves `handler` with serveFrames on each connection. */
export async function listenFrames(
  handler: Handler,
  options: ServeFramesOptions = {},
): Promise<FramesListener> {
  const frames = serveFrames(handler, options);
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    const info = {
      transport: 'tcp' as const,
      remoteAddress: '127.0.0.1',
      remotePort: socket.remotePort ?? 0,
    };
    void frames.handle(socket, info);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    frames,
    sockets,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}
