import { TandemError } from './catalogue.js';

/** An error as it crosses to another thread or process (structured clone keeps neither the class nor `code`). */
export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  /** A TandemError's status. */
  status?: number;
}

/** An error as plain data for postMessage or a process's IPC channel. */
export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as NodeJS.ErrnoException).code;
  const status = error instanceof TandemError ? error.status : undefined;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(code === undefined ? {} : { code }),
    ...(status === undefined ? {} : { status }),
  };
}

/**
 * The Error that `serializeError` described (name, message, stack and code kept); a TandemError comes back
 * as a TandemError with its code and status.
 */
export function deserializeError(data: SerializedError): Error {
  const error =
    data.name === 'TandemError' && data.code !== undefined
      ? new TandemError(data.code, data.message, data.status)
      : Object.assign(new Error(data.message), { name: data.name, code: data.code });
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}
