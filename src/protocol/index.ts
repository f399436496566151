/**
 * protocol: both ends of the frame protocol (docs/protocol.md), the multiplexed, flow-controlled link
 * between a front server and a webframe. `serveFrames(handler)` is the server end: it runs a Handler for
 * every stream, as the webframe does. `ClientSession` is the client end: it opens one stream per request,
 * as httpserver does. Another front end or another webframe speaks the protocol with these.
 */
export {
  type ClientErrorReporter,
  ClientSession,
  type ClientSessionOptions,
  type ClientStream,
  type ResponseEvents,
} from './client-session.js';
export { type CheckedResponseHead, ErrorCode, type FrameError, type RequestHead } from './frame-codec.js';
export type { ConnectionOptions, FrameConnection, FrameSocket } from './frame-connection.js';
export { DEFAULT_LIMITS, type FrameLimits } from './hello.js';
export { type ServeFramesOptions, serveFrames } from './serve-frames.js';
