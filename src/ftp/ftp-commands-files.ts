import type { Stats } from 'node:fs';
import { lstat, mkdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { CommandContext, FtpCommand } from './ftp-command-context.js';
import { formatFtpTime } from './ftp-listing.js';
import type { JailPath } from './ftp-path.js';
import { quotePath } from './ftp-replies.js';

/** Runs a file system action on `path`; replies with its error (550/553/452/451) and returns false on failure. */
async function attempt(
  context: CommandContext,
  path: JailPath,
  action: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (err) {
    context.replyError(err, path.virtual);
    return false;
  }
}

/** SIZE and MDTM (RFC 3659 §3, §4): a fact of a plain file as a 213 reply. */
function fileFact(verb: string, fact: (stats: Stats) => string): FtpCommand {
  return {
    access: 'user',
    needsArg: true,
    help: `${verb} <path>`,
    async run(context, arg) {
      const path = await context.resolvePath(arg, true);
      if (path === undefined) return;
      let stats: Stats | undefined;
      if (!(await attempt(context, path, async () => (stats = await stat(path.real))))) return;
      if (stats === undefined || !stats.isFile())
        return context.reply(550, `Not a plain file: ${path.virtual}`);
      context.reply(213, fact(stats));
    },
  };
}

/** A write command on one path argument, never on the jail root itself (dispatch refuses read-only logins). */
function writeCommand(
  verb: string,
  mustExist: boolean,
  act: (context: CommandContext, path: JailPath) => Promise<void>,
): FtpCommand {
  return {
    access: 'writer',
    needsArg: true,
    help: `${verb} <path>`,
    async run(context, arg) {
      const path = await context.resolvePath(arg, mustExist);
      if (path === undefined) return;
      if (path.virtual === '/') return context.reply(550, `${verb} not allowed on the root directory`);
      await act(context, path);
    },
  };
}

const MKD = writeCommand('MKD', false, async (context, path) => {
  if (await attempt(context, path, () => mkdir(path.real))) {
    context.reply(257, `${quotePath(path.virtual)} created`);
  }
});

const RMD = writeCommand('RMD', true, async (context, path) => {
  let stats: Stats | undefined;
  if (!(await attempt(context, path, async () => (stats = await lstat(path.real))))) return;
  if (!stats?.isDirectory()) return context.reply(550, `Not a directory: ${path.virtual}`);
  if (await attempt(context, path, () => rmdir(path.real))) context.reply(250, `Removed ${path.virtual}`);
});

/** File commands: SIZE, MDTM, DELE, MKD, RMD, RNFR, RNTO (and RFC 1123's XMKD, XRMD). */
export const fileCommands: Record<string, FtpCommand> = {
  SIZE: fileFact('SIZE', (stats) => String(stats.size)),
  MDTM: fileFact('MDTM', (stats) => formatFtpTime(stats.mtime)),
  DELE: writeCommand('DELE', true, async (context, path) => {
    // lstat: DELE removes a symlink itself, never what it points to.
    let stats: Stats | undefined;
    if (!(await attempt(context, path, async () => (stats = await lstat(path.real))))) return;
    if (stats?.isDirectory()) return context.reply(550, `Is a directory (use RMD): ${path.virtual}`);
    if (await attempt(context, path, () => unlink(path.real))) context.reply(250, `Deleted ${path.virtual}`);
  }),
  MKD,
  XMKD: MKD,
  RMD,
  XRMD: RMD,
  RNFR: writeCommand('RNFR', true, async (context, path) => {
    context.state.renameFrom = path;
    context.reply(350, `Ready for RNTO: renaming ${path.virtual}`);
  }),
  RNTO: {
    access: 'writer',
    help: 'RNTO <path>',
    async run(context, arg) {
      // RFC 959 §4.1.3: RNTO must immediately follow RNFR; it ends the pending RNFR, failed or not.
      const from = context.state.renameFrom;
      context.state.renameFrom = undefined;
      if (from === undefined) return context.reply(503, 'Send RNFR first');
      if (arg.trim() === '') return context.reply(501, 'RNTO needs an argument: RNTO <path>');
      const path = await context.resolvePath(arg, false);
      if (path === undefined) return;
      if (path.virtual === '/') return context.reply(550, 'RNTO not allowed on the root directory');
      if (await attempt(context, path, () => rename(from.real, path.real))) {
        context.reply(250, `Renamed ${from.virtual} to ${path.virtual}`);
      }
    },
  },
};
