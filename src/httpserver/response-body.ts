/** What a ResponseBody's reader is waiting for: the next chunk, the end, or the failure. */
interface Reader {
  resolve(result: IteratorResult<Uint8Array>): void;
  reject(error: Error): void;
}

/**
 * The body of a proxied response as the engine pulls it (serveHttp pulls a chunk only once the client's socket
 * took the one before): chunks pushed as the webframe's DATA frames bring them, read once. Unlike a request
 * body on the webframe's side (InboundBody), the credit of a chunk goes back (`credit`) only when the reader
 * comes back for the next one, so a client that does not read stops its stream after one window; a failure
 * is thrown only after the chunks that came before it, so the client gets every byte that fits before its
 * connection is cut; and a reader that stops early (`return()`) ends the stream (`stop`), as nothing will
 * take the rest.
 */
export class ResponseBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  readonly #credit: (bytes: number) => void;
  readonly #stop: () => void;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #failure: Error | undefined;
  /** Bytes of the chunk handed out last, whose credit goes back on the next pull. */
  #lent = 0;
  #reader: Reader | undefined;

  constructor(credit: (bytes: number) => void, stop: () => void) {
    this.#credit = credit;
    this.#stop = stop;
  }

  /** Adds a chunk of the body; `end` marks the last one. Ignored once the body ended or failed. */
  push(chunk: Uint8Array, end: boolean): void {
    if (this.#ended || this.#failure !== undefined) return;
    this.#ended = end;
    const reader = this.#reader;
    if (reader === undefined) {
      if (chunk.length > 0) this.#chunks.push(chunk);
      return;
    }
    if (chunk.length > 0) {
      this.#reader = undefined;
      this.#lent = chunk.length;
      reader.resolve({ value: chunk, done: false });
    } else if (end) {
      this.#reader = undefined;
      reader.resolve({ value: undefined, done: true });
    }
  }

  /** Fails the body: the reader gets `error` once it has taken the chunks pushed before. */
  fail(error: Error): void {
    if (this.#ended || this.#failure !== undefined) return;
    this.#failure = error;
    const reader = this.#reader;
    this.#reader = undefined;
    reader?.reject(error);
  }

  /**
   * The whole body when it has ended in one chunk that nobody read yet, taken (the body is then read out);
   * else undefined.
   */
  takeWhole(): Uint8Array | undefined {
    if (!this.#ended || this.#failure !== undefined || this.#lent > 0 || this.#chunks.length !== 1) return;
    return this.#chunks.pop();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#lent > 0) {
      const bytes = this.#lent;
      this.#lent = 0;
      this.#credit(bytes);
    }
    const chunk = this.#chunks.shift();
    if (chunk !== undefined) {
      this.#lent = chunk.length;
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#reader = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.#chunks = [];
    if (!this.#ended && this.#failure === undefined) {
      this.#ended = true;
      this.#stop();
    }
    return Promise.resolve({ value: undefined, done: true });
  }
}
