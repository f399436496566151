import { FTPError } from 'basic-ftp';
import { errors, TandemError } from '../errors/catalogue.js';
import type { FtpTarget } from './ftp-url.js';

/** First line of a server reply, e.g. `530 Login incorrect.` */
function replyText(err: FTPError): string {
  return err.message.split(/\r?\n/)[0]?.trim() ?? String(err.code);
}

/** The stage an error happened in, which decides its message. */
export type FtpStage = 'connect' | 'login' | { action: string; path: string };

/**
 * Maps what basic-ftp (or the socket under it) threw to a one-line TandemError: socket errors and early
 * replies to FTP_CONNECT_FAILED, a refused login to FTP_LOGIN_FAILED (FTP_LOGIN_NO_PASSWORD with a hint when
 * no password was given), any other reply to FTP_REMOTE_FAILED with the server's own words (a 550 may mean
 * missing, not a plain file or permission denied: only the server knows). TandemErrors pass through.
 */
export function describeFtpError(err: unknown, stage: FtpStage, target: FtpTarget): TandemError {
  if (err instanceof TandemError) return err;
  const where = target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
  if (err instanceof FTPError) {
    if (stage === 'connect') return errors.FTP_CONNECT_FAILED(where, replyText(err));
    if (stage === 'login') {
      if (target.passwordMissing === true) return errors.FTP_LOGIN_NO_PASSWORD(target.user, replyText(err));
      return errors.FTP_LOGIN_FAILED(target.user, replyText(err));
    }
    return errors.FTP_REMOTE_FAILED(`${stage.action} ${stage.path}`, replyText(err));
  }
  const error = err as NodeJS.ErrnoException;
  const reason = error.code ?? (error.message ?? String(err)).replace(/ \((control|data) socket\)$/, '');
  if (stage === 'connect' || stage === 'login') return errors.FTP_CONNECT_FAILED(where, reason);
  return errors.FTP_REMOTE_FAILED(`${stage.action} ${stage.path}`, `connection lost: ${reason}`);
}

/** A local file-system error (from opening the file) as FTP_LOCAL_FILE; anything else unchanged. */
export function localOr(err: unknown, action: string, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const syscall = (err as NodeJS.ErrnoException).syscall;
  if (typeof code === 'string' && (syscall === 'open' || syscall === 'write' || syscall === 'read')) {
    return errors.FTP_LOCAL_FILE(action, file, code);
  }
  return err;
}
