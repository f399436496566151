import { setFlagsFromString } from 'node:v8';
import type { Worker } from 'node:worker_threads';

let wanted = false;

function apply(): void {
  setFlagsFromString('--semi-space-growth-factor=1');
}

/**
 * Stops V8 from growing this process's young generation beyond the size it has now.
 *
 * V8 doubles the young generation (up to 16 MiB per semi-space on 64-bit) once enough objects have survived
 * scavenges since it last grew, a count that only adds up; so a long-running server ends up with the
 * maximum whatever it does. For a server that moves bytes and allocates little per request (the FTP server)
 * the bigger young generation buys nothing and costs about 10 MiB of RSS within a few transfers (measured
 * with 1 GiB RETR/STOR, docs/bench-ftp.md). `--semi-space-growth-factor` is read each time V8 considers
 * growing, so setting it at run time works; the maximum size (`--max-semi-space-size`) is fixed when the
 * process starts and could only be set on node's command line.
 */
export function keepYoungGenerationSmall(): void {
  wanted = true;
  apply();
}

/**
 * Sets the flag of keepYoungGenerationSmall again once `worker` is online, if it was wanted: a worker
 * thread's start-up resets V8's flags for the whole process (seen on Node 20). startWorker calls it.
 */
export function keepYoungGenerationSmallAfter(worker: Worker): void {
  if (wanted) worker.once('online', apply);
}
