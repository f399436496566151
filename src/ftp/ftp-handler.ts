import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { createLogger } from '../log/logger.js';
import type { ConnectionHandler, ConnectionInfo } from '../net/types.js';
import { keepYoungGenerationSmall } from '../runtime/small-young-generation.js';
import { canonicalAddress } from './data-address.js';
import type { FtpServerConfig, FtpUser } from './ftp-config.js';
import { FtpJail } from './ftp-path.js';
import { formatReply } from './ftp-replies.js';
import { FtpSession, type SessionServices } from './ftp-session.js';

/**
 * The FTP server's connection handler, as a handler module so every concurrency model can load it (once per
 * process): one FtpSession per control connection. Refuses a connection over the total or per-address limit
 * with `421 Too many connections` (counted in this process: exact under the event model; under prefork
 * each worker counts its own and FtpServer caps the total at accept). `drain` ends every session with 421.
 * Keeps the process's young generation small: sessions allocate little, and RSS is a goal (issue 6).
 */
export default function createFtpHandler(config: FtpServerConfig): ConnectionHandler {
  keepYoungGenerationSmall();
  const log = createLogger('ftpd', config.debug ? 'debug' : undefined);
  const jails = new Map<string, FtpJail>();
  const services: SessionServices = {
    config,
    log,
    rootJail: new FtpJail(config.root),
    jailFor(user: FtpUser): FtpJail {
      let jail = jails.get(user.home);
      if (jail === undefined) {
        jail = new FtpJail(user.home === '' ? config.root : join(config.root, ...user.home.split('/')));
        jails.set(user.home, jail);
      }
      return jail;
    },
  };
  const sessions = new Set<FtpSession>();
  const perAddress = new Map<string, number>();
  let draining = false;

  return {
    async handle(stream: Duplex, info: ConnectionInfo): Promise<void> {
      const address = canonicalAddress(info.remoteAddress);
      const fromAddress = perAddress.get(address) ?? 0;
      const refusal = draining
        ? 'Server shutting down'
        : sessions.size >= config.limits.connections
          ? `Too many connections (at most ${config.limits.connections}); try again later`
          : fromAddress >= config.limits.perAddress
            ? `Too many connections from ${address} (at most ${config.limits.perAddress}); try again later`
            : undefined;
      if (refusal !== undefined) {
        log.warn({ client: address }, refusal);
        stream.write(formatReply(421, refusal));
        return;
      }
      const session = new FtpSession(stream, info, services);
      sessions.add(session);
      perAddress.set(address, fromAddress + 1);
      try {
        await session.run();
      } finally {
        sessions.delete(session);
        const left = (perAddress.get(address) ?? 1) - 1;
        if (left === 0) perAddress.delete(address);
        else perAddress.set(address, left);
      }
    },
    drain(): void {
      draining = true;
      for (const session of sessions) session.close(421, 'Server shutting down: closing control connection');
    },
  };
}
