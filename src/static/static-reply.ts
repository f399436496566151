import { createReadStream } from 'node:fs';
import { pipeline, type Readable } from 'node:stream';
import type { TandemError } from '../errors/catalogue.js';
import { type Compression, createCompressor } from './content-coding.js';
import { type MultipartPart, streamMultipart } from './multipart-byteranges.js';

/** A byte range of a file on disk, to be streamed by the caller: bytes [start, end], both inclusive. */
export interface StaticFileBody {
  path: string;
  start: number;
  end: number;
}

/** A multipart/byteranges body streamed from the file at `path`: each part's head, then its bytes. */
export interface StaticMultipartBody {
  kind: 'multipart';
  path: string;
  parts: readonly MultipartPart[];
  /** The close delimiter written after the last part. */
  tail: string;
}

/** The whole file at `path` compressed on the fly with `coding`; its length is not known in advance. */
export interface StaticCompressedBody {
  kind: 'compressed';
  path: string;
  coding: Compression;
  /** The file's size, a hint for the compressor. */
  size: number;
}

/** The body of a static reply: none, in memory, or bytes to stream from a file (see openStaticBody). */
export type StaticBody = null | string | Buffer | StaticFileBody | StaticMultipartBody | StaticCompressedBody;

/** A reply of the static handler; the caller writes it to its transport (see openStaticBody). */
export interface StaticReply {
  status: number;
  /** Header fields; no Content-Length means the length is unknown (the caller sends it chunked). */
  headers: Record<string, string>;
  /**
   * null: no body; string/Buffer: in memory, written in one go; an object: bytes streamed from the file at
   * its `path` (a range, multipart byteranges, or compressed on the fly).
   */
  body: StaticBody;
}

/**
 * The body of a reply as something to write: the value itself when in memory or null, else a Readable that
 * streams it from disk (with backpressure: it reads as fast as it is consumed).
 */
export function openStaticBody(reply: StaticReply): Readable | string | Buffer | null {
  const { body } = reply;
  if (body === null || typeof body === 'string' || Buffer.isBuffer(body)) return body;
  if (!('kind' in body)) return createReadStream(body.path, { start: body.start, end: body.end });
  if (body.kind === 'multipart') return streamMultipart(body.path, body);
  // pipeline destroys the file stream when the consumer destroys the compressor, and the reverse on errors.
  return pipeline(createReadStream(body.path), createCompressor(body.coding, body.size), () => {});
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

/** The plain-text reply for an error that has an HTTP status, with `extra` header fields. */
export function errorReply(
  err: TandemError,
  method: string,
  extra: Record<string, string> = {},
): StaticReply {
  return textReply(err.status ?? 500, `${err.message}\n`, method, extra);
}
