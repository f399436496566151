import { realpathSync, type Stats, statSync } from 'node:fs';
import { errors } from '../errors/catalogue.js';
import { DEFAULT_MAX_RANGES } from './byte-range.js';
import { DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_FILE_SIZE, FileCache } from './file-cache.js';
import { DEFAULT_VALID_MS } from './hot-replies.js';

/** Options of a static handler; validated once and frozen by files(). */
export interface StaticOptions {
  /** The directory served; resolved with realpath once, at creation. */
  root: string;
  /** File served for a directory path ending in '/'; default 'index.html'; '' for none. */
  index?: string;
  /** Serve an HTML listing of a directory that has no index; default false. */
  listing?: boolean;
  /**
   * The URL path prefix the handler is mounted at (`/assets/`, still percent-encoded), for the titles of its
   * listings; default '/'. The request paths it gets are below it (`/app.js` for `/assets/app.js`).
   */
  prefix?: string;
  /** Serve names starting with '.'; default false (they are not found). */
  dotfiles?: boolean;
  /** Follow symlinks whose real path leaves root; default false (they are 403). */
  followSymlinks?: boolean;
  /** A Cache-Control value added to file replies and 304s. */
  cacheControl?: string;
  /** Compress compressible types on the fly for clients that accept br or gzip; default true. */
  compress?: boolean;
  /** Serve a fresh `name.br` / `name.gz` beside `name` to clients that accept that coding; default true. */
  precompressed?: boolean;
  /** Smallest file, in bytes, compressed on the fly; default 1024. */
  compressMinSize?: number;
  /** Files up to this many bytes are served from memory; default 1048576 (1 MiB); 0 turns the cache off. */
  cacheMaxFileSize?: number;
  /** The most bytes the in-memory cache holds, compressed variants included; default 32 MiB. */
  cacheMaxBytes?: number;
  /**
   * For how many milliseconds a small file's reply is answered from memory without looking at the file on
   * disk again (nginx's open_file_cache_valid): a file changed on disk is served fresh at most this late;
   * default 1000; 0 looks on every request.
   */
  cacheValidMs?: number;
  /** More ranges than this in one request get the whole file (200); default 16. */
  maxRanges?: number;
}

/** The resolved, frozen options a handler runs with, and its file cache. */
export interface StaticConfig {
  readonly root: string;
  readonly index: string;
  readonly listing: boolean;
  /** The mount prefix, decoded for display (`/assets/`). */
  readonly prefix: string;
  readonly dotfiles: boolean;
  readonly followSymlinks: boolean;
  readonly cacheControl: string | undefined;
  readonly compress: boolean;
  readonly precompressed: boolean;
  readonly compressMinSize: number;
  readonly maxRanges: number;
  readonly cacheValidMs: number;
  readonly cache: FileCache;
}

/** The mount prefix decoded for display; STATIC_ROOT_INVALID unless it starts and ends with '/'. */
function displayPrefix(root: string, prefix: string): string {
  if (!prefix.startsWith('/') || !prefix.endsWith('/')) {
    throw errors.STATIC_ROOT_INVALID(root, `prefix "${prefix}" must start and end with "/"`);
  }
  try {
    return decodeURIComponent(prefix);
  } catch {
    throw errors.STATIC_ROOT_INVALID(root, `prefix "${prefix}" has malformed percent-encoding`);
  }
}

/**
 * Validates `options` and resolves the root with realpath. Throws STATIC_ROOT_INVALID when the root is not an
 * existing directory, the index is not a plain file name, or a size option is not a non-negative integer.
 */
export function resolveOptions(options: StaticOptions): StaticConfig {
  let root: string;
  let rootStats: Stats;
  try {
    root = realpathSync(options.root);
    rootStats = statSync(root);
  } catch (err) {
    throw errors.STATIC_ROOT_INVALID(options.root, (err as Error).message);
  }
  if (!rootStats.isDirectory()) throw errors.STATIC_ROOT_INVALID(options.root, 'not a directory');
  const index = options.index ?? 'index.html';
  if (/[/\\\0]/.test(index) || /^\.+$/.test(index)) {
    throw errors.STATIC_ROOT_INVALID(options.root, `index "${index}" must be a plain file name`);
  }
  const count = (name: keyof StaticOptions, fallback: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw errors.STATIC_ROOT_INVALID(options.root, `${name} must be a non-negative integer`);
    }
    return value;
  };
  return Object.freeze({
    root,
    index,
    listing: options.listing ?? false,
    prefix: displayPrefix(options.root, options.prefix ?? '/'),
    dotfiles: options.dotfiles ?? false,
    followSymlinks: options.followSymlinks ?? false,
    cacheControl: options.cacheControl,
    compress: options.compress ?? true,
    precompressed: options.precompressed ?? true,
    compressMinSize: count('compressMinSize', 1024),
    maxRanges: count('maxRanges', DEFAULT_MAX_RANGES),
    cacheValidMs: count('cacheValidMs', DEFAULT_VALID_MS),
    cache: new FileCache({
      maxFileSize: count('cacheMaxFileSize', DEFAULT_CACHE_MAX_FILE_SIZE),
      maxBytes: count('cacheMaxBytes', DEFAULT_CACHE_MAX_BYTES),
    }),
  });
}
