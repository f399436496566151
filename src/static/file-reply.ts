import { errors } from '../errors/catalogue.js';
import { type ByteRange, parseRange, planRanges } from './byte-range.js';
import { evaluatePreconditions, ifRangeMatches } from './conditional.js';
import type { Compression } from './content-coding.js';
import { type FoundFile, type Representation, selectRepresentation } from './file-representation.js';
import { contentTypeFor } from './mime-type.js';
import {
  bufferMultipart,
  layoutMultipart,
  multipartContentType,
  newBoundary,
} from './multipart-byteranges.js';
import type { StaticConfig } from './static-options.js';
import { errorReply, type StaticReply } from './static-reply.js';

/** What serveFile reads from a request. */
export interface FileRequest {
  method: string;
  /** The request path, for error messages. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
}

/** A request header field's combined value. */
function header(req: FileRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * The reply for a GET or HEAD of a regular file `found`, asked for as `diskPath` and named `name` (which gives
 * its Content-Type): chooses the representation (content coding), evaluates preconditions against it, then
 * answers 304, 412, 416, 206 (one range, or multipart/byteranges) or 200. Files the cache accepts are served
 * from memory as Buffer bodies; larger ones are streamed from disk.
 */
export async function serveFile(
  config: StaticConfig,
  req: FileRequest,
  found: FoundFile,
  diskPath: string,
  name: string,
): Promise<StaticReply> {
  const contentType = contentTypeFor(name);
  const rangeHeader = req.method === 'GET' ? header(req, 'range') : undefined;
  const rep = await selectRepresentation(config, {
    found,
    diskPath,
    contentType,
    acceptEncoding: header(req, 'accept-encoding'),
    rangeRequested: rangeHeader !== undefined,
  });
  const outcome = evaluatePreconditions(
    req.method,
    {
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifModifiedSince: header(req, 'if-modified-since'),
      ifUnmodifiedSince: header(req, 'if-unmodified-since'),
    },
    rep.validators,
  );
  if (outcome === 'failed') return errorReply(errors.HTTP_PRECONDITION_FAILED(req.path), req.method);
  // §15.4.5: a 304 carries the validators, Cache-Control and Vary a 200 would have, and no content headers.
  if (outcome === 'not-modified') return { status: 304, headers: validatorHeaders(config, rep), body: null };

  const headers: Record<string, string> = { 'Content-Type': contentType };
  if (rep.coding !== 'identity') headers['Content-Encoding'] = rep.coding;
  headers['Accept-Ranges'] = 'bytes';
  headers['X-Content-Type-Options'] = 'nosniff';
  Object.assign(headers, validatorHeaders(config, rep));
  const head = req.method === 'HEAD';
  if (rep.onTheFly && rep.coding !== 'identity')
    return compressedReply(config, rep, rep.coding, headers, head);

  const data =
    !head && config.cache.accepts(rep.stats)
      ? await config.cache.load(rep.path, rep.stats, 'raw')
      : undefined;
  const size = data?.length ?? Number(rep.stats.size);
  const ifRange = header(req, 'if-range');
  // §14.2: GET is the only method range handling is defined for; a stale If-Range means the whole file.
  if (rangeHeader !== undefined && (ifRange === undefined || ifRangeMatches(ifRange, rep.validators))) {
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      const extra: Record<string, string> = { 'Content-Range': `bytes */${size}` };
      if (rep.vary) extra.Vary = 'Accept-Encoding';
      return errorReply(errors.HTTP_RANGE_NOT_SATISFIABLE(rangeHeader, size), req.method, extra);
    }
    const ranges: ByteRange[] | null =
      range.kind === 'range'
        ? [range]
        : range.kind === 'multiple'
          ? planRanges(range.ranges, size, config.maxRanges)
          : null;
    if (ranges !== null) return rangeReply(rep, headers, ranges, size, data);
  }
  headers['Content-Length'] = String(size);
  if (head) return { status: 200, headers, body: null };
  if (data !== undefined || size === 0) return { status: 200, headers, body: data ?? Buffer.alloc(0) };
  return { status: 200, headers, body: { path: rep.path, start: 0, end: size - 1 } };
}

/** ETag, Last-Modified, Cache-Control and Vary of a representation: what 200, 206 and 304 share. */
function validatorHeaders(config: StaticConfig, rep: Representation): Record<string, string> {
  const headers: Record<string, string> = {
    ETag: rep.validators.etag,
    'Last-Modified': new Date(rep.validators.lastModified).toUTCString(),
  };
  if (config.cacheControl !== undefined) headers['Cache-Control'] = config.cacheControl;
  if (rep.vary) headers.Vary = 'Accept-Encoding';
  return headers;
}

/**
 * 206 for ranges of the representation (at least one): one range as a plain partial body with Content-Range,
 * several as multipart/byteranges whose parts carry the original Content-Type (§14.6).
 */
function rangeReply(
  rep: Representation,
  headers: Record<string, string>,
  ranges: readonly ByteRange[],
  size: number,
  data: Buffer | undefined,
): StaticReply {
  if (ranges.length === 1) {
    const { start, end } = ranges[0]!;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    headers['Content-Length'] = String(end - start + 1);
    const body = data !== undefined ? data.subarray(start, end + 1) : { path: rep.path, start, end };
    return { status: 206, headers, body };
  }
  const layout = layoutMultipart(ranges, size, headers['Content-Type']!, newBoundary());
  headers['Content-Type'] = multipartContentType(layout);
  headers['Content-Length'] = String(layout.length);
  const body =
    data !== undefined
      ? bufferMultipart(data, layout)
      : { kind: 'multipart' as const, path: rep.path, parts: layout.parts, tail: layout.tail };
  return { status: 206, headers, body };
}

/**
 * 200 for a representation compressed on the fly: a file the cache accepts is compressed once and kept, so
 * its Content-Length is known; a larger one is streamed through the compressor without Content-Length.
 */
async function compressedReply(
  config: StaticConfig,
  rep: Representation,
  coding: Compression,
  headers: Record<string, string>,
  head: boolean,
): Promise<StaticReply> {
  if (config.cache.accepts(rep.stats)) {
    const data = await config.cache.load(rep.path, rep.stats, coding);
    headers['Content-Length'] = String(data.length);
    return { status: 200, headers, body: head ? null : data };
  }
  const body = { kind: 'compressed' as const, path: rep.path, coding, size: Number(rep.stats.size) };
  return { status: 200, headers, body: head ? null : body };
}
