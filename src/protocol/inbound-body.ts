/**
 * A body arriving in DATA frames, read once as an async iterable of chunks. Each chunk the consumer takes is
 * reported through `onConsumed`, which is how flow-control credit goes back to the sender: a consumer that
 * stops reading stops the sender after one window.
 */
export class InboundBody implements AsyncIterable<Uint8Array>, AsyncIterator<Uint8Array> {
  readonly #onConsumed: (bytes: number) => void;
  #queue: Buffer[] = [];
  #ended = false;
  #error: Error | undefined;
  #waiting: { resolve: (r: IteratorResult<Uint8Array>) => void; reject: (e: Error) => void } | undefined;
  #iterated = false;
  #discarding = false;

  constructor(onConsumed: (bytes: number) => void) {
    this.#onConsumed = onConsumed;
  }

  /** True once the last chunk arrived (or the body failed). */
  get ended(): boolean {
    return this.#ended || this.#error !== undefined;
  }

  /** Adds a chunk from a DATA frame. */
  push(chunk: Buffer): void {
    if (this.ended) return;
    if (this.#discarding) {
      this.#onConsumed(chunk.length);
      return;
    }
    const waiting = this.#waiting;
    if (waiting !== undefined) {
      this.#waiting = undefined;
      this.#onConsumed(chunk.length);
      waiting.resolve({ value: chunk, done: false });
    } else {
      this.#queue.push(chunk);
    }
  }

  /** Marks the end of the body (END_STREAM). */
  end(): void {
    if (this.ended) return;
    this.#ended = true;
    if (this.#waiting !== undefined && this.#queue.length === 0) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve({ value: undefined, done: true });
    }
  }

  /** Fails the body (ABORT, lost connection): a pending or later read rejects with `error`. */
  fail(error: Error): void {
    if (this.ended) return;
    this.#error = error;
    this.#queue = [];
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.reject(error);
  }

  /** Drops what is queued and whatever arrives later, returning its credit so the sender is not stalled. */
  discard(): void {
    this.#discarding = true;
    let bytes = 0;
    for (const chunk of this.#queue) bytes += chunk.length;
    this.#queue = [];
    if (bytes > 0) this.#onConsumed(bytes);
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterated) throw new TypeError('the request body can be read only once');
    this.#iterated = true;
    return this;
  }

  next(): Promise<IteratorResult<Uint8Array>> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      this.#onConsumed(chunk.length);
      return Promise.resolve({ value: chunk, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Uint8Array>> {
    this.discard();
    return Promise.resolve({ value: undefined, done: true });
  }
}
