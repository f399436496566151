// The worker thread of scrypt-thread.ts: derives one key at a time, in the order the jobs arrive.
import { type ScryptOptions, scryptSync } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

/** One key to derive, sent by the main thread. */
export interface ScryptJob {
  readonly id: number;
  readonly password: string;
  readonly salt: Uint8Array;
  readonly length: number;
  readonly options: ScryptOptions;
}

/** The answer to a job: its key, or the message of the error scrypt raised. */
export type ScryptResult =
  | { readonly id: number; readonly key: Uint8Array }
  | { readonly id: number; readonly error: string };

parentPort?.on('message', (job: ScryptJob) => {
  let result: ScryptResult;
  try {
    result = { id: job.id, key: scryptSync(job.password, job.salt, job.length, job.options) };
  } catch (err) {
    result = { id: job.id, error: (err as Error).message };
  }
  parentPort?.postMessage(result);
});
