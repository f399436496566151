import type { Duplex } from 'node:stream';
import { createLogger } from '../log/logger.js';
import type { ConnectionHandler } from '../net/types.js';
import { ServerSession } from '../protocol/server-session.js';
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
 * process or thread): it loads the app and speaks the frame protocol on each connection from an httpserver.
 */
export default async function createFrameHandler(options: FrameHandlerOptions): Promise<ConnectionHandler> {
  const log = createLogger('webframe');
  const app = await loadApp(options.appDir, { ...options.overrides, logger: log });
  const sessions = new Set<ServerSession>();
  const idleTimeout = options.idleTimeout ?? 120_000;
  return {
    handle(stream: Duplex) {
      const session = new ServerSession(stream, app.handler, {
        onError: (error, head) =>
          log.error({ err: error, method: head.method, info: head.info }, 'view failed'),
      });
      sessions.add(session);
      const socket = stream as Duplex & { setTimeout?(ms: number, cb: () => void): unknown };
      socket.setTimeout?.(idleTimeout, () => {
        if (session.activeStreams === 0) session.close();
      });
      return new Promise<void>((resolve) => {
        session.onClose = (error) => {
          sessions.delete(session);
          if (error !== undefined) log.warn({ ...error }, 'frame connection closed on an error');
          resolve();
        };
        session.start();
      });
    },
    drain() {
      for (const session of sessions) session.close();
    },
  };
}
