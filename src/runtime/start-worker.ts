import { Worker, type WorkerOptions } from 'node:worker_threads';
import { keepYoungGenerationSmallAfter } from './small-young-generation.js';

/** True when Tandem runs from source under tsx (this module is then `.ts`), false when it runs from dist/. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');

/**
 * Starts a worker thread on the module at `entry` (written with its built name, `new URL('./x.js',
 * import.meta.url)`), and keeps the process-wide V8 settings that a worker's start resets
 * (keepYoungGenerationSmall). Every worker thread of Tandem starts here.
 *
 * From source, the thread first registers tsx, which then finds `x.ts` for `x.js`: on Node 20 a worker does
 * not get tsx's loader from the `--import tsx` in its execArgv.
 */
export function startWorker(entry: URL, options?: WorkerOptions): Worker {
  const worker = new Worker(FROM_SOURCE ? tsxBootstrap(entry) : entry, options);
  keepYoungGenerationSmallAfter(worker);
  return worker;
}

/** A tiny module that registers tsx in the new thread, then imports `entry`. */
function tsxBootstrap(entry: URL): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry.href)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
