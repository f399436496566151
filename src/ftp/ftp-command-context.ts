import type { Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import type { DataChannel } from './data-channel.js';
import type { FtpServerConfig, FtpUser } from './ftp-config.js';
import { MLST_FACTS, type MlstFact } from './ftp-listing.js';
import type { FtpJail, JailPath } from './ftp-path.js';

/**
 * Who may run a command: `anyone` (before login too), `user` (logged in), `writer` (logged in with write
 * permission). Dispatch refuses the others: 530 before login, 550 for a read-only login.
 */
export type Access = 'anyone' | 'user' | 'writer';

/** One row of the command table: who may run it, what it needs, and what it does. */
export interface FtpCommand {
  /** Serves the command; replies through the context. Runs only once dispatch has checked the columns below. */
  run(context: CommandContext, arg: string): void | Promise<void>;
  /** Who may run it; a function decides by the argument (STAT alone is for anyone, STAT of a path is not). */
  access: Access | ((arg: string) => Access);
  /** The argument is required: without one the reply is 501. */
  needsArg?: boolean;
  /** Served at once while a transfer runs (ABOR, STAT, NOOP, QUIT); the others wait for it to end. */
  duringTransfer?: boolean;
  /** One line of HELP text: the syntax. */
  help: string;
}

/** A transfer running in the background of a session (RETR, STOR, APPE, LIST, NLST, MLSD). */
export interface Transfer {
  readonly verb: string;
  readonly virtual: string;
  /** Settles (never rejects) once the transfer's last reply was sent. */
  readonly done: Promise<void>;
}

/**
 * The parameters commands set for the commands after them (RFC 959 §4.1.2 and extensions). Only commands read
 * or change them; the session just keeps them for its connection.
 */
export interface CommandState {
  /** The name given by USER, waiting for PASS. */
  pendingUser: string | undefined;
  /** Failed PASS commands on this connection. */
  loginFailures: number;
  /** TYPE I (true) or A; bytes are sent as they are in both (like vsftpd). */
  binary: boolean;
  /** Offset given by REST, used by the next RETR or STOR. */
  restOffset: number;
  /** The path given by RNFR, for the RNTO right after it. */
  renameFrom: JailPath | undefined;
  /** The facts MLSD and MLST show, as chosen by OPTS MLST (RFC 3659 §7.9). */
  mlstFacts: ReadonlySet<MlstFact>;
  /** EPSV ALL was sent: other data connection setups are refused (RFC 2428 §4). */
  epsvAll: boolean;
}

/** The command state of a new connection: TYPE A, no REST, every MLST fact. */
export function initialCommandState(): CommandState {
  return {
    pendingUser: undefined,
    loginFailures: 0,
    binary: false,
    restOffset: 0,
    renameFrom: undefined,
    mlstFacts: new Set(MLST_FACTS),
    epsvAll: false,
  };
}

/**
 * What a command may read and change of its session: the server's config, the login, the current directory,
 * the data connection, the background transfer and the command state, and how to answer. Everything else of
 * the session (its socket, queue, timers) stays private to it; the login, the current directory and the
 * transfer change only through the methods below, which keep them consistent.
 */
export interface CommandContext {
  readonly config: FtpServerConfig;
  readonly log: Logger;
  /** The client's address (the control connection's remote address), for replies and log lines. */
  readonly client: string;
  /** The address family of the control connection (EPSV 1 or 2). */
  readonly family: 'IPv4' | 'IPv6';
  /** The data connection set up by PASV/EPSV/PORT/EPRT. */
  readonly data: DataChannel;
  /** The parameters commands keep for each other. */
  readonly state: CommandState;
  /** The logged-in user's name, undefined before login. */
  readonly user: string | undefined;
  readonly anonymous: boolean;
  /** May store, delete, rename and make directories. */
  readonly writable: boolean;
  /** The jail paths are resolved in: the whole root before login and for anonymous, else the user's home. */
  readonly jail: FtpJail;
  /** The current directory, a virtual path. */
  readonly cwd: string;
  /** The transfer running in the background, if any. */
  readonly transfer: Transfer | undefined;
  /** True once the control connection is closing: nothing more is sent. */
  readonly closed: boolean;
  /** Sends a single-line reply. */
  reply(code: number, text: string): void;
  /** Sends a multi-line reply: `code-first`, the lines indented by a space, `code last`. */
  replyLines(code: number, first: string, lines: readonly string[], last: string): void;
  /** Replies for an error met on `virtual` (see errorReply); unexpected ones are logged. */
  replyError(err: unknown, virtual: string): void;
  /** Sends a last reply (421, 221) and closes the control connection, aborting any transfer. */
  close(code: number, text: string): void;
  /** Logs in as `user` (in its home, with its write permission) or as anonymous (the root, read-only). */
  logIn(user: FtpUser | 'anonymous'): void;
  /**
   * Resolves a path argument in the jail (see FtpJail.check); on failure replies (550/553) and returns
   * undefined, so a command only goes on with a path that is inside.
   */
  resolvePath(arg: string, mustExist: boolean): Promise<JailPath | undefined>;
  /** Makes `path` (resolved in the jail, a directory) the current directory. */
  enter(path: JailPath): void;
  /**
   * Starts a transfer in the background: replies 150 `opening`, waits for the data connection, runs `move`
   * over it, then replies 226 with the byte count, or 425/426/451 (426 when ABOR stopped it). `cleanup`
   * runs at the end whatever happened (closes a file stream that was never used).
   */
  startTransfer(
    verb: string,
    virtual: string,
    opening: string,
    move: (socket: Socket) => Promise<number>,
    cleanup: () => void,
  ): void;
  /** ABOR: stops the running transfer (its reply is 426) and the data connection; settles once it replied. */
  abortTransfer(): Promise<void>;
}
