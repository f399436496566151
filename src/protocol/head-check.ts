import type { ClientAddress, HeaderMap } from '../http/handler.js';

/** The request head httpserver sends for each stream (docs/protocol.md §4.2); `method` and `info` are the seed's keys. */
export interface RequestHead {
  method: string;
  /** The request target as received: path and query. */
  info: string;
  version: string;
  scheme: string;
  client: ClientAddress;
  /** Lower-case names; hop-by-hop headers removed, x-forwarded-* added. */
  headers: HeaderMap;
}

/** A response head after checking: numeric status, headers always present. */
export interface CheckedResponseHead {
  status: number;
  headers: HeaderMap;
  data: string | undefined;
}

function checkHeaders(value: unknown): HeaderMap | string {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return '"headers" must be an object';
  for (const [name, v] of Object.entries(value)) {
    if (typeof v === 'string') continue;
    if (Array.isArray(v) && v.every((item) => typeof item === 'string')) continue;
    return `header "${name}" must be a string or an array of strings`;
  }
  return value as HeaderMap;
}

/** Checks a request head (docs/protocol.md §4.2); returns it, or a message naming the bad key. */
export function checkRequestHead(value: Record<string, unknown>): RequestHead | string {
  const { method, info } = value;
  if (typeof method !== 'string' || method.length === 0) return '"method" must be a non-empty string';
  if (typeof info !== 'string' || info.length === 0) return '"info" must be a non-empty string';
  const headers = checkHeaders(value.headers);
  if (typeof headers === 'string') return headers;
  const client = value.client as { address?: unknown; port?: unknown } | undefined;
  if (client !== undefined && (typeof client !== 'object' || client === null))
    return '"client" must be an object';
  return {
    method,
    info,
    version: typeof value.version === 'string' ? value.version : '1.1',
    scheme: typeof value.scheme === 'string' ? value.scheme : 'http',
    client: {
      address: typeof client?.address === 'string' ? client.address : '',
      port: typeof client?.port === 'number' ? client.port : 0,
    },
    headers,
  };
}

/** Checks a response head (docs/protocol.md §4.3); returns it, or a message naming the bad key. */
export function checkResponseHead(
  value: Record<string, unknown>,
  endStream: boolean,
): CheckedResponseHead | string {
  const raw = value.status;
  const status = typeof raw === 'string' && /^\d{3}$/.test(raw) ? Number(raw) : raw;
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 200 || status > 599) {
    return `"status" must be an HTTP status from 200 to 599, got ${JSON.stringify(raw)}`;
  }
  const headers = checkHeaders(value.headers);
  if (typeof headers === 'string') return headers;
  const data = value.data;
  if (data !== undefined && typeof data !== 'string') return '"data" must be a string';
  if (data !== undefined && !endStream) return 'a HEAD with "data" must carry END_STREAM';
  return { status, headers, data };
}

/** A field name is a token (RFC 9110 §5.1, §5.6.2). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters no field value may hold (RFC 9110 §5.5): controls other than HTAB, DEL, and anything above U+00FF. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/**
 * What makes `headers` unfit for an HTTP/1.1 response head, naming the header (never its value, which may
 * hold a client's input), or undefined when every name is a token and no value holds CR, LF or another
 * control character. A header that fails here would split the response or make node:http throw.
 */
export function headerProblem(headers: HeaderMap | undefined): string | undefined {
  for (const name in headers) {
    if (!TOKEN.test(name)) return `header name ${JSON.stringify(name)} is not a token`;
    const value = headers[name]!;
    const values = typeof value === 'string' ? [value] : value;
    for (const v of values) {
      if (INVALID_VALUE.test(v))
        return `header "${name}" has a control character (CR, LF, NUL…) in its value`;
    }
  }
  return undefined;
}

/**
 * The `content-length` a head declares (its name in any case): a number, undefined when there is none, or a
 * message when it is not one run of digits (a list such as `1, 2` included: RFC 9110 §8.6).
 */
export function declaredLength(headers: HeaderMap | undefined): number | undefined | string {
  for (const name in headers) {
    if (name.length !== 14 || name.toLowerCase() !== 'content-length') continue;
    const value = headers[name]!;
    if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
      return `content-length ${JSON.stringify(value)} is not a number of bytes`;
    }
    return Number(value);
  }
  return undefined;
}
