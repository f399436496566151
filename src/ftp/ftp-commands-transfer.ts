import { constants } from 'node:fs';
import { type FileHandle, stat } from 'node:fs/promises';
import { DataChannel } from './data-channel.js';
import type { FtpCommand } from './ftp-commands.js';
import type { FtpSession } from './ftp-session.js';

/** O_NONBLOCK: a FIFO swapped in after the stat must not block a thread of the pool in open(). */
const { O_RDONLY, O_WRONLY, O_CREAT, O_APPEND, O_NONBLOCK } = constants;

/** Replies 425 and returns false when no PASV/EPSV/PORT/EPRT prepared the data connection. */
export function dataReady(session: FtpSession): boolean {
  if (session.data.prepared) return true;
  session.reply(425, session.config.active ? 'Use PASV, EPSV, PORT or EPRT first' : 'Use PASV or EPSV first');
  return false;
}

/** Replies 550 and returns false for a read-only session (anonymous, or a user without write). */
export function mayWrite(session: FtpSession): boolean {
  if (session.writable) return true;
  session.reply(
    550,
    `Permission denied: ${session.anonymous ? 'anonymous login is' : 'this account is'} read-only`,
  );
  return false;
}

/** The 150 reply text for a file transfer. */
function opening(session: FtpSession, virtual: string, size?: number): string {
  const bytes = size === undefined ? '' : ` (${size} bytes)`;
  return `Opening ${session.binary ? 'BINARY' : 'ASCII'} mode data connection for ${virtual}${bytes}`;
}

/** RETR: sends a file from the REST offset, streamed with backpressure. */
async function retrieve(session: FtpSession, arg: string): Promise<void> {
  const offset = session.takeRest();
  if (!dataReady(session)) return;
  const path = await session.resolvePath(arg, true);
  if (path === undefined) return;
  let handle: FileHandle | undefined;
  let size: number;
  try {
    handle = await session.jail.open(path, O_RDONLY | O_NONBLOCK);
    // Stat what was opened, not the name: the name may lead elsewhere by now.
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return session.reply(550, `Not a plain file: ${path.virtual}`);
    }
    if (offset > stats.size) {
      await handle.close();
      return session.reply(554, `Invalid REST offset ${offset}: ${path.virtual} has ${stats.size} bytes`);
    }
    size = stats.size;
  } catch (err) {
    await handle?.close();
    return session.replyError(err, path.virtual);
  }
  const file = handle;
  session.startTransfer(
    'RETR',
    path.virtual,
    opening(session, path.virtual, size - offset),
    (socket) => session.data.sendFile(socket, file, offset, size - 1),
    () => void file.close().catch(() => {}),
  );
}

/** STOR and APPE: receives a file; STOR after REST keeps the first REST bytes and writes from there. */
async function store(session: FtpSession, arg: string, append: boolean): Promise<void> {
  const offset = session.takeRest();
  if (!mayWrite(session) || !dataReady(session)) return;
  if (append && offset > 0) return session.reply(503, 'REST goes with RETR or STOR, not APPE');
  const path = await session.resolvePath(arg, false);
  if (path === undefined) return;
  let handle: FileHandle | undefined;
  try {
    // Checked before the open so that a refused STOR creates no file, and again on what was opened below.
    const existing = await stat(path.real).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (existing !== undefined && !existing.isFile())
      return session.reply(550, `Not a plain file: ${path.virtual}`);
    if (offset > (existing?.size ?? 0)) {
      return session.reply(
        554,
        `Invalid REST offset ${offset}: ${path.virtual} has ${existing?.size ?? 0} bytes`,
      );
    }
    // Always O_APPEND: after REST the file is cut to the offset, so appending writes from there; a copier
    // process then writes at the right place too. No O_TRUNC: the jail checks what was opened first.
    handle = await session.jail.open(path, O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT, 0o644);
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      return session.reply(550, `Not a plain file: ${path.virtual}`);
    }
    if (!append) await handle.truncate(offset);
  } catch (err) {
    await handle?.close();
    return session.replyError(err, path.virtual);
  }
  const file = handle;
  session.startTransfer(
    append ? 'APPE' : 'STOR',
    path.virtual,
    opening(session, path.virtual),
    (socket) => session.data.receiveFile(socket, file, null),
    () => void file.close().catch(() => {}),
  );
}

/** Replies 503 and returns false after EPSV ALL (RFC 2428 §4), which allows no other data setup. */
function notAfterEpsvAll(session: FtpSession, verb: string): boolean {
  if (!session.epsvAll) return true;
  session.reply(503, `${verb} not allowed after EPSV ALL`);
  return false;
}

/** PORT and EPRT: only when active mode is enabled, only to the client's own address and a port >= 1024. */
function activeCommand(verb: 'PORT' | 'EPRT'): FtpCommand {
  return {
    needsArg: true,
    help: verb === 'PORT' ? 'PORT h1,h2,h3,h4,p1,p2' : 'EPRT |1|h.h.h.h|port|',
    run(session, arg) {
      if (!session.config.active)
        return session.reply(502, `${verb} is disabled on this server; use PASV or EPSV`);
      if (!notAfterEpsvAll(session, verb)) return;
      try {
        const target =
          verb === 'PORT' ? DataChannel.parsePort(arg.trim()) : DataChannel.parseEprt(arg.trim());
        session.data.active(target.host, target.port);
      } catch (err) {
        return session.replyError(err, arg);
      }
      session.reply(200, `${verb} command successful`);
    },
  };
}

/** Data connection setup, REST, file transfers and ABOR. */
export const transferCommands: Record<string, FtpCommand> = {
  PASV: {
    help: 'PASV',
    async run(session) {
      if (!notAfterEpsvAll(session, 'PASV')) return;
      try {
        session.reply(227, await session.data.passive());
      } catch (err) {
        session.replyError(err, 'PASV');
      }
    },
  },
  EPSV: {
    help: 'EPSV [1|2|ALL]',
    async run(session, arg) {
      const value = arg.trim().toUpperCase();
      if (value === 'ALL') {
        session.epsvAll = true;
        return session.reply(200, 'EPSV ALL ok');
      }
      const ours = session.family === 'IPv6' ? '2' : '1';
      if (value !== '' && value !== ours) {
        if (value === '1' || value === '2')
          return session.reply(522, `Network protocol not supported, use (${ours})`);
        return session.reply(501, `EPSV: expected 1, 2 or ALL, got ${JSON.stringify(arg)}`);
      }
      try {
        session.reply(229, await session.data.extendedPassive());
      } catch (err) {
        session.replyError(err, 'EPSV');
      }
    },
  },
  PORT: activeCommand('PORT'),
  EPRT: activeCommand('EPRT'),
  REST: {
    needsArg: true,
    help: 'REST <offset>',
    run(session, arg) {
      const text = arg.trim();
      if (!/^\d{1,15}$/.test(text))
        return session.reply(501, `REST: expected a byte offset, got ${JSON.stringify(arg)}`);
      session.restOffset = Number(text);
      session.reply(350, `Restarting at ${session.restOffset}; send RETR or STOR`);
    },
  },
  RETR: { needsArg: true, help: 'RETR <path>', run: retrieve },
  STOR: { needsArg: true, help: 'STOR <path>', run: (session, arg) => store(session, arg, false) },
  APPE: { needsArg: true, help: 'APPE <path>', run: (session, arg) => store(session, arg, true) },
  ABOR: {
    duringTransfer: true,
    help: 'ABOR',
    async run(session) {
      const transfer = session.transfer;
      if (transfer === undefined) {
        const open = session.data.prepared;
        session.data.abort();
        return session.reply(
          225,
          open ? 'Data connection closed; no transfer to abort' : 'No transfer to abort',
        );
      }
      // RFC 959 §4.1.3: the transfer's 426 first, then 226 for ABOR itself.
      transfer.aborted = true;
      session.data.abort();
      await transfer.done;
      session.reply(226, 'ABOR successful');
    },
  },
};
