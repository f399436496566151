import { parseArgs } from 'node:util';
import { createLogger } from '../log/logger.js';
import { loadApp } from '../webframe/app-loader.js';
import { WebframeServer } from '../webframe/server.js';
import { parsePort } from './parse-port.js';
import { announceListening, stopOnSignal } from './signals.js';

/** Help text of `tandem webframe`. */
export const WEBFRAME_USAGE = `Usage: tandem webframe [APP_DIR] [--host H] [--port P] [--debug]

Serves the app in APP_DIR (default .) over the frame protocol: urls.ts, views.ts,
settings.ts and static/. Flags override the app's settings.ts (default 127.0.0.1:8806).`;

/** `tandem webframe`: loads an app and serves it to httpservers over the frame protocol. */
export async function webframeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { host: { type: 'string' }, port: { type: 'string' }, debug: { type: 'boolean' } },
  });
  const log = createLogger('webframe');
  const app = await loadApp(positionals[0] ?? '.', {
    logger: log,
    ...(values.host === undefined ? {} : { host: values.host }),
    ...(values.port === undefined ? {} : { port: parsePort(values.port, '--port') }),
    ...(values.debug === undefined ? {} : { debug: values.debug }),
  });
  const server = new WebframeServer(app.handler, { host: app.settings.host, port: app.settings.port, log });
  const address = await server.listen();
  log.info(
    { app: app.dir, host: address.address, port: address.port },
    `webframe listening on ${address.address}:${address.port}`,
  );
  announceListening('webframe', address.address, address.port);
  stopOnSignal(async () => {
    log.info('webframe stopping: finishing open requests');
    await server.close();
  });
}
