/** A request target split once: the path and the query, both still percent-encoded. */
export interface Target {
  /** Starts with '/' for an origin-form or http(s) absolute-form target; other targets (`*`) as sent. */
  readonly path: string;
  /** The query without its '?'; '' when there is none. */
  readonly query: string;
}

// RFC 9112 §3.2.2: a server must accept the absolute form (`GET http://host/a.txt`); only its path matters here.
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The one parser of request targets: `scheme://authority` of an http(s) absolute-form target removed (an
 * empty path then is '/'), the fragment cut, the rest split at the first '?'. Other targets keep their text,
 * so `*` or `x` reach a handler as they are (the static layer answers 400).
 */
export function splitTarget(target: string): Target {
  let rest = target;
  if (rest.charCodeAt(0) !== 0x2f) {
    const absolute = ABSOLUTE_FORM.exec(rest);
    if (absolute !== null) {
      rest = rest.slice(absolute[0].length);
      if (rest === '' || rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
    }
  }
  const hash = rest.indexOf('#');
  if (hash !== -1) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  if (q === -1) return { path: rest, query: '' };
  return { path: rest.slice(0, q), query: rest.slice(q + 1) };
}

/** `scheme://authority` at the start of an absolute-form target of any scheme (RFC 3986 §3.1). */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i;

/**
 * The authority of an absolute-form target (`GET http://example.com/a` → `example.com`), which RFC 9112
 * §3.2.2 makes the request's host whatever Host says; undefined for any other form.
 */
export function targetAuthority(target: string): string | undefined {
  if (target.charCodeAt(0) === 0x2f) return undefined;
  return AUTHORITY.exec(target)?.[1];
}

/** A raw path percent-decoded for a message or a log line; as it is when its encoding is malformed. */
export function displayPath(path: string): string {
  if (!path.includes('%')) return path;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
