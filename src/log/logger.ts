import { type Logger, pino } from 'pino';

export type { Logger };

/**
 * A structured JSON logger on stderr (pino, synchronous so nothing is lost on exit).
 * stdout is kept for access-log lines.
 */
export function createLogger(name: string, level: string = process.env.TANDEM_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid, name } }, pino.destination({ fd: 2, sync: true }));
}
