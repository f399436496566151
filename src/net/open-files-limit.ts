import { readFileSync } from 'node:fs';
import { errors } from '../errors/catalogue.js';
import type { NetErrorReporter } from './types.js';

/**
 * The soft limit on this process's open file descriptors (`ulimit -n`), from /proc/self/limits; undefined
 * where that cannot be read (not Linux). Child processes and threads share or inherit it.
 */
export function openFilesLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line === null ? undefined : Number(line[1]);
  } catch {
    return undefined;
  }
}

/**
 * How many connections a process may hold with `limit` descriptors: the rest is kept for what serving them
 * needs (files, connections to the webframe, Node's own: about 25 at rest). Past it a new connection is
 * refused with a log line, instead of the process running out (EMFILE) and failing every file it opens.
 */
export function connectionCapacity(limit: number): number {
  return Math.max(1, limit - Math.max(64, Math.floor(limit / 16)));
}

/**
 * Counts the connections refused at the open-files limit and reports them at most once a second, with their
 * count, so that a flood of them makes one log line a second, not one each.
 */
export class RefusedConnections {
  readonly #capacity: number;
  readonly #limit: number;
  readonly #report: NetErrorReporter;
  #count = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(capacity: number, limit: number, report: NetErrorReporter) {
    this.#capacity = capacity;
    this.#limit = limit;
    this.#report = report;
  }

  /** One more connection was refused. */
  add(): void {
    this.#count++;
    this.#timer ??= setTimeout(() => {
      this.#report(
        errors.NET_CONNECTIONS_REFUSED(this.#count, this.#capacity, this.#limit),
        'accepting connections',
      );
      this.#count = 0;
      this.#timer = undefined;
    }, 1000).unref();
  }
}
