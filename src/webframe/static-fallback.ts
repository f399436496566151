import { createStaticHandler, openStaticBody } from '../static/static-handler.js';
import type { ServeStatic } from './dispatch.js';

/**
 * Creates the app's static fallback over the folder `root` (which must exist): `/` serves index.html,
 * `/style.css` serves style.css; no directory listings. File bodies stream from disk, never
 * buffered; header names are made lower-case like every other reply's.
 */
export function createStaticFallback(root: string): ServeStatic {
  const handler = createStaticHandler({ root, index: 'index.html', listing: false });
  return async (method, rawPath, headers) => {
    const reply = await handler({ method, path: rawPath, headers });
    if (reply === null) return null;
    const body = openStaticBody(reply);
    const lowerCased: Record<string, string> = {};
    for (const name in reply.headers) lowerCased[name.toLowerCase()] = reply.headers[name]!;
    return {
      status: reply.status,
      headers: lowerCased,
      body:
        typeof body === 'string' || body === null || body instanceof Uint8Array
          ? body
          : (body as AsyncIterable<Uint8Array>),
    };
  };
}
