/** The static layer: one implementation of static file serving, used by webframe, httpserver and the CLI. */

export { contentTypeFor } from './mime-type.js';
export { type CanonicalPath, canonicalisePath, isInside } from './safe-path.js';
export {
  createStaticHandler,
  openStaticBody,
  type StaticFileBody,
  type StaticHandler,
  type StaticOptions,
  type StaticReply,
  type StaticRequest,
  textReply,
} from './static-handler.js';
