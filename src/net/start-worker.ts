import { Worker, type WorkerOptions } from 'node:worker_threads';
import { workerEntry } from './handler-path.js';
import { keepYoungGenerationSmallAfter } from './small-young-generation.js';

/**
 * Starts the worker thread whose module `name` sits next to `base` (an `import.meta.url`; see workerEntry),
 * and keeps the process-wide V8 settings that a worker's start resets (keepYoungGenerationSmall). Every
 * worker thread of Tandem starts here.
 */
export function startWorker(base: string, name: string, options?: WorkerOptions): Worker {
  const worker = new Worker(workerEntry(base, name), options);
  keepYoungGenerationSmallAfter(worker);
  return worker;
}
