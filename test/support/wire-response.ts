/** One HTTP/1.x response as it came off the wire, framed as a client frames it. */
export interface WireResponse {
  /** The version of the status line, e.g. `HTTP/1.1`. */
  version: string;
  status: number;
  reason: string;
  /** The header fields in the order sent, names as sent. */
  fields: [name: string, value: string][];
  /** The fields by lower-case name, a repeated one joined with `, `. */
  headers: Record<string, string>;
  /** The body as its framing delimited it, de-chunked. */
  body: Buffer;
  /** How the body was delimited: none (a bodiless response), Content-Length, chunked, or the close. */
  framing: 'none' | 'length' | 'chunked' | 'close';
  /** The trailer fields of a chunked body, by lower-case name. */
  trailers: Record<string, string>;
}

/** What `parseResponses` made of the bytes of one connection. */
export interface WireParse {
  /** The complete responses, interim (1xx) ones included, in order. */
  responses: WireResponse[];
  /** How many bytes after the last complete response are not yet a whole response. */
  pending: number;
  /** Set when the bytes are not HTTP/1.1 responses at all (a desync, a split response): what is wrong. */
  error?: string;
}

const STATUS_LINE = /^(HTTP\/\d\.\d) (\d{3}) ?([^\r\n]*)$/;

/**
 * Splits what a server sent on one connection into responses, framed as RFC 9112 §6.3 tells a client to:
 * `methods[i]` is the method of the i-th request (no body answers HEAD; a missing entry is GET); a 1xx is an
 * interim response that answers no request by itself; a 204 or 304 has no body; then chunked, then
 * Content-Length; else the body runs until the close, complete only once `closed`. Strict: a head whose lines
 * are not CRLF-terminated, or bytes that do not start a status line, end the parse with `error`.
 */
export function parseResponses(bytes: Buffer, methods: readonly string[], closed: boolean): WireParse {
  const responses: WireResponse[] = [];
  let at = 0;
  let request = 0;
  const done = (error?: string): WireParse => ({
    responses,
    pending: bytes.length - at,
    ...(error === undefined ? {} : { error }),
  });
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
    if (end === -1) {
      const start = bytes.toString('latin1', at, Math.min(bytes.length, at + 9));
      return done(
        'HTTP/1.1 '.startsWith(start) || start.startsWith('HTTP/')
          ? undefined
          : `not a status line: ${start}`,
      );
    }
    const lines = bytes.toString('latin1', at, end).split('\r\n');
    const status = STATUS_LINE.exec(lines[0] ?? '');
    if (status === null) return done(`not a status line: ${JSON.stringify(lines[0])}`);
    const fields: [string, string][] = [];
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0 || /[\r\n]/.test(line)) return done(`not a header line: ${JSON.stringify(line)}`);
      fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
    }
    const response: WireResponse = {
      version: status[1]!,
      status: Number(status[2]),
      reason: status[3]!,
      fields,
      headers: byName(fields),
      body: Buffer.alloc(0),
      framing: 'none',
      trailers: {},
    };
    let next = end + 4;
    const interim = response.status < 200;
    const method = methods[request] ?? 'GET';
    if (!interim && method !== 'HEAD' && response.status !== 204 && response.status !== 304) {
      const te = response.headers['transfer-encoding'];
      const length = response.headers['content-length'];
      if (te !== undefined && /(^|,)\s*chunked\s*$/i.test(te)) {
        const chunked = dechunk(bytes, next);
        if (chunked === undefined) return done();
        if ('error' in chunked) return done(chunked.error);
        Object.assign(response, { framing: 'chunked', body: chunked.body, trailers: chunked.trailers });
        next = chunked.next;
      } else if (length !== undefined) {
        if (!/^\d+$/.test(length)) return done(`bad content-length ${JSON.stringify(length)}`);
        if (bytes.length < next + Number(length)) return done();
        Object.assign(response, { framing: 'length', body: bytes.subarray(next, next + Number(length)) });
        next += Number(length);
      } else {
        if (!closed) return done();
        Object.assign(response, { framing: 'close', body: bytes.subarray(next) });
        next = bytes.length;
      }
    }
    responses.push(response);
    if (!interim) request++;
    at = next;
  }
  return done();
}

/**
 * The heads of the requests in `bytes`, in order: each up to its blank line, then its body skipped by
 * Content-Length or chunked framing (RFC 9112 §6.3). A head or body cut short still counts as a request.
 */
export function requestHeads(bytes: Buffer): string[] {
  const heads: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
    const head = bytes.toString('latin1', at, end === -1 ? bytes.length : end);
    heads.push(head);
    if (end === -1) break;
    at = end + 4;
    if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
      const body = dechunk(bytes, at);
      if (body === undefined || 'error' in body) break;
      at = body.next;
    } else {
      at += Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    }
  }
  return heads;
}

function byName(fields: [string, string][]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of fields) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  return headers;
}

/** A chunked body from `at`: its bytes, trailers and where it ends; undefined while incomplete. */
function dechunk(
  bytes: Buffer,
  at: number,
): { body: Buffer; trailers: Record<string, string>; next: number } | { error: string } | undefined {
  const parts: Buffer[] = [];
  let pos = at;
  for (;;) {
    const eol = bytes.indexOf('\r\n', pos, 'latin1');
    if (eol === -1) return undefined;
    const sizeLine = bytes.toString('latin1', pos, eol);
    const size = /^([0-9a-fA-F]+)(;.*)?$/.exec(sizeLine);
    if (size === null) return { error: `bad chunk size line ${JSON.stringify(sizeLine)}` };
    const length = Number.parseInt(size[1]!, 16);
    pos = eol + 2;
    if (length === 0) break;
    if (bytes.length < pos + length + 2) return undefined;
    parts.push(bytes.subarray(pos, pos + length));
    if (bytes.toString('latin1', pos + length, pos + length + 2) !== '\r\n') {
      return { error: 'chunk data not followed by CRLF' };
    }
    pos += length + 2;
  }
  const trailers: [string, string][] = [];
  for (;;) {
    const eol = bytes.indexOf('\r\n', pos, 'latin1');
    if (eol === -1) return undefined;
    const line = bytes.toString('latin1', pos, eol);
    pos = eol + 2;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) return { error: `bad trailer line ${JSON.stringify(line)}` };
    trailers.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  return { body: Buffer.concat(parts), trailers: byName(trailers), next: pos };
}
