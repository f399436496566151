import { connect, isIPv4, type Server, type Socket } from 'node:net';
import { errors } from '../errors/catalogue.js';
import { canonicalAddress, type DataTarget } from './data-address.js';
import { listenPassive } from './passive-ports.js';

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

/**
 * The connection setup half of a DataChannel: PASV/EPSV listen, PORT/EPRT remember where to connect, `open()`
 * yields the socket and holds it until the channel reports its transfer ended. Security (DESIGN.md, FTP):
 * passive connections from another host than the client are refused (CVE-1999-0351); active connections only
 * go to the client's own address and ports >= 1024 (CVE-2020-15152).
 */
export class DataConnector {
  #local: string;
  #remote: string;
  #options: DataChannelOptions;
  /** True while the owning channel runs a transfer: release() then leaves the handed-out socket alone. */
  #busy: () => boolean;
  #server: Server | undefined;
  #target: DataTarget | undefined;
  /** A passive connection accepted before `open()` asked for it. */
  #accepted: Socket | undefined;
  /** An active connection being set up. */
  #connecting: Socket | undefined;
  /** The socket handed out by `open()`, until its transfer ends. */
  #socket: Socket | undefined;
  #waiter: Waiter | undefined;
  /** Passive data sockets accepted paused that nothing has read from yet. */
  readonly #unread = new WeakSet<Socket>();
  #prepared = false;
  /** Bumped by every reset so a PASV that finishes listening after an abort knows it lost. */
  #generation = 0;

  constructor(control: ControlAddresses, options: DataChannelOptions, busy: () => boolean) {
    this.#local = canonicalAddress(control.localAddress);
    this.#remote = canonicalAddress(control.remoteAddress);
    this.#options = options;
    this.#busy = busy;
  }

  /** True between PASV/EPSV/PORT/EPRT and the end of the transfer that used it. */
  get prepared(): boolean {
    return this.#prepared;
  }

  /** The passive listener's port while one listens, else undefined. */
  get passivePort(): number | undefined {
    const address = this.#server?.listening ? this.#server.address() : null;
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** PASV: see DataChannel.passive. */
  async passive(): Promise<string> {
    const shown = this.#options.address ?? this.#local;
    if (!isIPv4(this.#local)) throw errors.FTP_NETWORK_PROTOCOL('PASV on an IPv6 connection, use EPSV');
    if (!isIPv4(shown)) throw errors.FTP_PASSIVE_UNAVAILABLE(`masquerade address ${shown} is not IPv4`);
    const port = await this.#listen();
    return `Entering Passive Mode (${shown.split('.').join(',')},${port >> 8},${port & 255})`;
  }

  /** EPSV: see DataChannel.extendedPassive. */
  async extendedPassive(): Promise<string> {
    const port = await this.#listen();
    return `Entering Extended Passive Mode (|||${port}|)`;
  }

  /** PORT/EPRT: see DataChannel.active. */
  active(host: string, port: number): void {
    const canonical = canonicalAddress(host);
    if (canonical !== this.#remote) throw errors.FTP_PORT_REFUSED(host, port, 'not the client address');
    if (!Number.isInteger(port) || port < 1024 || port > 65535) {
      throw errors.FTP_PORT_REFUSED(host, port, 'port must be 1024-65535');
    }
    this.release();
    this.#target = { host: canonical, port };
    this.#prepared = true;
  }

  /** The data socket for the next transfer: see DataChannel.open (which checks for a running transfer first). */
  open(): Promise<Socket> {
    if (this.#waiter !== undefined || this.#socket !== undefined) {
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
        this.release();
        reject(errors.FTP_NO_DATA_CONNECTION(`no data connection within ${ms} ms`));
      }, ms);
      this.#waiter = { resolve, reject, timer };
      if (this.#target !== undefined) this.#connect(this.#target);
    });
  }

  /** True for a passive socket accepted paused that nothing has read from yet. */
  isUnread(socket: Socket): boolean {
    return this.#unread.has(socket);
  }

  /** A transfer starts reading or writing `socket`: it is the socket in use and no longer unread. */
  transferStarted(socket: Socket): void {
    this.#unread.delete(socket);
    this.#socket = socket;
  }

  /** The transfer over the handed-out socket ended (or was aborted): the setup it used is spent. */
  transferEnded(): void {
    this.#socket = undefined;
    this.#prepared = false;
  }

  /** Forgets the prepared listener/target and any connection not yet in a transfer. */
  release(): void {
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
    if (!this.#busy()) {
      this.#socket?.destroy();
      this.#socket = undefined;
      this.#prepared = false;
    }
  }

  async #listen(): Promise<number> {
    this.release();
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
      this.release();
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

  #closeServer(): void {
    this.#server?.close();
    this.#server = undefined;
  }
}

function ignore(): void {}
