import type { Handler, ReplyBody } from '../http/handler.js';
import { splitTarget } from '../http/target.js';
import { createStaticHandler, openStaticBody } from '../static/static-handler.js';

/**
 * Creates the app's static fallback over the folder `root` (which must exist), as a Handler for GET and HEAD
 * (null for other methods, and where no file is): `/` serves index.html, `/style.css` serves style.css; no
 * directory listings. A file's bytes go as a file range, other bodies stream from disk, never buffered;
 * header names are made lower-case like every other reply's.
 */
export function createStaticFallback(root: string): Handler {
  const handler = createStaticHandler({ root, index: 'index.html', listing: false });
  return async (req) => {
    const { method } = req;
    if (method !== 'GET' && method !== 'HEAD') return null;
    const reply = await handler({ method, path: splitTarget(req.target).path, headers: req.headers });
    if (reply === null) return null;
    const lowerCased: Record<string, string> = {};
    for (const name in reply.headers) lowerCased[name.toLowerCase()] = reply.headers[name]!;
    const file = reply.body;
    let body: ReplyBody;
    if (file !== null && typeof file === 'object' && !Buffer.isBuffer(file) && !('kind' in file)) body = file;
    else body = openStaticBody(reply) as ReplyBody;
    return { status: reply.status, headers: lowerCased, body };
  };
}
