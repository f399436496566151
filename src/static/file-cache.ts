import type { BigIntStats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { type Compression, compressBuffer } from './content-coding.js';

/** Which bytes of a file a cache entry holds: the file as it is, or compressed with a coding. */
export type CachedVariant = 'raw' | Compression;

/** Sizes of a FileCache. */
export interface FileCacheOptions {
  /** Files larger than this many bytes are not cached; default 1 MiB; 0 turns the cache off. */
  maxFileSize?: number;
  /** The most bytes all entries together hold; default 32 MiB. */
  maxBytes?: number;
}

/** What identifies one version of a file: a change of any of these means the cached bytes are stale. */
type FileVersion = Pick<BigIntStats, 'size' | 'mtimeNs' | 'ino'>;

interface Entry {
  readonly version: FileVersion;
  readonly data: Buffer;
}

/**
 * Default FileCacheOptions.maxFileSize: 1 MiB. A file served from memory goes out in one write with its head
 * (one copy, kernel to socket) where one streamed from disk costs a read into a buffer and a write per chunk:
 * about 3× the CPU for a 1 MiB file. Every connection sending a cached file shares its one buffer.
 */
export const DEFAULT_CACHE_MAX_FILE_SIZE = 1024 * 1024;
/** Default FileCacheOptions.maxBytes: 32 MiB. */
export const DEFAULT_CACHE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * A bounded in-memory cache of small files and of their compressed variants, least recently used evicted
 * first. The caller stats the file on every request and passes the stats in; an entry is used only while the
 * file's size, mtimeNs and inode still match, else the file is read again.
 */
export class FileCache {
  readonly maxFileSize: number;
  readonly maxBytes: number;
  /** Map order is recency order: the first key is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  constructor(options: FileCacheOptions = {}) {
    this.maxFileSize = options.maxFileSize ?? DEFAULT_CACHE_MAX_FILE_SIZE;
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  /** Bytes held by all entries. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Number of entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** True when a file of these stats is small enough to be served from the cache. */
  accepts(stats: FileVersion): boolean {
    return this.maxFileSize > 0 && stats.size <= BigInt(this.maxFileSize);
  }

  /**
   * The bytes of `variant` of the file at `path` whose current stats are `stats`: from the cache when the
   * entry is of this version of the file, else read (and compressed) now and cached. Bytes read that do not
   * match `stats.size` (the file changed meanwhile) are returned but not cached.
   */
  async load(path: string, stats: FileVersion, variant: CachedVariant): Promise<Buffer> {
    const key = `${variant}:${path}`;
    const hit = this.#entries.get(key);
    if (hit !== undefined && sameVersion(hit.version, stats)) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.data;
    }
    if (hit !== undefined) this.#remove(key, hit);
    const raw = variant === 'raw' ? await readFile(path) : await this.load(path, stats, 'raw');
    const data = variant === 'raw' ? raw : await compressBuffer(variant, raw);
    if (BigInt(raw.length) === stats.size && this.accepts(stats))
      this.#store(key, { version: pickVersion(stats), data });
    return data;
  }

  #store(key: string, entry: Entry): void {
    if (entry.data.length > this.maxBytes) return;
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#remove(key, previous);
    for (const [oldest, old] of this.#entries) {
      if (this.#bytes + entry.data.length <= this.maxBytes) break;
      this.#remove(oldest, old);
    }
    this.#entries.set(key, entry);
    this.#bytes += entry.data.length;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.data.length;
  }
}

function sameVersion(a: FileVersion, b: FileVersion): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}

function pickVersion(stats: FileVersion): FileVersion {
  return { size: stats.size, mtimeNs: stats.mtimeNs, ino: stats.ino };
}
