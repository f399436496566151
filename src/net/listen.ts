import type { AddressInfo, Server } from 'node:net';

/** Binds `server` to `host:port` (0: any free port); resolves with the bound address, rejects on EADDRINUSE etc. */
export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
