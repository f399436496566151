import { setTimeout as sleep } from 'node:timers/promises';
import type { CommandContext, FtpCommand } from './ftp-command-context.js';
import { MLST_FACTS } from './ftp-listing.js';
import { decoyPasswordHash, verifyPassword } from './password-hash.js';

/** USER names of the anonymous account (RFC 1635). */
function isAnonymousName(name: string): boolean {
  const lower = name.toLowerCase();
  return lower === 'anonymous' || lower === 'ftp';
}

/**
 * PASS: anonymous (when enabled) with any password, read-only; a configured user whose password matches
 * its hash. Unknown users are checked against a decoy hash so that both cost the same time; a failure is
 * answered after `failedLoginDelay`, and the `loginFailures`-th closes the connection with 421.
 */
async function pass(context: CommandContext, password: string): Promise<void> {
  if (context.user !== undefined) return context.reply(503, `Already logged in as ${context.user}`);
  const { config, log, client, state } = context;
  const name = state.pendingUser;
  if (name === undefined) return context.reply(503, 'Send USER first');
  state.pendingUser = undefined;
  if (config.anonymous && isAnonymousName(name)) {
    context.logIn('anonymous');
    log.info({ client }, 'anonymous login');
    return context.reply(230, 'Anonymous user logged in (read-only)');
  }
  const user = config.users.find((candidate) => candidate.name === name);
  let match: boolean;
  try {
    match = await verifyPassword(password, user?.passwordHash ?? decoyPasswordHash);
  } catch (err) {
    log.error({ err, client, user: name }, 'password check failed');
    return context.close(421, (err as Error).message);
  }
  if (context.closed) return;
  if (user !== undefined && match) {
    context.logIn(user);
    log.info({ client, user: user.name }, 'login');
    return context.reply(230, `User ${user.name} logged in${user.write ? '' : ' (read-only)'}`);
  }
  const failures = ++state.loginFailures;
  log.warn({ client, user: name, failures }, 'failed login');
  await sleep(config.limits.failedLoginDelay);
  if (failures >= config.limits.loginFailures) {
    return context.close(421, `Login incorrect; too many failures (${failures}): closing control connection`);
  }
  context.reply(530, 'Login incorrect');
}

/**
 * The features of FEAT (RFC 2389): one per line, EPRT only when active mode is enabled; MLST marks the
 * facts now enabled with `*` (RFC 3659 §7.8); TVFS (§6): paths are Unix-like, `/`-separated from the root.
 */
function features(context: CommandContext): string[] {
  const enabled = context.state.mlstFacts;
  const facts = MLST_FACTS.map((fact) => `${fact}${enabled.has(fact) ? '*' : ''};`).join('');
  const list = ['EPSV', 'MDTM', `MLST ${facts}`, 'REST STREAM', 'SIZE', 'TVFS', 'UTF8'];
  if (context.config.active) list.unshift('EPRT');
  return list;
}

/**
 * OPTS MLST (RFC 3659 §7.9): enables exactly the known facts of the list (unknown ones are ignored) and
 * replies with the facts now enabled; an empty list enables none.
 */
function optsMlst(context: CommandContext, list: string): void {
  const asked = new Set(list.toLowerCase().split(';'));
  const facts = MLST_FACTS.filter((fact) => asked.has(fact));
  context.state.mlstFacts = new Set(facts);
  context.reply(200, `MLST OPTS${facts.length === 0 ? '' : ` ${facts.map((fact) => `${fact};`).join('')}`}`);
}

/** OPTS (RFC 2389): UTF8 is always on (RFC 2640); MLST chooses the facts MLSD and MLST show. */
function opts(context: CommandContext, arg: string): void {
  const [name = '', value = ''] = arg.trim().split(/\s+/);
  const option = name.toUpperCase();
  if (option === 'UTF8' || option === 'UTF-8') {
    if (value === '' || value.toUpperCase() === 'ON') return context.reply(200, 'UTF8 is always on');
    return context.reply(504, `UTF8 ${value} not supported: UTF8 is always on`);
  }
  if (option === 'MLST') return optsMlst(context, value);
  context.reply(501, `Unknown option for OPTS: ${name}`);
}

/** Login, session and information commands. */
export const authCommands: Record<string, FtpCommand> = {
  USER: {
    access: 'anyone',
    needsArg: true,
    help: 'USER <name>',
    run(context, name) {
      if (context.user !== undefined) {
        return context.reply(530, `Already logged in as ${context.user}; reconnect to change user`);
      }
      context.state.pendingUser = name;
      const anonymous = context.config.anonymous && isAnonymousName(name);
      // Always 331, whether the user exists or not: no user enumeration.
      context.reply(
        331,
        anonymous ? 'Anonymous login ok, send any password' : `Password required for ${name}`,
      );
    },
  },
  PASS: { access: 'anyone', help: 'PASS <password>', run: pass },
  QUIT: {
    access: 'anyone',
    duringTransfer: true,
    help: 'QUIT',
    async run(context) {
      // RFC 959: with a transfer in progress, the reply waits for its result.
      await context.transfer?.done;
      context.close(221, 'Goodbye');
    },
  },
  SYST: { access: 'anyone', help: 'SYST', run: (context) => context.reply(215, 'UNIX Type: L8') },
  FEAT: {
    access: 'anyone',
    help: 'FEAT',
    run: (context) => context.replyLines(211, 'Features:', features(context), 'End'),
  },
  OPTS: { access: 'anyone', needsArg: true, help: 'OPTS UTF8 ON', run: opts },
  NOOP: {
    access: 'anyone',
    duringTransfer: true,
    help: 'NOOP',
    run: (context) => context.reply(200, 'NOOP ok'),
  },
  AUTH: {
    access: 'anyone',
    help: 'AUTH (not supported)',
    run: (context) => context.reply(502, 'AUTH not supported: this server speaks plain FTP only'),
  },
};
