import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FtpCommand } from './ftp-commands.js';
import { dataReady } from './ftp-commands-transfer.js';
import { formatListLine, formatMlsxLine, type ListEntry, readListing } from './ftp-listing.js';
import type { JailPath } from './ftp-path.js';
import type { FtpSession } from './ftp-session.js';

type ListKind = 'LIST' | 'NLST' | 'MLSD';

/**
 * The path of a LIST/NLST argument without the `ls` options clients add (`LIST -la`, `LIST -a dir`):
 * vsftpd ignores them too. A name that starts with '-' can still be listed as `./-name`.
 */
function withoutOptions(arg: string): string {
  let rest = arg.trim();
  while (/^-[A-Za-z]+(\s|$)/.test(rest)) rest = rest.replace(/^-[A-Za-z]+\s*/, '');
  return rest === '' ? '.' : rest;
}

/** The path and its stats, or undefined after replying (550/553). */
async function locate(
  session: FtpSession,
  arg: string,
): Promise<{ path: JailPath; stats: Stats } | undefined> {
  const path = await session.resolvePath(arg, true);
  if (path === undefined) return undefined;
  try {
    return { path, stats: await stat(path.real) };
  } catch (err) {
    session.replyError(err, path.virtual);
    return undefined;
  }
}

/** The lines of a listing of `arg` (a directory's entries, or the one file), or undefined after replying. */
async function listingLines(session: FtpSession, arg: string, kind: ListKind): Promise<string[] | undefined> {
  const found = await locate(session, kind === 'MLSD' ? arg.trim() || '.' : withoutOptions(arg));
  if (found === undefined) return undefined;
  const { path, stats } = found;
  if (!stats.isDirectory()) {
    if (kind === 'MLSD') {
      session.reply(501, `Not a directory: ${path.virtual} (use MLST for a file)`);
      return undefined;
    }
    const name = path.virtual.slice(path.virtual.lastIndexOf('/') + 1);
    return [kind === 'LIST' ? formatListLine({ name, stats }) : withoutOptions(arg)];
  }
  let entries: ListEntry[];
  try {
    entries = await readListing(path.real, session.jail);
  } catch (err) {
    session.replyError(err, path.virtual);
    return undefined;
  }
  if (kind === 'NLST') return entries.map((entry) => entry.name);
  if (kind === 'LIST') {
    const now = new Date();
    return entries.map((entry) => formatListLine(entry, now));
  }
  const options = { writable: session.writable, facts: session.mlstFacts };
  const cdir = formatMlsxLine({ name: '.', stats }, { ...options, type: 'cdir' });
  return [cdir, ...entries.map((entry) => formatMlsxLine(entry, options))];
}

/** LIST, NLST and MLSD: the listing goes over the data connection, one CRLF-ended line per entry. */
function listCommand(kind: ListKind): FtpCommand {
  return {
    help: `${kind} [<path>]`,
    async run(session, arg) {
      session.takeRest();
      if (!dataReady(session)) return;
      const lines = await listingLines(session, arg, kind);
      if (lines === undefined) return;
      const body = Buffer.from(lines.map((line) => `${line}\r\n`).join(''));
      const shown = arg.trim() === '' ? session.cwd : arg.trim();
      session.startTransfer(
        kind,
        shown,
        `Opening ASCII mode data connection for ${kind} ${shown}`,
        (socket) => session.data.send(socket, Readable.from([body])),
        () => {},
      );
    },
  };
}

/** STAT's status lines (RFC 959 §4.1.3) for STAT without argument. */
function statusLines(session: FtpSession): string[] {
  const lines = [`Connected from ${session.info.remoteAddress}`];
  lines.push(
    session.user === undefined
      ? 'Not logged in'
      : `Logged in as ${session.user}${session.writable ? '' : ' (read-only)'}`,
  );
  lines.push(`TYPE: ${session.binary ? 'BINARY' : 'ASCII'}, MODE: Stream, STRU: File`);
  const transfer = session.transfer;
  lines.push(
    transfer === undefined ? 'No transfer in progress' : `${transfer.verb} ${transfer.virtual} in progress`,
  );
  return lines;
}

/** Listing commands: LIST, NLST, MLSD over the data connection; MLST and STAT over the control one. */
export const listCommands: Record<string, FtpCommand> = {
  LIST: listCommand('LIST'),
  NLST: listCommand('NLST'),
  MLSD: listCommand('MLSD'),
  MLST: {
    help: 'MLST [<path>]',
    async run(session, arg) {
      const found = await locate(session, arg.trim() || '.');
      if (found === undefined) return;
      const { path, stats } = found;
      const line = formatMlsxLine(
        { name: path.virtual, stats },
        { writable: session.writable, facts: session.mlstFacts },
      );
      session.replyLines(250, `Listing ${path.virtual}`, [line], 'End');
    },
  },
  STAT: {
    beforeLogin: true,
    duringTransfer: true,
    help: 'STAT [<path>]',
    async run(session, arg) {
      if (arg.trim() === '')
        return session.replyLines(211, 'Tandem FTP status:', statusLines(session), 'End of status');
      if (session.user === undefined) return session.reply(530, 'Please log in with USER and PASS first');
      const lines = await listingLines(session, arg, 'LIST');
      if (lines !== undefined) session.replyLines(213, `Status of ${arg.trim()}:`, lines, 'End of status');
    },
  },
};
