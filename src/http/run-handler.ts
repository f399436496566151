import { errors, TandemError } from '../errors/catalogue.js';
import { errorReply } from './error-reply.js';
import type { FileRange, Handler, HttpReply, HttpRequest, ReplyBody } from './handler.js';
import { displayPath, splitTarget } from './target.js';

/** The body of a request that has none: iterating it ends at once. */
export const NO_BODY: AsyncIterable<Uint8Array> = Object.freeze({
  async *[Symbol.asyncIterator]() {},
});

/** Told of an error a handler threw that is not a TandemError with a status (the client got a 500). */
export type HandlerErrorReporter = (error: unknown, req: HttpRequest) => void;

/**
 * The reply a runner sends for `req`, the same whatever the transport: the handler's reply; a 404 naming the
 * path when it answers null; the error page of a TandemError with a status that it throws (errorReply, for
 * the request's Accept); a 500 for any other error, which `onError` is told of. Synchronous when the handler
 * is: only a promise costs a microtask.
 */
export function runHandler(
  handler: Handler,
  req: HttpRequest,
  onError?: HandlerErrorReporter,
): HttpReply | Promise<HttpReply> {
  let reply: ReturnType<Handler>;
  try {
    reply = handler(req);
  } catch (err) {
    return failureReply(err, req, onError);
  }
  if (reply instanceof Promise) {
    return reply.then(
      (value) => value ?? notFound(req),
      (err: unknown) => failureReply(err, req, onError),
    );
  }
  return reply ?? notFound(req);
}

/**
 * The reply for an error thrown while answering `req`: the error page of a TandemError with a status, else
 * (after telling `onError`, which may itself throw without harm) a 500 that names no detail.
 */
export function failureReply(error: unknown, req: HttpRequest, onError?: HandlerErrorReporter): HttpReply {
  if (error instanceof TandemError && error.status !== undefined) {
    return errorReply(error, req.headers.accept);
  }
  try {
    onError?.(error, req);
  } catch {
    // the request it was about is answered all the same
  }
  return errorReply(
    errors.HTTP_INTERNAL_ERROR('the handler failed (details are in the server log)'),
    req.headers.accept,
  );
}

function notFound(req: HttpRequest): HttpReply {
  const error = errors.HTTP_NOT_FOUND(displayPath(splitTarget(req.target).path));
  return errorReply(error, req.headers.accept);
}

/**
 * `reply` as it is sent where no body may go (isBodiless: a reply to HEAD, a 204, a 304): the same status
 * and headers, no body. To HEAD the headers still tell the body's length (RFC 9110 §9.3.2): that of a
 * string, bytes or a file range becomes content-length unless one is set. A body of chunks is not pulled:
 * its iterator is let go of (return()).
 */
export function withoutBody(reply: HttpReply, method: string): HttpReply {
  const body = reply.body;
  let headers = reply.headers;
  if (method === 'HEAD' && reply.status !== 204 && reply.status !== 304) {
    const length = bodyLength(body);
    if (length !== undefined && headers?.['content-length'] === undefined) {
      headers = { ...headers, 'content-length': String(length) };
    }
  }
  discardBody(body);
  return { status: reply.status, headers, body: null };
}

/** The length in bytes of a body whose length is known before it is sent; undefined for chunks or none. */
export function bodyLength(body: ReplyBody): number | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  if (isFileRange(body)) return body.end - body.start + 1;
  return undefined;
}

/** Lets go of a body that will not be sent: a body of chunks has its iterator's return() called. */
export function discardBody(body: ReplyBody): void {
  if (typeof body !== 'object' || body === null || !(Symbol.asyncIterator in body)) return;
  try {
    const iterator = body[Symbol.asyncIterator]();
    Promise.resolve(iterator.return?.()).catch(() => {});
  } catch {
    // a body that cannot even be iterated holds nothing to let go of
  }
}

/** True when `body` is a FileRange (not a string, bytes or chunks). */
export function isFileRange(body: ReplyBody): body is FileRange {
  return (
    typeof body === 'object' &&
    body !== null &&
    !(body instanceof Uint8Array) &&
    !(Symbol.asyncIterator in body)
  );
}

/** True for a reply that never carries a body whatever its headers say (RFC 9110 §6.4.1, §9.3.2, §15.4.5). */
export function isBodiless(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
}

/** `body` that throws HTTP_PAYLOAD_TOO_LARGE once more than `max` bytes have come (a chunked body says no size). */
export async function* limitBody(body: AsyncIterable<Uint8Array>, max: number): AsyncIterable<Uint8Array> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > max) throw errors.HTTP_PAYLOAD_TOO_LARGE(max);
    yield chunk;
  }
}
