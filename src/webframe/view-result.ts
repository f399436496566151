import type { HeaderMap, Reply } from '../protocol/types.js';

/** The content type of a string result. */
export const HTML_TYPE = 'text/html; charset=utf-8';
/** The content type of an object or array result. */
export const JSON_TYPE = 'application/json; charset=utf-8';
/** The content type of a bytes result. */
export const BYTES_TYPE = 'application/octet-stream';

/** Bodies of the Responses made by the helpers below, so they are sent inline instead of streamed. */
const inlineBodies = new WeakMap<Response, string>();

/** Options of the response helpers: a status and extra headers. */
export interface HelperInit {
  status?: number;
  headers?: Record<string, string>;
}

/** A JSON response helper: `return json({ ok: true }, { status: 201 })`. */
export function json(value: unknown, init?: HelperInit): Response {
  return inline(JSON.stringify(value), JSON_TYPE, init);
}

/** An HTML response helper: `return html('<p>saved</p>', { status: 201 })`. */
export function html(text: string, init?: HelperInit): Response {
  return inline(text, HTML_TYPE, init);
}

/** A redirect helper: `return redirect('/done')` answers 302 with `Location: /done` (relative URLs allowed). */
export function redirect(url: string, status: 301 | 302 | 303 | 307 | 308 = 302): Response {
  return new Response(null, { status, headers: { location: url } });
}

function inline(text: string, type: string, init: HelperInit | undefined): Response {
  const headers = new Headers(init?.headers);
  if (!headers.has('content-type')) headers.set('content-type', type);
  const response = new Response(text, { status: init?.status ?? 200, headers });
  inlineBodies.set(response, text);
  return response;
}

/**
 * Turns what a view returned into the protocol's Reply. `onStreamError` is told about an error thrown while a
 * Response body is being streamed (the head is already sent then; the error still ends the stream).
 * Throws TypeError for a result of an unsupported type.
 */
export function toReply(result: unknown, onStreamError: (err: unknown) => void): Reply {
  if (typeof result === 'string')
    return { status: 200, headers: { 'content-type': HTML_TYPE }, body: result };
  if (result === null || result === undefined) return { status: 204 };
  if (typeof result !== 'object') {
    throw new TypeError(
      `the view returned a ${typeof result}; return a string, an object or array, a Uint8Array, a Response or nothing`,
    );
  }
  if (result instanceof Uint8Array)
    return { status: 200, headers: { 'content-type': BYTES_TYPE }, body: result };
  if (result instanceof Response) return fromResponse(result, onStreamError);
  if (result instanceof ArrayBuffer) {
    return { status: 200, headers: { 'content-type': BYTES_TYPE }, body: new Uint8Array(result) };
  }
  return { status: 200, headers: { 'content-type': JSON_TYPE }, body: JSON.stringify(result) };
}

function fromResponse(response: Response, onStreamError: (err: unknown) => void): Reply {
  const headers: HeaderMap = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  const inlineBody = inlineBodies.get(response);
  if (inlineBody !== undefined) return { status: response.status, headers, body: inlineBody };
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
