import { stat } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { Client, type FileInfo, FileType, FTPError, parseList } from 'basic-ftp';
import { errors } from '../errors/catalogue.js';
import { describeFtpError, type FtpStage, localOr } from './ftp-client-errors.js';
import type { FtpTarget } from './ftp-url.js';

/** How a basic-ftp failure becomes a one-line TandemError; see ftp-client-errors.ts. */
export { describeFtpError, type FtpStage } from './ftp-client-errors.js';
/** The `ftp://` URL a command names, parsed to host, login and path; see ftp-url.ts. */
export { ANONYMOUS_PASSWORD, type FtpTarget, parseFtpUrl } from './ftp-url.js';

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

/**
 * The entry of `path` from MLST (RFC 3659 §7) when it is not a directory; undefined for a directory, or when
 * the server has no MLST. A file is listed this way so that its date has the same form as in a directory's
 * MLSD listing (LIST, basic-ftp's fallback for a file, gives only `Nov 21 07:30`).
 */
async function fileEntry(client: Client, path: string): Promise<FileInfo | undefined> {
  let message: string;
  try {
    message = (await client.send(`MLST ${path}`)).message;
  } catch (err) {
    if (err instanceof FTPError && [500, 501, 502, 504].includes(err.code)) return undefined;
    throw err;
  }
  // ` facts pathname` (§7.2): basic-ftp's parser drops names holding '/', so it gets the facts and the base name.
  const facts = message
    .split(/\r?\n/)
    .find((text) => text.startsWith(' '))
    ?.trim()
    .split(' ')[0];
  const [entry] = facts === undefined ? [] : parseList(`${facts} ${posix.basename(path)}`);
  return entry === undefined || entry.isDirectory ? undefined : entry;
}

/** Lists the directory (or file) at `target.path`: basic-ftp's parsed entries, without `.` and `..`. */
export function ftpList(target: FtpTarget, options: FtpClientOptions = {}): Promise<FileInfo[]> {
  return withClient(target, options, { action: 'list', path: target.path }, async (client) => {
    const file = await fileEntry(client, target.path);
    if (file !== undefined) return [file];
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
