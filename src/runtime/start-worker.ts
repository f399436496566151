import { Worker, type WorkerOptions } from 'node:worker_threads';
import { keepYoungGenerationSmallAfter } from './small-young-generation.js';

/**
 * True when a worker thread must register tsx itself: Tandem runs from source under tsx (this module is then
 * `.ts`), or from dist/ in a process started with tsx (`node --import tsx server.ts`), whose handler modules
 * may be TypeScript.
 */
const UNDER_TSX = import.meta.url.endsWith('.ts') || process.execArgv.some((arg) => /\btsx\b/.test(arg));

/**
 * Starts a worker thread on the module at `entry` (written with its built name, `new URL('./x.js',
 * import.meta.url)`), and keeps the process-wide V8 settings that a worker's start resets
 * (keepYoungGenerationSmall). Every worker thread of Tandem starts here.
 *
 * Under tsx, the thread first registers tsx, which then finds `x.ts` for `x.js`: on Node 20 a worker does
 * not get tsx's loader from the `--import tsx` in its execArgv.
 */
export function startWorker(entry: URL, options?: WorkerOptions): Worker {
  const worker = new Worker(UNDER_TSX ? tsxBootstrap(entry) : entry, options);
  keepYoungGenerationSmallAfter(worker);
  return worker;
}

/**
 * A tiny module that registers tsx in the new thread, then imports `entry`. The entry is resolved here, from
 * a file: parent, where tsx finds `x.ts` for `x.js`: from the data: URL, on Node 20.11, it throws
 * ERR_INVALID_URL_SCHEME.
 */
function tsxBootstrap(entry: URL): URL {
  const tsx = import.meta.resolve('tsx/esm/api');
  const file = import.meta.resolve(entry.href);
  const boot = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(file)});`;
  return new URL(`data:text/javascript,${encodeURIComponent(boot)}`);
}
