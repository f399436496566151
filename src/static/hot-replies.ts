import { type BigIntStats, statSync } from 'node:fs';
import { fieldValue } from '../http/field-value.js';
import type { HeaderMap, HttpReply } from '../http/handler.js';
import { evaluatePreconditions, type Validators } from './conditional.js';

/**
 * Request header fields after which a kept reply is not the answer: a range or a precondition other than a
 * revalidation (If-None-Match, If-Modified-Since), which HotReplies answers itself.
 */
const UNKEPT_FIELDS = ['range', 'if-match', 'if-unmodified-since', 'if-range'];

/** What identifies one version of a file: the same device and inode with the same size and mtime. */
type FileIdentity = Pick<BigIntStats, 'dev' | 'ino' | 'size' | 'mtimeNs'>;

/** A reply HotReplies keeps: its body is bytes in memory. */
interface KeptReply extends HttpReply {
  readonly body: Uint8Array;
}

/**
 * A file whose state decided a representation: the path looked at (below root, before realpath) and the stats
 * seen there, undefined when nothing was there. The same stats again mean the same choice, so a kept reply
 * holds while every one of its sources does.
 */
export interface FileSource {
  readonly path: string;
  readonly stats: BigIntStats | undefined;
}

/**
 * What the static layer hands HotReplies for one representation of a file in memory: its 200 and its 304, the
 * validators revalidations are checked against, and the files whose state chose it.
 */
export interface KeptFile {
  /** The 200 to a GET without preconditions: the representation's bytes in memory. */
  readonly ok: HttpReply;
  /** The 304 a matching revalidation gets (RFC 9110 §15.4.5: validators, Cache-Control, Vary). */
  readonly notModified: HttpReply;
  readonly validators: Validators;
  /** The original file and each precompressed sibling looked at: the choice holds while none of them changes. */
  readonly sources: readonly FileSource[];
  /** True when the resource has other representations (Vary: Accept-Encoding): kept per Accept-Encoding. */
  readonly varies: boolean;
}

interface HotEntry {
  readonly path: string;
  /** The Accept-Encoding value it is kept for ('' for none); undefined when kept for any. */
  readonly encoding: string | undefined;
  readonly ok: KeptReply;
  readonly notModified: HttpReply;
  readonly validators: Validators;
  /** The paths stat'ed to revalidate and what they held (undefined: nothing), as when the replies were made. */
  readonly sources: readonly { readonly path: string; readonly identity: FileIdentity | undefined }[];
  /** When (performance.now()) the files were last seen unchanged on disk. */
  checkedAt: number;
}

/** Sizes of a HotReplies. */
export interface HotRepliesOptions {
  /** The most replies kept; default 1,000. */
  maxEntries?: number;
  /**
   * The most body bytes all kept replies hold together; default 16 MiB. A body kept for several
   * Accept-Encoding values counts once per value.
   */
  maxBytes?: number;
  /**
   * For how many milliseconds a reply is used without looking at its files again once they were seen
   * unchanged (nginx's open_file_cache_valid); default DEFAULT_VALID_MS; 0 looks on every request.
   */
  validMs?: number;
}

/** Default HotRepliesOptions.validMs: a file changed on disk is served fresh at most this late. */
export const DEFAULT_VALID_MS = 1000;

/**
 * Finished replies for small files served from memory, kept by request path and, for a resource with several
 * representations (Vary: Accept-Encoding), by the request's Accept-Encoding value, so that the next GET of the
 * same path with the same Accept-Encoding is answered without resolving the path, choosing a
 * representation (precompressed sibling, compressed or identity) or building headers again. A revalidation
 * (If-None-Match, If-Modified-Since) is answered from the kept replies too: the 304, or the 200 when the
 * client's copy is not the current one. HEAD and requests with Range, If-Range, If-Match or
 * If-Unmodified-Since take the full path.
 *
 * A reply is used without a look at the disk for `validMs` after its files were last seen unchanged; after
 * that the next request stats them again (synchronously: a system call each on paths the kernel has just
 * resolved, cheaper than a trip to the thread pool) and the reply is used only while every stat names the
 * same device, inode, size and mtime (or still nothing) as when the reply was made: the original file, and
 * each precompressed sibling the choice looked at, so a sibling that appears, changes or goes away is seen as
 * well as a changed original. So a file changed on disk is served fresh at most `validMs` later, as with
 * nginx's open_file_cache_valid. Oldest entries are dropped first.
 */
export class HotReplies {
  readonly #paths = new Map<string, PathEntries>();
  /** Every entry, oldest first. */
  readonly #entries = new Set<HotEntry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #validMs: number;
  #bytes = 0;

  constructor(options: HotRepliesOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1000;
    this.#maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
    this.#validMs = options.validMs ?? DEFAULT_VALID_MS;
  }

  /** Number of replies kept (one per path and Accept-Encoding value). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The kept reply for this request when there is one and its files are unchanged: the 200, or the 304 for a
   * revalidation that matches (RFC 9110 §13.2.2); undefined when the request takes the full path.
   */
  lookup(method: string, path: string, headers: Readonly<HeaderMap>): HttpReply | undefined {
    if (method !== 'GET') return undefined;
    for (const name of UNKEPT_FIELDS) if (headers[name] !== undefined) return undefined;
    const at = this.#paths.get(path);
    if (at === undefined) return undefined;
    // A resource with one representation is kept once (`any`), whatever the Accept-Encoding.
    const entry = at.byEncoding?.get(fieldValue(headers, 'accept-encoding') ?? '') ?? at.any;
    if (entry === undefined) return undefined;
    const now = performance.now();
    if (now - entry.checkedAt >= this.#validMs) {
      if (!unchanged(entry)) {
        this.#delete(entry);
        return undefined;
      }
      entry.checkedAt = now;
    }
    const ifNoneMatch = fieldValue(headers, 'if-none-match');
    const ifModifiedSince = fieldValue(headers, 'if-modified-since');
    if (ifNoneMatch === undefined && ifModifiedSince === undefined) return entry.ok;
    const outcome = evaluatePreconditions(method, { ifNoneMatch, ifModifiedSince }, entry.validators);
    return outcome === 'not-modified' ? entry.notModified : entry.ok;
  }

  /**
   * Keeps `kept` for later GETs of `path` with the Accept-Encoding of `headers` (any, when the
   * resource does not vary) if its 200 can be reused: a body in memory within maxBytes. The sources' stats
   * must be those the replies were made from; the replies must not be changed afterwards (they are frozen
   * here).
   */
  remember(path: string, headers: Readonly<HeaderMap>, kept: KeptFile): void {
    const { ok } = kept;
    if (ok.status !== 200 || !isKept(ok)) return;
    const size = ok.body.length;
    if (size > this.#maxBytes) return;
    const encoding = kept.varies ? (fieldValue(headers, 'accept-encoding') ?? '') : undefined;
    let at = this.#paths.get(path);
    const previous = encoding === undefined ? at?.any : at?.byEncoding?.get(encoding);
    if (previous !== undefined) this.#delete(previous);
    for (const oldest of this.#entries) {
      if (this.#entries.size < this.#maxEntries && this.#bytes + size <= this.#maxBytes) break;
      this.#delete(oldest);
    }
    freeze(ok);
    freeze(kept.notModified);
    const sources = kept.sources.map(({ path: source, stats }) => ({
      path: source,
      identity: stats === undefined ? undefined : identityOf(stats),
    }));
    // The stats were taken while the replies were made, a moment ago: the files count as seen now.
    const checkedAt = performance.now();
    const { notModified, validators } = kept;
    const entry: HotEntry = { path, encoding, ok, notModified, validators, sources, checkedAt };
    at = this.#paths.get(path);
    if (at === undefined) {
      at = { any: undefined, byEncoding: undefined };
      this.#paths.set(path, at);
    }
    if (encoding === undefined) {
      at.any = entry;
    } else {
      at.byEncoding ??= new Map();
      at.byEncoding.set(encoding, entry);
    }
    this.#entries.add(entry);
    this.#bytes += size;
  }

  #delete(entry: HotEntry): void {
    this.#entries.delete(entry);
    this.#bytes -= entry.ok.body.length;
    const at = this.#paths.get(entry.path);
    if (at === undefined) return;
    if (entry.encoding === undefined) {
      if (at.any === entry) at.any = undefined;
    } else if (at.byEncoding?.get(entry.encoding) === entry) {
      at.byEncoding.delete(entry.encoding);
      if (at.byEncoding.size === 0) at.byEncoding = undefined;
    }
    if (at.any === undefined && at.byEncoding === undefined) this.#paths.delete(entry.path);
  }
}

/** The kept replies of one request path: for any Accept-Encoding, or by Accept-Encoding value. */
interface PathEntries {
  any: HotEntry | undefined;
  byEncoding: Map<string, HotEntry> | undefined;
}

function isKept(reply: HttpReply): reply is KeptReply {
  return reply.body instanceof Uint8Array;
}

function freeze(reply: HttpReply): void {
  if (reply.headers !== undefined) Object.freeze(reply.headers);
  Object.freeze(reply);
}

/** True when every source of `entry` still holds what it held when the entry was made. */
function unchanged(entry: HotEntry): boolean {
  for (const { path, identity } of entry.sources) {
    const now = currentIdentity(path);
    if (now === undefined || identity === undefined) {
      if (now !== identity) return false;
    } else if (!sameIdentity(now, identity)) {
      return false;
    }
  }
  return true;
}

/** The stats of `path` (symlinks followed), or undefined when nothing can be stat'ed there. */
function currentIdentity(path: string): BigIntStats | undefined {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false });
  } catch {
    return undefined; // ENOTDIR, EACCES, ELOOP: nothing servable there, as the full path would find
  }
}

function identityOf(stats: FileIdentity): FileIdentity {
  return { dev: stats.dev, ino: stats.ino, size: stats.size, mtimeNs: stats.mtimeNs };
}

function sameIdentity(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.mtimeNs === b.mtimeNs && a.size === b.size && a.dev === b.dev;
}
