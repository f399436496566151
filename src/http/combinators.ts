import { errors } from '../errors/catalogue.js';
import type { ClientAddress, Handler, HeaderMap, HttpReply, HttpRequest } from './handler.js';
import { splitTarget } from './target.js';

/**
 * A Handler that asks `handlers` in order and answers with the first reply that is not null; null when every
 * one passes. httpserver is `first(mount('/assets/', files(...)), proxy(pool))`.
 */
export function first(...handlers: readonly Handler[]): Handler {
  return (req) => ask(handlers, 0, req);
}

function ask(
  handlers: readonly Handler[],
  from: number,
  req: HttpRequest,
): HttpReply | null | Promise<HttpReply | null> {
  for (let i = from; i < handlers.length; i++) {
    const reply = handlers[i]!(req);
    // A synchronous answer is taken in this same turn; only a promise costs a microtask.
    if (reply instanceof Promise) {
      return reply.then((value) => (value === null ? ask(handlers, i + 1, req) : value));
    }
    if (reply !== null) return reply;
  }
  return null;
}

/**
 * A Handler that answers every request whose path lies under `prefix` (which starts and ends with '/') with
 * `handler`, which sees the target below the prefix, keeping the prefix's last '/' and the query:
 * `/assets/app.js?v=2` under `/assets/` is `/app.js?v=2`. What `handler` passes on is a 404 there: a request
 * under the prefix never reaches a later handler. Any other request is passed on (null). The path is
 * compared still percent-encoded and the prefix ends with '/', so `/assetsX/` never matches `/assets/`.
 */
export function mount(prefix: string, handler: Handler): Handler {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw new TypeError(`mount: prefix ${JSON.stringify(prefix)} must start and end with '/'`);
  }
  return (req) => {
    const { path, query } = splitTarget(req.target);
    if (!path.startsWith(prefix)) return null;
    const below = path.slice(prefix.length - 1) + (query === '' ? '' : `?${query}`);
    const reply = handler(new MountedRequest(req, below));
    if (reply instanceof Promise) return reply.then((value) => value ?? notFound(path));
    return reply ?? notFound(path);
  };
}

function notFound(path: string): never {
  throw errors.HTTP_NOT_FOUND(path);
}

/** A request seen below a mount point: the same request with the target below the prefix. */
class MountedRequest implements HttpRequest {
  readonly target: string;
  readonly #outer: HttpRequest;

  constructor(outer: HttpRequest, target: string) {
    this.#outer = outer;
    this.target = target;
  }

  get method(): string {
    return this.#outer.method;
  }

  get version(): string {
    return this.#outer.version;
  }

  get scheme(): string {
    return this.#outer.scheme;
  }

  get headers(): Readonly<HeaderMap> {
    return this.#outer.headers;
  }

  get client(): ClientAddress {
    return this.#outer.client;
  }

  get body(): AsyncIterable<Uint8Array> {
    return this.#outer.body;
  }

  get signal(): AbortSignal {
    return this.#outer.signal;
  }
}
