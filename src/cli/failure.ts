import { errors, isError, TandemError } from '../errors/catalogue.js';

/** What the top-level handler prints for an error that ends a command, and the exit status. */
export interface Failure {
  /** One line, without the `tandem: ` prefix. */
  message: string;
  /** 2 for a usage error (a bad flag, value or argument), 1 for the rest (cannot listen, cannot load …). */
  status: 1 | 2;
}

/** Why an address cannot be listened on, in words, by errno code. */
const LISTEN_REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is in use (by another process)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: "the address is not one of this machine's (use 127.0.0.1, 0.0.0.0 or a local address)",
  ENOTFOUND: 'unknown host name',
  EAI_AGAIN: 'the host name cannot be resolved now (DNS lookup failed)',
  EAI_NONAME: 'unknown host name',
  EAI_FAIL: 'the host name cannot be resolved (DNS lookup failed)',
};

/**
 * Turns an error that reached the top level into one line and an exit status. A listen failure (from
 * node's listen or its host-name lookup) becomes `cannot listen on HOST:PORT: REASON`; only an error that is
 * none of Tandem's and none of these keeps its stack, as it is a bug to report.
 */
export function describeFailure(err: unknown): Failure {
  if (err instanceof TandemError) {
    return { message: err.message, status: isError(err, errors.CLI_USAGE) ? 2 : 1 };
  }
  const error = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string };
  const reason = error?.code === undefined ? undefined : LISTEN_REASONS[error.code];
  if (
    reason !== undefined &&
    (error.syscall === 'listen' || error.syscall === 'getaddrinfo' || error.hostname !== undefined)
  ) {
    const host = error.address ?? error.hostname ?? 'the address';
    const shown = host.includes(':') ? `[${host}]` : host;
    const address = error.port === undefined ? shown : `${shown}:${error.port}`;
    return { message: errors.CLI_LISTEN_FAILED(address, `${reason} (${error.code})`).message, status: 1 };
  }
  return { message: error?.stack ?? String(err), status: 1 };
}
