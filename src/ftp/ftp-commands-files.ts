import type { Stats } from 'node:fs';
import { lstat, mkdir, rename, rmdir, stat, unlink } from 'node:fs/promises';
import type { FtpCommand } from './ftp-commands.js';
import { mayWrite } from './ftp-commands-transfer.js';
import { formatFtpTime } from './ftp-listing.js';
import type { JailPath } from './ftp-path.js';
import { quotePath } from './ftp-replies.js';
import type { FtpSession } from './ftp-session.js';

/** Runs a file system action on `path`; replies with its error (550/553/452/451) and returns false on failure. */
async function attempt(
  session: FtpSession,
  path: JailPath,
  action: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (err) {
    session.replyError(err, path.virtual);
    return false;
  }
}

/** SIZE and MDTM (RFC 3659 §3, §4): a fact of a plain file as a 213 reply. */
function fileFact(verb: string, fact: (stats: Stats) => string): FtpCommand {
  return {
    needsArg: true,
    help: `${verb} <path>`,
    async run(session, arg) {
      const path = await session.resolvePath(arg, true);
      if (path === undefined) return;
      let stats: Stats | undefined;
      if (!(await attempt(session, path, async () => (stats = await stat(path.real))))) return;
      if (stats === undefined || !stats.isFile())
        return session.reply(550, `Not a plain file: ${path.virtual}`);
      session.reply(213, fact(stats));
    },
  };
}

/** A write command: refused (550) for a read-only session, and never on the jail root itself. */
function writeCommand(
  verb: string,
  mustExist: boolean,
  act: (session: FtpSession, path: JailPath) => Promise<void>,
): FtpCommand {
  return {
    needsArg: true,
    help: `${verb} <path>`,
    async run(session, arg) {
      if (!mayWrite(session)) return;
      const path = await session.resolvePath(arg, mustExist);
      if (path === undefined) return;
      if (path.virtual === '/') return session.reply(550, `${verb} not allowed on the root directory`);
      await act(session, path);
    },
  };
}

const MKD = writeCommand('MKD', false, async (session, path) => {
  if (await attempt(session, path, () => mkdir(path.real))) {
    session.reply(257, `${quotePath(path.virtual)} created`);
  }
});

const RMD = writeCommand('RMD', true, async (session, path) => {
  let stats: Stats | undefined;
  if (!(await attempt(session, path, async () => (stats = await lstat(path.real))))) return;
  if (!stats?.isDirectory()) return session.reply(550, `Not a directory: ${path.virtual}`);
  if (await attempt(session, path, () => rmdir(path.real))) session.reply(250, `Removed ${path.virtual}`);
});

/** File commands: SIZE, MDTM, DELE, MKD, RMD, RNFR, RNTO (and RFC 1123's XMKD, XRMD). */
export const fileCommands: Record<string, FtpCommand> = {
  SIZE: fileFact('SIZE', (stats) => String(stats.size)),
  MDTM: fileFact('MDTM', (stats) => formatFtpTime(stats.mtime)),
  DELE: writeCommand('DELE', true, async (session, path) => {
    // lstat: DELE removes a symlink itself, never what it points to.
    let stats: Stats | undefined;
    if (!(await attempt(session, path, async () => (stats = await lstat(path.real))))) return;
    if (stats?.isDirectory()) return session.reply(550, `Is a directory (use RMD): ${path.virtual}`);
    if (await attempt(session, path, () => unlink(path.real))) session.reply(250, `Deleted ${path.virtual}`);
  }),
  MKD,
  XMKD: MKD,
  RMD,
  XRMD: RMD,
  RNFR: writeCommand('RNFR', true, async (session, path) => {
    session.renameFrom = path;
    session.reply(350, `Ready for RNTO: renaming ${path.virtual}`);
  }),
  RNTO: {
    help: 'RNTO <path>',
    async run(session, arg) {
      // RFC 959 §4.1.3: RNTO must immediately follow RNFR; it ends the pending RNFR, failed or not.
      const from = session.renameFrom;
      session.renameFrom = undefined;
      if (!mayWrite(session)) return;
      if (from === undefined) return session.reply(503, 'Send RNFR first');
      if (arg.trim() === '') return session.reply(501, 'RNTO needs an argument: RNTO <path>');
      const path = await session.resolvePath(arg, false);
      if (path === undefined) return;
      if (path.virtual === '/') return session.reply(550, 'RNTO not allowed on the root directory');
      if (await attempt(session, path, () => rename(from.real, path.real))) {
        session.reply(250, `Renamed ${from.virtual} to ${path.virtual}`);
      }
    },
  },
};
