import { createReadStream } from 'node:fs';
import type { ClientAddress, Handler, HeaderMap, HttpRequest } from './handler.js';
import {
  type HandlerErrorReporter,
  isBodiless,
  isFileRange,
  runHandler,
  withoutBody,
} from './run-handler.js';

/** A request as `requestInProcess` takes it, beside its method and target. */
export interface InProcessInit {
  /** Header fields, names in any case (they are lower-cased). */
  headers?: Readonly<Record<string, string | string[]>>;
  /** The body: a string, bytes, or chunks, each handed to the handler as one chunk. */
  body?: string | Uint8Array | Iterable<string | Uint8Array> | AsyncIterable<Uint8Array>;
  /** Who the client is; default 127.0.0.1, port 0. */
  client?: ClientAddress;
  /** Fires the request's signal, as a client that hangs up would. */
  signal?: AbortSignal;
}

const encoder = new TextEncoder();
const CLIENT: ClientAddress = Object.freeze({ address: '127.0.0.1', port: 0 });

/**
 * Answers `method target` with `handler` in process, without sockets (as Hono's `app.request`), as a web
 * Response: the reply a runner would send (runHandler: a null reply is a 404, a thrown error its error page;
 * no body for HEAD, 204 or 304). A body of chunks or a file range is pulled only as the Response's body is
 * read. For tests of an app, and for a script that asks it something.
 */
export async function requestInProcess(
  handler: Handler,
  method: string,
  target: string,
  init: InProcessInit = {},
  onError?: HandlerErrorReporter,
): Promise<Response> {
  const req = new InProcessRequest(method, target, init);
  let reply = await runHandler(handler, req, onError);
  if (isBodiless(method, reply.status)) reply = withoutBody(reply, method);
  const headers = new Headers();
  for (const [name, value] of Object.entries(reply.headers ?? {})) {
    if (typeof value === 'string') headers.set(name, value);
    else for (const item of value) headers.append(name, item);
  }
  const body = reply.body;
  let payload: BodyInit | null;
  if (body === null || body === undefined) payload = null;
  else if (typeof body === 'string')
    payload = Buffer.from(body); // bytes: a string would add a content-type
  else if (body instanceof Uint8Array) payload = body as Uint8Array<ArrayBuffer>;
  else if (isFileRange(body))
    payload = readableOf(createReadStream(body.path, { start: body.start, end: body.end }));
  else payload = readableOf(body);
  return new Response(payload, { status: reply.status, headers });
}

/** A web ReadableStream that pulls `chunks` one at a time as it is read, and lets go of them when cancelled. */
function readableOf(chunks: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> {
  const iterator = chunks[Symbol.asyncIterator]();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { value, done } = await iterator.next();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    async cancel() {
      await iterator.return?.();
    },
  });
}

/** The HttpRequest of requestInProcess. */
class InProcessRequest implements HttpRequest {
  readonly method: string;
  readonly target: string;
  readonly version = '1.1';
  readonly scheme = 'http';
  readonly headers: Readonly<HeaderMap>;
  readonly client: ClientAddress;
  readonly signal: AbortSignal;
  readonly #body: InProcessInit['body'];
  #chunks: AsyncIterable<Uint8Array> | undefined;

  constructor(method: string, target: string, init: InProcessInit) {
    this.method = method;
    this.target = target;
    const headers: HeaderMap = {};
    for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;
    this.headers = headers;
    this.client = init.client ?? CLIENT;
    this.signal = init.signal ?? new AbortController().signal;
    this.#body = init.body;
  }

  get body(): AsyncIterable<Uint8Array> {
    this.#chunks ??= chunksOf(this.#body);
    return this.#chunks;
  }
}

async function* chunksOf(body: InProcessInit['body']): AsyncIterable<Uint8Array> {
  if (body === undefined) return;
  if (typeof body === 'string') yield encoder.encode(body);
  else if (body instanceof Uint8Array) yield body;
  else if (Symbol.asyncIterator in body) yield* body;
  else for (const chunk of body) yield typeof chunk === 'string' ? encoder.encode(chunk) : chunk;
}
