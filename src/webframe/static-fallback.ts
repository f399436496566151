import { createReadStream } from 'node:fs';
import { isFileRange } from '../http/handler.js';
import { files } from '../static/index.js';
import type { ServeStatic } from './dispatch.js';

const NO_BODY: AsyncIterable<Uint8Array> = { async *[Symbol.asyncIterator]() {} };

/**
 * Creates the app's static fallback over the folder `root` (which must exist): `/` serves index.html,
 * `/style.css` serves style.css; no directory listings. File bodies stream from disk, never buffered.
 */
export function createStaticFallback(root: string): ServeStatic {
  const handler = files({ root, index: 'index.html', listing: false });
  return async (method, rawPath, headers) => {
    // The static handler reads the method, target and headers only.
    const reply = await handler({
      method,
      target: rawPath,
      version: '1.1',
      scheme: 'http',
      headers,
      client: { address: '', port: 0 },
      body: NO_BODY,
      signal: new AbortController().signal,
    });
    if (reply === null) return null;
    const { body } = reply;
    return {
      ...reply,
      body: isFileRange(body) ? createReadStream(body.path, { start: body.start, end: body.end }) : body,
    };
  };
}
