import type { HeaderMap, HttpReply } from '../http/handler.js';

/** The content type of a string result and of `html()`. */
const HTML_TYPE = 'text/html; charset=utf-8';
/** The content type of an object or array result and of `json()`. */
const JSON_TYPE = 'application/json; charset=utf-8';
/** The content type of `text()`. */
const TEXT_TYPE = 'text/plain; charset=utf-8';
/** The content type of a bytes result. */
const BYTES_TYPE = 'application/octet-stream';

/** Options of the response helpers: a status and extra headers (names in any case). */
export interface HelperInit {
  status?: number;
  headers?: Record<string, string | string[]>;
}

/** Marks a ViewReply, shared by every copy of this module (an app may load its own copy from source). */
const BRAND: unique symbol = Symbol.for('tandem.webframe.ViewReply') as never;

/** True when `value` is a ViewReply, from this copy of the module or another one. */
function isViewReply(value: object): value is ViewReply {
  return (value as { [BRAND]?: true })[BRAND] === true;
}

/**
 * A whole response made by a helper (`text`, `html`, `json`, `redirect`, `reply`): status, headers with
 * lower-case names, and a body held in memory. Cheaper than a web `Response`, which builds a stream for its
 * body; return a `Response` when the body should be streamed.
 */
export class ViewReply implements HttpReply {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly body: string | Uint8Array | null;
  readonly [BRAND] = true;

  constructor(status: number, headers: HeaderMap, body: string | Uint8Array | null) {
    this.status = status;
    this.headers = headers;
    this.body = body;
  }
}

function headersOf(type: string | undefined, init: HelperInit | undefined): HeaderMap {
  const headers: HeaderMap = {};
  if (type !== undefined) headers['content-type'] = type;
  const extra = init?.headers;
  if (extra !== undefined) for (const name of Object.keys(extra)) headers[name.toLowerCase()] = extra[name]!;
  return headers;
}

/** A response helper for any body: `return reply(bytes, { status: 201, headers: { 'content-type': 'image/png' } })`. */
export function reply(body: string | Uint8Array | null, init?: HelperInit): ViewReply {
  return new ViewReply(init?.status ?? 200, headersOf(undefined, init), body);
}

/** A plain-text response helper: `return text('pong')` answers `text/plain; charset=utf-8`. */
export function text(body: string, init?: HelperInit): ViewReply {
  return new ViewReply(init?.status ?? 200, headersOf(TEXT_TYPE, init), body);
}

/** A JSON response helper: `return json({ ok: true }, { status: 201 })`. */
export function json(value: unknown, init?: HelperInit): ViewReply {
  return new ViewReply(init?.status ?? 200, headersOf(JSON_TYPE, init), JSON.stringify(value));
}

/** An HTML response helper: `return html('<p>saved</p>', { status: 201 })`. */
export function html(body: string, init?: HelperInit): ViewReply {
  return new ViewReply(init?.status ?? 200, headersOf(HTML_TYPE, init), body);
}

/** A redirect helper: `return redirect('/done')` answers 302 with `Location: /done` (relative URLs allowed). */
export function redirect(url: string, status: 301 | 302 | 303 | 307 | 308 = 302): ViewReply {
  return new ViewReply(status, { location: url }, null);
}

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
