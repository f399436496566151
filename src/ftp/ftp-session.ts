import type { Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../log/logger.js';
import type { ConnectionInfo } from '../net/types.js';
import { canonicalAddress } from './data-address.js';
import { DataChannel } from './data-channel.js';
import { type CommandContext, initialCommandState, type Transfer } from './ftp-command-context.js';
import { dispatchCommand, isUrgent } from './ftp-commands.js';
import { type ControlInput, ControlLineSplitter } from './ftp-commands-reader.js';
import type { FtpServerConfig, FtpUser } from './ftp-config.js';
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

/** A transfer as the session tracks it: ABOR and the session's end mark it aborted. */
interface RunningTransfer extends Transfer {
  aborted: boolean;
  done: Promise<void>;
}

/** Queued lines beyond which the control connection stops reading until they are served. */
const QUEUE_PAUSE = 32;

/**
 * One FTP control connection (RFC 959): greets, reads command lines, serves them one at a time through the
 * command table and replies through one writer. A transfer runs in the background; while it does, only ABOR,
 * STAT, NOOP and QUIT are served and other commands wait for it to end (vsftpd reads nothing else during a
 * transfer either). Enforces the login and idle timeouts. Commands see it only through its CommandContext.
 */
export class FtpSession {
  readonly #services: SessionServices;
  readonly #config: FtpServerConfig;
  readonly #info: ConnectionInfo;
  readonly #data: DataChannel;
  readonly #context: CommandContext;
  #user: string | undefined;
  #anonymous = false;
  #writable = false;
  #jail: FtpJail;
  #cwd = '/';
  #transfer: RunningTransfer | undefined;
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
    this.#info = info;
    this.#services = services;
    const config = services.config;
    this.#config = config;
    this.#jail = services.rootJail;
    const socket = stream as Partial<Socket>;
    const local = canonicalAddress(socket.localAddress ?? config.host);
    const family = isIPv6(local) ? 'IPv6' : 'IPv4';
    this.#data = new DataChannel(
      { localAddress: local, remoteAddress: info.remoteAddress, family },
      {
        portMin: config.passive.portMin,
        portMax: config.passive.portMax,
        address: config.passive.address,
        timeout: config.timeouts.data,
        onRefused: (from) =>
          services.log.warn(
            { client: info.remoteAddress, from },
            'refused a data connection from another address',
          ),
      },
    );
    this.#context = this.#commandContext(family);
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
      this.#reply(220, 'Tandem FTP ready');
      this.#loginTimer = setTimeout(
        () =>
          this.close(
            421,
            `Login timeout (${this.#config.timeouts.login / 1000} s): closing control connection`,
          ),
        this.#config.timeouts.login,
      );
      this.#armIdle();
      stream.resume();
    });
  }

  /** Sends a last reply (421, 221) and closes the control connection, aborting any transfer. */
  close(code: number, text: string): void {
    this.#reply(code, text);
    this.#finish();
  }

  /** The session as its commands see it (see CommandContext). */
  #commandContext(family: 'IPv4' | 'IPv6'): CommandContext {
    const session = this;
    return {
      config: this.#config,
      log: this.#services.log,
      client: this.#info.remoteAddress,
      family,
      data: this.#data,
      state: initialCommandState(),
      get user() {
        return session.#user;
      },
      get anonymous() {
        return session.#anonymous;
      },
      get writable() {
        return session.#writable;
      },
      get jail() {
        return session.#jail;
      },
      get cwd() {
        return session.#cwd;
      },
      get transfer() {
        return session.#transfer;
      },
      get closed() {
        return session.#closed;
      },
      reply: (code, text) => this.#reply(code, text),
      replyLines: (code, first, lines, last) => {
        if (this.#writableStream()) this.#stream.write(formatMultiline(code, first, lines, last));
      },
      replyError: (err, virtual) => this.#replyError(err, virtual),
      close: (code, text) => this.close(code, text),
      logIn: (user) => this.#logIn(user),
      resolvePath: async (arg, mustExist) => {
        try {
          return await this.#jail.check(this.#cwd, arg, mustExist);
        } catch (err) {
          this.#replyError(err, arg);
          return undefined;
        }
      },
      enter: (path: JailPath) => {
        this.#cwd = path.virtual;
      },
      startTransfer: (verb, virtual, opening, move, cleanup) =>
        this.#startTransfer(verb, virtual, opening, move, cleanup),
      abortTransfer: () => {
        const done = this.#transfer?.done ?? Promise.resolve();
        this.#abortTransfer();
        return done;
      },
    };
  }

  #reply(code: number, text: string): void {
    if (this.#writableStream()) this.#stream.write(formatReply(code, text));
  }

  #replyError(err: unknown, virtual: string): void {
    const { code, text } = errorReply(err, virtual);
    if (code === 451)
      this.#services.log.error({ err, client: this.#info.remoteAddress }, `FTP command failed on ${virtual}`);
    this.#reply(code, text);
  }

  #logIn(user: FtpUser | 'anonymous'): void {
    const anonymous = user === 'anonymous';
    this.#user = anonymous ? 'anonymous' : user.name;
    this.#jail = anonymous ? this.#services.rootJail : this.#services.jailFor(user);
    this.#cwd = '/';
    this.#anonymous = anonymous;
    this.#writable = !anonymous && user.write;
    clearTimeout(this.#loginTimer);
  }

  #startTransfer(
    verb: string,
    virtual: string,
    opening: string,
    move: (socket: Socket) => Promise<number>,
    cleanup: () => void,
  ): void {
    this.#reply(150, opening);
    const transfer: RunningTransfer = { verb, virtual, aborted: false, done: Promise.resolve() };
    const started = Date.now();
    transfer.done = (async () => {
      try {
        const socket = await this.#data.open();
        const bytes = await move(socket);
        this.#services.log.info(
          { client: this.#info.remoteAddress, user: this.#user, bytes, ms: Date.now() - started },
          `${verb} ${virtual}`,
        );
        this.#reply(226, `Transfer complete: ${bytes} bytes`);
      } catch (err) {
        this.#data.abort();
        if (transfer.aborted) this.#reply(426, 'Connection closed; transfer aborted by ABOR');
        else this.#replyError(err, virtual);
      } finally {
        cleanup();
        this.#transfer = undefined;
        this.#armIdle();
        this.#pump();
      }
    })();
    this.#transfer = transfer;
  }

  /** Marks the running transfer (if any) aborted and tears down the data connection. */
  #abortTransfer(): void {
    if (this.#transfer !== undefined) this.#transfer.aborted = true;
    this.#data.abort();
  }

  #writableStream(): boolean {
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
    if (this.#transfer !== undefined) {
      index = this.#queue.findIndex(isUrgent);
      if (index < 0) return;
    } else if (this.#queue.length === 0) return;
    const [input] = this.#queue.splice(index, 1);
    if (this.#queue.length < QUEUE_PAUSE / 4 && this.#stream.isPaused()) this.#stream.resume();
    if (input === undefined) return;
    this.#busy = true;
    dispatchCommand(this.#context, input)
      .catch((err: unknown) => this.#replyError(err, this.#cwd))
      .finally(() => {
        this.#busy = false;
        this.#pump();
      });
  }

  #armIdle(): void {
    clearTimeout(this.#idleTimer);
    if (this.#closed) return;
    const ms = this.#config.timeouts.idle;
    this.#idleTimer = setTimeout(() => {
      if (this.#transfer !== undefined || this.#busy) return this.#armIdle();
      this.close(421, `Idle timeout (${ms / 1000} s): closing control connection`);
    }, ms);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#loginTimer);
    this.#abortTransfer();
    this.#queue.length = 0;
    this.#stream.end();
    this.#ended?.();
  }
}
