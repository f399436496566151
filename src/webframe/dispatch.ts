import { errors, TandemError } from '../errors/catalogue.js';
import { errorReply } from '../http/error-reply.js';
import type { Handler, HttpReply, HttpRequest } from '../http/handler.js';
import { displayPath, splitTarget } from '../http/target.js';
import type { Logger } from '../log/logger.js';
import { AppRequest } from './request.js';
import type { RouteMatch, Router } from './router.js';
import type { View } from './types.js';
import { toReply } from './view-reply.js';

/** What the dispatcher needs: the app's router, the debug flag and a logger. */
export interface DispatchOptions {
  readonly router: Router;
  readonly debug: boolean;
  readonly logger: Logger;
}

/**
 * Creates the Handler of the app's routes: the view of the route that matches, a 405 with `Allow` for a
 * routed path without that method, a 400 for a path whose percent-encoding is malformed, and null for a path
 * no route has (the static folder may have it). It never throws: a failing view becomes a 500, logged; every
 * error is answered by the one renderer (errorReply).
 */
export function createDispatcher(options: DispatchOptions): Handler {
  const { router, debug, logger } = options;

  function runView(view: View, req: AppRequest): HttpReply | Promise<HttpReply> {
    let result: unknown;
    try {
      result = view(req);
    } catch (err) {
      return viewFailed(err, req);
    }
    // A synchronous view is answered in this same turn; only a promise costs a microtask.
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => finish(value, req),
        (err: unknown) => viewFailed(err, req),
      );
    }
    return finish(result, req);
  }

  function finish(result: unknown, req: AppRequest): HttpReply {
    try {
      return toReply(result, (err) => {
        if (!req.signal.aborted) {
          logger.error({ err, method: req.method, path: req.path }, 'response body stream failed');
        }
      });
    } catch (err) {
      return viewFailed(err, req);
    }
  }

  function viewFailed(err: unknown, req: AppRequest): HttpReply {
    const context = { err, method: req.method, path: req.path };
    const accept = req.headers.accept;
    if (isHttpError(err)) {
      // A catalogue error thrown on purpose (e.g. bad JSON -> 400) answers with its own status.
      if (err.status >= 500) logger.error(context, err.message);
      return errorReply(err, accept);
    }
    if (req.signal.aborted) {
      logger.debug(context, 'view failed after the client went away');
    } else {
      logger.error(context, 'view failed');
    }
    const where = `${req.method} ${req.path}`;
    const detail = debug
      ? `${where} threw ${err instanceof Error ? (err.stack ?? String(err)) : String(err)}`
      : `${where} threw an error (details are in the server log)`;
    return errorReply(errors.HTTP_VIEW_FAILED(detail), accept);
  }

  return function dispatch(req: HttpRequest): HttpReply | Promise<HttpReply> | null {
    const method = req.method;
    const target = splitTarget(req.target);
    let match: RouteMatch;
    try {
      match = router.match(method, target.path);
    } catch {
      const error = errors.HTTP_BAD_REQUEST(`malformed percent-encoding in path ${target.path}`);
      return errorReply(error, req.headers.accept);
    }
    if (match.kind === 'view') return runView(match.view, new AppRequest(req, target, match.params));
    if (match.kind === 'method') {
      const error = errors.HTTP_METHOD_NOT_ALLOWED(method, displayPath(target.path));
      return errorReply(error, req.headers.accept, { allow: match.allow });
    }
    return null;
  };
}

/**
 * True for a catalogue error that carries an HTTP status. Checked by name, not `instanceof`, because an app
 * loaded as CommonJS gets its own copy of the catalogue module.
 */
function isHttpError(err: unknown): err is TandemError & { status: number } {
  if (err instanceof TandemError) return err.status !== undefined;
  const status = (err as { status?: unknown } | null)?.status;
  return (
    err instanceof Error &&
    (err.name === 'TandemError' || err.name === 'HttpError') &&
    typeof status === 'number' &&
    status >= 400 &&
    status <= 599
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
