import type { EventEmitter } from 'node:events';
import { unlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { errors } from '../errors/catalogue.js';

/** The part of the unix-dgram package (a small native addon; Node has no AF_UNIX datagram sockets) used here. */
interface NativeUnixDgram extends EventEmitter {
  bind(path: string): void;
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  close(): void;
}

/** A bound Unix datagram socket. */
export interface UnixDatagramSocket {
  /** Sends one datagram to the socket bound at `path`. */
  send(data: Uint8Array, path: string): void;
  close(): void;
}

const require = createRequire(import.meta.url);
const CONGESTION_RETRY_MS = 2;
/** The addon reports errno values negated (-11 for EAGAIN). */
const EAGAIN = constants.errno.EAGAIN;
const MAX_CONGESTION_RETRIES = 500;

/**
 * Binds a Unix datagram socket at `path` (a stale socket file there is removed first) and calls `onMessage`
 * with each datagram and the sender's bound path (undefined when the sender did not bind one, so it cannot
 * be answered).
 */
export async function bindUnixDatagram(
  path: string,
  onMessage: (message: Buffer, fromPath: string | undefined) => void,
  onError: (error: Error) => void = () => {},
): Promise<UnixDatagramSocket> {
  let unix: { createSocket(type: 'unix_dgram'): NativeUnixDgram };
  try {
    unix = require('unix-dgram');
  } catch (err) {
    throw errors.CLI_USAGE(
      `Unix datagram sockets need the unix-dgram addon, which did not load: ${(err as Error).message}`,
    );
  }
  await unlink(path).catch(() => {});
  const socket = unix.createSocket('unix_dgram');
  socket.on('message', (message: Buffer, rinfo: { path?: string | null }) =>
    onMessage(message, rinfo.path ?? undefined),
  );
  socket.on('error', onError);
  await new Promise<void>((resolve, reject) => {
    socket.once('listening', resolve);
    socket.once('error', reject);
    socket.bind(path);
  });
  return {
    send(data, to) {
      const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      // A full receive queue (net.unix.max_dgram_qlen, 10 by default) answers "congestion" instead of
      // blocking: retry a little later, a bounded number of times, as a blocking send would have waited.
      let tries = 0;
      const attempt = () => {
        socket.send(buf, 0, buf.length, to, (err) => {
          if (err === undefined || err === null) return;
          const code = (err as Error & { code?: unknown }).code;
          if ((code === 1 || code === -EAGAIN) && ++tries < MAX_CONGESTION_RETRIES) {
            setTimeout(attempt, CONGESTION_RETRY_MS);
          } else {
            onError(err);
          }
        });
      };
      attempt();
    },
    close() {
      socket.close();
      void unlink(path).catch(() => {});
    },
  };
}
