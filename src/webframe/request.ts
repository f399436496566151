import { errors } from '../errors/catalogue.js';
import type { HeaderMap, ServerStream } from '../protocol/types.js';
import type { WebframeRequest } from './types.js';

/** The request target split once: the raw path (still percent-encoded) and the raw query (without `?`). */
export interface Target {
  readonly rawPath: string;
  readonly rawQuery: string;
}

/** Splits a request target (`/hi?lang=en`, or absolute-form `http://h/hi`) into raw path and query. */
export function splitTarget(info: string): Target {
  let target = info;
  if (!target.startsWith('/') && target !== '*') {
    // Absolute-form (RFC 9112 §3.2.2): keep what follows the authority.
    const scheme = target.indexOf('://');
    if (scheme > 0) {
      const slash = target.indexOf('/', scheme + 3);
      target = slash === -1 ? '/' : target.slice(slash);
    }
  }
  const hash = target.indexOf('#');
  if (hash !== -1) target = target.slice(0, hash);
  const q = target.indexOf('?');
  if (q === -1) return { rawPath: target, rawQuery: '' };
  return { rawPath: target.slice(0, q), rawQuery: target.slice(q + 1) };
}

const decoder = new TextDecoder('utf-8');

/**
 * The webframe's request: built per stream with nothing parsed up front; the path, query and body are worked
 * out only when a view asks for them.
 */
export class AppRequest implements WebframeRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly #stream: ServerStream;
  readonly #target: Target;
  #path: string | undefined;
  #query: URLSearchParams | undefined;
  #bodyUsed = false;

  /** Wraps `stream`; `target` is its split `info`, `params` the router's decoded `:name` values. */
  constructor(stream: ServerStream, target: Target, params: Readonly<Record<string, string>>) {
    this.#stream = stream;
    this.#target = target;
    this.params = params;
  }

  get method(): string {
    return this.#stream.head.method;
  }

  get info(): string {
    return this.#stream.head.info;
  }

  get path(): string {
    // The router has already decoded this path successfully, so this cannot throw for a routed request.
    this.#path ??= this.#target.rawPath.includes('%')
      ? decodeURIComponent(this.#target.rawPath)
      : this.#target.rawPath;
    return this.#path;
  }

  get query(): URLSearchParams {
    this.#query ??= new URLSearchParams(this.#target.rawQuery);
    return this.#query;
  }

  get headers(): Readonly<HeaderMap> {
    return this.#stream.head.headers;
  }

  get client(): { readonly address: string; readonly port: number } {
    return this.#stream.head.client;
  }

  get signal(): AbortSignal {
    return this.#stream.signal;
  }

  get body(): AsyncIterable<Uint8Array> {
    this.#bodyUsed = true;
    return this.#stream.body;
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
    const type = headerValue(this.#stream.head.headers['content-type']);
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
    return this.#stream.body;
  }
}

function headerValue(value: string | string[] | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.join(', ');
}
