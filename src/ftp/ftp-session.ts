import type { Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/logger.js';
import type { ConnectionInfo } from '../net/types.js';
import { canonicalAddress } from './data-address.js';
import { DataChannel } from './data-channel.js';
import { COMMANDS } from './ftp-commands.js';
import { dispatchCommand, isUrgent } from './ftp-commands-dispatch.js';
import { type ControlInput, ControlLineSplitter } from './ftp-commands-reader.js';
import type { FtpServerConfig, FtpUser } from './ftp-config.js';
import { MLST_FACTS, type MlstFact } from './ftp-listing.js';
import type { FtpJail, JailPath } from './ftp-path.js';
import { errorReply, formatMultiline, formatReply } from './ftp-replies.js';

/** What every session of one server process shares. */
export interface SessionServices {
  config: FtpServerConfig;
  log: Logger;
  /** The jail of anonymous users: the whole root. */
  rootJail: FtpJail;
  /** The jail of a user: their home below the root. */
  jailFor(user: FtpUser): FtpJail;
}

/** A transfer running in the background of a session (RETR, STOR, APPE, LIST, NLST, MLSD). */
export interface Transfer {
  verb: string;
  virtual: string;
  /** Set by ABOR, so the end of the transfer is reported as aborted. */
  aborted: boolean;
  /** Settles (never rejects) once the transfer's last reply was sent. */
  done: Promise<void>;
}

/** Queued lines beyond which the control connection stops reading until they are served. */
const QUEUE_PAUSE = 32;

/**
 * One FTP control connection (RFC 959): greets, reads command lines, serves them one at a time through the
 * command table and replies through one writer. A transfer runs in the background; while it does, only ABOR,
 * STAT, NOOP and QUIT are served and other commands wait for it to end (vsftpd reads nothing else during a
 * transfer either). Enforces the login and idle timeouts. Its state is public for the command modules.
 */
export class FtpSession {
  readonly services: SessionServices;
  readonly config: FtpServerConfig;
  readonly info: ConnectionInfo;
  readonly log: Logger;
  /** The data connection set up by PASV/EPSV/PORT/EPRT. */
  readonly data: DataChannel;
  /** The address family of the control connection (EPSV 1 or 2). */
  readonly family: 'IPv4' | 'IPv6';
  /** The logged-in user's name, undefined before login. */
  user: string | undefined;
  /** The name given by USER, waiting for PASS. */
  pendingUser: string | undefined;
  anonymous = false;
  /** May store, delete, rename and make directories. */
  writable = false;
  jail: FtpJail;
  /** The current directory, a virtual path. */
  cwd = '/';
  /** TYPE I (true) or A; bytes are sent as they are in both (like vsftpd). */
  binary = false;
  /** Offset given by REST, used by the next RETR or STOR. */
  restOffset = 0;
  /** The path given by RNFR, for the RNTO right after it. */
  renameFrom: JailPath | undefined;
  /** The facts MLSD and MLST show, as chosen by OPTS MLST (RFC 3659 §7.9). */
  mlstFacts: ReadonlySet<MlstFact> = new Set(MLST_FACTS);
  /** EPSV ALL was sent: other data connection setups are refused (RFC 2428 §4). */
  epsvAll = false;
  loginFailures = 0;
  transfer: Transfer | undefined;
  readonly #stream: Duplex;
  readonly #splitter = new ControlLineSplitter();
  readonly #queue: ControlInput[] = [];
  #busy = false;
  #closed = false;
  #idleTimer: NodeJS.Timeout | undefined;
  #loginTimer: NodeJS.Timeout | undefined;
  #ended: (() => void) | undefined;

  constructor(stream: Duplex, info: ConnectionInfo, services: SessionServices) {
    this.#stream = stream;
    this.info = info;
    this.services = services;
    this.config = services.config;
    this.log = services.log;
    this.jail = services.rootJail;
    const socket = stream as Partial<Socket>;
    const local = canonicalAddress(socket.localAddress ?? services.config.host);
    this.family = isIPv6(local) ? 'IPv6' : 'IPv4';
    this.data = new DataChannel(
      { localAddress: local, remoteAddress: info.remoteAddress, family: this.family },
      {
        portMin: this.config.passive.portMin,
        portMax: this.config.passive.portMax,
        address: this.config.passive.address,
        timeout: this.config.timeouts.data,
        onRefused: (from) =>
          this.log.warn(
            { client: info.remoteAddress, from },
            'refused a data connection from another address',
          ),
      },
    );
  }

  /** True once the control connection is closing: nothing more is sent. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Greets the client and serves it; resolves once the control connection is done. */
  run(): Promise<void> {
    return new Promise((resolve) => {
      this.#ended = resolve;
      const stream = this.#stream;
      stream.on('data', (chunk: Buffer) => this.#onData(chunk));
      stream.once('end', () => this.#finish());
      stream.once('close', () => this.#finish());
      stream.on('error', () => this.#finish());
      this.reply(220, 'Tandem FTP ready');
      this.#loginTimer = setTimeout(
        () =>
          this.close(
            421,
            `Login timeout (${this.config.timeouts.login / 1000} s): closing control connection`,
          ),
        this.config.timeouts.login,
      );
      this.#armIdle();
      stream.resume();
    });
  }

  /** Sends a single-line reply. */
  reply(code: number, text: string): void {
    if (!this.#writable()) return;
    this.#stream.write(formatReply(code, text));
  }

  /** Sends a multi-line reply: `code-first`, the lines indented by a space, `code last`. */
  replyLines(code: number, first: string, lines: readonly string[], last: string): void {
    if (!this.#writable()) return;
    this.#stream.write(formatMultiline(code, first, lines, last));
  }

  /** Sends a last reply (421, 221) and closes the control connection, aborting any transfer. */
  close(code: number, text: string): void {
    this.reply(code, text);
    this.#finish();
  }

  /** Marks the session logged in as `name` in `jail`. */
  loggedIn(name: string, jail: FtpJail, options: { anonymous: boolean; writable: boolean }): void {
    this.user = name;
    this.jail = jail;
    this.cwd = '/';
    this.anonymous = options.anonymous;
    this.writable = options.writable;
    clearTimeout(this.#loginTimer);
  }

  /** The REST offset for the transfer command being served, cleared for the next one. */
  takeRest(): number {
    const offset = this.restOffset;
    this.restOffset = 0;
    return offset;
  }

  /**
   * Resolves a path argument in the jail (see FtpJail.check); on failure replies (550/553) and returns
   * undefined, so a command only goes on with a path that is inside.
   */
  async resolvePath(arg: string, mustExist: boolean): Promise<JailPath | undefined> {
    try {
      return await this.jail.check(this.cwd, arg, mustExist);
    } catch (err) {
      this.replyError(err, arg);
      return undefined;
    }
  }

  /** Replies for an error met on `virtual` (see errorReply); unexpected ones are logged. */
  replyError(err: unknown, virtual: string): void {
    const { code, text } = errorReply(err, virtual);
    if (code === 451)
      this.log.error({ err, client: this.info.remoteAddress }, `FTP command failed on ${virtual}`);
    this.reply(code, text);
  }

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
  ): void {
    this.reply(150, opening);
    const transfer: Transfer = { verb, virtual, aborted: false, done: Promise.resolve() };
    const started = Date.now();
    transfer.done = (async () => {
      try {
        const socket = await this.data.open();
        const bytes = await move(socket);
        this.log.info(
          { client: this.info.remoteAddress, user: this.user, bytes, ms: Date.now() - started },
          `${verb} ${virtual}`,
        );
        this.reply(226, `Transfer complete: ${bytes} bytes`);
      } catch (err) {
        this.data.abort();
        if (transfer.aborted) this.reply(426, 'Connection closed; transfer aborted by ABOR');
        else this.replyError(err, virtual);
      } finally {
        cleanup();
        this.transfer = undefined;
        this.#armIdle();
        this.#pump();
      }
    })();
    this.transfer = transfer;
  }

  /** Verbs of the command table, for HELP. */
  commandNames(): string[] {
    return [...COMMANDS.keys()].sort();
  }

  #writable(): boolean {
    const stream = this.#stream;
    return !this.#closed && !stream.destroyed && !stream.writableEnded;
  }

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    for (const input of this.#splitter.push(chunk)) this.#queue.push(input);
    this.#armIdle();
    if (this.#queue.length >= QUEUE_PAUSE) this.#stream.pause();
    this.#pump();
  }

  /** Serves the next queued line unless one is being served; during a transfer only the urgent ones. */
  #pump(): void {
    if (this.#busy || this.#closed) return;
    let index = 0;
    if (this.transfer !== undefined) {
      index = this.#queue.findIndex(isUrgent);
      if (index < 0) return;
    } else if (this.#queue.length === 0) return;
    const [input] = this.#queue.splice(index, 1);
    if (this.#queue.length < QUEUE_PAUSE / 4 && this.#stream.isPaused()) this.#stream.resume();
    if (input === undefined) return;
    this.#busy = true;
    dispatchCommand(this, input)
      .catch((err: unknown) => this.replyError(err, this.cwd))
      .finally(() => {
        this.#busy = false;
        this.#pump();
      });
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#closed) return;
    const ms = this.config.timeouts.idle;
    this.#idleTimer = setTimeout(() => {
      if (this.transfer !== undefined || this.#busy) return this.#armIdle();
      this.close(421, `Idle timeout (${ms / 1000} s): closing control connection`);
    }, ms);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#loginTimer);
    if (this.transfer !== undefined) this.transfer.aborted = true;
    this.data.abort();
    this.#queue.length = 0;
    this.#stream.end();
    this.#ended?.();
  }
}
