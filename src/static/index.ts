/** The static layer's entry: `files(options)`, the Handler that serves a folder (webframe, httpserver, CLI). */

export { files } from './static-handler.js';
export type { StaticOptions } from './static-options.js';
