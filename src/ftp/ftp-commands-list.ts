import type { Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CommandContext, FtpCommand } from './ftp-command-context.js';
import { dataReady, takeRest } from './ftp-commands-transfer.js';
import { formatListLine, formatMlsxLine, type ListEntry, readListing } from './ftp-listing.js';
import type { JailPath } from './ftp-path.js';

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
  context: CommandContext,
  arg: string,
): Promise<{ path: JailPath; stats: Stats } | undefined> {
  const path = await context.resolvePath(arg, true);
  if (path === undefined) return undefined;
  try {
    return { path, stats: await stat(path.real) };
  } catch (err) {
    context.replyError(err, path.virtual);
    return undefined;
  }
}

/** The lines of a listing of `arg` (a directory's entries, or the one file), or undefined after replying. */
async function listingLines(
  context: CommandContext,
  arg: string,
  kind: ListKind,
): Promise<string[] | undefined> {
  const found = await locate(context, kind === 'MLSD' ? arg.trim() || '.' : withoutOptions(arg));
  if (found === undefined) return undefined;
  const { path, stats } = found;
  if (!stats.isDirectory()) {
    if (kind === 'MLSD') {
      context.reply(501, `Not a directory: ${path.virtual} (use MLST for a file)`);
      return undefined;
    }
    const name = path.virtual.slice(path.virtual.lastIndexOf('/') + 1);
    return [kind === 'LIST' ? formatListLine({ name, stats }) : withoutOptions(arg)];
  }
  let entries: ListEntry[];
  try {
    entries = await readListing(path.real, context.jail);
  } catch (err) {
    context.replyError(err, path.virtual);
    return undefined;
  }
  if (kind === 'NLST') return entries.map((entry) => entry.name);
  if (kind === 'LIST') {
    const now = new Date();
    return entries.map((entry) => formatListLine(entry, now));
  }
  const options = { writable: context.writable, facts: context.state.mlstFacts };
  const cdir = formatMlsxLine({ name: '.', stats }, { ...options, type: 'cdir' });
  return [cdir, ...entries.map((entry) => formatMlsxLine(entry, options))];
}

/** LIST, NLST and MLSD: the listing goes over the data connection, one CRLF-ended line per entry. */
function listCommand(kind: ListKind): FtpCommand {
  return {
    access: 'user',
    help: `${kind} [<path>]`,
    async run(context, arg) {
      takeRest(context.state);
      if (!dataReady(context)) return;
      const lines = await listingLines(context, arg, kind);
      if (lines === undefined) return;
      const body = Buffer.from(lines.map((line) => `${line}\r\n`).join(''));
      const shown = arg.trim() === '' ? context.cwd : arg.trim();
      context.startTransfer(
        kind,
        shown,
        `Opening ASCII mode data connection for ${kind} ${shown}`,
        (socket) => context.data.send(socket, Readable.from([body])),
        () => {},
      );
    },
  };
}

/** STAT's status lines (RFC 959 §4.1.3) for STAT without argument. */
function statusLines(context: CommandContext): string[] {
  const lines = [`Connected from ${context.client}`];
  lines.push(
    context.user === undefined
      ? 'Not logged in'
      : `Logged in as ${context.user}${context.writable ? '' : ' (read-only)'}`,
  );
  lines.push(`TYPE: ${context.state.binary ? 'BINARY' : 'ASCII'}, MODE: Stream, STRU: File`);
  const transfer = context.transfer;
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
    access: 'user',
    help: 'MLST [<path>]',
    async run(context, arg) {
      const found = await locate(context, arg.trim() || '.');
      if (found === undefined) return;
      const { path, stats } = found;
      const line = formatMlsxLine(
        { name: path.virtual, stats },
        { writable: context.writable, facts: context.state.mlstFacts },
      );
      context.replyLines(250, `Listing ${path.virtual}`, [line], 'End');
    },
  },
  STAT: {
    access: (arg) => (arg.trim() === '' ? 'anyone' : 'user'),
    duringTransfer: true,
    help: 'STAT [<path>]',
    async run(context, arg) {
      if (arg.trim() === '')
        return context.replyLines(211, 'Tandem FTP status:', statusLines(context), 'End of status');
      const lines = await listingLines(context, arg, 'LIST');
      if (lines !== undefined) context.replyLines(213, `Status of ${arg.trim()}:`, lines, 'End of status');
    },
  },
};
