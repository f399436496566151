import { STATUS_CODES } from 'node:http';
import type { HttpError, TandemError } from '../errors/catalogue.js';
import type { HeaderMap, HttpReply } from './handler.js';

/**
 * The one renderer of error answers, for every layer (engines, the proxy, the static layer, the webframe,
 * the http.server API): the status of `error` (500 when it has none) and its message. A client whose Accept
 * names text/html (a browser) gets a short HTML page; any other (curl, fetch, a script) gets the message as
 * one line of text/plain. The headers of an HttpError are sent with it, then `headers` (Allow for a 405,
 * Connection: close…).
 */
export function errorReply(
  error: TandemError,
  accept: string | readonly string[] | undefined,
  headers?: HeaderMap,
): HttpReply {
  const status = error.status ?? 500;
  // Read by shape: an HttpError from another copy of Tandem (an app loaded as CommonJS) counts too.
  const own = (error as Partial<HttpError>).headers;
  const html = wantsHtml(accept);
  const body = html ? errorPage(status, error.message) : `${error.message}\n`;
  return {
    status,
    headers: {
      ...own,
      'content-type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'x-content-type-options': 'nosniff',
      ...headers,
    },
    body,
  };
}

/** True when an Accept field value names text/html (RFC 9110 §12.5.1), as every browser's does. */
function wantsHtml(accept: string | readonly string[] | undefined): boolean {
  if (accept === undefined) return false;
  const value = typeof accept === 'string' ? accept : accept.join(',');
  return /(?:^|,)\s*text\/html\s*(?:;(?!\s*q\s*=\s*0(?:\.0*)?\s*(?:[,;]|$))|,|$)/i.test(value);
}

/** A short HTML page for an error: its status line as title and heading, the message as one paragraph. */
function errorPage(status: number, message: string): string {
  const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
  const text = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p><hr><address>Tandem</address></body></html>\n`;
}
