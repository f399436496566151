import { createLogger } from '../log/logger.js';
import { loadApp } from '../webframe/app-loader.js';
import { WebframeServer } from '../webframe/server.js';
import { readSettingsFlags } from '../webframe/settings.js';
import { parseCommandLine } from './parse-flags.js';
import { announceListening, stopOnSignal } from './signals.js';
import { warn } from './warn.js';

/** Help text of `tandem webframe`. */
export const WEBFRAME_USAGE = `Usage: tandem webframe [APP_DIR] [--host H] [--port P] [--debug]
                       [--model loop|event|fork|prefork|thread] [--workers N] [--drain-timeout MS]

Serves the app in APP_DIR (default .) over the frame protocol: urls.ts, views.ts,
settings.ts and static/. Flags override the app's settings.ts (default 127.0.0.1:8806).
On SIGTERM (SIGINT, SIGHUP) open streams may finish for --drain-timeout ms (settings key
drainTimeout, default 30000); what is still open then is cut and the count logged.`;

/** `tandem webframe`: loads an app and serves it to httpservers over the frame protocol. */
export async function webframeCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseCommandLine(
    'webframe',
    argv,
    {
      host: { type: 'string' },
      port: { type: 'string' },
      debug: { type: 'boolean' },
      model: { type: 'string' },
      workers: { type: 'string' },
      'drain-timeout': { type: 'string' },
    },
    ['APP_DIR'],
  );
  const log = createLogger('webframe');
  const { 'drain-timeout': drainTimeout, ...flags } = values;
  const overrides = readSettingsFlags({ ...flags, drainTimeout });
  // Loaded here first so that a broken app is reported before anything listens; workers load it again, quietly.
  const app = await loadApp(positionals[0] ?? '.', { ...overrides, logger: log, warn });
  const server = new WebframeServer(app.settings, { appDir: app.dir, overrides }, log);
  const address = await server.listen();
  const { model, workers } = app.settings;
  log.info(
    { app: app.dir, host: address.host, port: address.port, model, workers },
    `webframe listening on ${address.host}:${address.port}`,
  );
  announceListening('webframe', address.host, address.port);
  stopOnSignal(async (reason) => {
    log.info({ reason }, `webframe stopping (${reason}): finishing open requests`);
    await server.close();
  });
}
