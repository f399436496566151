/** The validators of one file (RFC 9110 §8.8): a strong entity tag and a modification date. */
export interface Validators {
  /** Strong entity tag, quoted, e.g. `"1f4-17f3a2b4c5d6e7f8"`. */
  readonly etag: string;
  /** Last-Modified as epoch milliseconds, truncated to whole seconds like the HTTP-date that carries it. */
  readonly lastModified: number;
}

/** What the preconditions of a request say to do (RFC 9110 §13.2.2). */
export type PreconditionOutcome = 'proceed' | 'not-modified' | 'failed';

/** A strong entity tag made from the file size and its modification time in nanoseconds, both in hex. */
export function makeEtag(size: bigint, mtimeNs: bigint): string {
  return `"${size.toString(16)}-${mtimeNs.toString(16)}"`;
}

/** Validators for a file from its size and modification time (nanoseconds). */
export function validatorsFor(size: bigint, mtimeNs: bigint): Validators {
  const ms = Number(mtimeNs / 1_000_000n);
  return { etag: makeEtag(size, mtimeNs), lastModified: Math.floor(ms / 1000) * 1000 };
}

/** Entity tags of an If-Match / If-None-Match list; `'*'` for the wildcard. Tags keep their `W/` prefix. */
export function parseEtagList(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  return value.match(/(?:W\/)?"[^"]*"/g) ?? [];
}

/** Strong comparison (RFC 9110 §8.8.3.2): both tags strong and identical. */
export function strongMatch(a: string, b: string): boolean {
  return !a.startsWith('W/') && !b.startsWith('W/') && a === b;
}

/** Weak comparison (RFC 9110 §8.8.3.2): identical opaque tags, whatever their weakness. */
export function weakMatch(a: string, b: string): boolean {
  return a.replace(/^W\//, '') === b.replace(/^W\//, '');
}

/** Epoch milliseconds of an HTTP-date, or undefined when the value is not a date. */
export function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** The header fields preconditions read; each the combined field value or undefined. */
export interface ConditionalHeaders {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: string | undefined;
  ifUnmodifiedSince?: string | undefined;
}

/**
 * Evaluates the preconditions of a request for an existing file in the order of RFC 9110 §13.2.2:
 * If-Match, else If-Unmodified-Since (failing: 412); then If-None-Match, else If-Modified-Since for GET and
 * HEAD (matching: 304 for GET/HEAD, 412 for other methods).
 */
export function evaluatePreconditions(
  method: string,
  headers: ConditionalHeaders,
  validators: Validators,
): PreconditionOutcome {
  const safe = method === 'GET' || method === 'HEAD';
  if (headers.ifMatch !== undefined) {
    const tags = parseEtagList(headers.ifMatch);
    if (tags !== '*' && !tags.some((tag) => strongMatch(tag, validators.etag))) return 'failed';
  } else {
    const since = parseHttpDate(headers.ifUnmodifiedSince);
    if (since !== undefined && validators.lastModified > since) return 'failed';
  }
  if (headers.ifNoneMatch !== undefined) {
    const tags = parseEtagList(headers.ifNoneMatch);
    if (tags === '*' || tags.some((tag) => weakMatch(tag, validators.etag)))
      return safe ? 'not-modified' : 'failed';
  } else if (safe) {
    const since = parseHttpDate(headers.ifModifiedSince);
    if (since !== undefined && validators.lastModified <= since) return 'not-modified';
  }
  return 'proceed';
}

/**
 * True when an If-Range value still names the current representation (RFC 9110 §13.1.5): an entity tag must
 * match strongly; a date must equal Last-Modified exactly.
 */
export function ifRangeMatches(value: string, validators: Validators): boolean {
  const trimmed = value.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith('W/')) return strongMatch(trimmed, validators.etag);
  const date = parseHttpDate(trimmed);
  return date !== undefined && date === validators.lastModified;
}
