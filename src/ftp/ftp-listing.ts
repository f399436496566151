import type { Stats } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { FtpJail } from './ftp-path.js';
import { pathProblem } from './ftp-path.js';

/** One directory entry of a listing: its name and the stats of what it is (a symlink's target). */
export interface ListEntry {
  name: string;
  stats: Stats;
  /** For a symlink (inside the jail): what it points to, as readlink gives it. */
  link?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** vsftpd shows the year instead of the time for files older than this (or in the future). */
const SIX_MONTHS_MS = 182 * 24 * 60 * 60 * 1000;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

function typeChar(stats: Stats): string {
  if (stats.isDirectory()) return 'd';
  if (stats.isSymbolicLink()) return 'l';
  if (stats.isCharacterDevice()) return 'c';
  if (stats.isBlockDevice()) return 'b';
  if (stats.isFIFO()) return 'p';
  if (stats.isSocket()) return 's';
  return '-';
}

/** `rwxr-xr-x` with setuid, setgid and sticky shown as s/S and t/T like ls. */
function permissions(mode: number): string {
  const bit = (mask: number, c: string) => ((mode & mask) !== 0 ? c : '-');
  const special = (exec: boolean, set: boolean, on: string) => {
    if (set) return exec ? on : on.toUpperCase();
    return exec ? 'x' : '-';
  };
  return (
    bit(0o400, 'r') +
    bit(0o200, 'w') +
    special((mode & 0o100) !== 0, (mode & 0o4000) !== 0, 's') +
    bit(0o040, 'r') +
    bit(0o020, 'w') +
    special((mode & 0o010) !== 0, (mode & 0o2000) !== 0, 's') +
    bit(0o004, 'r') +
    bit(0o002, 'w') +
    special((mode & 0o001) !== 0, (mode & 0o1000) !== 0, 't')
  );
}

/**
 * An `ls -l` style line like vsftpd's: `-rw-r--r--    1 ftp      ftp          1234 Nov 21 07:30 name`
 * (date in UTC: `MMM dd HH:mm` within 6 months before `now`, else `MMM dd  yyyy`), owner and group
 * always `ftp` (vsftpd's hide_ids), no CRLF. A symlink is `lrwxrwxrwx … name -> target` (size and date
 * are its target's).
 */
export function formatListLine(entry: ListEntry, now: Date = new Date()): string {
  const { stats } = entry;
  const mtime = stats.mtime;
  const age = now.getTime() - mtime.getTime();
  const day = `${MONTHS[mtime.getUTCMonth()]} ${two(mtime.getUTCDate())}`;
  const when =
    age < 0 || age > SIX_MONTHS_MS
      ? `${day}  ${mtime.getUTCFullYear()}`
      : `${day} ${two(mtime.getUTCHours())}:${two(mtime.getUTCMinutes())}`;
  const link = entry.link;
  const mode = link === undefined ? typeChar(stats) + permissions(stats.mode) : 'lrwxrwxrwx';
  const name = link === undefined ? entry.name : `${entry.name} -> ${link}`;
  return `${mode} ${String(stats.nlink).padStart(4)} ${'ftp'.padEnd(8)} ${'ftp'.padEnd(8)} ${String(stats.size).padStart(8)} ${when} ${name}`;
}

/** `YYYYMMDDHHMMSS` in UTC (MDTM, the modify fact of RFC 3659). */
export function formatFtpTime(date: Date): string {
  return (
    String(date.getUTCFullYear()).padStart(4, '0') +
    two(date.getUTCMonth() + 1) +
    two(date.getUTCDate()) +
    two(date.getUTCHours()) +
    two(date.getUTCMinutes()) +
    two(date.getUTCSeconds())
  );
}

/** The facts of RFC 3659 §7 this server knows, in the order MLSD/MLST show them. */
export const MLST_FACTS = ['type', 'size', 'modify', 'perm'] as const;

/** One fact of MLST_FACTS. */
export type MlstFact = (typeof MLST_FACTS)[number];

/** How formatMlsxLine shows an entry. */
export interface MlsxOptions {
  /** The session may write: perm shows the write rights. */
  writable: boolean;
  /** The facts enabled by OPTS MLST (RFC 3659 §7.9); all of them by default. */
  facts?: ReadonlySet<MlstFact>;
  /** cdir for the listed directory itself, pdir for its parent. */
  type?: 'cdir' | 'pdir';
}

/**
 * An RFC 3659 §7 fact line: `type=file;size=1234;modify=20261121073000;perm=r; name`, no CRLF, with only
 * the enabled facts (none at all gives ` name`). type is file, dir, the given cdir/pdir, or
 * `OS.unix=slink:target` for a symlink (as pure-ftpd; basic-ftp and FileZilla read it); size only for files. perm (§7.5.5) follows `writable`: files `r` or `adfrw`, directories `el` or `cdeflmp`.
 */
export function formatMlsxLine(entry: ListEntry, options: MlsxOptions): string {
  const { stats } = entry;
  const { writable, type } = options;
  const enabled = options.facts ?? new Set(MLST_FACTS);
  const dir = stats.isDirectory();
  const values: Record<MlstFact, string | undefined> = {
    type: type ?? (entry.link !== undefined ? `OS.unix=slink:${entry.link}` : dir ? 'dir' : 'file'),
    size: dir ? undefined : String(stats.size),
    modify: formatFtpTime(stats.mtime),
    perm: dir ? (writable ? 'cdeflmp' : 'el') : writable ? 'adfrw' : 'r',
  };
  const facts = MLST_FACTS.filter((fact) => enabled.has(fact) && values[fact] !== undefined);
  return `${facts.map((fact) => `${fact}=${values[fact]};`).join('')} ${entry.name}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The entry's name when it can be shown and addressed through the jail, else undefined. */
function usableName(raw: Buffer): string | undefined {
  let name: string;
  try {
    name = utf8.decode(raw);
  } catch {
    return undefined; // not UTF-8: no client could name it back
  }
  return pathProblem(name) === undefined ? name : undefined;
}

/**
 * Reads the directory `dir` (a real path already checked inside `jail`) as ListEntry[]: lstat, then stat
 * and readlink for symlinks, shown with their target's stats and their link text when the target lies
 * inside the jail, hidden when it escapes or dangles (or the link text could break a listing line).
 * Dotfiles are included; names that are not UTF-8 or that the jail refuses (control characters such as
 * CR/LF, backslash) are hidden, since they could not be addressed and would break listing lines.
 * Entries that vanish while reading are skipped. Sorted by name (code unit order).
 */
export async function readListing(dir: string, jail: FtpJail): Promise<ListEntry[]> {
  const raw = await readdir(dir, { encoding: 'buffer' });
  const entries = await Promise.all(
    raw.map(async (rawName): Promise<ListEntry | undefined> => {
      const name = usableName(rawName);
      if (name === undefined) return undefined;
      const path = join(dir, name);
      try {
        const own = await lstat(path);
        if (!own.isSymbolicLink()) return { name, stats: own };
        const target = await realpath(path);
        if (!jail.contains(target)) return undefined;
        const text = await readlink(path);
        // An absolute link would show the server's real path: show where it leads in the jail instead.
        const link = isAbsolute(text) ? `/${relative(jail.root, target).split(sep).join('/')}` : text;
        if (pathProblem(link) !== undefined) return undefined;
        return { name, stats: await stat(path), link };
      } catch {
        return undefined;
      }
    }),
  );
  return entries
    .filter((entry): entry is ListEntry => entry !== undefined)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
