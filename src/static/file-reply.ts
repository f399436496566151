import { errors } from '../errors/catalogue.js';
import { errorReply } from '../http/error-reply.js';
import { fieldValue } from '../http/field-value.js';
import type { HeaderMap, HttpReply } from '../http/handler.js';
import { type ByteRange, parseRange, planRanges } from './byte-range.js';
import { evaluatePreconditions, ifRangeMatches } from './conditional.js';
import { type Compression, compressFile } from './content-coding.js';
import { type FoundFile, type Representation, selectRepresentation } from './file-representation.js';
import type { KeptFile } from './hot-replies.js';
import { contentTypeFor } from './mime-type.js';
import {
  bufferMultipart,
  layoutMultipart,
  multipartContentType,
  newBoundary,
  streamMultipart,
} from './multipart-byteranges.js';
import type { StaticConfig } from './static-options.js';

/** What serveFile reads from a request. */
export interface FileRequest {
  method: string;
  /** The request path below the handler's mount point, for error messages. */
  path: string;
  headers: Readonly<HeaderMap>;
}

/** What serveFile answers: the reply, and the replies to keep when the representation is in memory. */
export interface FileAnswer {
  readonly reply: HttpReply;
  /** Set for a GET without Range or preconditions but a revalidation, of a representation held in memory. */
  readonly keep?: KeptFile | undefined;
}

/**
 * The reply for a GET or HEAD of a regular file `found`, asked for as `diskPath` and named `name` (which gives
 * its Content-Type): chooses the representation (content coding), evaluates preconditions against it, then
 * answers 304, 412, 416, 206 (one range, or multipart/byteranges) or 200. Files the cache accepts are served
 * from memory as Buffer bodies; a larger one is a FileRange for the runner to send from disk, or chunks read
 * from disk (multipart, compressed on the fly). A HEAD gets the head with no body: the file is not read.
 * For a GET without Range, If-Range, If-Match or If-Unmodified-Since of a representation the cache accepts,
 * the answer also holds its 200 and 304 to keep (a revalidation's 304 then reads the bytes from the cache too,
 * so that the next revalidation is answered from memory).
 */
export async function serveFile(
  config: StaticConfig,
  req: FileRequest,
  found: FoundFile,
  diskPath: string,
  name: string,
): Promise<FileAnswer> {
  const contentType = contentTypeFor(name);
  const rangeHeader = req.method === 'GET' ? fieldValue(req.headers, 'range') : undefined;
  const rep = await selectRepresentation(config, {
    found,
    diskPath,
    contentType,
    acceptEncoding: fieldValue(req.headers, 'accept-encoding'),
    rangeRequested: rangeHeader !== undefined,
  });
  const outcome = evaluatePreconditions(
    req.method,
    {
      ifMatch: fieldValue(req.headers, 'if-match'),
      ifNoneMatch: fieldValue(req.headers, 'if-none-match'),
      ifModifiedSince: fieldValue(req.headers, 'if-modified-since'),
      ifUnmodifiedSince: fieldValue(req.headers, 'if-unmodified-since'),
    },
    rep.validators,
  );
  if (outcome === 'failed') {
    return { reply: errorReply(errors.HTTP_PRECONDITION_FAILED(req.path), req.headers.accept) };
  }
  if (isKeepable(req, rangeHeader) && config.cache.accepts(rep.stats)) {
    const keep = await keptFile(config, rep, contentType);
    if (keep !== undefined) return { reply: outcome === 'not-modified' ? keep.notModified : keep.ok, keep };
  }
  if (outcome === 'not-modified') return { reply: notModifiedReply(config, rep) };
  return { reply: await contentReply(config, req, rep, contentType, rangeHeader) };
}

/** True for a GET whose answer is the 200 or the 304 of its representation: no range, no other precondition. */
function isKeepable(req: FileRequest, rangeHeader: string | undefined): boolean {
  const { headers } = req;
  return (
    req.method === 'GET' &&
    rangeHeader === undefined &&
    headers['if-range'] === undefined &&
    headers['if-match'] === undefined &&
    headers['if-unmodified-since'] === undefined
  );
}

/**
 * The 200 and 304 of a representation the cache accepts, with its bytes read (or compressed) into the cache;
 * undefined when the bytes read do not match the stats the representation was chosen by (the file is being
 * written).
 */
async function keptFile(
  config: StaticConfig,
  rep: Representation,
  contentType: string,
): Promise<KeptFile | undefined> {
  const compressed = rep.onTheFly && rep.coding !== 'identity';
  const data = await config.cache.load(rep.path, rep.stats, compressed ? rep.coding : 'raw');
  if (!compressed && BigInt(data.length) !== rep.stats.size) return undefined;
  const headers = contentHeaders(config, rep, contentType);
  headers['content-length'] = String(data.length);
  return {
    ok: { status: 200, headers, body: data },
    notModified: notModifiedReply(config, rep),
    validators: rep.validators,
    sources: rep.sources,
    varies: rep.vary,
  };
}

/** §15.4.5: a 304 carries the validators, Cache-Control and Vary a 200 would have, and no content headers. */
function notModifiedReply(config: StaticConfig, rep: Representation): HttpReply {
  return { status: 304, headers: validatorHeaders(config, rep), body: null };
}

/** The fields of a 200 or 206 of the representation, but Content-Length. */
function contentHeaders(
  config: StaticConfig,
  rep: Representation,
  contentType: string,
): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (rep.coding !== 'identity') headers['content-encoding'] = rep.coding;
  headers['accept-ranges'] = 'bytes';
  headers['x-content-type-options'] = 'nosniff';
  return Object.assign(headers, validatorHeaders(config, rep));
}

/** The 200, 206 or 416 of a GET or HEAD whose preconditions passed (or were not asked). */
async function contentReply(
  config: StaticConfig,
  req: FileRequest,
  rep: Representation,
  contentType: string,
  rangeHeader: string | undefined,
): Promise<HttpReply> {
  const headers = contentHeaders(config, rep, contentType);
  const head = req.method === 'HEAD';
  if (rep.onTheFly && rep.coding !== 'identity')
    return compressedReply(config, rep, rep.coding, headers, head);

  const data =
    !head && config.cache.accepts(rep.stats)
      ? await config.cache.load(rep.path, rep.stats, 'raw')
      : undefined;
  const size = data?.length ?? Number(rep.stats.size);
  const ifRange = fieldValue(req.headers, 'if-range');
  // §14.2: GET is the only method range handling is defined for; a stale If-Range means the whole file.
  if (rangeHeader !== undefined && (ifRange === undefined || ifRangeMatches(ifRange, rep.validators))) {
    const range = parseRange(rangeHeader, size);
    if (range.kind === 'unsatisfiable') {
      const extra: Record<string, string> = { 'content-range': `bytes */${size}` };
      if (rep.vary) extra.vary = 'Accept-Encoding';
      return errorReply(errors.HTTP_RANGE_NOT_SATISFIABLE(rangeHeader, size), req.headers.accept, extra);
    }
    const ranges: ByteRange[] | null =
      range.kind === 'range'
        ? [range]
        : range.kind === 'multiple'
          ? planRanges(range.ranges, size, config.maxRanges)
          : null;
    if (ranges !== null) return rangeReply(rep, headers, ranges, size, data);
  }
  headers['content-length'] = String(size);
  if (head) return { status: 200, headers, body: null };
  if (data !== undefined || size === 0) return { status: 200, headers, body: data ?? Buffer.alloc(0) };
  return { status: 200, headers, body: { path: rep.path, start: 0, end: size - 1 } };
}

/** ETag, Last-Modified, Cache-Control and Vary of a representation: what 200, 206 and 304 share. */
function validatorHeaders(config: StaticConfig, rep: Representation): Record<string, string> {
  const headers: Record<string, string> = {
    etag: rep.validators.etag,
    'last-modified': new Date(rep.validators.lastModified).toUTCString(),
  };
  if (config.cacheControl !== undefined) headers['cache-control'] = config.cacheControl;
  if (rep.vary) headers.vary = 'Accept-Encoding';
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
): HttpReply {
  if (ranges.length === 1) {
    const { start, end } = ranges[0]!;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
    headers['content-length'] = String(end - start + 1);
    const body = data !== undefined ? data.subarray(start, end + 1) : { path: rep.path, start, end };
    return { status: 206, headers, body };
  }
  const layout = layoutMultipart(ranges, size, headers['content-type']!, newBoundary());
  headers['content-type'] = multipartContentType(layout);
  headers['content-length'] = String(layout.length);
  const body = data !== undefined ? bufferMultipart(data, layout) : streamMultipart(rep.path, layout);
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
): Promise<HttpReply> {
  if (config.cache.accepts(rep.stats)) {
    const data = await config.cache.load(rep.path, rep.stats, coding);
    headers['content-length'] = String(data.length);
    return { status: 200, headers, body: head ? null : data };
  }
  return { status: 200, headers, body: head ? null : compressFile(rep.path, coding, Number(rep.stats.size)) };
}
