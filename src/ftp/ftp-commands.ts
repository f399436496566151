import type { Access, CommandContext, FtpCommand } from './ftp-command-context.js';
import { authCommands } from './ftp-commands-auth.js';
import { fileCommands } from './ftp-commands-files.js';
import { listCommands } from './ftp-commands-list.js';
import { navCommands } from './ftp-commands-nav.js';
import { type ControlInput, MAX_LINE_BYTES } from './ftp-commands-reader.js';
import { transferCommands } from './ftp-commands-transfer.js';

/** HELP: the verbs of the command table, eight a line. */
const HELP: FtpCommand = {
  access: 'anyone',
  help: 'HELP',
  run(context) {
    const names = [...COMMANDS.keys()].sort();
    const lines: string[] = [];
    for (let i = 0; i < names.length; i += 8)
      lines.push(
        names
          .slice(i, i + 8)
          .map((n) => n.padEnd(5))
          .join(' '),
      );
    context.replyLines(214, 'The following commands are recognized:', lines, 'Help OK');
  },
};

/** Every command the server serves, by verb (upper case). */
export const COMMANDS: ReadonlyMap<string, FtpCommand> = new Map(
  Object.entries({
    ...authCommands,
    HELP,
    ...navCommands,
    ...transferCommands,
    ...listCommands,
    ...fileCommands,
  }),
);

/**
 * Verbs of RFC 959 and its extensions that are known but not served (502, not 500): accounts, structure
 * mount, reinitialise, unique store, SITE, TLS (RFC 2228/4217: this server speaks plain FTP only).
 */
export const NOT_IMPLEMENTED: ReadonlySet<string> = new Set([
  'ACCT',
  'SMNT',
  'REIN',
  'STOU',
  'SITE',
  'PBSZ',
  'PROT',
  'CCC',
  'ADAT',
  'MIC',
  'CONF',
  'ENC',
  'LANG',
  'MFMT',
  'MFCT',
  'MFF',
  'HOST',
  'LPRT',
  'LPSV',
  'SPSV',
  'XRCP',
  'XRSQ',
  'XSEM',
  'XSEN',
]);

/**
 * Serves one control input: replies 500/501 to a bad line, 500/502 to an unknown verb, then checks the
 * command's columns once for every command, in this order: 530 before login unless its access is `anyone`,
 * 501 for a missing argument, 550 for a read-only login if its access is `writer`; then runs it.
 */
export async function dispatchCommand(context: CommandContext, input: ControlInput): Promise<void> {
  if (input.kind === 'too-long')
    return context.reply(500, `Command line too long (over ${MAX_LINE_BYTES} bytes)`);
  if (input.kind === 'not-utf8') return context.reply(501, 'Command line is not valid UTF-8 (RFC 2640)');
  const line = input.text;
  const space = line.indexOf(' ');
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : line.slice(space + 1);
  if (!/^[A-Z]{3,4}$/.test(verb))
    return context.reply(500, `Syntax error: ${JSON.stringify(verb.slice(0, 16))} is not a command`);
  // RFC 959 §4.1.3: any command but RNTO (which takes it) ends a pending RNFR, even one that fails.
  if (verb !== 'RNTO') context.state.renameFrom = undefined;
  const command = COMMANDS.get(verb);
  if (command === undefined) {
    if (NOT_IMPLEMENTED.has(verb)) return context.reply(502, `Command ${verb} not implemented`);
    return context.reply(500, `Unknown command ${verb}`);
  }
  const access: Access = typeof command.access === 'function' ? command.access(arg) : command.access;
  if (access !== 'anyone' && context.user === undefined) {
    return context.reply(530, 'Please log in with USER and PASS first');
  }
  if (command.needsArg === true && arg.trim() === '')
    return context.reply(501, `${verb} needs an argument: ${command.help}`);
  if (access === 'writer' && !context.writable) {
    const who = context.anonymous ? 'anonymous login is' : 'this account is';
    return context.reply(550, `Permission denied: ${who} read-only`);
  }
  context.log.debug({ client: context.client, verb }, 'FTP command');
  await command.run(context, arg);
}

/** True for a line served at once during a transfer: ABOR, STAT, NOOP, QUIT (RFC 959 §4.1.3). */
export function isUrgent(input: ControlInput): boolean {
  if (input.kind !== 'line') return false;
  const verb = input.text.slice(0, 5).trimEnd().toUpperCase();
  return COMMANDS.get(verb)?.duringTransfer === true;
}
