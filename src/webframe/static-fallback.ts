import type { Handler } from '../http/handler.js';
import { files } from '../static/index.js';

/**
 * Creates the app's static fallback over the folder `root` (which must exist): the static layer's Handler
 * for GET and HEAD (null for other methods, and where no file is), `/` serving index.html, no directory
 * listings. It sees the whole target, so a directory redirect keeps the query.
 */
export function createStaticFallback(root: string): Handler {
  const handler = files({ root, index: 'index.html', listing: false });
  return (req) => (req.method === 'GET' || req.method === 'HEAD' ? handler(req) : null);
}
