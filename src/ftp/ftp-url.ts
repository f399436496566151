import { errors } from '../errors/catalogue.js';

/** Where an `ftp://` URL points and who logs in: components already percent-decoded. */
export interface FtpTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Absolute remote path, '/' when the URL has none. */
  path: string;
  /** Set when the URL names a user without a password and `$TANDEM_FTP_PASSWORD` is unset. */
  passwordMissing?: true;
}

/** Password sent for anonymous logins (RFC 1635 asks for an e-mail-like string). */
export const ANONYMOUS_PASSWORD = 'anonymous@';

/**
 * Parses `ftp://[user[:pass]@]host[:port]/path`. User, password and path are percent-decoded; a decoded CR, LF
 * or NUL is refused (it would inject FTP commands). No user means anonymous; a user without a password in the
 * URL gets `env.TANDEM_FTP_PASSWORD` (or an empty password). Throws a CLI_USAGE TandemError.
 */
export function parseFtpUrl(text: string, env: NodeJS.ProcessEnv = process.env): FtpTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw errors.CLI_USAGE(`expected a URL like ftp://host/path, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'ftp:') {
    throw errors.CLI_USAGE(`expected an ftp:// URL, got ${JSON.stringify(text)}`);
  }
  if (url.hostname === '') throw errors.CLI_USAGE(`no host in ${JSON.stringify(text)}`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const user = decodeComponent(url.username, 'user name', text);
  const urlPassword = decodeComponent(url.password, 'password', text);
  const path = decodeComponent(url.pathname, 'path', text);
  const anonymous = user === '';
  const passwordMissing = !anonymous && url.password === '' && env.TANDEM_FTP_PASSWORD === undefined;
  return {
    host,
    port: url.port === '' ? 21 : Number(url.port),
    user: anonymous ? 'anonymous' : user,
    password: anonymous
      ? urlPassword || ANONYMOUS_PASSWORD
      : url.password !== ''
        ? urlPassword
        : (env.TANDEM_FTP_PASSWORD ?? ''),
    path: path === '' ? '/' : path,
    ...(passwordMissing ? { passwordMissing } : {}),
  };
}

function decodeComponent(raw: string, what: string, url: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw errors.CLI_USAGE(`bad percent-encoding in the ${what} of ${JSON.stringify(url)}`);
  }
  if (/[\r\n\0]/.test(decoded)) {
    throw errors.CLI_USAGE(`the ${what} of ${JSON.stringify(url)} holds a CR, LF or NUL`);
  }
  return decoded;
}
