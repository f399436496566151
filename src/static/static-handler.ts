import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, TandemError } from '../errors/catalogue.js';
import { errorReply } from '../http/error-reply.js';
import type { Handler, HttpReply } from '../http/handler.js';
import { splitTarget } from '../http/target.js';
import { type ListingEntry, renderListing } from './directory-listing.js';
import { type FileRequest, serveFile } from './file-reply.js';
import type { FoundFile } from './file-representation.js';
import { HotReplies } from './hot-replies.js';
import { type CanonicalPath, canonicalisePath, hasDotComponent, isInside } from './safe-path.js';
import { resolveOptions, type StaticConfig, type StaticOptions } from './static-options.js';

/**
 * The static layer as a Handler: the files under `options.root`, for GET and HEAD. A reply is a file (from
 * memory, a FileRange to send from disk, or chunks: multipart ranges, compressed on the fly), a 304, a
 * redirect to a directory's slash, a listing, or an error (400, 403, 405 with Allow, 412, 416) from the one
 * renderer, errorReply; null when nothing is there (a runner answers 404, a combinator asks the next
 * handler). The request path is the target's (splitTarget), still percent-encoded: mount it below a prefix
 * with `mount` and tell it the prefix (`options.prefix`) for the titles of its listings. Throws
 * STATIC_ROOT_INVALID when the root is not an existing directory, the index is not a plain file name, or a
 * size option is not a non-negative integer.
 */
export function files(options: StaticOptions): Handler {
  const config = resolveOptions(options);
  const hot = new HotReplies({ maxBytes: config.cache.maxBytes, validMs: config.cacheValidMs });
  return (req) => {
    const { path, query } = splitTarget(req.target);
    // A kept reply is answered in this same turn; only the full path costs a promise.
    const kept = hot.lookup(req.method, path, req.headers);
    if (kept !== undefined) return kept;
    const file: FileRequest = { method: req.method, path, headers: req.headers };
    return serve(config, hot, file, query).catch((err: unknown) => {
      if (err instanceof TandemError && err.status !== undefined) return errorReply(err, req.headers.accept);
      throw err;
    });
  };
}

async function serve(
  config: StaticConfig,
  hot: HotReplies,
  req: FileRequest,
  query: string,
): Promise<HttpReply | null> {
  const canonical = canonicalisePath(req.path);
  if (!config.dotfiles && canonical.segments.some((segment) => segment.startsWith('.'))) return null;
  // Invariant: segments hold no separator and no dot segment, so the join stays below root; checked anyway.
  const requested = join(config.root, ...canonical.segments);
  if (!isInside(config.root, requested)) throw errors.HTTP_BAD_REQUEST('path outside root');
  const found = await locate(config, requested, req.path);
  if (found === null) return null;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return errorReply(errors.HTTP_METHOD_NOT_ALLOWED(req.method, req.path), req.headers.accept, {
      allow: 'GET, HEAD',
    });
  }
  if (found.stats.isFile()) {
    if (canonical.trailingSlash) return null;
    const answer = await serveFile(config, req, found, requested, canonical.segments.at(-1) ?? '');
    if (answer.keep !== undefined) hot.remember(req.path, req.headers, answer.keep);
    return answer.reply;
  }
  if (!found.stats.isDirectory()) return null;
  if (!canonical.trailingSlash) return redirectToDirectory(canonical, query);
  if (config.index !== '') {
    const indexPath = join(requested, config.index);
    const index = await locate(config, indexPath, req.path);
    if (index?.stats.isFile()) {
      const answer = await serveFile(config, req, index, indexPath, config.index);
      if (answer.keep !== undefined) hot.remember(req.path, req.headers, answer.keep);
      return answer.reply;
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
function redirectToDirectory(canonical: CanonicalPath, query: string): HttpReply {
  const last = canonical.segments.at(-1) ?? '';
  // The query is the client's bytes: anything but visible ASCII is percent-encoded so the header stays valid.
  const kept = query.replace(/[^!-~]/g, (ch) => encodeURIComponent(ch));
  const location = `${encodeURIComponent(last)}/${kept === '' ? '' : `?${kept}`}`;
  const text = `Moved Permanently: ${location}\n`;
  return {
    status: 301,
    headers: {
      location,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-content-type-options': 'nosniff',
    },
    body: text,
  };
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
): Promise<HttpReply> {
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
      'content-type': 'text/html; charset=utf-8',
      'content-length': String(Buffer.byteLength(html)),
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'",
    },
    // A HEAD gets the head alone (the runner would drop the body anyway).
    body: method === 'HEAD' ? null : html,
  };
}
