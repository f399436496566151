import { createLogger } from '../log/logger.js';
import type { ConnectionHandler } from '../net/types.js';
import { serveFrames } from '../protocol/serve-frames.js';
import { loadApp } from './app-loader.js';
import type { SettingsOverrides } from './settings.js';

/** What each worker needs to serve an app: its folder and the settings given on the command line. */
export interface FrameHandlerOptions {
  appDir: string;
  overrides?: SettingsOverrides;
  /** A frame connection with no open streams for this long is closed with GOAWAY, in ms (default 120000). */
  idleTimeout?: number;
}

/**
 * The webframe's connection handler, as a handler module so every concurrency model can load it (once per
 * process or thread): it loads the app and serves its Handler on the frame protocol (serveFrames) on each
 * connection from an httpserver.
 */
export default async function createFrameHandler(options: FrameHandlerOptions): Promise<ConnectionHandler> {
  const log = createLogger('webframe');
  const app = await loadApp(options.appDir, { ...options.overrides, logger: log });
  return serveFrames(app.handler, {
    ...(options.idleTimeout === undefined ? {} : { idleTimeout: options.idleTimeout }),
    onError: app.onError,
    onConnectionError: (error) => log.warn({ ...error }, 'frame connection closed on an error'),
  });
}
