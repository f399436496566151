import { stat } from 'node:fs/promises';
import type { FtpCommand } from './ftp-commands.js';
import { quotePath } from './ftp-replies.js';
import type { FtpSession } from './ftp-session.js';

/** CWD: changes to an existing directory inside the jail. */
async function changeDirectory(session: FtpSession, arg: string): Promise<void> {
  const path = await session.resolvePath(arg, true);
  if (path === undefined) return;
  try {
    if (!(await stat(path.real)).isDirectory()) return session.reply(550, `Not a directory: ${path.virtual}`);
  } catch (err) {
    return session.replyError(err, path.virtual);
  }
  session.cwd = path.virtual;
  session.reply(250, `Directory changed to ${path.virtual}`);
}

/**
 * A one-letter parameter command (TYPE, MODE, STRU): `ok` are accepted, `known` are valid RFC 959
 * values this server does not serve (504), anything else is a syntax error (501).
 */
function parameter(
  verb: string,
  ok: readonly string[],
  known: readonly string[],
  then: (session: FtpSession, value: string) => void,
): FtpCommand {
  return {
    needsArg: true,
    help: `${verb} ${ok.join('|')}`,
    run(session, arg) {
      const value = arg.trim().toUpperCase().replace(/\s+/g, ' ');
      if (ok.includes(value)) return then(session, value);
      if (known.includes(value.split(' ')[0] ?? ''))
        return session.reply(504, `${verb} ${arg} not supported`);
      session.reply(501, `${verb}: expected ${ok.join(' or ')}, got ${JSON.stringify(arg)}`);
    },
  };
}

const PWD: FtpCommand = {
  help: 'PWD',
  run: (session) => session.reply(257, `${quotePath(session.cwd)} is the current directory`),
};
const CWD: FtpCommand = { needsArg: true, help: 'CWD <path>', run: changeDirectory };
const CDUP: FtpCommand = { help: 'CDUP', run: (session) => changeDirectory(session, '..') };

/** Directory navigation and transfer parameters (RFC 959 §4.1.1, §4.1.2, ALLO); X* are RFC 1123's aliases. */
export const navCommands: Record<string, FtpCommand> = {
  PWD,
  XPWD: PWD,
  CWD,
  XCWD: CWD,
  CDUP,
  XCUP: CDUP,
  // Bytes go out as they are on disk in both types (vsftpd does the same by default).
  TYPE: parameter('TYPE', ['I', 'A', 'A N', 'L 8', 'L8'], ['A', 'E', 'L'], (session, value) => {
    session.binary = value !== 'A' && value !== 'A N';
    session.reply(200, `Type set to ${session.binary ? 'I (binary)' : 'A (ASCII, sent as is)'}`);
  }),
  MODE: parameter('MODE', ['S'], ['B', 'C', 'Z'], (session) => session.reply(200, 'Mode set to S (stream)')),
  STRU: parameter('STRU', ['F'], ['R', 'P'], (session) => session.reply(200, 'Structure set to F (file)')),
  // RFC 959 §4.1.3: ALLO is a no-op (202) on a server that needs no space reserved (vsftpd, pyftpdlib).
  ALLO: {
    help: 'ALLO <bytes> [R <bytes>]',
    run: (session) => session.reply(202, 'ALLO not needed: no storage to reserve'),
  },
};
