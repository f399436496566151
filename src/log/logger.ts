import { pino } from 'pino';

/** One level of a Logger: a message, or fields (an `err` is logged with its stack) and a message. */
export interface LogMethod {
  (message: string): void;
  (fields: object, message?: string): void;
}

/**
 * A structured logger, as Tandem calls it: pino's Logger is one, and so is any object with these four
 * methods, so an app can pass its own where Tandem takes a logger.
 */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

/**
 * A structured JSON logger on stderr (pino, synchronous so nothing is lost on exit).
 * stdout is kept for access-log lines.
 */
export function createLogger(name: string, level: string = process.env.TANDEM_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { pid: process.pid, name } }, pino.destination({ fd: 2, sync: true }));
}
