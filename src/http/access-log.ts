import type { HttpRequest } from './handler.js';

/** One served request, as the access log records it. */
export interface AccessLogEntry {
  /** Client address. */
  remote: string;
  /** Authenticated user name, if any. */
  user?: string;
  /** When the request was received. */
  time: Date;
  method: string;
  /** The request target as sent, e.g. `/hi?x=1`. */
  target: string;
  /** The HTTP version, as `req.httpVersion` gives it (`1.1`) or in full (`HTTP/1.1`). */
  version: string;
  status: number;
  /** Body bytes sent to the client (nginx's `$body_bytes_sent`). */
  bytes: number;
  referer?: string;
  userAgent?: string;
}

/**
 * The access-log entry of one request, built the same way by every engine: `status` as sent (499 when the
 * client left before a response head went out), `bytes` of body sent, `time` when the request came.
 */
export function accessLogEntry(req: HttpRequest, time: Date, status: number, bytes: number): AccessLogEntry {
  const { referer, 'user-agent': userAgent } = req.headers;
  return {
    remote: req.client.address || '-',
    time,
    method: req.method,
    target: req.target,
    version: req.version,
    status,
    bytes,
    ...(referer === undefined ? {} : { referer: String(referer) }),
    ...(userAgent === undefined ? {} : { userAgent: String(userAgent) }),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HEX = '0123456789ABCDEF';

/**
 * Formats an entry in the Combined Log Format exactly as nginx writes it, without a trailing newline:
 * `127.0.0.1 - - [21/Nov/2026:05:04:43 +0000] "GET /hi HTTP/1.1" 200 612 "-" "curl/7.88.1"`.
 * Text fields escape `"`, `\`, control characters and non-ASCII bytes as `\xHH`, as nginx does; a missing
 * or empty field is `-`.
 */
export function formatCombined(e: AccessLogEntry): string {
  const version = e.version.startsWith('HTTP/') ? e.version : `HTTP/${e.version}`;
  return (
    `${field(e.remote)} - ${field(e.user)} [${formatTime(e.time)}] ` +
    `"${escapeText(e.method)} ${escapeText(e.target)} ${escapeText(version)}" ${e.status} ${e.bytes} ` +
    `"${field(e.referer)}" "${field(e.userAgent)}"`
  );
}

/**
 * A writer of access-log lines to `stream`: every line logged in one event-loop turn goes out in one write.
 * `flush()` writes what is pending at once (call it before exiting).
 */
export function createAccessLog(
  stream: NodeJS.WritableStream,
): ((e: AccessLogEntry) => void) & { flush(): void } {
  let pending = '';
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = pending;
    pending = '';
    stream.write(text);
  };
  const log = (e: AccessLogEntry): void => {
    pending += `${formatCombined(e)}\n`;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  return Object.assign(log, { flush });
}

let cachedSecond = Number.NaN;
let cachedTime = '';

/** `21/Nov/2026:05:04:43 +0000`, in UTC; cached per second since many requests share one. */
function formatTime(time: Date): string {
  const ms = time.getTime();
  const second = Math.floor(ms / 1000);
  if (second === cachedSecond) return cachedTime;
  const text =
    `${pad(time.getUTCDate())}/${MONTHS[time.getUTCMonth()]}/${time.getUTCFullYear()}:` +
    `${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())} +0000`;
  cachedSecond = second;
  cachedTime = text;
  return text;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function field(value: string | undefined): string {
  return value === undefined || value.length === 0 ? '-' : escapeText(value);
}

/** Escapes as nginx's `escape=default`: `"`, `\`, bytes below 0x20 and from 0x7F up become `\xHH`. */
function escapeText(value: string): string {
  let i = 0;
  // Fast path: most values need no escaping.
  for (; i < value.length; i++) if (needsEscape(value.charCodeAt(i))) break;
  if (i === value.length) return value;
  let out = value.slice(0, i);
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!needsEscape(c)) out += value[i];
    else if (c <= 0xff) out += hex(c);
    else {
      // Outside Latin-1 (Node gives header bytes as Latin-1): escape the UTF-8 bytes, as nginx sees them.
      const cp = value.codePointAt(i) ?? c;
      if (cp > 0xffff) i++;
      for (const byte of Buffer.from(String.fromCodePoint(cp), 'utf8')) out += hex(byte);
    }
  }
  return out;
}

function needsEscape(c: number): boolean {
  return c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c;
}

function hex(byte: number): string {
  return `\\x${HEX[byte >> 4]}${HEX[byte & 0xf]}`;
}
