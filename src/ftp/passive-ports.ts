import { createServer, type Server } from 'node:net';
import { errors } from '../errors/catalogue.js';

// One rotation cursor per process, shared by every session, so consecutive PASV commands spread over the range
// instead of all racing for its first port. Other processes (fork/prefork) are handled by EADDRINUSE skips.
let cursor = 0;

/** A listening passive-mode server and the port it got. */
export interface PassiveListener {
  server: Server;
  port: number;
}

/**
 * Listens a new TCP server on `host` at a port of [portMin, portMax], trying the ports in rotation from where
 * the previous allocation of this process stopped and skipping those in use; `portMin = portMax = 0` lets the OS
 * pick. Throws FTP_PASSIVE_UNAVAILABLE when every port of the range is taken.
 */
export async function listenPassive(
  host: string,
  portMin: number,
  portMax: number,
): Promise<PassiveListener> {
  if (portMin === 0 && portMax === 0) return listenOn(host, 0);
  if (!(Number.isInteger(portMin) && Number.isInteger(portMax) && portMin >= 1 && portMax <= 65535)) {
    throw errors.FTP_PASSIVE_UNAVAILABLE(`invalid port range ${portMin}-${portMax}`);
  }
  if (portMax < portMin) throw errors.FTP_PASSIVE_UNAVAILABLE(`invalid port range ${portMin}-${portMax}`);
  const count = portMax - portMin + 1;
  for (let tried = 0; tried < count; tried++) {
    const port = portMin + (cursor % count);
    // Advance before awaiting so that concurrent allocations try different ports.
    cursor = (cursor % count) + 1;
    try {
      return await listenOn(host, port);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EADDRINUSE' && code !== 'EACCES') throw errors.FTP_PASSIVE_UNAVAILABLE(String(err));
    }
  }
  throw errors.FTP_PASSIVE_UNAVAILABLE(`no free port in ${portMin}-${portMax}`);
}

function listenOn(host: string, port: number): Promise<PassiveListener> {
  return new Promise((resolve, reject) => {
    // Paused: nothing is read until a transfer starts, so an upload can be handed whole to a copier process.
    const server = createServer({ pauseOnConnect: true });
    server.once('error', reject);
    // exclusive: under cluster-like models a worker must own its data port, not share the primary's handle.
    server.listen({ host, port, exclusive: true, backlog: 8 }, () => {
      server.off('error', reject);
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address !== null ? address.port : port });
    });
  });
}
