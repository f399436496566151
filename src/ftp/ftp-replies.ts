import { TandemError } from '../errors/catalogue.js';

/** A reply to send: an RFC 959 reply code and its text. */
export interface FtpReply {
  code: number;
  text: string;
}

/** Text made safe for one reply line: CR, LF and other control characters become spaces. */
function oneLine(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? ' ' : char;
  }
  return out;
}

/** A single-line reply `NNN text\r\n` (RFC 959 §4.2). */
export function formatReply(code: number, text: string): string {
  return `${code} ${oneLine(text)}\r\n`;
}

/**
 * A multi-line reply (RFC 959 §4.2): `NNN-first`, each line of `lines` indented by one space (so that none
 * can start with a code and end the reply early), then `NNN last`.
 */
export function formatMultiline(code: number, first: string, lines: readonly string[], last: string): string {
  let out = `${code}-${oneLine(first)}\r\n`;
  for (const line of lines) out += ` ${oneLine(line)}\r\n`;
  return `${out}${code} ${oneLine(last)}\r\n`;
}

/** A path quoted for a 257 reply (RFC 959 Appendix II): in double quotes, each `"` inside doubled. */
export function quotePath(path: string): string {
  return `"${path.replaceAll('"', '""')}"`;
}

/** errno codes of a data connection's failure rather than the file's: those stay 426. */
const CONNECTION_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTCONN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/**
 * True for an errno error met during a transfer (or a copier's, which carries dd's errno code) that is the
 * file's, not the data connection's: errorReply answers it 451/452/550 instead of 426.
 */
export function isLocalFileError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^E[A-Z]+$/.test(code) && !CONNECTION_CODES.has(code);
}

/**
 * The reply for an error met while serving a command on `virtual`: the FTP code a catalogue error carries
 * as its status (FTP_PATH_*, FTP_TRANSFER_*, data connection errors), else one mapped from a file system
 * error code, else 451 (RFC 959: "local error in processing").
 */
export function errorReply(err: unknown, virtual: string): FtpReply {
  if (err instanceof TandemError && err.status !== undefined && err.status >= 400 && err.status < 600) {
    return { code: err.status, text: err.message };
  }
  switch ((err as NodeJS.ErrnoException | undefined)?.code) {
    case 'ENOENT':
      return { code: 550, text: `No such file or directory: ${virtual}` };
    case 'EACCES':
    case 'EPERM':
      return { code: 550, text: `Permission denied: ${virtual}` };
    case 'EEXIST':
      return { code: 550, text: `Already exists: ${virtual}` };
    case 'ENOTDIR':
      return { code: 550, text: `Not a directory: ${virtual}` };
    case 'EISDIR':
      return { code: 550, text: `Is a directory: ${virtual}` };
    case 'ENOTEMPTY':
      return { code: 550, text: `Directory not empty: ${virtual}` };
    case 'EINVAL':
    case 'EXDEV':
      return { code: 550, text: `Not possible for ${virtual}` };
    case 'ENAMETOOLONG':
      return { code: 553, text: `File name too long: ${virtual}` };
    case 'ENOSPC':
    case 'EDQUOT':
      return { code: 452, text: `Insufficient storage space for ${virtual}` };
    default: {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      return { code: 451, text: `Local error on ${virtual}${code === undefined ? '' : `: ${code}`}` };
    }
  }
}
