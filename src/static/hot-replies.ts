import { type BigIntStats, statSync } from 'node:fs';
import type { HeaderMap, HttpReply } from '../http/handler.js';

/** Request header fields that make a reply depend on more than the path: such requests skip HotReplies. */
const SELECTING_FIELDS = [
  'range',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'if-range',
];

/** What identifies one version of a file: the same device and inode with the same size and mtime. */
type FileIdentity = Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs'>;

interface HotEntry {
  /** The path stat'ed to revalidate: the file as asked for, below root (symlinks followed by stat). */
  readonly diskPath: string;
  readonly identity: FileIdentity;
  /** When (performance.now()) the file was last seen unchanged on disk. */
  checkedAt: number;
  /** True when the reply is the identity representation of a type that has compressed ones too. */
  readonly varies: boolean;
  readonly reply: KeptReply;
}

/** A reply HotReplies keeps: its body is bytes in memory. */
interface KeptReply extends HttpReply {
  readonly body: Uint8Array;
}

/** Sizes of a HotReplies. */
export interface HotRepliesOptions {
  /** The most replies kept; default 1,000. */
  maxEntries?: number;
  /** The most body bytes all kept replies hold together; default 16 MiB. */
  maxBytes?: number;
  /**
   * For how many milliseconds a reply is used without looking at its file again once the file was seen
   * unchanged (nginx's open_file_cache_valid); default DEFAULT_VALID_MS; 0 looks on every request.
   */
  validMs?: number;
}

/** Default HotRepliesOptions.validMs: a file changed on disk is served fresh at most this late. */
export const DEFAULT_VALID_MS = 1000;

/**
 * Finished 200 replies to plain `GET`s of small files served from memory, kept by request path so that the
 * next plain GET of the same path is answered without resolving the path, choosing a representation or
 * building headers again. A reply is used without a look at the disk for `validMs` after its file was last
 * seen unchanged; after that the next request stats the file (synchronously: one system call on a path the
 * kernel has just resolved, cheaper than a trip to the thread pool) and the reply is used only while that
 * stat names the same device, inode, size and mtime as when the reply was made: the same file, unchanged.
 * So a file changed on disk is served fresh at most `validMs` later, as with nginx's open_file_cache_valid.
 * Requests with Range or conditional fields, HEAD, and requests with Accept-Encoding for a type that has
 * compressed representations always take the full path. Oldest entries are dropped first.
 */
export class HotReplies {
  readonly #entries = new Map<string, HotEntry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #validMs: number;
  #bytes = 0;

  constructor(options: HotRepliesOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#validMs = options.validMs ?? DEFAULT_VALID_MS;
  }

  /** Number of replies kept. */
  get size(): number {
    return this.#entries.size;
  }

  /** The kept reply for this request when the request is plain and the file unchanged, else undefined. */
  lookup(method: string, path: string, headers: Readonly<HeaderMap>): HttpReply | undefined {
    if (method !== 'GET') return undefined;
    const entry = this.#entries.get(path);
    if (entry === undefined || !isPlain(headers)) return undefined;
    if (entry.varies && headers['accept-encoding'] !== undefined) return undefined;
    const now = performance.now();
    if (now - entry.checkedAt < this.#validMs) return entry.reply;
    const stats = statSync(entry.diskPath, { bigint: true, throwIfNoEntry: false });
    if (stats !== undefined && sameIdentity(entry.identity, stats)) {
      entry.checkedAt = now;
      return entry.reply;
    }
    this.#delete(path, entry);
    return undefined;
  }

  /**
   * Keeps `reply` for later plain GETs of `path` if it can be reused: a 200 to a plain GET, identity coding,
   * body in memory; `stats` are those of `diskPath` the reply was made from. The reply must not be changed
   * afterwards (its headers are frozen here).
   */
  remember(
    method: string,
    path: string,
    headers: Readonly<HeaderMap>,
    diskPath: string,
    stats: BigIntStats,
    reply: HttpReply,
  ): void {
    if (method !== 'GET' || reply.status !== 200 || !isKept(reply)) return;
    if (reply.headers?.['content-encoding'] !== undefined || !isPlain(headers)) return;
    const varies = reply.headers?.vary !== undefined;
    if (varies && headers['accept-encoding'] !== undefined) return;
    const size = reply.body.length;
    if (size > this.#maxBytes) return;
    const previous = this.#entries.get(path);
    if (previous !== undefined) this.#delete(path, previous);
    for (const [oldest, old] of this.#entries) {
      if (this.#entries.size < this.#maxEntries && this.#bytes + size <= this.#maxBytes) break;
      this.#delete(oldest, old);
    }
    if (reply.headers !== undefined) Object.freeze(reply.headers);
    const identity = { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs };
    // The stats were taken while the reply was made, a moment ago: the file counts as seen now.
    const checkedAt = performance.now();
    this.#entries.set(path, { diskPath, identity, checkedAt, varies, reply: Object.freeze(reply) });
    this.#bytes += size;
  }

  #delete(path: string, entry: HotEntry): void {
    this.#entries.delete(path);
    this.#bytes -= entry.reply.body.length;
  }
}

function isKept(reply: HttpReply): reply is KeptReply {
  return reply.body instanceof Uint8Array;
}

function isPlain(headers: Readonly<HeaderMap>): boolean {
  for (const name of SELECTING_FIELDS) if (headers[name] !== undefined) return false;
  return true;
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.size === b.size && a.dev === b.dev;
}
