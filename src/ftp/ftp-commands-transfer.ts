import { constants } from 'node:fs';
import { type FileHandle, stat } from 'node:fs/promises';
import { parseEprtArg, parsePortArg } from './data-address.js';
import type { CommandContext, CommandState, FtpCommand } from './ftp-command-context.js';

/** O_NONBLOCK: a FIFO swapped in after the stat must not block a thread of the pool in open(). */
const { O_RDONLY, O_WRONLY, O_CREAT, O_APPEND, O_NONBLOCK } = constants;

/** Replies 425 and returns false when no PASV/EPSV/PORT/EPRT prepared the data connection. */
export function dataReady(context: CommandContext): boolean {
  if (context.data.prepared) return true;
  context.reply(425, context.config.active ? 'Use PASV, EPSV, PORT or EPRT first' : 'Use PASV or EPSV first');
  return false;
}

/** The REST offset for the transfer command being served, cleared for the next one. */
export function takeRest(state: CommandState): number {
  const offset = state.restOffset;
  state.restOffset = 0;
  return offset;
}

/** The 150 reply text for a file transfer. */
function opening(context: CommandContext, virtual: string, size?: number): string {
  const bytes = size === undefined ? '' : ` (${size} bytes)`;
  return `Opening ${context.state.binary ? 'BINARY' : 'ASCII'} mode data connection for ${virtual}${bytes}`;
}

/** RETR: sends a file from the REST offset, streamed with backpressure. */
async function retrieve(context: CommandContext, arg: string): Promise<void> {
  const offset = takeRest(context.state);
  if (!dataReady(context)) return;
  const path = await context.resolvePath(arg, true);
  if (path === undefined) return;
  let handle: FileHandle | undefined;
  let size: number;
  try {
    handle = await context.jail.open(path, O_RDONLY | O_NONBLOCK);
    // Stat what was opened, not the name: the name may lead elsewhere by now.
    const stats = await handle.stat();
    if (!stats.isFile()) {
      await handle.close();
      return context.reply(550, `Not a plain file: ${path.virtual}`);
    }
    if (offset > stats.size) {
      await handle.close();
      return context.reply(554, `Invalid REST offset ${offset}: ${path.virtual} has ${stats.size} bytes`);
    }
    size = stats.size;
  } catch (err) {
    await handle?.close();
    return context.replyError(err, path.virtual);
  }
  const file = handle;
  context.startTransfer(
    'RETR',
    path.virtual,
    opening(context, path.virtual, size - offset),
    (socket) => context.data.sendFile(socket, file, offset, size - 1),
    () => void file.close().catch(() => {}),
  );
}

/** STOR and APPE: receives a file; STOR after REST keeps the first REST bytes and writes from there. */
async function store(context: CommandContext, arg: string, append: boolean): Promise<void> {
  const offset = takeRest(context.state);
  if (!dataReady(context)) return;
  if (append && offset > 0) return context.reply(503, 'REST goes with RETR or STOR, not APPE');
  const path = await context.resolvePath(arg, false);
  if (path === undefined) return;
  let handle: FileHandle | undefined;
  try {
    // Checked before the open so that a refused STOR creates no file, and again on what was opened below.
    const existing = await stat(path.real).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    if (existing !== undefined && !existing.isFile())
      return context.reply(550, `Not a plain file: ${path.virtual}`);
    if (offset > (existing?.size ?? 0)) {
      return context.reply(
        554,
        `Invalid REST offset ${offset}: ${path.virtual} has ${existing?.size ?? 0} bytes`,
      );
    }
    // Always O_APPEND: after REST the file is cut to the offset, so appending writes from there; a copier
    // process then writes at the right place too. No O_TRUNC: the jail checks what was opened first.
    handle = await context.jail.open(path, O_WRONLY | O_NONBLOCK | O_APPEND | O_CREAT, 0o644);
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      return context.reply(550, `Not a plain file: ${path.virtual}`);
    }
    if (!append) await handle.truncate(offset);
  } catch (err) {
    await handle?.close();
    return context.replyError(err, path.virtual);
  }
  const file = handle;
  context.startTransfer(
    append ? 'APPE' : 'STOR',
    path.virtual,
    opening(context, path.virtual),
    (socket) => context.data.receiveFile(socket, file, null),
    () => void file.close().catch(() => {}),
  );
}

/** Replies 503 and returns false after EPSV ALL (RFC 2428 §4), which allows no other data setup. */
function notAfterEpsvAll(context: CommandContext, verb: string): boolean {
  if (!context.state.epsvAll) return true;
  context.reply(503, `${verb} not allowed after EPSV ALL`);
  return false;
}

/** PORT and EPRT: only when active mode is enabled, only to the client's own address and a port >= 1024. */
function activeCommand(verb: 'PORT' | 'EPRT'): FtpCommand {
  return {
    access: 'user',
    needsArg: true,
    help: verb === 'PORT' ? 'PORT h1,h2,h3,h4,p1,p2' : 'EPRT |1|h.h.h.h|port|',
    run(context, arg) {
      if (!context.config.active)
        return context.reply(502, `${verb} is disabled on this server; use PASV or EPSV`);
      if (!notAfterEpsvAll(context, verb)) return;
      try {
        const target = verb === 'PORT' ? parsePortArg(arg.trim()) : parseEprtArg(arg.trim());
        context.data.active(target.host, target.port);
      } catch (err) {
        return context.replyError(err, arg);
      }
      context.reply(200, `${verb} command successful`);
    },
  };
}

/** Data connection setup, REST, file transfers and ABOR. */
export const transferCommands: Record<string, FtpCommand> = {
  PASV: {
    access: 'user',
    help: 'PASV',
    async run(context) {
      if (!notAfterEpsvAll(context, 'PASV')) return;
      try {
        context.reply(227, await context.data.passive());
      } catch (err) {
        context.replyError(err, 'PASV');
      }
    },
  },
  EPSV: {
    access: 'user',
    help: 'EPSV [1|2|ALL]',
    async run(context, arg) {
      const value = arg.trim().toUpperCase();
      if (value === 'ALL') {
        context.state.epsvAll = true;
        return context.reply(200, 'EPSV ALL ok');
      }
      const ours = context.family === 'IPv6' ? '2' : '1';
      if (value !== '' && value !== ours) {
        if (value === '1' || value === '2')
          return context.reply(522, `Network protocol not supported, use (${ours})`);
        return context.reply(501, `EPSV: expected 1, 2 or ALL, got ${JSON.stringify(arg)}`);
      }
      try {
        context.reply(229, await context.data.extendedPassive());
      } catch (err) {
        context.replyError(err, 'EPSV');
      }
    },
  },
  PORT: activeCommand('PORT'),
  EPRT: activeCommand('EPRT'),
  REST: {
    access: 'user',
    needsArg: true,
    help: 'REST <offset>',
    run(context, arg) {
      const text = arg.trim();
      if (!/^\d{1,15}$/.test(text))
        return context.reply(501, `REST: expected a byte offset, got ${JSON.stringify(arg)}`);
      context.state.restOffset = Number(text);
      context.reply(350, `Restarting at ${context.state.restOffset}; send RETR or STOR`);
    },
  },
  RETR: { access: 'user', needsArg: true, help: 'RETR <path>', run: retrieve },
  STOR: {
    access: 'writer',
    needsArg: true,
    help: 'STOR <path>',
    run: (context, arg) => store(context, arg, false),
  },
  APPE: {
    access: 'writer',
    needsArg: true,
    help: 'APPE <path>',
    run: (context, arg) => store(context, arg, true),
  },
  ABOR: {
    access: 'user',
    duringTransfer: true,
    help: 'ABOR',
    async run(context) {
      if (context.transfer === undefined) {
        const open = context.data.prepared;
        context.data.abort();
        return context.reply(
          225,
          open ? 'Data connection closed; no transfer to abort' : 'No transfer to abort',
        );
      }
      // RFC 959 §4.1.3: the transfer's 426 first, then 226 for ABOR itself.
      await context.abortTransfer();
      context.reply(226, 'ABOR successful');
    },
  },
};
