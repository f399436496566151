import { authCommands } from './ftp-commands-auth.js';
import { fileCommands } from './ftp-commands-files.js';
import { listCommands } from './ftp-commands-list.js';
import { navCommands } from './ftp-commands-nav.js';
import { transferCommands } from './ftp-commands-transfer.js';
import type { FtpSession } from './ftp-session.js';

/** One FTP command: what it needs and what it does with the session and its argument. */
export interface FtpCommand {
  /** Serves the command; replies through the session. */
  run(session: FtpSession, arg: string): void | Promise<void>;
  /** Allowed before login (default false: 530 until PASS succeeded). */
  beforeLogin?: boolean;
  /** The argument is required: without one the reply is 501. */
  needsArg?: boolean;
  /** Served at once while a transfer runs (ABOR, STAT, NOOP, QUIT); the others wait for it to end. */
  duringTransfer?: boolean;
  /** One line of HELP text: the syntax. */
  help: string;
}

/** Every command the server serves, by verb (upper case). */
export const COMMANDS: ReadonlyMap<string, FtpCommand> = new Map(
  Object.entries({ ...authCommands, ...navCommands, ...transferCommands, ...listCommands, ...fileCommands }),
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
