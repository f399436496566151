// The worker thread of load-ftp-config.ts: loads and validates the config, posts it (or the error) and ends.
import { parentPort, workerData } from 'node:worker_threads';
import { TandemError } from '../errors/catalogue.js';
import { type FtpServerConfig, type FtpServerFlags, loadFtpConfig } from './ftp-config.js';

/** What the thread posts: the config, or the error loadFtpConfig threw (a TandemError's code and status kept). */
export type FtpConfigResult =
  | { readonly config: FtpServerConfig }
  | { readonly error: { code?: string; message: string; status?: number; stack?: string } };

let result: FtpConfigResult;
try {
  result = { config: loadFtpConfig(workerData as FtpServerFlags) };
} catch (err) {
  const { message, stack } = err as Error;
  result =
    err instanceof TandemError
      ? { error: { code: err.code, message, status: err.status } }
      : { error: { message, stack } };
}
parentPort?.postMessage(result);
