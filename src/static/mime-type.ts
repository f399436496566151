import mime from 'mime';

/** Non-`text/*` types that are text and get `; charset=utf-8`. */
const TEXT_TYPES = new Set([
  'application/javascript',
  'application/json',
  'image/svg+xml',
  'application/xml',
]);

/**
 * The Content-Type value for a file name: the `mime` table's type, `application/octet-stream` when unknown,
 * with `; charset=utf-8` for text types (text/*, JavaScript, JSON, SVG, XML and `+json` / `+xml` types).
 */
export function contentTypeFor(fileName: string): string {
  const type = mime.getType(fileName) ?? 'application/octet-stream';
  return isTextType(type) ? `${type}; charset=utf-8` : type;
}

/** True for media types whose bodies are text and so take a charset parameter. */
export function isTextType(type: string): boolean {
  return type.startsWith('text/') || TEXT_TYPES.has(type) || type.endsWith('+json') || type.endsWith('+xml');
}
