import { constants, realpathSync } from 'node:fs';
import { type FileHandle, lstat, open, readlink, realpath } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { errors } from '../errors/catalogue.js';

/** The longest path argument accepted, in UTF-16 code units (Linux PATH_MAX; the control line is 4 KiB). */
export const MAX_PATH_LENGTH = 4096;

/** A virtual path resolved inside a jail: what the client sees and the path on disk. */
export interface JailPath {
  /** Absolute, '/'-separated, normalised; '/' is the jail root. */
  virtual: string;
  /** The path on disk: the jail root joined with the virtual path's segments. */
  real: string;
}

/**
 * Why `name` may not be part of an FTP path, or undefined when it may. Refuses control characters
 * (NUL, CR, LF and the rest of C0 and DEL: they would cut or inject reply and listing lines) and
 * backslash (a separator on Windows and in some clients). FTP has no percent-encoding, so `%2e%2e`
 * is a literal name and is never decoded.
 */
export function pathProblem(name: string): string | undefined {
  if (name.length > MAX_PATH_LENGTH) return `longer than ${MAX_PATH_LENGTH} characters`;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 0) return 'contains NUL';
    if (c === 0x0d || c === 0x0a) return 'contains CR or LF';
    if (c < 0x20 || c === 0x7f) return 'contains a control character';
    if (c === 0x5c) return 'contains a backslash';
  }
  return undefined;
}

/**
 * Splits a virtual path into normalised segments: empty and '.' segments dropped, '..' removes the
 * previous segment and stays at the root when there is none.
 */
function segmentsOf(path: string, into: string[]): string[] {
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') into.pop();
    else into.push(segment);
  }
  return into;
}

/**
 * An FTP user's jail: maps virtual paths (what the client sees, '/' = the jail root) to real paths
 * below the root, refusing every way out: `..` (normalised within the virtual tree), backslash,
 * control characters and, in `check`, symlinks that lead outside.
 */
export class FtpJail {
  #root: string;
  #prefix: string;

  /** Makes a jail at `root`, an absolute directory; it is realpath'd here when it exists. */
  constructor(root: string) {
    let real = resolve(root);
    try {
      real = realpathSync(real);
    } catch {
      // A root that does not exist makes every check() fail; nothing leaks.
    }
    this.#root = real;
    this.#prefix = real.endsWith(sep) ? real : real + sep;
  }

  /** The jail's root directory on disk, absolute and realpath'd. */
  get root(): string {
    return this.#root;
  }

  /** True when the real (already realpath'd) path `real` is the root or below it, by whole segments. */
  contains(real: string): boolean {
    return real === this.#root || real.startsWith(this.#prefix);
  }

  /**
   * Resolves `arg` (absolute or relative to `cwd`, a virtual path) to { virtual, real }. Normalises '.',
   * '..' within the virtual tree (".." at '/' stays '/'); rejects NUL, backslash, CR/LF and other control
   * characters with a TandemError FTP_PATH_INVALID. Does not touch the disk.
   */
  resolve(cwd: string, arg: string): JailPath {
    const problem = pathProblem(arg) ?? pathProblem(cwd);
    if (problem !== undefined) throw errors.FTP_PATH_INVALID(problem);
    const segments = arg.startsWith('/') ? segmentsOf(arg, []) : segmentsOf(arg, segmentsOf(cwd, []));
    return {
      virtual: `/${segments.join('/')}`,
      real: segments.length === 0 ? this.#root : join(this.#root, ...segments),
    };
  }

  /**
   * As resolve, then realpath()s the deepest existing ancestor and refuses (TandemError FTP_PATH_OUTSIDE)
   * when it lies outside root (symlink escape). For a path that does not exist yet (STOR, MKD, RNTO) the
   * parent must exist and be inside, and a dangling symlink in its place is refused. Throws
   * FTP_PATH_NOT_FOUND when `mustExist` and the path does not exist, or when the parent is missing.
   * Returns the real path to open: the realpath'd parent joined with the last name, so that DELE and
   * RNFR act on a symlink itself while opening it follows it to a target already checked to be inside.
   */
  async check(cwd: string, arg: string, mustExist: boolean): Promise<JailPath> {
    const { virtual, real } = this.resolve(cwd, arg);
    if (virtual === '/') return { virtual, real: await this.#inside(this.#root, virtual) };
    const cut = real.lastIndexOf(sep);
    const parent = real.slice(0, cut);
    const name = real.slice(cut + 1);
    const target = await this.#realpathOrMissing(real, virtual);
    if (target !== undefined) {
      if (!this.contains(target)) throw errors.FTP_PATH_OUTSIDE(virtual);
    } else {
      if (mustExist) throw errors.FTP_PATH_NOT_FOUND(virtual);
      if (await isSymlink(real)) throw errors.FTP_PATH_OUTSIDE(virtual);
    }
    const realParent = await this.#realpathOrMissing(parent, virtual);
    if (realParent === undefined) throw errors.FTP_PATH_NOT_FOUND(virtual);
    if (!this.contains(realParent)) throw errors.FTP_PATH_OUTSIDE(virtual);
    return { virtual, real: join(realParent, name) };
  }

  /**
   * Opens a path from check() for a transfer, closing the window between that check and the open: the final
   * name is opened by its realpath with O_NOFOLLOW, so a symlink put in its place since is refused, and the
   * file actually opened is looked up in /proc/self/fd, so a directory on the way swapped for a symlink is
   * caught too; either way the handle is closed and FTP_PATH_OUTSIDE thrown. Open writes without O_TRUNC
   * and truncate after this returns: a refused open must not have cut a file outside. Where /proc is
   * missing, the check before the open is all there is (vsftpd relies on chroot instead).
   */
  async open(path: JailPath, flags: number, mode?: number): Promise<FileHandle> {
    const name = await realpath(path.real).catch(() => path.real);
    let handle: FileHandle;
    try {
      handle = await open(name, flags | constants.O_NOFOLLOW, mode);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ELOOP') throw errors.FTP_PATH_OUTSIDE(path.virtual);
      throw err;
    }
    try {
      const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => undefined);
      if (opened !== undefined && !this.contains(opened)) throw errors.FTP_PATH_OUTSIDE(path.virtual);
      return handle;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** realpath(path), which must lie inside the root. */
  async #inside(path: string, virtual: string): Promise<string> {
    const target = await this.#realpathOrMissing(path, virtual);
    if (target === undefined) throw errors.FTP_PATH_NOT_FOUND(virtual);
    if (!this.contains(target)) throw errors.FTP_PATH_OUTSIDE(virtual);
    return target;
  }

  /** realpath(path), or undefined when it or a directory on the way does not exist. */
  async #realpathOrMissing(path: string, virtual: string): Promise<string | undefined> {
    try {
      return await realpath(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
      if (code === 'ELOOP') throw errors.FTP_PATH_OUTSIDE(virtual);
      if (code === 'ENAMETOOLONG') throw errors.FTP_PATH_INVALID('name too long');
      throw err;
    }
  }
}

async function isSymlink(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isSymbolicLink();
  } catch {
    return false;
  }
}
