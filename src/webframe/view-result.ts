import type { HeaderMap, HttpReply } from '../http/handler.js';
import { BYTES_TYPE, HTML_TYPE, isViewReply, JSON_TYPE } from './view-reply.js';

/**
 * Turns what a view returned into an HttpReply. `onStreamError` is told about an error thrown while a
 * Response body is being streamed (the head is already sent then; the error still ends the stream).
 * Throws TypeError for a result of an unsupported type.
 */
export function toReply(result: unknown, onStreamError: (err: unknown) => void): HttpReply {
  if (typeof result === 'string')
    return { status: 200, headers: { 'content-type': HTML_TYPE }, body: result };
  if (result === null || result === undefined) return { status: 204 };
  if (typeof result !== 'object') {
    throw new TypeError(
      `the view returned a ${typeof result}; return a string, an object or array, a Uint8Array, a Response or nothing`,
    );
  }
  if (isViewReply(result)) return result;
  if (result instanceof Uint8Array)
    return { status: 200, headers: { 'content-type': BYTES_TYPE }, body: result };
  if (result instanceof Response) return fromResponse(result, onStreamError);
  if (result instanceof ArrayBuffer) {
    return { status: 200, headers: { 'content-type': BYTES_TYPE }, body: new Uint8Array(result) };
  }
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(result) };
}

function fromResponse(response: Response, onStreamError: (err: unknown) => void): HttpReply {
  const headers: HeaderMap = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const stream = response.body;
  if (stream === null) return { status: response.status, headers, body: null };
  return {
    status: response.status,
    headers,
    body: guard(stream as unknown as AsyncIterable<Uint8Array>, onStreamError),
  };
}

/** Passes a streamed body through chunk by chunk, reporting an error thrown while iterating before rethrowing it. */
async function* guard(
  chunks: AsyncIterable<Uint8Array>,
  onStreamError: (err: unknown) => void,
): AsyncGenerator<Uint8Array> {
  try {
    yield* chunks;
  } catch (err) {
    onStreamError(err);
    throw err;
  }
}
