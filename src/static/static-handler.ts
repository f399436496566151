import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, TandemError } from '../errors/catalogue.js';
import { type ListingEntry, renderListing } from './directory-listing.js';
import { serveFile } from './file-reply.js';
import type { FoundFile } from './file-representation.js';
import { HotReplies } from './hot-replies.js';
import { type CanonicalPath, canonicalisePath, hasDotComponent, isInside } from './safe-path.js';
import { resolveOptions, type StaticConfig, type StaticOptions } from './static-options.js';
import { errorReply, type StaticReply, textReply } from './static-reply.js';

export type { StaticOptions } from './static-options.js';
export {
  openStaticBody,
  type StaticBody,
  type StaticCompressedBody,
  type StaticFileBody,
  type StaticMultipartBody,
  type StaticReply,
  textReply,
} from './static-reply.js';

/** A request as the static handler sees it, whatever transport brought it. */
export interface StaticRequest {
  /** `GET` or `HEAD`; any other method on an existing file gets 405 with `Allow: GET, HEAD`. */
  method: string;
  /** The URL path, still percent-encoded, without the query string, starting with '/'. */
  path: string;
  /** The query string with its '?' (`?x=1`), or '' / undefined when there is none; kept by redirects. */
  query?: string;
  /** Request header fields by lower-case name. */
  headers: Record<string, string | string[] | undefined>;
}

/** A static file handler: a reply, or null when nothing exists at that path (404 or fall through to routes). */
export type StaticHandler = (req: StaticRequest) => Promise<StaticReply | null>;

/**
 * Creates the static file handler for `options.root`. Throws STATIC_ROOT_INVALID when the root is not an
 * existing directory, the index is not a plain file name, or a size option is not a non-negative integer.
 */
export function createStaticHandler(options: StaticOptions): StaticHandler {
  const config = resolveOptions(options);
  const hot = new HotReplies({ maxBytes: config.cache.maxBytes });
  return async (req) => {
    const kept = hot.lookup(req.method, req.path, req.headers);
    if (kept !== undefined) return kept;
    try {
      return await serve(config, hot, req);
    } catch (err) {
      if (err instanceof TandemError && err.status !== undefined) return errorReply(err, req.method);
      throw err;
    }
  };
}

async function serve(config: StaticConfig, hot: HotReplies, req: StaticRequest): Promise<StaticReply | null> {
  const canonical = canonicalisePath(req.path);
  if (!config.dotfiles && canonical.segments.some((segment) => segment.startsWith('.'))) return null;
  // Invariant: segments hold no separator and no dot segment, so the join stays below root; checked anyway.
  const requested = join(config.root, ...canonical.segments);
  if (!isInside(config.root, requested)) throw errors.HTTP_BAD_REQUEST('path outside root');
  const found = await locate(config, requested, req.path);
  if (found === null) return null;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return errorReply(errors.HTTP_METHOD_NOT_ALLOWED(req.method, req.path), req.method, {
      Allow: 'GET, HEAD',
    });
  }
  if (found.stats.isFile()) {
    if (canonical.trailingSlash) return null;
    const reply = await serveFile(config, req, found, requested, canonical.segments.at(-1) ?? '');
    hot.remember(req.method, req.path, req.headers, requested, found.stats, reply);
    return reply;
  }
  if (!found.stats.isDirectory()) return null;
  if (!canonical.trailingSlash) return redirectToDirectory(canonical, req.method, req.query ?? '');
  if (config.index !== '') {
    const indexPath = join(requested, config.index);
    const index = await locate(config, indexPath, req.path);
    if (index?.stats.isFile()) {
      const reply = await serveFile(config, req, index, indexPath, config.index);
      hot.remember(req.method, req.path, req.headers, indexPath, index.stats, reply);
      return reply;
    }
  }
  if (config.listing) return listDirectory(config, found.real, canonical, req.method);
  return null;
}

/**
 * The real path and stats of `path`, or null when nothing is there. Throws HTTP_FORBIDDEN when the real path
 * leaves root (unless followSymlinks) or the file cannot be read; a symlink onto a dotfile is not found.
 */
async function locate(config: StaticConfig, path: string, requestPath: string): Promise<FoundFile | null> {
  try {
    const real = await realpath(path);
    if (isInside(config.root, real)) {
      if (!config.dotfiles && hasDotComponent(config.root, real)) return null;
    } else if (!config.followSymlinks) {
      throw errors.HTTP_FORBIDDEN(requestPath);
    }
    return { real, stats: await stat(real, { bigint: true }) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP') return null;
    if (code === 'EACCES' || code === 'EPERM') throw errors.HTTP_FORBIDDEN(requestPath);
    throw err;
  }
}

/**
 * 301 to the directory with a trailing slash, keeping the query (`dir?x=1` → `dir/?x=1`, as nginx and
 * python's http.server). The Location is relative and only the last segment, re-encoded, so it cannot name
 * another host (`//evil`) or a scheme (`javascript:`): no open redirect.
 */
function redirectToDirectory(canonical: CanonicalPath, method: string, query: string): StaticReply {
  const last = canonical.segments.at(-1) ?? '';
  // The query is the client's bytes: anything but visible ASCII is percent-encoded so the header stays valid.
  const kept = query.replace(/[^!-~]/g, (ch) => encodeURIComponent(ch));
  const location = `${encodeURIComponent(last)}/${kept}`;
  return textReply(301, `Moved Permanently: ${location}\n`, method, { Location: location });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A file name's text, or undefined when its bytes are not UTF-8. */
function utf8Name(raw: Buffer): string | undefined {
  try {
    return utf8.decode(raw);
  } catch {
    return undefined;
  }
}

/**
 * The listing entry of `name` in `dir` as a request for it would find it (locate): left out when it is not
 * found (gone, a dangling symlink, a symlink onto a dotfile) or would be refused (403: a symlink that leads
 * out of root), so every link of a listing can be fetched.
 */
async function listingEntry(
  config: StaticConfig,
  dir: string,
  name: string,
): Promise<ListingEntry | undefined> {
  try {
    const found = await locate(config, join(dir, name), name);
    if (found === null) return undefined;
    const { stats } = found;
    return { name, isDirectory: stats.isDirectory(), size: Number(stats.size), mtime: stats.mtime };
  } catch (err) {
    if (err instanceof TandemError) return undefined;
    throw err;
  }
}

async function listDirectory(
  config: StaticConfig,
  dir: string,
  canonical: CanonicalPath,
  method: string,
): Promise<StaticReply> {
  // Names that are not UTF-8 are left out: a link to one could not be fetched, since paths are decoded as
  // UTF-8 (an invalid sequence is a 400) and looked up as strings.
  const names = (await readdir(dir, { encoding: 'buffer' }))
    .map(utf8Name)
    .filter((name): name is string => name !== undefined)
    .filter((name) => config.dotfiles || !name.startsWith('.'));
  const entries = (await Promise.all(names.map((name) => listingEntry(config, dir, name)))).filter(
    (entry): entry is ListingEntry => entry !== undefined,
  );
  const below = canonical.segments.length === 0 ? '' : `${canonical.segments.join('/')}/`;
  const html = renderListing(`${config.prefix}${below}`, entries);
  return {
    status: 200,
    headers: {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(html)),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'",
    },
    body: method === 'HEAD' ? null : html,
  };
}
