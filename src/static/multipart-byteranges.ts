import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { ByteRange } from './byte-range.js';

/** One part of a multipart/byteranges body: its delimiter and header lines, then bytes [start, end]. */
export interface MultipartPart {
  /** The delimiter line and the part's Content-Type and Content-Range fields, ending in the blank line. */
  readonly head: string;
  readonly start: number;
  readonly end: number;
}

/** The shape of a multipart/byteranges body (RFC 9110 §14.6), with its length known before any byte is read. */
export interface MultipartLayout {
  /** The boundary, also the `boundary` parameter of the reply's Content-Type. */
  readonly boundary: string;
  readonly parts: readonly MultipartPart[];
  /** The close delimiter that ends the body. */
  readonly tail: string;
  /** The length of the whole body in bytes: heads, ranges and tail. */
  readonly length: number;
}

/** A fresh random boundary: 24 hex digits, which no file is expected to hold after a CRLF and `--`. */
export function newBoundary(): string {
  return randomBytes(12).toString('hex');
}

/**
 * Lays out a multipart/byteranges body for `ranges` of a representation of `size` bytes whose media type is
 * `contentType`. Each part after the first starts with the CRLF that ends the previous part's bytes.
 */
export function layoutMultipart(
  ranges: readonly ByteRange[],
  size: number,
  contentType: string,
  boundary: string,
): MultipartLayout {
  let length = 0;
  const parts = ranges.map((range, i) => {
    const head =
      `${i === 0 ? '' : '\r\n'}--${boundary}\r\n` +
      `Content-Type: ${contentType}\r\n` +
      `Content-Range: bytes ${range.start}-${range.end}/${size}\r\n\r\n`;
    length += Buffer.byteLength(head) + (range.end - range.start + 1);
    return { head, start: range.start, end: range.end };
  });
  const tail = `\r\n--${boundary}--\r\n`;
  length += Buffer.byteLength(tail);
  return { boundary, parts, tail, length };
}

/** The Content-Type value of a multipart/byteranges reply with this layout. */
export function multipartContentType(layout: MultipartLayout): string {
  return `multipart/byteranges; boundary=${layout.boundary}`;
}

/**
 * The body of `layout` streamed from the file at `path`: one read stream per part, opened in turn when the
 * consumer asks for its first chunk, so only a chunk at a time is in memory and the consumer's backpressure
 * reaches the file reads.
 */
export async function* streamMultipart(path: string, layout: MultipartLayout): AsyncIterable<Uint8Array> {
  for (const part of layout.parts) {
    yield Buffer.from(part.head);
    yield* createReadStream(path, { start: part.start, end: part.end });
  }
  yield Buffer.from(layout.tail);
}

/** The body of `layout` built in memory from `data`, the whole representation (for cached files). */
export function bufferMultipart(data: Buffer, layout: MultipartLayout): Buffer {
  const pieces: Buffer[] = [];
  for (const part of layout.parts) {
    pieces.push(Buffer.from(part.head), data.subarray(part.start, part.end + 1));
  }
  pieces.push(Buffer.from(layout.tail));
  return Buffer.concat(pieces, layout.length);
}
