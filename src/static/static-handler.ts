import { type BigIntStats, createReadStream, realpathSync, type Stats, statSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { errors, TandemError } from '../errors/catalogue.js';
import { parseRange } from './byte-range.js';
import { evaluatePreconditions, ifRangeMatches, type Validators, validatorsFor } from './conditional.js';
import { renderListing } from './directory-listing.js';
import { contentTypeFor } from './mime-type.js';
import { type CanonicalPath, canonicalisePath, hasDotComponent, isInside } from './safe-path.js';

/** A request as the static handler sees it, whatever transport brought it. */
export interface StaticRequest {
  /** `GET` or `HEAD`; any other method on an existing file gets 405 with `Allow: GET, HEAD`. */
  method: string;
  /** The URL path, still percent-encoded, without the query string, starting with '/'. */
  path: string;
  /** Request header fields by lower-case name. */
  headers: Record<string, string | string[] | undefined>;
}

/** Options of a static handler; validated once and frozen by createStaticHandler. */
export interface StaticOptions {
  /** The directory served; resolved with realpath once, at creation. */
  root: string;
  /** File served for a directory path ending in '/'; default 'index.html'; '' for none. */
  index?: string;
  /** Serve an HTML listing of a directory that has no index; default false. */
  listing?: boolean;
  /** Serve names starting with '.'; default false (they are not found). */
  dotfiles?: boolean;
  /** Follow symlinks whose real path leaves root; default false (they are 403). */
  followSymlinks?: boolean;
  /** A Cache-Control value added to file replies and 304s. */
  cacheControl?: string;
}

/** A byte range of a file on disk, to be streamed by the caller: bytes [start, end], both inclusive. */
export interface StaticFileBody {
  path: string;
  start: number;
  end: number;
}

/** A reply of the static handler; the caller writes it to its transport (see openStaticBody). */
export interface StaticReply {
  status: number;
  headers: Record<string, string>;
  /** null: no body; string/Buffer: in memory; file: stream bytes [start, end] inclusive of that file. */
  body: null | string | Buffer | StaticFileBody;
}

/** A static file handler: a reply, or null when nothing exists at that path (404 or fall through to routes). */
export type StaticHandler = (req: StaticRequest) => Promise<StaticReply | null>;

interface Config {
  readonly root: string;
  readonly index: string;
  readonly listing: boolean;
  readonly dotfiles: boolean;
  readonly followSymlinks: boolean;
  readonly cacheControl: string | undefined;
}

/** Something found on disk: its real path and stats. */
interface Found {
  real: string;
  stats: BigIntStats;
}

/**
 * Creates the static file handler for `options.root`. Throws STATIC_ROOT_INVALID when the root is not an
 * existing directory or the index is not a plain file name.
 */
export function createStaticHandler(options: StaticOptions): StaticHandler {
  const config = resolveOptions(options);
  return async (req) => {
    try {
      return await serve(config, req);
    } catch (err) {
      if (err instanceof TandemError && err.status !== undefined) return errorReply(err, req.method);
      throw err;
    }
  };
}

/** The body of a reply as something to write: a Readable over the file range for file bodies, else the value. */
export function openStaticBody(reply: StaticReply): Readable | string | Buffer | null {
  const { body } = reply;
  if (body === null || typeof body === 'string' || Buffer.isBuffer(body)) return body;
  return createReadStream(body.path, { start: body.start, end: body.end });
}

function resolveOptions(options: StaticOptions): Config {
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
  return Object.freeze({
    root,
    index,
    listing: options.listing ?? false,
    dotfiles: options.dotfiles ?? false,
    followSymlinks: options.followSymlinks ?? false,
    cacheControl: options.cacheControl,
  });
}

async function serve(config: Config, req: StaticRequest): Promise<StaticReply | null> {
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
    return serveFile(config, req, found, canonical.segments.at(-1) ?? '');
  }
  if (!found.stats.isDirectory()) return null;
  if (!canonical.trailingSlash) return redirectToDirectory(canonical, req.method);
  if (config.index !== '') {
    const index = await locate(config, join(requested, config.index), req.path);
    if (index?.stats.isFile()) return serveFile(config, req, index, config.index);
  }
  if (config.listing) return listDirectory(config, found.real, canonical, req.method);
  return null;
}

/**
 * The real path and stats of `path`, or null when nothing is there. Throws HTTP_FORBIDDEN when the real path
 * leaves root (unless followSymlinks) or the file cannot be read; a symlink onto a dotfile is not found.
 */
async function locate(config: Config, path: string, requestPath: string): Promise<Found | null> {
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

function header(req: StaticRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function serveFile(config: Config, req: StaticRequest, found: Found, name: string): StaticReply {
  const size = Number(found.stats.size);
  const validators = validatorsFor(found.stats.size, found.stats.mtimeNs);
  const outcome = evaluatePreconditions(
    req.method,
    {
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifModifiedSince: header(req, 'if-modified-since'),
      ifUnmodifiedSince: header(req, 'if-unmodified-since'),
    },
    validators,
  );
  if (outcome === 'failed') return errorReply(errors.HTTP_PRECONDITION_FAILED(req.path), req.method);
  // §15.4.5: a 304 carries the validators and Cache-Control a 200 would have, and no content headers.
  if (outcome === 'not-modified')
    return { status: 304, headers: validatorHeaders(config, validators), body: null };

  const headers: Record<string, string> = {
    'Content-Type': contentTypeFor(name),
    'Accept-Ranges': 'bytes',
    'X-Content-Type-Options': 'nosniff',
    ...validatorHeaders(config, validators),
  };
  const head = req.method === 'HEAD';
  const rangeHeader = header(req, 'range');
  const ifRange = header(req, 'if-range');
  // §14.2: GET is the only method range handling is defined for; a stale If-Range means the whole file.
  if (
    req.method === 'GET' &&
    rangeHeader !== undefined &&
    (ifRange === undefined || ifRangeMatches(ifRange, validators))
  ) {
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      return errorReply(errors.HTTP_RANGE_NOT_SATISFIABLE(rangeHeader, size), req.method, {
        'Content-Range': `bytes */${size}`,
      });
    }
    if (range.kind === 'range') {
      headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
      headers['Content-Length'] = String(range.end - range.start + 1);
      return { status: 206, headers, body: { path: found.real, start: range.start, end: range.end } };
    }
  }
  headers['Content-Length'] = String(size);
  if (head) return { status: 200, headers, body: null };
  return {
    status: 200,
    headers,
    body: size === 0 ? Buffer.alloc(0) : { path: found.real, start: 0, end: size - 1 },
  };
}

function validatorHeaders(config: Config, validators: Validators): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: validators.etag,
    'Last-Modified': new Date(validators.lastModified).toUTCString(),
  };
  if (config.cacheControl !== undefined) headers['Cache-Control'] = config.cacheControl;
  return headers;
}

/**
 * 301 to the directory with a trailing slash. The Location is relative and only the last segment,
 * re-encoded, so it cannot name another host (`//evil`) or a scheme (`javascript:`): no open redirect.
 */
function redirectToDirectory(canonical: CanonicalPath, method: string): StaticReply {
  const last = canonical.segments.at(-1) ?? '';
  const location = `${encodeURIComponent(last)}/`;
  return textReply(301, `Moved Permanently: ${location}\n`, method, { Location: location });
}

async function listDirectory(
  config: Config,
  dir: string,
  canonical: CanonicalPath,
  method: string,
): Promise<StaticReply> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((entry) => config.dotfiles || !entry.name.startsWith('.'))
    .map((entry) => ({ name: entry.name, isDirectory: entry.isDirectory() }));
  const displayPath = canonical.segments.length === 0 ? '/' : `/${canonical.segments.join('/')}/`;
  const html = renderListing(displayPath, entries);
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

function errorReply(err: TandemError, method: string, extra: Record<string, string> = {}): StaticReply {
  return textReply(err.status ?? 500, `${err.message}\n`, method, extra);
}

/** A short plain-text reply (no body for HEAD), as the static layer answers errors and redirects. */
export function textReply(
  status: number,
  text: string,
  method: string,
  extra: Record<string, string> = {},
): StaticReply {
  return {
    status,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      'X-Content-Type-Options': 'nosniff',
      ...extra,
    },
    body: method === 'HEAD' ? null : text,
  };
}
