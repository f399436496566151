import { COMMANDS, NOT_IMPLEMENTED } from './ftp-commands.js';
import { type ControlInput, MAX_LINE_BYTES } from './ftp-commands-reader.js';
import type { FtpSession } from './ftp-session.js';

/**
 * Serves one control input of `session`: replies 500/501 to a bad line, 500/502 to an unknown verb, 530 before
 * login and 501 to a missing argument, else runs the verb's command from the command table.
 */
export async function dispatchCommand(session: FtpSession, input: ControlInput): Promise<void> {
  if (input.kind === 'too-long')
    return session.reply(500, `Command line too long (over ${MAX_LINE_BYTES} bytes)`);
  if (input.kind === 'not-utf8') return session.reply(501, 'Command line is not valid UTF-8 (RFC 2640)');
  const line = input.text;
  const space = line.indexOf(' ');
  const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
  const arg = space < 0 ? '' : line.slice(space + 1);
  if (!/^[A-Z]{3,4}$/.test(verb))
    return session.reply(500, `Syntax error: ${JSON.stringify(verb.slice(0, 16))} is not a command`);
  // RFC 959 §4.1.3: any command but RNTO (which takes it) ends a pending RNFR, even one that fails.
  if (verb !== 'RNTO') session.renameFrom = undefined;
  const command = COMMANDS.get(verb);
  if (command === undefined) {
    if (NOT_IMPLEMENTED.has(verb)) return session.reply(502, `Command ${verb} not implemented`);
    return session.reply(500, `Unknown command ${verb}`);
  }
  if (command.beforeLogin !== true && session.user === undefined) {
    return session.reply(530, 'Please log in with USER and PASS first');
  }
  if (command.needsArg === true && arg.trim() === '')
    return session.reply(501, `${verb} needs an argument: ${command.help}`);
  session.log.debug({ client: session.info.remoteAddress, verb }, 'FTP command');
  await command.run(session, arg);
}

/** True for a line served at once during a transfer: ABOR, STAT, NOOP, QUIT (RFC 959 §4.1.3). */
export function isUrgent(input: ControlInput): boolean {
  if (input.kind !== 'line') return false;
  const verb = input.text.slice(0, 5).trimEnd().toUpperCase();
  return COMMANDS.get(verb)?.duringTransfer === true;
}
