import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataChannel, type DataChannelOptions } from './data-channel.js';

/** Test kit for the data-channel tests: a DataChannel whose control connection is 127.0.0.1 ↔ 127.0.0.1. */
export function loopbackChannel(options: Partial<DataChannelOptions> = {}, local = '127.0.0.1'): DataChannel {
  return new DataChannel(
    { localAddress: local, remoteAddress: '127.0.0.1', family: 'IPv4' },
    { portMin: 0, portMax: 0, timeout: 2000, ...options },
  );
}

/** Test kit: the port of a 227 or 229 reply text. */
export function replyPort(text: string): number {
  const pasv = /\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)$/.exec(text);
  if (pasv) return Number(pasv[5]) * 256 + Number(pasv[6]);
  const epsv = /\(\|\|\|(\d+)\|\)$/.exec(text);
  if (epsv) return Number(epsv[1]);
  throw new Error(`no port in ${text}`);
}

/** Test kit: a client socket connected to host:port (from `localAddress` if given), half-open allowed. */
export function dial(host: string, port: number, localAddress?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port, allowHalfOpen: true, ...(localAddress ? { localAddress } : {}) });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/** Test kit: behaves like a client that reads to EOF and then hangs up; resolves when `socket` has closed. */
export function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => {
    socket.once('close', () => resolve());
    if (socket.readableEnded) socket.end();
    else socket.once('end', () => socket.end());
    socket.on('error', () => {});
    socket.resume();
  });
}

/** Test kit: reads a socket to its end and returns the bytes. */
export function readAll(socket: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Test kit: a listening TCP server on 127.0.0.1 with an OS-chosen port. */
export function listenLocal(
  onConnection?: (socket: Socket) => void,
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve) => {
    const server = createServer({ allowHalfOpen: true }, onConnection);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : 0 });
    });
  });
}

/** Test kit: a temp dir holding a random file of `size` bytes; `cleanup()` removes it. */
export function tempFile(size: number): { dir: string; file: string; data: Buffer; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-ftp-data-'));
  const file = join(dir, 'payload.bin');
  const data = randomBytes(size);
  writeFileSync(file, data);
  return { dir, file, data, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Test kit: how many TCP servers and sockets this process holds open, once pending handle closes are done. */
export async function tcpHandles(): Promise<{ servers: number; sockets: number }> {
  // libuv closes a handle one loop turn after close()/destroy(); let those complete first.
  for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
  const info = process.getActiveResourcesInfo();
  return {
    servers: info.filter((name) => name === 'TCPServerWrap').length,
    sockets: info.filter((name) => name === 'TCPSocketWrap').length,
  };
}
