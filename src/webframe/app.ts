import { statSync } from 'node:fs';
import { errors } from '../errors/catalogue.js';
import { first } from '../http/combinators.js';
import { errorReply } from '../http/error-reply.js';
import type { Handler } from '../http/handler.js';
import { type InProcessInit, requestInProcess } from '../http/in-process.js';
import type { HandlerErrorReporter } from '../http/run-handler.js';
import { displayPath, splitTarget } from '../http/target.js';
import type { Logger } from '../log/logger.js';
import { createDispatcher } from './dispatch.js';
import { Router } from './router.js';
import type { WebframeSettings } from './settings.js';
import { createStaticFallback } from './static-fallback.js';

/** A webframe app: its routes and settings made into one Handler, which can also be asked in process. */
export interface App {
  readonly settings: WebframeSettings;
  /**
   * The app as a Handler: the view of the route that matches, else (GET and HEAD) a file of the static
   * folder, else null, which the server answers with a 404. serveFrames runs it for every stream.
   */
  readonly handler: Handler;
  /** Logs an error that reached the server past the app (a reply that could not be sent, a body that failed). */
  readonly onError: HandlerErrorReporter;
  /**
   * Answers a request in process, without sockets, as the server would (Hono's `app.request`):
   * `const res = await app.request('GET', '/hi'); await res.text()`.
   */
  request(method: string, target: string, init?: InProcessInit): Promise<Response>;
}

/** Where an app's urls come from, and where it logs. */
export interface AppOptions {
  /** The file that exported the urls, named in APP_INVALID errors. */
  readonly file: string;
  readonly logger: Logger;
}

/**
 * Makes the app of `urls` (as an app's urls.ts default-exports them, checked here: a bad entry throws
 * APP_INVALID) and `settings`: its router and views first, then the static folder when it exists.
 */
export function createApp(urls: unknown, settings: WebframeSettings, options: AppOptions): App {
  const { logger } = options;
  const views = createDispatcher({ router: new Router(urls, options.file), debug: settings.debug, logger });
  const handler = hasFolder(settings.static) ? first(views, staticFiles(settings.static, logger)) : views;
  const onError: HandlerErrorReporter = (err, req) =>
    logger.error({ err, method: req.method, info: req.target }, 'view failed');
  return Object.freeze({
    settings,
    handler,
    onError,
    request: (method: string, target: string, init?: InProcessInit) =>
      requestInProcess(handler, method, target, init, onError),
  });
}

/** The static fallback over `root`; a file that fails to be served is a 500, logged. */
function staticFiles(root: string, logger: Logger): Handler {
  const files = createStaticFallback(root);
  return async (req) => {
    try {
      return await files(req);
    } catch (err) {
      const path = displayPath(splitTarget(req.target).path);
      logger.error({ err, method: req.method, path }, 'static file failed');
      return errorReply(
        errors.HTTP_VIEW_FAILED(`static file ${path} could not be served`),
        req.headers.accept,
      );
    }
  };
}

function hasFolder(path: string | false): path is string {
  return path !== false && statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}
