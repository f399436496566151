import { setTimeout as sleep } from 'node:timers/promises';
import type { FtpCommand } from './ftp-commands.js';
import { MLST_FACTS } from './ftp-listing.js';
import type { FtpSession } from './ftp-session.js';
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
async function pass(session: FtpSession, password: string): Promise<void> {
  if (session.user !== undefined) return session.reply(503, `Already logged in as ${session.user}`);
  const name = session.pendingUser;
  if (name === undefined) return session.reply(503, 'Send USER first');
  session.pendingUser = undefined;
  const { config, services } = session;
  if (config.anonymous && isAnonymousName(name)) {
    session.loggedIn('anonymous', services.rootJail, { anonymous: true, writable: false });
    session.log.info({ client: session.info.remoteAddress }, 'anonymous login');
    return session.reply(230, 'Anonymous user logged in (read-only)');
  }
  const user = config.users.find((candidate) => candidate.name === name);
  let match: boolean;
  try {
    match = await verifyPassword(password, user?.passwordHash ?? decoyPasswordHash);
  } catch (err) {
    session.log.error({ err, client: session.info.remoteAddress, user: name }, 'password check failed');
    return session.close(421, (err as Error).message);
  }
  if (session.closed) return;
  if (user !== undefined && match) {
    session.loggedIn(user.name, services.jailFor(user), { anonymous: false, writable: user.write });
    session.log.info({ client: session.info.remoteAddress, user: user.name }, 'login');
    return session.reply(230, `User ${user.name} logged in${user.write ? '' : ' (read-only)'}`);
  }
  session.loginFailures++;
  session.log.warn(
    { client: session.info.remoteAddress, user: name, failures: session.loginFailures },
    'failed login',
  );
  await sleep(config.limits.failedLoginDelay);
  if (session.loginFailures >= config.limits.loginFailures) {
    return session.close(
      421,
      `Login incorrect; too many failures (${session.loginFailures}): closing control connection`,
    );
  }
  session.reply(530, 'Login incorrect');
}

/**
 * The features of FEAT (RFC 2389): one per line, EPRT only when active mode is enabled; MLST marks the
 * facts now enabled with `*` (RFC 3659 §7.8); TVFS (§6): paths are Unix-like, `/`-separated from the root.
 */
function features(session: FtpSession): string[] {
  const facts = MLST_FACTS.map((fact) => `${fact}${session.mlstFacts.has(fact) ? '*' : ''};`).join('');
  const list = ['EPSV', 'MDTM', `MLST ${facts}`, 'REST STREAM', 'SIZE', 'TVFS', 'UTF8'];
  if (session.config.active) list.unshift('EPRT');
  return list;
}

/**
 * OPTS MLST (RFC 3659 §7.9): enables exactly the known facts of the list (unknown ones are ignored) and
 * replies with the facts now enabled; an empty list enables none.
 */
function optsMlst(session: FtpSession, list: string): void {
  const asked = new Set(list.toLowerCase().split(';'));
  const facts = MLST_FACTS.filter((fact) => asked.has(fact));
  session.mlstFacts = new Set(facts);
  session.reply(200, `MLST OPTS${facts.length === 0 ? '' : ` ${facts.map((fact) => `${fact};`).join('')}`}`);
}

/** OPTS (RFC 2389): UTF8 is always on (RFC 2640); MLST chooses the facts MLSD and MLST show. */
function opts(session: FtpSession, arg: string): void {
  const [name = '', value = ''] = arg.trim().split(/\s+/);
  const option = name.toUpperCase();
  if (option === 'UTF8' || option === 'UTF-8') {
    if (value === '' || value.toUpperCase() === 'ON') return session.reply(200, 'UTF8 is always on');
    return session.reply(504, `UTF8 ${value} not supported: UTF8 is always on`);
  }
  if (option === 'MLST') return optsMlst(session, value);
  session.reply(501, `Unknown option for OPTS: ${name}`);
}

/** Login, session and information commands. */
export const authCommands: Record<string, FtpCommand> = {
  USER: {
    beforeLogin: true,
    needsArg: true,
    help: 'USER <name>',
    run(session, name) {
      if (session.user !== undefined) {
        return session.reply(530, `Already logged in as ${session.user}; reconnect to change user`);
      }
      session.pendingUser = name;
      const anonymous = session.config.anonymous && isAnonymousName(name);
      // Always 331, whether the user exists or not: no user enumeration.
      session.reply(
        331,
        anonymous ? 'Anonymous login ok, send any password' : `Password required for ${name}`,
      );
    },
  },
  PASS: { beforeLogin: true, help: 'PASS <password>', run: pass },
  QUIT: {
    beforeLogin: true,
    duringTransfer: true,
    help: 'QUIT',
    async run(session) {
      // RFC 959: with a transfer in progress, the reply waits for its result.
      await session.transfer?.done;
      session.close(221, 'Goodbye');
    },
  },
  SYST: { beforeLogin: true, help: 'SYST', run: (session) => session.reply(215, 'UNIX Type: L8') },
  FEAT: {
    beforeLogin: true,
    help: 'FEAT',
    run: (session) => session.replyLines(211, 'Features:', features(session), 'End'),
  },
  OPTS: { beforeLogin: true, needsArg: true, help: 'OPTS UTF8 ON', run: opts },
  NOOP: {
    beforeLogin: true,
    duringTransfer: true,
    help: 'NOOP',
    run: (session) => session.reply(200, 'NOOP ok'),
  },
  HELP: {
    beforeLogin: true,
    help: 'HELP',
    run(session) {
      const names = session.commandNames();
      const lines: string[] = [];
      for (let i = 0; i < names.length; i += 8)
        lines.push(
          names
            .slice(i, i + 8)
            .map((n) => n.padEnd(5))
            .join(' '),
        );
      session.replyLines(214, 'The following commands are recognized:', lines, 'Help OK');
    },
  },
  AUTH: {
    beforeLogin: true,
    help: 'AUTH (not supported)',
    run: (session) => session.reply(502, 'AUTH not supported: this server speaks plain FTP only'),
  },
};
