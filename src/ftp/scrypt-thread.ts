import type { ScryptOptions } from 'node:crypto';
import type { Worker } from 'node:worker_threads';
import { errors } from '../errors/catalogue.js';
import { startWorker } from '../runtime/start-worker.js';
import type { ScryptJob, ScryptResult } from './scrypt-worker.js';

interface Pending {
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

/**
 * Runs the process's scrypt calls on one worker thread, one after another, started by the first call and kept
 * (it keeps the process alive only while calls are waiting).
 *
 * Why not node:crypto's async scrypt on the libuv pool: glibc keeps a freed scrypt buffer (8 MiB with the
 * default parameters) in the malloc arena of the thread that used it, because after the first one it raises
 * its mmap threshold above that size; so each of the pool's four threads ends up holding one. And a burst of
 * logins would take every pool thread from the file reads of transfers in progress. One thread holds one
 * buffer and leaves the pool to the files; logins take turns instead. The thread is kept rather than started
 * per burst: one costs about 10 MiB and 30 ms to start, and a stopped thread's arena is not reliably reused.
 */
export class ScryptThread {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 0;

  /** Derives `length` bytes from `password` and `salt`; rejects with the scrypt error or if the thread dies. */
  derive(password: string, salt: Uint8Array, length: number, options: ScryptOptions): Promise<Buffer> {
    const worker = this.#worker ?? this.#start();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      if (this.#pending.size === 1) worker.ref();
      const job: ScryptJob = { id, password, salt, length, options };
      worker.postMessage(job);
    });
  }

  /** Stops the thread; calls still waiting reject. The next derive starts a new one. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    this.#fail(worker, 'the scrypt thread was stopped');
    await worker.terminate();
  }

  #start(): Worker {
    const worker = startWorker(new URL('./scrypt-worker.js', import.meta.url));
    worker.unref();
    worker.on('message', (result: ScryptResult) => {
      const pending = this.#pending.get(result.id);
      if (pending === undefined) return;
      this.#pending.delete(result.id);
      if (this.#pending.size === 0) worker.unref();
      if ('key' in result)
        pending.resolve(Buffer.from(result.key.buffer, result.key.byteOffset, result.key.length));
      else pending.reject(errors.FTP_PASSWORD_CHECK(result.error));
    });
    worker.on('error', (err) => this.#fail(worker, err.message));
    worker.on('exit', (code) => this.#fail(worker, `the scrypt thread exited with code ${code}`));
    this.#worker = worker;
    return worker;
  }

  /** Rejects every call waiting on `worker`, unless it has already been replaced. */
  #fail(worker: Worker, reason: string): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    for (const pending of this.#pending.values()) pending.reject(errors.FTP_PASSWORD_CHECK(reason));
    this.#pending.clear();
  }
}
