import type { FileHandle } from 'node:fs/promises';
import { connect, isIPv4, type Server, type Socket } from 'node:net';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errors, TandemError } from '../errors/catalogue.js';
import { pumpFileHandle } from '../file-transfer/file-pump.js';
import { sinkToFile } from '../file-transfer/file-sink.js';
import { CopyError, canCopySocketToFile, copySocketToFile } from '../file-transfer/socket-to-file.js';
import { canonicalAddress, type DataTarget } from './data-address.js';
import { isLocalFileError } from './ftp-replies.js';
import { listenPassive } from './passive-ports.js';

/** Bytes per read and write of sendFile. */
const FILE_CHUNK = 1024 * 1024;

/** Options of a DataChannel, taken from the server config (`passive`, `timeouts.data`). */
export interface DataChannelOptions {
  portMin: number;
  portMax: number;
  /** masquerade IPv4 for PASV replies */
  address?: string;
  /** ms to connect and max stall while transferring */
  timeout: number;
  /** Called with the peer address of each passive data connection refused for coming from a foreign host. */
  onRefused?: (address: string) => void;
}

/** The control connection's addresses, as the socket reports them. */
export interface ControlAddresses {
  localAddress: string;
  remoteAddress: string;
  family: 'IPv4' | 'IPv6';
}

interface Waiter {
  resolve: (socket: Socket) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Transfer {
  socket: Socket;
  aborted: boolean;
  stalled: boolean;
  /** Stops work this process does not see through the socket (a copier process). */
  stop?: () => void;
}

/**
 * The data connection of one control session (RFC 959 §3.2), from its setup to the end of the one transfer it
 * serves: PASV/EPSV listen, PORT/EPRT remember where to connect, `open()` yields the socket, `send`/`receive`
 * move the bytes over it (stalls, aborts and the graceful close included), `abort()` ends it all. Setup and
 * transfer share one state (a socket handed out stays owned until its transfer ends), hence one class.
 * Security (DESIGN.md, FTP): passive connections from another host than the client are refused
 * (CVE-1999-0351); active connections only go to the client's own address and ports >= 1024 (CVE-2020-15152).
 */
export class DataChannel {
  #local: string;
  #remote: string;
  #options: DataChannelOptions;
  #server: Server | undefined;
  #target: DataTarget | undefined;
  /** A passive connection accepted before `open()` asked for it. */
  #accepted: Socket | undefined;
  /** An active connection being set up. */
  #connecting: Socket | undefined;
  /** The socket handed out by `open()`, until its transfer ends. */
  #socket: Socket | undefined;
  #waiter: Waiter | undefined;
  #transfer: Transfer | undefined;
  /** Passive data sockets accepted paused that nothing has read from yet. */
  readonly #unread = new WeakSet<Socket>();
  /** Sockets whose transfer completed, waiting for the peer's FIN. */
  #lingering = new Set<Socket>();
  #prepared = false;
  /** Bumped by every reset so a PASV that finishes listening after an abort knows it lost. */
  #generation = 0;

  constructor(control: ControlAddresses, options: DataChannelOptions) {
    this.#local = canonicalAddress(control.localAddress);
    this.#remote = canonicalAddress(control.remoteAddress);
    this.#options = options;
  }

  /** True between PASV/EPSV/PORT/EPRT and the end of the transfer that used it. */
  get prepared(): boolean {
    return this.#prepared;
  }

  /** The passive listener's port while one listens (for STAT and tests), else undefined. */
  get passivePort(): number | undefined {
    const address = this.#server?.listening ? this.#server.address() : null;
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /**
   * PASV: listens on a port of the range on the control connection's local address; resolves with the 227 text
   * `Entering Passive Mode (h1,h2,h3,h4,p1,p2)` (masquerade address if set). An IPv6 control connection rejects
   * with FTP_NETWORK_PROTOCOL (522): PASV can only name an IPv4 address.
   */
  async passive(): Promise<string> {
    const shown = this.#options.address ?? this.#local;
    if (!isIPv4(this.#local)) throw errors.FTP_NETWORK_PROTOCOL('PASV on an IPv6 connection, use EPSV');
    if (!isIPv4(shown)) throw errors.FTP_PASSIVE_UNAVAILABLE(`masquerade address ${shown} is not IPv4`);
    const port = await this.#listen();
    return `Entering Passive Mode (${shown.split('.').join(',')},${port >> 8},${port & 255})`;
  }

  /** EPSV: as passive (any address family), resolves with the 229 text `Entering Extended Passive Mode (|||port|)`. */
  async extendedPassive(): Promise<string> {
    const port = await this.#listen();
    return `Entering Extended Passive Mode (|||${port}|)`;
  }

  /**
   * PORT/EPRT: remembers host/port to connect to; throws FTP_PORT_REFUSED when host is not the control's remote
   * address or port < 1024 (no FTP bounce, CVE-2020-15152).
   */
  active(host: string, port: number): void {
    const canonical = canonicalAddress(host);
    if (canonical !== this.#remote) throw errors.FTP_PORT_REFUSED(host, port, 'not the client address');
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw errors.FTP_PORT_REFUSED(host, port, 'port must be 1024-65535');
    }
    this.#release();
    this.#target = { host: canonical, port };
    this.#prepared = true;
  }

  /**
   * The connected data socket for the next transfer: accepts the passive connection (refusing and closing any
   * connection whose remote address is not the control's remote address, and continuing to wait) or connects
   * actively; rejects with FTP_NO_DATA_CONNECTION (425) after `timeout` or without PASV/PORT first, with
   * FTP_TRANSFER_ABORTED on abort(). One call per PASV/PORT.
   */
  open(): Promise<Socket> {
    if (this.#waiter !== undefined || this.#socket !== undefined || this.#transfer !== undefined) {
      return Promise.reject(errors.FTP_NO_DATA_CONNECTION('a data connection is already in use'));
    }
    if (this.#accepted !== undefined) {
      const socket = this.#accepted;
      this.#accepted = undefined;
      this.#socket = socket;
      return Promise.resolve(socket);
    }
    if (this.#server === undefined && this.#target === undefined) {
      return Promise.reject(errors.FTP_NO_DATA_CONNECTION('use PORT or PASV first'));
    }
    return new Promise<Socket>((resolve, reject) => {
      const ms = this.#options.timeout;
      const timer = setTimeout(() => {
        this.#waiter = undefined;
        this.#release();
        reject(errors.FTP_NO_DATA_CONNECTION(`no data connection within ${ms} ms`));
      }, ms);
      this.#waiter = { resolve, reject, timer };
      if (this.#target !== undefined) this.#connect(this.#target);
    });
  }

  /**
   * Sends a readable (file stream or listing) over the data socket with backpressure, ends the socket after
   * the last byte (half-close) and resolves with the bytes sent once they are flushed; rejects with
   * FTP_TRANSFER_ABORTED, FTP_TRANSFER_STALLED (no progress for `timeout`) or FTP_TRANSFER_FAILED (peer reset).
   */
  async send(socket: Socket, source: Readable): Promise<number> {
    await this.#run(socket, () => pipeline(source, socket));
    return socket.bytesWritten;
  }

  /**
   * Sends bytes [start, end] of an open file as send() does, through a few reused 1 MiB buffers instead of a
   * fresh buffer per read (measured: twice the throughput and half the CPU of a read stream on 1 GiB). The
   * handle stays open.
   */
  async sendFile(socket: Socket, file: FileHandle, start: number, end: number): Promise<number> {
    await this.#run(socket, () => pumpFileHandle(file, start, end, socket, { chunkSize: FILE_CHUNK }));
    return socket.bytesWritten;
  }

  /**
   * Receives from the data socket into a writable (file) with backpressure; resolves with the bytes received
   * once the peer has ended and the sink has finished; rejects as send() does.
   */
  async receive(socket: Socket, sink: Writable): Promise<number> {
    await this.#run(socket, () => pipeline(socket, sink));
    return socket.bytesRead;
  }

  /**
   * Receives into an open file from byte `position` on (null: appends) as receive() does, gathering the
   * socket's chunks into 1 MiB writes (see sinkToFile). The handle stays open.
   */
  async receiveFile(socket: Socket, file: FileHandle, position: number | null): Promise<number> {
    let bytes = 0;
    if (position === null && this.#unread.has(socket) && canCopySocketToFile()) {
      // A passive socket nothing has read yet, into a file opened for appending: the kernel can do it all.
      await this.#run(
        socket,
        async (transfer) => {
          const copy = copySocketToFile(socket, file, this.#options.timeout);
          transfer.stop = () => copy.abort();
          try {
            bytes = await copy.done;
          } catch (err) {
            if (err instanceof CopyError && err.kind === 'stalled') {
              throw errors.FTP_TRANSFER_STALLED(this.#options.timeout);
            }
            throw err;
          }
        },
        { watchSocket: false },
      );
      return bytes;
    }
    await this.#run(socket, async () => {
      bytes = await sinkToFile(socket, file, position);
    });
    return bytes;
  }

  /**
   * ABOR / session end: destroys any listener and socket; a pending open/send/receive rejects with
   * FTP_TRANSFER_ABORTED. Also the way to drop a prepared channel that will not be used. The channel can be
   * prepared again afterwards.
   */
  abort(): void {
    const transfer = this.#transfer;
    if (transfer !== undefined) {
      transfer.aborted = true;
      transfer.stop?.();
      transfer.socket.destroy();
      // Detach now so a PASV right after ABOR is not undone when the failed pipeline settles.
      this.#transfer = undefined;
      this.#socket = undefined;
    }
    this.#release();
    for (const socket of this.#lingering) socket.destroy();
    this.#lingering.clear();
  }

  async #listen(): Promise<number> {
    this.#release();
    const generation = this.#generation;
    const { server, port } = await listenPassive(this.#local, this.#options.portMin, this.#options.portMax);
    if (generation !== this.#generation) {
      server.close();
      throw errors.FTP_TRANSFER_ABORTED();
    }
    server.on('connection', (socket) => this.#onConnection(socket));
    server.on('error', () => this.#closeServer());
    this.#server = server;
    this.#prepared = true;
    return port;
  }

  #onConnection(socket: Socket): void {
    socket.on('error', ignore);
    this.#unread.add(socket); // accepted paused (pauseOnConnect): not a byte read by this process yet
    const peer = socket.remoteAddress ?? '';
    if (canonicalAddress(peer) !== this.#remote || this.#server === undefined) {
      this.#options.onRefused?.(peer);
      socket.destroy();
      return;
    }
    // One data connection per PASV: stop listening as soon as the client's own connection arrives.
    this.#closeServer();
    const waiter = this.#waiter;
    if (waiter === undefined) {
      this.#accepted = socket;
      return;
    }
    this.#waiter = undefined;
    clearTimeout(waiter.timer);
    this.#socket = socket;
    waiter.resolve(socket);
  }

  #connect(target: DataTarget): void {
    const socket = connect({ host: target.host, port: target.port, localAddress: this.#local });
    this.#connecting = socket;
    socket.on('error', ignore);
    const fail = (err: Error) => {
      const waiter = this.#waiter;
      if (waiter === undefined || this.#connecting !== socket) return;
      this.#waiter = undefined;
      clearTimeout(waiter.timer);
      this.#release();
      waiter.reject(errors.FTP_NO_DATA_CONNECTION(err.message));
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      const waiter = this.#waiter;
      if (waiter === undefined || this.#connecting !== socket) return void socket.destroy();
      this.#waiter = undefined;
      clearTimeout(waiter.timer);
      this.#connecting = undefined;
      this.#target = undefined;
      this.#socket = socket;
      waiter.resolve(socket);
    });
  }

  /**
   * Runs one transfer over `socket`. `watchSocket` false: the bytes do not pass through this process (a
   * copier watches for stalls itself), so the socket's own timeout is not used and it is closed at the end
   * rather than left to linger.
   */
  async #run(
    socket: Socket,
    move: (transfer: Transfer) => Promise<void>,
    { watchSocket = true }: { watchSocket?: boolean } = {},
  ): Promise<void> {
    if (this.#transfer !== undefined) throw errors.FTP_TRANSFER_FAILED('another transfer is running');
    this.#unread.delete(socket);
    const transfer: Transfer = { socket, aborted: false, stalled: false };
    this.#transfer = transfer;
    this.#socket = socket;
    const onTimeout = () => {
      transfer.stalled = true;
      socket.destroy();
    };
    if (watchSocket) socket.setTimeout(this.#options.timeout, onTimeout);
    try {
      await move(transfer);
    } catch (err) {
      if (transfer.aborted) throw errors.FTP_TRANSFER_ABORTED();
      if (transfer.stalled) throw errors.FTP_TRANSFER_STALLED(this.#options.timeout);
      if (err instanceof TandemError) throw err;
      // The file's own failure (EIO, ENOSPC, EFBIG ...) is a local error, 451 or 452 (RFC 959), not 426.
      if (isLocalFileError(err)) throw err;
      throw errors.FTP_TRANSFER_FAILED((err as Error).message);
    } finally {
      socket.off('timeout', onTimeout);
      if (this.#transfer === transfer) {
        this.#transfer = undefined;
        this.#socket = undefined;
        this.#prepared = false;
      }
    }
    if (transfer.aborted) throw errors.FTP_TRANSFER_ABORTED();
    if (watchSocket) this.#linger(socket);
    else socket.destroy(); // the peer has closed (the copier saw its end); the descriptor was shared
  }

  /** Lets a finished data socket close gracefully once the peer ends too, or destroys it after `timeout`. */
  #linger(socket: Socket): void {
    if (socket.destroyed) return;
    this.#lingering.add(socket);
    socket.once('close', () => this.#lingering.delete(socket));
    socket.setTimeout(this.#options.timeout, () => socket.destroy());
    socket.end();
    // Drain anything the peer still sends so closing never turns into a reset.
    socket.resume();
  }

  /** Forgets the prepared listener/target and any connection not yet in a transfer. */
  #release(): void {
    this.#generation++;
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter !== undefined) {
      clearTimeout(waiter.timer);
      waiter.reject(errors.FTP_TRANSFER_ABORTED());
    }
    this.#closeServer();
    this.#target = undefined;
    this.#accepted?.destroy();
    this.#accepted = undefined;
    this.#connecting?.destroy();
    this.#connecting = undefined;
    if (this.#transfer === undefined) {
      this.#socket?.destroy();
      this.#socket = undefined;
      this.#prepared = false;
    }
  }

  #closeServer(): void {
    this.#server?.close();
    this.#server = undefined;
  }
}

function ignore(): void {}
