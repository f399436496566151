import { stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { Client, type FileInfo, FileType, FTPError } from 'basic-ftp';
import { errors, TandemError } from '../errors/catalogue.js';

/** Where an `ftp://` URL points and who logs in: components already percent-decoded. */
export interface FtpTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  /** Absolute remote path, '/' when the URL has none. */
  path: string;
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

/** The last segment of a remote file path, or a usage error when the path names a directory. */
export function remoteFileName(path: string): string {
  const name = posix.basename(path);
  if (path.endsWith('/') || name === '' || name === '.' || name === '..') {
    throw errors.CLI_USAGE(`${path} names a directory, not a file (use \`tandem ftp ls\`)`);
  }
  return name;
}

/** The local file `get` writes: DEST, DEST/NAME when DEST is a directory, else NAME in `cwd`. */
export async function downloadDestination(remotePath: string, dest: string | undefined, cwd: string) {
  const name = remoteFileName(remotePath);
  if (dest === undefined) return join(cwd, name);
  const isDirectory = await stat(dest).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return isDirectory || dest.endsWith('/') ? join(dest, name) : dest;
}

/** The remote path `put` stores FILE at: a URL path ending in '/' keeps the local file name. */
export function uploadPath(file: string, urlPath: string): string {
  return urlPath.endsWith('/') ? `${urlPath}${basename(file)}` : urlPath;
}

/** What `get` does given the local and remote sizes. */
export type DownloadPlan =
  | { kind: 'fresh' }
  | { kind: 'resume'; startAt: number }
  | { kind: 'complete' }
  | { kind: 'larger' };

/**
 * Decides between a fresh download, a resume (REST) from the local size, nothing (already complete) or a
 * refusal (local file larger than the remote one). `remoteSize` undefined (no SIZE) resumes any partial file.
 */
export function planDownload(localSize: number | undefined, remoteSize: number | undefined): DownloadPlan {
  if (localSize === undefined || localSize === 0) return { kind: 'fresh' };
  if (remoteSize === undefined || localSize < remoteSize) return { kind: 'resume', startAt: localSize };
  return localSize === remoteSize ? { kind: 'complete' } : { kind: 'larger' };
}

/** First line of a server reply, e.g. `530 Login incorrect.` */
function replyText(err: FTPError): string {
  return err.message.split(/\r?\n/)[0]?.trim() ?? String(err.code);
}

/** The stage an error happened in, which decides its message. */
export type FtpStage = 'connect' | 'login' | { action: string; path: string };

/**
 * Maps what basic-ftp (or the socket under it) threw to a one-line TandemError: socket errors and early
 * replies to FTP_CONNECT_FAILED, a refused login to FTP_LOGIN_FAILED, 550 (except for put) to FTP_REMOTE_MISSING, others to
 * FTP_REMOTE_FAILED. TandemErrors pass through.
 */
export function describeFtpError(err: unknown, stage: FtpStage, target: FtpTarget): TandemError {
  if (err instanceof TandemError) return err;
  const where = target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
  if (err instanceof FTPError) {
    if (stage === 'connect') return errors.FTP_CONNECT_FAILED(where, replyText(err));
    if (stage === 'login') return errors.FTP_LOGIN_FAILED(target.user, replyText(err));
    // 550 to STOR is a refusal (permission, bad name), to SIZE/RETR/LIST a missing path.
    if (err.code === 550 && stage.action !== 'put')
      return errors.FTP_REMOTE_MISSING(stage.path, replyText(err));
    return errors.FTP_REMOTE_FAILED(`${stage.action} ${stage.path}`, replyText(err));
  }
  const error = err as NodeJS.ErrnoException;
  const reason = error.code ?? (error.message ?? String(err)).replace(/ \((control|data) socket\)$/, '');
  if (stage === 'connect' || stage === 'login') return errors.FTP_CONNECT_FAILED(where, reason);
  return errors.FTP_REMOTE_FAILED(`${stage.action} ${stage.path}`, `connection lost: ${reason}`);
}

/** Options shared by the operations. */
export interface FtpClientOptions {
  /** ms of no progress before giving up (basic-ftp's timeout); default 30 000. */
  timeout?: number;
  /** Called with bytes moved in the current transfer, about twice a second and at the end. */
  onProgress?: (bytes: number) => void;
}

/** Connects and logs in, mapping failures; the caller closes the client. */
export async function openFtp(target: FtpTarget, options: FtpClientOptions = {}): Promise<Client> {
  const client = new Client(options.timeout ?? 30_000);
  try {
    await client.connect(target.host, target.port);
  } catch (err) {
    client.close();
    throw describeFtpError(err, 'connect', target);
  }
  try {
    // UTF-8 before USER in case the name or password is not ASCII (as basic-ftp's access() does).
    await client.sendIgnoringError('OPTS UTF8 ON');
    await client.login(target.user, target.password);
    await client.useDefaultSettings();
  } catch (err) {
    client.close();
    throw describeFtpError(err, 'login', target);
  }
  return client;
}

async function withClient<T>(
  target: FtpTarget,
  options: FtpClientOptions,
  stage: Exclude<FtpStage, 'connect' | 'login'>,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = await openFtp(target, options);
  try {
    return await work(client);
  } catch (err) {
    throw describeFtpError(err, stage, target);
  } finally {
    client.close();
  }
}

/** Lists the directory (or file) at `target.path`: basic-ftp's parsed entries, without `.` and `..`. */
export function ftpList(target: FtpTarget, options: FtpClientOptions = {}): Promise<FileInfo[]> {
  return withClient(target, options, { action: 'list', path: target.path }, async (client) => {
    const entries = await client.list(target.path);
    return entries.filter((entry) => entry.name !== '.' && entry.name !== '..');
  });
}

const TYPE_CHARS: Partial<Record<FileType, string>> = {
  [FileType.Directory]: 'd',
  [FileType.File]: '-',
  [FileType.SymbolicLink]: 'l',
};

/** One `ls -l`-ish line: type (`d`, `-`, `l`, `?`), size padded to `sizeWidth`, UTC date, name. */
export function formatEntry(entry: FileInfo, sizeWidth = 0): string {
  const type = TYPE_CHARS[entry.type] ?? '?';
  const date =
    entry.modifiedAt === undefined
      ? entry.rawModifiedAt.padEnd(16)
      : entry.modifiedAt.toISOString().slice(0, 16).replace('T', ' ');
  const link = entry.link === undefined || entry.link === '' ? '' : ` -> ${entry.link}`;
  return `${type} ${String(entry.size).padStart(sizeWidth)} ${date} ${entry.name}${link}`;
}

/** What `ftpGet` did. */
export interface GetResult {
  plan: DownloadPlan;
  /** Remote size from SIZE, undefined when the server has no SIZE. */
  remoteSize: number | undefined;
  /** Bytes received in this run. */
  received: number;
}

/**
 * Downloads `target.path` to the local file `dest`, resuming with REST when `dest` is a shorter partial copy
 * (unless `overwrite`). Nothing is transferred when `dest` already has the remote size; a larger `dest` is
 * refused without touching it. `onStart` runs once the plan is known, before any data moves.
 */
export function ftpGet(
  target: FtpTarget,
  dest: string,
  options: FtpClientOptions & {
    overwrite?: boolean;
    onStart?: (plan: DownloadPlan, size?: number) => void;
  } = {},
): Promise<GetResult> {
  return withClient(target, options, { action: 'get', path: target.path }, async (client) => {
    const remoteSize = await sizeOf(client, target.path);
    const localSize = options.overwrite === true ? undefined : await localFileSize(dest);
    const plan = planDownload(localSize, remoteSize);
    if (plan.kind === 'larger') {
      throw errors.FTP_LOCAL_FILE(
        'resume',
        dest,
        `it is larger (${localSize} bytes) than the remote file (${remoteSize} bytes); use --overwrite`,
      );
    }
    options.onStart?.(plan, remoteSize);
    if (plan.kind === 'complete') return { plan, remoteSize, received: 0 };
    const startAt = plan.kind === 'resume' ? plan.startAt : 0;
    let received = 0;
    client.trackProgress((info) => {
      received = info.bytes;
      if (info.type === 'download') options.onProgress?.(info.bytes);
    });
    try {
      await client.downloadTo(dest, target.path, startAt);
    } catch (err) {
      throw localOr(err, 'write', dest);
    }
    return { plan, remoteSize, received };
  });
}

/** SIZE of the remote file; undefined when the server has no SIZE (500/502/504); 550 and others throw. */
async function sizeOf(client: Client, path: string): Promise<number | undefined> {
  try {
    return await client.size(path);
  } catch (err) {
    if (err instanceof FTPError && [500, 502, 504].includes(err.code)) return undefined;
    throw err;
  }
}

async function localFileSize(file: string): Promise<number | undefined> {
  try {
    const info = await stat(file);
    return info.isFile() ? info.size : undefined;
  } catch {
    return undefined;
  }
}

/** A local file-system error (from opening the file) as FTP_LOCAL_FILE; anything else unchanged. */
function localOr(err: unknown, action: string, file: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  const syscall = (err as NodeJS.ErrnoException).syscall;
  if (typeof code === 'string' && (syscall === 'open' || syscall === 'write' || syscall === 'read')) {
    return errors.FTP_LOCAL_FILE(action, file, code);
  }
  return err;
}

/**
 * Uploads the local `file` to `target.path` (STOR, replacing a remote file); resolves with the bytes sent.
 * `onStart` gets the local size once the file is known to be readable, before connecting.
 */
export async function ftpPut(
  file: string,
  target: FtpTarget,
  options: FtpClientOptions & { onStart?: (size: number) => void } = {},
): Promise<number> {
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw errors.FTP_LOCAL_FILE('read', file, err.code ?? err.message);
  });
  if (!info.isFile()) throw errors.FTP_LOCAL_FILE('read', file, 'not a regular file');
  options.onStart?.(info.size);
  return withClient(target, options, { action: 'put', path: target.path }, async (client) => {
    let sent = 0;
    client.trackProgress((progress) => {
      sent = progress.bytes;
      if (progress.type === 'upload') options.onProgress?.(progress.bytes);
    });
    try {
      await client.uploadFrom(file, target.path);
    } catch (err) {
      throw localOr(err, 'read', file);
    }
    return sent;
  });
}
