import { FTP_MODELS } from '../ftp/ftp-models.js';
import { FtpServer } from '../ftp/ftp-server.js';
import { loadFtpConfigOffThread } from '../ftp/load-ftp-config.js';
import { hashPasswordFromStream } from '../ftp/password-hash.js';
import { createLogger } from '../log/logger.js';
import { parseCommandLine } from './parse-flags.js';
import { announceListening, stopOnSignal } from './signals.js';
import { warn } from './warn.js';

/** Help text of `tandem ftpd`. */
export const FTPD_USAGE = `Usage: tandem ftpd [ROOT] [--host H] [--port P] [--config FILE]
                   [--model event|fork|prefork] [--workers N] [--active] [--debug]
       tandem ftpd --hash-password < password.txt

Serves the files under ROOT (default: the current directory, or "root" in FILE) over FTP
(default 127.0.0.1:2121). Anonymous login (USER anonymous or ftp) is read-only; users with
passwords and write permission come from FILE (JSON, see README.md). Passive mode only,
unless --active allows PORT/EPRT (to the client's own address and ports >= 1024 only).

  --host H          address to listen on (default 127.0.0.1)
  --port P          port, 0 for any free one (default 2121)
  --config FILE     JSON config: users, passive port range and address, limits, timeouts
  --model M         concurrency model: ${FTP_MODELS.join(', ')} (default event)
  --workers N       worker processes for prefork (fork: one child per connection)
  --active          allow PORT and EPRT
  --debug           log every command
  --hash-password   read a password on stdin, print its hash for the config's users[].password`;

/** `tandem ftpd`: the FTP server. */
export async function ftpdCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(
    'ftpd',
    argv,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
      model: { type: 'string' },
      workers: { type: 'string' },
      active: { type: 'boolean' },
      debug: { type: 'boolean' },
      'hash-password': { type: 'boolean' },
    },
    ['ROOT'],
  );
  if (values['hash-password'] === true) {
    process.stdout.write(`${await hashPasswordFromStream()}\n`);
    return;
  }
  // The flags are checked with the file, on the config thread: the same usage errors as every command's.
  const { 'hash-password': _, ...flags } = values;
  const config = await loadFtpConfigOffThread({ ...flags, root: positionals[0] }, warn);
  const log = createLogger('ftpd', config.debug ? 'debug' : undefined);
  const server = new FtpServer(config, log);
  const address = await server.listen();
  const shownHost = address.host.includes(':') ? `[${address.host}]` : address.host;
  log.info(
    {
      host: address.host,
      port: address.port,
      root: config.root,
      model: config.model,
      anonymous: config.anonymous,
    },
    `ftpd listening on ftp://${shownHost}:${address.port}, root ${config.root}`,
  );
  announceListening('ftpd', address.host, address.port);
  stopOnSignal(async () => {
    log.info('ftpd stopping: closing sessions');
    await server.close();
  });
}
