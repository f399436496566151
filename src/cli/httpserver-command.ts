import { loadHttpServerConfig } from '../httpserver/config.js';
import { HttpServer } from '../httpserver/httpserver.js';
import { createLogger } from '../log/logger.js';
import { parseCommandLine } from './parse-flags.js';
import { announceListening, stopOnSignal } from './signals.js';
import { warn } from './warn.js';

/** Help text of `tandem httpserver`. */
export const HTTPSERVER_USAGE = `Usage: tandem httpserver [--config FILE] [--host H] [--port P] [--webframe HOST:PORT]
                         [--model loop|event|fork|prefork|thread] [--workers N]
                         [--engine llhttp|node] [--static /PREFIX/=DIR]...
                         [--tls-cert FILE --tls-key FILE] [--debug]

Serves HTTP/1.1 (default 127.0.0.1:8808) and forwards every request to the webframe
(default 127.0.0.1:8806), except requests under a --static PREFIX: those are served from
DIR (longest prefix wins; a missing file is 404, never passed to the webframe).
--engine is the HTTP/1.1 engine: llhttp (Tandem's own, the default) or node (node:http).
--tls-cert and --tls-key (PEM files: the chain, leaf first, and its key) make the listener
HTTPS, with HTTP/2 by ALPN; SIGHUP reads the certificate files again (open connections go on).
FILE is JSON; flags override it, and --static entries add to its "static" list.
See README.md for its keys.`;

/** The flags of `tandem httpserver`; `tandem serve` takes the same ones and passes them on. */
export const HTTPSERVER_OPTIONS = {
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  webframe: { type: 'string' },
  debug: { type: 'boolean' },
  model: { type: 'string' },
  workers: { type: 'string' },
  engine: { type: 'string' },
  static: { type: 'string', multiple: true },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
} as const;

/** `tandem httpserver`: the front server. */
export async function httpserverCommand(argv: string[]): Promise<void> {
  const { values } = parseCommandLine('httpserver', argv, HTTPSERVER_OPTIONS, []);
  const { 'tls-cert': tlsCert, 'tls-key': tlsKey, ...rest } = values;
  const config = await loadHttpServerConfig({ ...rest, tlsCert, tlsKey }, warn);
  const log = createLogger('httpserver', config.debug ? 'debug' : undefined);
  const server = new HttpServer(config, log);
  const address = await server.listen();
  const webframe = `${config.webframe.host}:${config.webframe.port}`;
  log.info(
    { host: address.host, port: address.port, webframe, model: config.model, workers: config.workers },
    `httpserver listening on ${config.tls === undefined ? 'http' : 'https'}://${address.host}:${address.port}, webframe at ${webframe}`,
  );
  announceListening('httpserver', address.host, address.port);
  stopOnSignal(
    async (reason) => {
      log.info({ reason }, `httpserver stopping (${reason}): finishing open requests`);
      await server.close();
    },
    () => {
      log.info('httpserver reloading (SIGHUP): certificates are read again; open connections go on');
      server.reload();
    },
  );
}
