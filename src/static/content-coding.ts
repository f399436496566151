import { createReadStream } from 'node:fs';
import { pipeline, type Transform } from 'node:stream';
import { promisify } from 'node:util';
import {
  type BrotliOptions,
  brotliCompress,
  constants,
  createBrotliCompress,
  createGzip,
  gzip,
  type ZlibOptions,
} from 'node:zlib';

/** A content coding the static layer can send (RFC 9110 §8.4.1); `identity` means none. */
export type ContentCoding = 'br' | 'gzip' | 'identity';

/** A content coding that compresses, as named in Content-Encoding. */
export type Compression = Exclude<ContentCoding, 'identity'>;

/** The file name suffix of a precompressed sibling for each coding: `app.js.br`, `app.js.gz`. */
export const SIBLING_SUFFIX: Readonly<Record<Compression, string>> = { br: '.br', gzip: '.gz' };

/** Server preference between codings of equal weight: smaller first. */
const PREFERENCE: readonly ContentCoding[] = ['br', 'gzip', 'identity'];

/** Weight of identity when Accept-Encoding does not name it: acceptable, but below any listed coding. */
const IMPLICIT_IDENTITY = 0.0001;

/**
 * The weights of an Accept-Encoding field value (RFC 9110 §12.5.3) by lower-case coding, `*` included;
 * `x-gzip` counts as `gzip` (§8.4.1.3). Elements with a malformed weight are skipped.
 */
export function parseAcceptEncoding(value: string): Map<string, number> {
  const weights = new Map<string, number>();
  for (const element of value.split(',')) {
    const [name = '', ...params] = element.split(';').map((part) => part.trim());
    if (name === '') continue;
    let q = 1;
    for (const param of params) {
      const match = /^q\s*=\s*(.*)$/i.exec(param);
      if (match) q = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(match[1]!) ? Number(match[1]) : Number.NaN;
    }
    if (Number.isNaN(q)) continue;
    const coding = name.toLowerCase() === 'x-gzip' ? 'gzip' : name.toLowerCase();
    weights.set(coding, Math.max(q, weights.get(coding) ?? 0));
  }
  return weights;
}

/**
 * The codings a request accepts, best first: by weight, then br, gzip, identity. No Accept-Encoding field
 * means identity only (the server chooses not to compress for clients that did not ask). Identity is
 * acceptable unless `identity;q=0`, or `*;q=0` without an identity entry, excludes it; it may then be left
 * out, and the caller sends identity anyway (§12.1 lets a server disregard the field rather than answer 406).
 */
export function acceptedCodings(value: string | undefined): ContentCoding[] {
  if (value === undefined) return ['identity'];
  const weights = parseAcceptEncoding(value);
  const star = weights.get('*');
  const weight = (coding: ContentCoding): number =>
    weights.get(coding) ?? star ?? (coding === 'identity' ? IMPLICIT_IDENTITY : 0);
  return PREFERENCE.filter((coding) => weight(coding) > 0).sort((a, b) => weight(b) - weight(a));
}

/** Media types besides text ones that compress well (their bytes are not compressed already). */
const COMPRESSIBLE = new Set([
  'application/javascript',
  'application/json',
  'application/xml',
  'application/wasm',
  'application/manifest+json',
  'application/vnd.ms-fontobject',
  'font/otf',
  'font/ttf',
  'image/bmp',
  'image/svg+xml',
  'image/vnd.microsoft.icon',
  'image/x-icon',
]);

/** True when a Content-Type value names a type worth compressing: text/*, JSON, XML, JavaScript, SVG, wasm... */
export function isCompressibleType(contentType: string): boolean {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') || COMPRESSIBLE.has(type) || type.endsWith('+json') || type.endsWith('+xml')
  );
}

/** Brotli quality 4 and gzip level 6: on-the-fly settings that cost little CPU for most of the gain. */
function brotliOptions(size: number | undefined): BrotliOptions {
  const params: Record<number, number> = {
    [constants.BROTLI_PARAM_QUALITY]: 4,
    [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
  };
  if (size !== undefined) params[constants.BROTLI_PARAM_SIZE_HINT] = size;
  return { params };
}

const GZIP_OPTIONS: ZlibOptions = { level: 6 };

const brotliAsync = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** A Transform that compresses with `coding` at the on-the-fly settings; `size` is a hint when known. */
export function createCompressor(coding: Compression, size?: number): Transform {
  return coding === 'br' ? createBrotliCompress(brotliOptions(size)) : createGzip(GZIP_OPTIONS);
}

/** `data` compressed with `coding` at the on-the-fly settings (in the thread pool, off the event loop). */
export function compressBuffer(coding: Compression, data: Buffer): Promise<Buffer> {
  return coding === 'br' ? brotliAsync(data, brotliOptions(data.length)) : gzipAsync(data, GZIP_OPTIONS);
}

/**
 * The file at `path` compressed with `coding` as it is read, chunk by chunk: nothing is opened until the first
 * chunk is asked for, and a consumer that stops early closes the file (pipeline destroys both streams).
 */
export async function* compressFile(
  path: string,
  coding: Compression,
  size: number,
): AsyncIterable<Uint8Array> {
  yield* pipeline(createReadStream(path), createCompressor(coding, size), () => {});
}
