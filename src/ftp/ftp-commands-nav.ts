import { stat } from 'node:fs/promises';
import type { CommandContext, FtpCommand } from './ftp-command-context.js';
import { quotePath } from './ftp-replies.js';

/** CWD: changes to an existing directory inside the jail. */
async function changeDirectory(context: CommandContext, arg: string): Promise<void> {
  const path = await context.resolvePath(arg, true);
  if (path === undefined) return;
  try {
    if (!(await stat(path.real)).isDirectory()) return context.reply(550, `Not a directory: ${path.virtual}`);
  } catch (err) {
    return context.replyError(err, path.virtual);
  }
  context.enter(path);
  context.reply(250, `Directory changed to ${path.virtual}`);
}

/**
 * A one-letter parameter command (TYPE, MODE, STRU): `ok` are accepted, `known` are valid RFC 959
 * values this server does not serve (504), anything else is a syntax error (501).
 */
function parameter(
  verb: string,
  ok: readonly string[],
  known: readonly string[],
  then: (context: CommandContext, value: string) => void,
): FtpCommand {
  return {
    access: 'user',
    needsArg: true,
    help: `${verb} ${ok.join('|')}`,
    run(context, arg) {
      const value = arg.trim().toUpperCase().replace(/\s+/g, ' ');
      if (ok.includes(value)) return then(context, value);
      if (known.includes(value.split(' ')[0] ?? ''))
        return context.reply(504, `${verb} ${arg} not supported`);
      context.reply(501, `${verb}: expected ${ok.join(' or ')}, got ${JSON.stringify(arg)}`);
    },
  };
}

const PWD: FtpCommand = {
  access: 'user',
  help: 'PWD',
  run: (context) => context.reply(257, `${quotePath(context.cwd)} is the current directory`),
};
const CWD: FtpCommand = { access: 'user', needsArg: true, help: 'CWD <path>', run: changeDirectory };
const CDUP: FtpCommand = {
  access: 'user',
  help: 'CDUP',
  run: (context) => changeDirectory(context, '..'),
};

/** Directory navigation and transfer parameters (RFC 959 §4.1.1, §4.1.2, ALLO); X* are RFC 1123's aliases. */
export const navCommands: Record<string, FtpCommand> = {
  PWD,
  XPWD: PWD,
  CWD,
  XCWD: CWD,
  CDUP,
  XCUP: CDUP,
  // Bytes go out as they are on disk in both types (vsftpd does the same by default).
  TYPE: parameter('TYPE', ['I', 'A', 'A N', 'L 8', 'L8'], ['A', 'E', 'L'], (context, value) => {
    context.state.binary = value !== 'A' && value !== 'A N';
    context.reply(200, `Type set to ${context.state.binary ? 'I (binary)' : 'A (ASCII, sent as is)'}`);
  }),
  MODE: parameter('MODE', ['S'], ['B', 'C', 'Z'], (context) => context.reply(200, 'Mode set to S (stream)')),
  STRU: parameter('STRU', ['F'], ['R', 'P'], (context) => context.reply(200, 'Structure set to F (file)')),
  // RFC 959 §4.1.3: ALLO is a no-op (202) on a server that needs no space reserved (vsftpd, pyftpdlib).
  ALLO: {
    access: 'user',
    help: 'ALLO <bytes> [R <bytes>]',
    run: (context) => context.reply(202, 'ALLO not needed: no storage to reserve'),
  },
};
