/** The static layer: one implementation of static file serving, used by webframe, httpserver and the CLI. */

export { type ByteRange, parseRange, planRanges, type RangeRequest } from './byte-range.js';
export {
  acceptedCodings,
  type Compression,
  type ContentCoding,
  isCompressibleType,
  parseAcceptEncoding,
} from './content-coding.js';
export { type CachedVariant, FileCache, type FileCacheOptions } from './file-cache.js';
export { contentTypeFor } from './mime-type.js';
export { type CanonicalPath, canonicalisePath, isInside } from './safe-path.js';
export {
  createStaticHandler,
  openStaticBody,
  type StaticBody,
  type StaticCompressedBody,
  type StaticFileBody,
  type StaticHandler,
  type StaticMultipartBody,
  type StaticOptions,
  type StaticReply,
  type StaticRequest,
  textReply,
} from './static-handler.js';
