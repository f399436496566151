import type { ClientAddress, HeaderMap } from '../http/handler.js';

/** Size of every frame header: u32 length, u8 type, u8 flags, u32 stream id (docs/protocol.md §2). */
export const HEADER_SIZE = 10;

/** Frame types of protocol version 1 (docs/protocol.md §4). */
export const FrameType = {
  HELLO: 0,
  HEAD: 1,
  DATA: 2,
  WINDOW: 3,
  ABORT: 4,
  PING: 5,
  GOAWAY: 6,
} as const;

/** Frame flag bits. */
export const FrameFlag = { END_STREAM: 0x1, ACK: 0x2 } as const;

/** Error codes carried by ABORT and GOAWAY (docs/protocol.md §7). */
export const ErrorCode = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  FRAME_SIZE_ERROR: 4,
  REFUSED_STREAM: 5,
  CANCEL: 6,
  UNSUPPORTED_VERSION: 7,
  TIMEOUT: 8,
} as const;

/** The name of an error code, for messages and logs. */
export function errorCodeName(code: number): string {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name;
  return `INTERNAL_ERROR(${code})`;
}

/** Names of frame types, for messages. */
export const FRAME_NAMES = ['HELLO', 'HEAD', 'DATA', 'WINDOW', 'ABORT', 'PING', 'GOAWAY'] as const;

/** Largest value a u32 length or a window may take here (docs/protocol.md §4.1). */
export const MAX_U31 = 0x7fffffff;

const EMPTY = Buffer.alloc(0);

/** One decoded frame; `payload` may share memory with the bytes that were pushed. */
export interface Frame {
  type: number;
  flags: number;
  stream: number;
  payload: Buffer;
}

/** A connection error found while decoding or checking frames: an error code and a message naming the problem. */
export interface FrameError {
  code: number;
  message: string;
}

/** Writes a frame header into `target` at `offset`. */
export function writeHeader(
  target: Buffer,
  offset: number,
  length: number,
  type: number,
  flags: number,
  stream: number,
) {
  target.writeUInt32BE(length, offset);
  target[offset + 4] = type;
  target[offset + 5] = flags;
  target.writeUInt32BE(stream, offset + 6);
}

/** Encodes a whole frame (header and a copy of the payload) into one buffer. */
export function encodeFrame(type: number, flags: number, stream: number, payload?: Uint8Array): Buffer {
  const length = payload?.length ?? 0;
  const buf = Buffer.allocUnsafe(HEADER_SIZE + length);
  writeHeader(buf, 0, length, type, flags, stream);
  if (payload !== undefined) buf.set(payload, HEADER_SIZE);
  return buf;
}

/** Encodes a frame whose payload is `value` as JSON, with one allocation. */
export function encodeJsonFrame(type: number, flags: number, stream: number, value: unknown): Buffer {
  const text = JSON.stringify(value);
  const length = Buffer.byteLength(text);
  const buf = Buffer.allocUnsafe(HEADER_SIZE + length);
  writeHeader(buf, 0, length, type, flags, stream);
  buf.write(text, HEADER_SIZE, length, 'utf8');
  return buf;
}

/** Encodes a payload that is a list of u32 values followed by optional UTF-8 text (WINDOW, ABORT, GOAWAY). */
export function encodeCodeFrame(type: number, stream: number, numbers: number[], text = ''): Buffer {
  const textLength = Buffer.byteLength(text);
  const length = numbers.length * 4 + textLength;
  const buf = Buffer.allocUnsafe(HEADER_SIZE + length);
  writeHeader(buf, 0, length, type, 0, stream);
  let offset = HEADER_SIZE;
  for (const n of numbers) {
    buf.writeUInt32BE(n >>> 0, offset);
    offset += 4;
  }
  buf.write(text, offset, textLength, 'utf8');
  return buf;
}

/**
 * A streaming frame decoder. Bytes may arrive in any chunking; each complete frame is handed to `onFrame`.
 * It never throws on bad input and never holds more than one frame of at most `maxFrameSize` bytes plus the
 * unread rest of the last chunk: a frame longer than the limit or of an unknown type is reported as a
 * FrameError the moment its header is read, and the decoder stops.
 */
export class FrameDecoder {
  readonly #maxFrameSize: number;
  #chunks: Buffer[] = [];
  #offset = 0; // read position in #chunks[0]
  #buffered = 0;
  #length = -1; // payload length of the frame whose header was read; -1 while reading a header
  #type = 0;
  #flags = 0;
  #stream = 0;
  #error: FrameError | undefined;
  readonly #splitData: boolean;

  /**
   * `splitData`: hand DATA payloads on in pieces as they arrive (views of the read chunks, END_STREAM on the
   * last piece only) instead of assembling each frame first; nothing is copied and at most a header is held.
   */
  constructor(maxFrameSize: number, options: { splitData?: boolean } = {}) {
    this.#maxFrameSize = maxFrameSize;
    this.#splitData = options.splitData ?? false;
  }

  /** Bytes held and not yet decoded. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Feeds bytes; calls `onFrame` for each complete frame. Returns the error that stopped decoding, if any. */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): FrameError | undefined {
    if (this.#error !== undefined) return this.#error;
    if (chunk.length === 0) return undefined;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    for (;;) {
      if (this.#length < 0) {
        if (this.#buffered < HEADER_SIZE) return undefined;
        const header = this.#take(HEADER_SIZE);
        const length = header.readUInt32BE(0);
        const type = header[4] as number;
        if (length > this.#maxFrameSize) {
          return this.#fail(
            ErrorCode.FRAME_SIZE_ERROR,
            `frame length ${length} exceeds maxFrameSize ${this.#maxFrameSize}`,
          );
        }
        if (type >= FRAME_NAMES.length)
          return this.#fail(ErrorCode.PROTOCOL_ERROR, `unknown frame type ${type}`);
        this.#length = length;
        this.#type = type;
        this.#flags = header[5] as number;
        this.#stream = header.readUInt32BE(6);
      }
      if (this.#splitData && this.#type === FrameType.DATA && this.#length > 0) {
        if (this.#buffered === 0) return undefined;
        const first = this.#chunks[0] as Buffer;
        const n = Math.min(this.#length, first.length - this.#offset);
        const piece = this.#take(n);
        this.#length -= n;
        const last = this.#length === 0;
        if (last) this.#length = -1;
        const flags = last ? this.#flags : this.#flags & ~FrameFlag.END_STREAM;
        onFrame({ type: FrameType.DATA, flags, stream: this.#stream, payload: piece });
        if (this.#error !== undefined) return this.#error;
        continue;
      }
      if (this.#buffered < this.#length) return undefined;
      const payload = this.#take(this.#length);
      this.#length = -1;
      onFrame({ type: this.#type, flags: this.#flags, stream: this.#stream, payload });
      if (this.#error !== undefined) return this.#error;
    }
  }

  /** Stops decoding with `error`; later pushes return it. */
  fail(error: FrameError): FrameError {
    this.#error = error;
    this.#chunks = [];
    this.#buffered = 0;
    return error;
  }

  #fail(code: number, message: string): FrameError {
    return this.fail({ code, message });
  }

  /** Removes `n` buffered bytes: a view into one chunk when they lie in it, else one copy. */
  #take(n: number): Buffer {
    if (n === 0) return EMPTY;
    this.#buffered -= n;
    const first = this.#chunks[0] as Buffer;
    const available = first.length - this.#offset;
    if (available >= n) {
      const out = first.subarray(this.#offset, this.#offset + n);
      this.#offset += n;
      if (this.#offset === first.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0] as Buffer;
      const count = Math.min(chunk.length - this.#offset, n - filled);
      chunk.copy(out, filled, this.#offset, this.#offset + count);
      filled += count;
      this.#offset += count;
      if (this.#offset === chunk.length) {
        this.#chunks.shift();
        this.#offset = 0;
      }
    }
    return out;
  }
}

/** The request head httpserver sends for each stream (docs/protocol.md §4.2); `method` and `info` are the seed's keys. */
export interface RequestHead {
  method: string;
  /** The request target as received: path and query. */
  info: string;
  version: string;
  scheme: string;
  client: ClientAddress;
  /** Lower-case names; hop-by-hop headers removed, x-forwarded-* added. */
  headers: HeaderMap;
}

/** A response head after checking: numeric status, headers always present. */
export interface CheckedResponseHead {
  status: number;
  headers: HeaderMap;
  data: string | undefined;
}

function checkHeaders(value: unknown): HeaderMap | string {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return '"headers" must be an object';
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'string') continue;
    if (Array.isArray(v) && v.every((item) => typeof item === 'string')) continue;
    return `header "${name}" must be a string or an array of strings`;
  }
  return value as HeaderMap;
}

/** Checks a request head (docs/protocol.md §4.2); returns it, or a message naming the bad key. */
export function checkRequestHead(value: Record<string, unknown>): RequestHead | string {
  const { method, info } = value;
  if (typeof method !== 'string' || method.length === 0) return '"method" must be a non-empty string';
  if (typeof info !== 'string' || info.length === 0) return '"info" must be a non-empty string';
  const headers = checkHeaders(value.headers);
  if (typeof headers === 'string') return headers;
  const client = value.client as { address?: unknown; port?: unknown } | undefined;
  if (client !== undefined && (typeof client !== 'object' || client === null))
    return '"client" must be an object';
  return {
    method,
    info,
    version: typeof value.version === 'string' ? value.version : '1.1',
    scheme: typeof value.scheme === 'string' ? value.scheme : 'http',
    client: {
      address: typeof client?.address === 'string' ? client.address : '',
      port: typeof client?.port === 'number' ? client.port : 0,
    },
    headers,
  };
}

/** Checks a response head (docs/protocol.md §4.3); returns it, or a message naming the bad key. */
export function checkResponseHead(
  value: Record<string, unknown>,
  endStream: boolean,
): CheckedResponseHead | string {
  const raw = value.status;
  const status = typeof raw === 'string' && /^\d{3}$/.test(raw) ? Number(raw) : raw;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return `"status" must be an HTTP status from 200 to 599, got ${JSON.stringify(raw)}`;
  }
  const headers = checkHeaders(value.headers);
  if (typeof headers === 'string') return headers;
  const data = value.data;
  if (data !== undefined && typeof data !== 'string') return '"data" must be a string';
  if (data !== undefined && !endStream) return 'a HEAD with "data" must carry END_STREAM';
  return { status, headers, data };
}

/** A field name is a token (RFC 9110 §5.1, §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters no field value may hold (RFC 9110 §5.5): controls other than HTAB, DEL, and anything above U+00FF. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * What makes `headers` unfit for an HTTP/1.1 response head, naming the header (never its value, which may
 * hold a client's input), or undefined when every name is a token and no value holds CR, LF or another
 * control character. A header that fails here would split the response or make node:http throw.
 */
export function headerProblem(headers: HeaderMap | undefined): string | undefined {
  for (const name in headers) {
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a token`;
    const value = headers[name]!;
    const values = typeof value === 'string' ? [value] : value;
    for (const v of values) {
      if (INVALID_VALUE.test(v))
        return `header "${name}" has a control character (CR, LF, NUL…) in its value`;
    }
  }
  return undefined;
}

/**
 * The `content-length` a head declares (its name in any case): a number, undefined when there is none, or a
 * message when it is not one run of digits (a list such as `1, 2` included: RFC 9110 §8.6).
 */
export function declaredLength(headers: HeaderMap | undefined): number | undefined | string {
  for (const name in headers) {
    if (name.length !== 14 || name.toLowerCase() !== 'content-length') continue;
    const value = headers[name]!;
    if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
      return `content-length ${JSON.stringify(value)} is not a number of bytes`;
    }
    return Number(value);
  }
  return undefined;
}
