import { Duplex } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { deserializeError, type SerializedError, serializeError } from '../errors/serialized-error.js';
import type { ConnectionInfo } from './types.js';

/**
 * A message on a connection's MessagePort, the same both ways: `data` carries bytes (a transferred
 * ArrayBuffer), `ack` says how many of them the other side has consumed, `end` is a half-close, `destroy` an
 * abortive close. `done` goes from the worker to the main thread once the handler has finished.
 */
export type PortMessage =
  | { t: 'data'; b: ArrayBuffer }
  | { t: 'ack'; n: number }
  | { t: 'end' }
  | { t: 'destroy'; error?: SerializedError }
  | { t: 'done' };

/**
 * The flow-control window: bytes a sender may have in flight unacknowledged before it stops (pauses the
 * socket, or holds a Duplex write callback) until the other side acks what it consumed.
 */
export const PORT_WINDOW = 1024 * 1024;

/** The bytes of `chunk` in an ArrayBuffer of their own, safe to transfer (copied unless the view is all of it). */
export function toTransferable(chunk: Uint8Array): ArrayBuffer {
  const buffer = chunk.buffer;
  if (buffer instanceof ArrayBuffer && chunk.byteOffset === 0 && chunk.byteLength === buffer.byteLength)
    return buffer;
  const copy = new ArrayBuffer(chunk.byteLength);
  new Uint8Array(copy).set(chunk);
  return copy;
}

/**
 * Posts `data` as a `data` message with its buffer transferred; returns the byte count. `own` says the view is
 * the caller's to give away (a socket's chunk); otherwise the bytes are copied first.
 */
export function postData(port: MessagePort, data: Uint8Array, own: boolean): number {
  const b = own ? toTransferable(data) : toTransferable(new Uint8Array(data));
  const n = b.byteLength; // read before the transfer detaches the buffer
  port.postMessage({ t: 'data', b } satisfies PortMessage, [b]);
  return n;
}

/**
 * A Duplex over a MessagePort, the worker thread's end of a connection whose socket stays in the main thread.
 * It looks enough like a net.Socket for Node's http.Server (`server.emit('connection', duplex)`): addresses
 * come from the ConnectionInfo, `setTimeout` works as on a socket, `setNoDelay`/`setKeepAlive` do nothing.
 * Half-closes go both ways; writes wait once PORT_WINDOW bytes are unacknowledged.
 */
export class PortDuplex extends Duplex {
  /** The peer's address, as a net.Socket has it. */
  readonly remoteAddress: string | undefined;
  /** The peer's port. */
  readonly remotePort: number | undefined;
  /** IPv4 or IPv6 for TCP peers. */
  readonly remoteFamily: string | undefined;
  /** Unknown on this side of the port. */
  readonly localAddress: string | undefined = undefined;
  /** Unknown on this side of the port. */
  readonly localPort: number | undefined = undefined;
  readonly #port: MessagePort;
  #unacked = 0;
  #owed = 0;
  #blockedWrite: (() => void) | undefined;
  #sentEnd = false;
  #remoteEnded = false;
  #timeoutMs = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(port: MessagePort, info: ConnectionInfo) {
    super({ allowHalfOpen: true, decodeStrings: true });
    this.#port = port;
    const ip = info.transport === 'tcp' || info.transport === 'udp';
    this.remoteAddress = ip ? info.remoteAddress : undefined;
    this.remotePort = ip ? info.remotePort : undefined;
    this.remoteFamily = ip ? (info.remoteAddress.includes(':') ? 'IPv6' : 'IPv4') : undefined;
    port.on('message', (message: PortMessage) => this.#receive(message));
    this.once('end', () => this.#ack());
    port.once('close', () => {
      this.#remoteEnded = true;
      this.destroy();
    });
  }

  /** Emits 'timeout' after `ms` without reads or writes, as net.Socket does; 0 turns it off. */
  setTimeout(ms: number, callback?: () => void): this {
    this.#timeoutMs = ms;
    if (callback !== undefined) {
      if (ms === 0) this.removeListener('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#touch();
    return this;
  }

  /** Does nothing: Nagle is the main thread socket's business. */
  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  /** Does nothing: keep-alive probes are the main thread socket's business. */
  setKeepAlive(_enable?: boolean, _initialDelay?: number): this {
    return this;
  }

  /** Does nothing, as on a socket that holds no handle. */
  ref(): this {
    return this;
  }

  /** Does nothing, as on a socket that holds no handle. */
  unref(): this {
    return this;
  }

  /** Ends the stream and destroys it once the writes are flushed (as net.Socket#destroySoon). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once('finish', () => this.destroy());
  }

  override _read(): void {
    this.#ack();
  }

  /** Acks what was pushed and has been read since (also at the end: _read is not called after it). */
  #ack(): void {
    if (this.#owed > 0) {
      this.#post({ t: 'ack', n: this.#owed });
      this.#owed = 0;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#touch();
    // The chunk may still belong to the writer, so it is copied before its buffer is transferred.
    this.#unacked += postData(this.#port, chunk, false);
    if (this.#unacked < PORT_WINDOW) callback();
    else this.#blockedWrite = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.#sentEnd = true;
    this.#post({ t: 'end' });
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.#timer);
    // A clean close (both sides ended) leaves the socket to flush and close by itself.
    if (!(this.#sentEnd && this.#remoteEnded)) {
      this.#post(error === null ? { t: 'destroy' } : { t: 'destroy', error: serializeError(error) });
    }
    this.#port.removeAllListeners('message');
    const blocked = this.#blockedWrite;
    this.#blockedWrite = undefined;
    blocked?.();
    callback(error);
  }

  #receive(message: PortMessage): void {
    switch (message.t) {
      case 'data': {
        this.#touch();
        const n = message.b.byteLength;
        if (this.push(Buffer.from(message.b))) this.#post({ t: 'ack', n });
        else this.#owed += n;
        return;
      }
      case 'ack': {
        this.#unacked -= message.n;
        const blocked = this.#blockedWrite;
        if (blocked !== undefined && this.#unacked < PORT_WINDOW) {
          this.#blockedWrite = undefined;
          blocked();
        }
        return;
      }
      case 'end':
        this.#remoteEnded = true;
        this.push(null);
        return;
      case 'destroy':
        this.#remoteEnded = true;
        this.destroy(message.error === undefined ? undefined : deserializeError(message.error));
        return;
      case 'done':
        return;
    }
  }

  #post(message: PortMessage): void {
    this.#port.postMessage(message);
  }

  #touch(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#timeoutMs > 0 && !this.destroyed) {
      this.#timer = setTimeout(() => this.emit('timeout'), this.#timeoutMs);
      this.#timer.unref();
    }
  }
}
