import { Writable } from 'node:stream';

type WriteCallback = (error?: Error | null) => void;

/**
 * A reply body written as a stream: what is written to this Writable is what a runner reads from it as an
 * AsyncIterable of chunks, one chunk at a time, so a writer that honours backpressure (`pipeline`, `drain`)
 * goes only as fast as the client takes the bytes. A reader that stops early (a runner drops the body of a
 * reply to HEAD) lets every later write through unread; `fail(error)` makes the reader's next chunk throw,
 * so that the runner cuts a response whose head is already out.
 */
export class WritableBody extends Writable implements AsyncIterable<Uint8Array> {
  readonly #onWrite: () => void;
  /** The chunk written and not yet read, and the callback that lets its writer go on. */
  #chunk: Buffer | undefined;
  #written: WriteCallback | undefined;
  /** The callback of the chunk the reader holds: called when it asks for the next one. */
  #taken: WriteCallback | undefined;
  #wake: (() => void) | undefined;
  #ended = false;
  #gone = false;
  #failure: { error: unknown } | undefined;

  /** `onWrite` runs before each write is taken in (the owner sends the reply's head on the first). */
  constructor(onWrite: () => void) {
    super();
    this.#onWrite = onWrite;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: WriteCallback): void {
    this.#onWrite();
    if (this.#gone) return callback();
    this.#chunk = chunk;
    this.#written = callback;
    this.#wake?.();
  }

  override _final(callback: WriteCallback): void {
    this.#ended = true;
    this.#wake?.();
    callback();
  }

  override _destroy(error: Error | null, callback: WriteCallback): void {
    this.#ended = true;
    this.#release();
    this.#wake?.();
    callback(error);
  }

  /** Makes the reader's next chunk throw `error`. */
  fail(error: unknown): void {
    this.#failure ??= { error };
    this.#wake?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return {
      next: () => this.#next(),
      return: async () => {
        this.#gone = true;
        this.#release();
        return { done: true, value: undefined };
      },
    };
  }

  async #next(): Promise<IteratorResult<Uint8Array>> {
    const taken = this.#taken;
    this.#taken = undefined;
    taken?.();
    for (;;) {
      if (this.#failure !== undefined) throw this.#failure.error;
      const chunk = this.#chunk;
      if (chunk !== undefined) {
        this.#chunk = undefined;
        this.#taken = this.#written;
        this.#written = undefined;
        return { done: false, value: chunk };
      }
      if (this.#ended || this.#gone) return { done: true, value: undefined };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = undefined;
    }
  }

  /** Lets go of the chunks held, so their writers go on. */
  #release(): void {
    const callbacks = [this.#taken, this.#written];
    this.#chunk = undefined;
    this.#taken = undefined;
    this.#written = undefined;
    for (const callback of callbacks) callback?.();
  }
}
