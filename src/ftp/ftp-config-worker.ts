// The worker thread of load-ftp-config.ts: loads and validates the config, posts it (or the error) and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { type SerializedError, serializeError } from '../errors/serialized-error.js';
import { type FtpServerConfig, type FtpServerFlags, loadFtpConfig } from './ftp-config.js';

/** What the thread posts: the config and the warnings loading it gave, or the error loadFtpConfig threw. */
export type FtpConfigResult =
  | { readonly config: FtpServerConfig; readonly warnings: readonly string[] }
  | { readonly error: SerializedError };

let result: FtpConfigResult;
try {
  const warnings: string[] = [];
  const config = loadFtpConfig(workerData as FtpServerFlags, (message) => warnings.push(message));
  result = { config, warnings };
} catch (err) {
  result = { error: serializeError(err) };
}
parentPort?.postMessage(result);
