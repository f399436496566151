import { relative, sep } from 'node:path';
import { errors } from '../errors/catalogue.js';

/**
 * A request path after the one canonicalisation step: percent-decoded segments, none empty, none a dot
 * segment, none holding a separator or NUL. Authorisation and file lookup both use these segments and
 * nothing else, so what is checked is what is opened.
 */
export interface CanonicalPath {
  /** Decoded path segments, in order; empty for `/`. */
  readonly segments: readonly string[];
  /** True when the request path ended with `/` (a directory was asked for). */
  readonly trailingSlash: boolean;
}

/** A segment made only of dots (`.`, `..`, `...`), also before a `;` path parameter (`..;`). */
const DOT_SEGMENT = /^\.+(;|$)/;

/**
 * Canonicalises a still percent-encoded URL path once, throwing HTTP_BAD_REQUEST for anything ambiguous:
 * malformed percent-encoding (including overlong UTF-8 such as `%c0%ae`), NUL, an encoded slash, a backslash
 * raw or encoded (a separator on some systems), and any dot segment in any encoding. Empty segments (`//`) are
 * dropped. Anything a raw `?` or `#` starts is cut off: callers should pass the path without the query.
 */
export function canonicalisePath(rawPath: string): CanonicalPath {
  const cut = rawPath.search(/[?#]/);
  const path = cut === -1 ? rawPath : rawPath.slice(0, cut);
  if (!path.startsWith('/')) throw errors.HTTP_BAD_REQUEST('path must start with /');
  const segments: string[] = [];
  for (const raw of path.split('/')) {
    if (raw === '') continue;
    if (raw.includes('\\')) throw errors.HTTP_BAD_REQUEST('backslash in path');
    let decoded: string;
    try {
      decoded = decodeURIComponent(raw);
    } catch {
      throw errors.HTTP_BAD_REQUEST('malformed percent-encoding');
    }
    if (decoded.includes('\0')) throw errors.HTTP_BAD_REQUEST('NUL byte in path');
    if (decoded.includes('/')) throw errors.HTTP_BAD_REQUEST('encoded slash in path');
    if (decoded.includes('\\')) throw errors.HTTP_BAD_REQUEST('backslash in path');
    if (DOT_SEGMENT.test(decoded)) throw errors.HTTP_BAD_REQUEST('dot segment in path');
    segments.push(decoded);
  }
  return { segments, trailingSlash: path.endsWith('/') };
}

/**
 * True when `candidate` is `root` itself or lies below it. Compares whole path components, so a sibling
 * such as `/srv/root-evil` is not inside `/srv/root` (send CVE-2014-6394). Both must be absolute and normalised.
 */
export function isInside(root: string, candidate: string): boolean {
  if (candidate === root) return true;
  const prefix = root.endsWith(sep) ? root : root + sep;
  return candidate.startsWith(prefix);
}

/** True when some component of `candidate` below `root` starts with '.'; `candidate` must be inside `root`. */
export function hasDotComponent(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel !== '' && rel.split(sep).some((part) => part.startsWith('.'));
}
