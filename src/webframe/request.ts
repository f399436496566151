import { errors } from '../errors/catalogue.js';
import type { ClientAddress, HeaderMap, HttpRequest } from '../http/handler.js';
import type { Target } from '../http/target.js';
import type { WebframeRequest } from './types.js';

const decoder = new TextDecoder('utf-8');

/**
 * The webframe's request: built per request with nothing parsed up front; the path, query and body are worked
 * out only when a view asks for them.
 */
export class AppRequest implements WebframeRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly #req: HttpRequest;
  readonly #target: Target;
  #path: string | undefined;
  #query: URLSearchParams | undefined;
  #bodyUsed = false;

  /** Wraps `req`; `target` is its split target, `params` the router's decoded `:name` values. */
  constructor(req: HttpRequest, target: Target, params: Readonly<Record<string, string>>) {
    this.#req = req;
    this.#target = target;
    this.params = params;
  }

  get method(): string {
    return this.#req.method;
  }

  get info(): string {
    return this.#req.target;
  }

  get path(): string {
    // The router has already decoded this path successfully, so this cannot throw for a routed request.
    this.#path ??= this.#target.path.includes('%')
      ? decodeURIComponent(this.#target.path)
      : this.#target.path;
    return this.#path;
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#target.query);
    return this.#query;
  }

  get headers(): Readonly<HeaderMap> {
    return this.#req.headers;
  }

  get client(): ClientAddress {
    return this.#req.client;
  }

  get signal(): AbortSignal {
    return this.#req.signal;
  }

  get body(): AsyncIterable<Uint8Array> {
    this.#bodyUsed = true;
    return this.#req.body;
  }

  async text(): Promise<string> {
    const body = this.#takeBody();
    const chunks: Uint8Array[] = [];
    let length = 0;
    for await (const chunk of body) {
      chunks.push(chunk);
      length += chunk.byteLength;
    }
    if (chunks.length === 1) return decoder.decode(chunks[0]);
    const all = new Uint8Array(length);
    let at = 0;
    for (const chunk of chunks) {
      all.set(chunk, at);
      at += chunk.byteLength;
    }
    return decoder.decode(all);
  }

  async json<T = unknown>(): Promise<T> {
    const text = await this.text();
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw errors.HTTP_BAD_REQUEST(`body is not valid JSON: ${(err as Error).message}`);
    }
  }

  async form(): Promise<FormData> {
    const type = headerValue(this.#req.headers['content-type']);
    const mediaType = type.split(';', 1)[0]!.trim().toLowerCase();
    if (mediaType !== 'application/x-www-form-urlencoded' && mediaType !== 'multipart/form-data') {
      throw errors.HTTP_BAD_REQUEST(
        `expected a form body (application/x-www-form-urlencoded or multipart/form-data), got "${type}"`,
      );
    }
    // Node's fetch implementation parses both encodings; the body streams into it without a copy here.
    const parser = new Request('http://webframe.invalid/', {
      method: 'POST',
      headers: { 'content-type': type },
      body: this.#takeBody() as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit);
    try {
      return await parser.formData();
    } catch (err) {
      throw errors.HTTP_BAD_REQUEST(`body is not a valid form: ${(err as Error).message}`);
    }
  }

  #takeBody(): AsyncIterable<Uint8Array> {
    if (this.#bodyUsed) throw new TypeError('the request body has already been read (or req.body was taken)');
    this.#bodyUsed = true;
    return this.#req.body;
  }
}

function headerValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.join(', ');
}
