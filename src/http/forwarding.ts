import type { HttpRequest } from './handler.js';

/**
 * The hop-by-hop header names (RFC 9110 §7.6.1), lower case: they describe one connection and are
 * never forwarded, in either direction.
 */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers a client may not set for the upstream: the proxy sets them itself. */
const SET_BY_PROXY: ReadonlySet<string> = new Set(['x-forwarded-proto', 'x-forwarded-host']);

/**
 * The request headers to send upstream: `req.headers` without hop-by-hop headers and without any header named
 * in `Connection`, plus `x-forwarded-for` (the client address appended to any value the client sent),
 * `x-forwarded-proto` (the request's scheme) and `x-forwarded-host` (from `Host`).
 */
export function requestHeadersForUpstream(
  req: Pick<HttpRequest, 'headers' | 'client' | 'scheme'>,
): Record<string, string | string[]> {
  const source = req.headers;
  const named = connectionTokens(source.connection);
  const out: Record<string, string | string[]> = {};
  for (const name in source) {
    const value = source[name];
    if (value === undefined || HOP_BY_HOP.has(name) || SET_BY_PROXY.has(name)) continue;
    if (named?.includes(name)) continue;
    out[name] = value;
  }
  const client = req.client.address;
  if (client !== '') {
    const prior = out['x-forwarded-for'];
    // Node joins repeated X-Forwarded-For lines with ', ' already, so `prior` is a string.
    out['x-forwarded-for'] = typeof prior === 'string' && prior.length > 0 ? `${prior}, ${client}` : client;
  }
  out['x-forwarded-proto'] = req.scheme;
  const host = source.host;
  if (typeof host === 'string' && host.length > 0) out['x-forwarded-host'] = host;
  return out;
}

/**
 * The response headers to send to the client: the upstream's headers without hop-by-hop headers and without
 * any header named in the upstream's `Connection`. Names are matched case-insensitively and kept as given.
 */
export function responseHeadersForClient(
  headers: Record<string, string | string[]> | undefined,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (headers === undefined) return out;
  let named: string[] | undefined;
  for (const name in headers) {
    if (name.length === 10 && name.toLowerCase() === 'connection') named = connectionTokens(headers[name]);
  }
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower)) continue;
    if (named?.includes(lower)) continue;
    out[name] = value;
  }
  return out;
}

/** The lower-case header names listed in a Connection header (RFC 9110 §7.6.1), or undefined if none. */
function connectionTokens(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const text = typeof value === 'string' ? value : value.join(',');
  let tokens: string[] | undefined;
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 0x2c /* , */) {
      const token = text.slice(start, i).trim().toLowerCase();
      // close and keep-alive are options, not header names; both are hop-by-hop anyway.
      if (token.length > 0 && !HOP_BY_HOP.has(token) && token !== 'close') {
        tokens ??= [];
        tokens.push(token);
      }
      start = i + 1;
    }
  }
  return tokens;
}
