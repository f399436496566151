import { deepFreeze } from '../config/deep-freeze.js';
import { deserializeError } from '../errors/serialized-error.js';
import { startWorker } from '../runtime/start-worker.js';
import type { FtpServerConfig, FtpServerFlags } from './ftp-config.js';
import type { FtpConfigResult } from './ftp-config-worker.js';

/**
 * loadFtpConfig on a short-lived worker thread: the same config (deeply frozen) and warnings (given to `warn`
 * once the thread is done), or the same TandemError.
 * Why: the validator (zod) stays in memory once imported, about 7 MiB of a process whose RSS is a goal
 * (docs/bench-ftp.md); loaded in a thread that then ends, it never becomes part of the server.
 */
export async function loadFtpConfigOffThread(
  flags: FtpServerFlags,
  warn?: (message: string) => void,
): Promise<FtpServerConfig> {
  const worker = startWorker(new URL('./ftp-config-worker.js', import.meta.url), { workerData: flags });
  const result = await new Promise<FtpConfigResult>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the config thread exited with code ${code}`)));
  });
  await worker.terminate();
  if ('error' in result) throw deserializeError(result.error);
  for (const message of result.warnings) warn?.(message);
  return deepFreeze(result.config);
}
