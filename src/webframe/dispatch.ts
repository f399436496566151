import { errors, TandemError } from '../errors/catalogue.js';
import type { Logger } from '../log/logger.js';
import type { HeaderMap, Reply, ServerStream, StreamHandler } from '../protocol/types.js';
import { AppRequest, splitTarget } from './request.js';
import type { RouteMatch, Router } from './router.js';
import type { View } from './types.js';
import { toReply } from './view-result.js';

/** Serves a static file for a GET or HEAD that no route took; null when there is no such file. */
export type ServeStatic = (
  method: string,
  rawPath: string,
  headers: Readonly<HeaderMap>,
) => Promise<Reply | null>;

/** What the dispatcher needs: the app's router, its static fallback (or null), the debug flag and a logger. */
export interface DispatchOptions {
  readonly router: Router;
  readonly serveStatic: ServeStatic | null;
  readonly debug: boolean;
  readonly logger: Logger;
}

const TEXT_TYPE = 'text/plain; charset=utf-8';

/**
 * Creates the app's StreamHandler: route match first, then (GET and HEAD only) the static folder, else 404;
 * 405 with `Allow` for a routed path without that method. It never rejects: a failing view or static read
 * becomes a 500 and is logged.
 */
export function createDispatcher(options: DispatchOptions): StreamHandler {
  const { router, serveStatic, debug, logger } = options;

  function runView(view: View, req: AppRequest, stream: ServerStream): Reply | Promise<Reply> {
    let result: unknown;
    try {
      result = view(req);
    } catch (err) {
      return viewFailed(err, req, stream);
    }
    // A synchronous view is answered in this same turn; only a promise costs a microtask.
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => finish(value, req, stream),
        (err: unknown) => viewFailed(err, req, stream),
      );
    }
    return finish(result, req, stream);
  }

  function finish(result: unknown, req: AppRequest, stream: ServerStream): Reply {
    try {
      return toReply(result, (err) => {
        if (!stream.signal.aborted) {
          logger.error(
            { err, stream: stream.id, method: req.method, path: req.path },
            'response body stream failed',
          );
        }
      });
    } catch (err) {
      return viewFailed(err, req, stream);
    }
  }

  function viewFailed(err: unknown, req: AppRequest, stream: ServerStream): Reply {
    const context = { err, stream: stream.id, method: req.method, path: req.path };
    if (isHttpError(err)) {
      // A catalogue error thrown on purpose (e.g. bad JSON -> 400) answers with its own status.
      if (err.status >= 500) logger.error(context, err.message);
      return errorReply(err);
    }
    if (stream.signal.aborted) {
      logger.debug(context, 'view failed after the client went away');
    } else {
      logger.error(context, 'view failed');
    }
    const where = `${req.method} ${req.path}`;
    const detail = debug
      ? `${where} threw ${err instanceof Error ? (err.stack ?? String(err)) : String(err)}`
      : `${where} threw an error (details are in the server log)`;
    return errorReply(errors.HTTP_VIEW_FAILED(detail));
  }

  async function fallback(stream: ServerStream, rawPath: string): Promise<Reply> {
    const { method } = stream.head;
    if (serveStatic !== null && (method === 'GET' || method === 'HEAD')) {
      try {
        const reply = await serveStatic(method, rawPath, stream.head.headers);
        if (reply !== null) return reply;
      } catch (err) {
        logger.error({ err, stream: stream.id, method, path: rawPath }, 'static file failed');
        return errorReply(errors.HTTP_VIEW_FAILED(`static file ${rawPath} could not be served`));
      }
    }
    return errorReply(errors.HTTP_NOT_FOUND(decodeOr(rawPath)));
  }

  return function dispatch(stream: ServerStream): Reply | Promise<Reply> {
    const { method, info } = stream.head;
    const target = splitTarget(info);
    let match: RouteMatch;
    try {
      match = router.match(method, target.rawPath);
    } catch {
      return errorReply(errors.HTTP_BAD_REQUEST(`malformed percent-encoding in path ${target.rawPath}`));
    }
    if (match.kind === 'view')
      return runView(match.view, new AppRequest(stream, target, match.params), stream);
    if (match.kind === 'method') {
      return errorReply(errors.HTTP_METHOD_NOT_ALLOWED(method, decodeOr(target.rawPath)), {
        allow: match.allow,
      });
    }
    return fallback(stream, target.rawPath);
  };
}

/** The reply for a catalogue error: its status and its message as short plain text. */
export function errorReply(err: TandemError, headers?: HeaderMap): Reply {
  return {
    status: err.status ?? 500,
    headers: { 'content-type': TEXT_TYPE, 'x-content-type-options': 'nosniff', ...headers },
    body: `${err.message}\n`,
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
    err.name === 'TandemError' &&
    typeof status === 'number' &&
    status >= 400 &&
    status <= 599
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}

function decodeOr(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}
