import type { Duplex } from 'node:stream';
import type { Handler } from '../http/handler.js';
import type { HandlerErrorReporter } from '../http/run-handler.js';
import type { ConnectionHandler } from '../net/types.js';
import { ErrorCode, type Frame, type FrameError, FrameFlag } from './frame-codec.js';
import { type ConnectionOptions, FrameConnection } from './frame-connection.js';
import { checkRequestHead } from './head-check.js';
import { ServedStream, type ServedStreamOptions } from './served-stream.js';

/** How serveFrames runs a Handler. */
export interface ServeFramesOptions extends ConnectionOptions {
  /** Told of an error a handler threw that is not a TandemError with a status, or of a reply it could not send. */
  onError?: HandlerErrorReporter;
  /** Told when a connection ended on a connection error (docs §8), with its code and message. */
  onConnectionError?: (error: FrameError) => void;
  /**
   * A stream that makes no progress for this long, in ms, is aborted with TIMEOUT (default 60000): its
   * request body is open and no DATA came while httpserver had credit, or its response waits for WINDOW.
   */
  streamIdleTimeout?: number;
  /** A connection with no open streams for this long is closed with GOAWAY, in ms (default 120000). */
  idleTimeout?: number;
}

/**
 * Runs `handler` on the server end of the frame protocol (docs/protocol.md), as a ConnectionHandler that
 * every concurrency model can serve: each stream an httpserver opens is an HttpRequest for the handler, and
 * its reply goes back as HEAD and DATA within the stream's credit. A null reply is a 404 and a thrown error
 * is answered by the one error renderer (runHandler); HEAD, 204 and 304 replies carry no body. `drain()`
 * sends GOAWAY on every connection: the streams already received finish, new ones are refused.
 */
export function serveFrames(handler: Handler, options: ServeFramesOptions = {}): ConnectionHandler {
  const connections = new Set<FrameConnection<ServedStream>>();
  const idleTimeout = options.idleTimeout ?? 120_000;
  const streamOptions: ServedStreamOptions = {
    onError: options.onError,
    streamIdleTimeout: options.streamIdleTimeout ?? 60_000,
  };
  return {
    handle(socket: Duplex) {
      const connection: FrameConnection<ServedStream> = new FrameConnection(socket, options, (frame) =>
        acceptStream(connection, frame, handler, streamOptions),
      );
      connections.add(connection);
      const timed = socket as Duplex & { setTimeout?(ms: number, cb: () => void): unknown };
      timed.setTimeout?.(idleTimeout, () => {
        if (connection.activeStreams === 0) connection.close();
      });
      return new Promise<void>((resolve) => {
        connection.onClose = (error) => {
          connections.delete(connection);
          if (error !== undefined) options.onConnectionError?.(error);
          resolve();
        };
        connection.start();
      });
    },
    drain() {
      for (const connection of connections) connection.close();
    },
  };
}

/**
 * A request HEAD opened a stream: it becomes a ServedStream that `handler` answers, unless the connection is
 * going away or at maxStreams (ABORT REFUSED_STREAM: httpserver may retry it elsewhere).
 */
function acceptStream(
  connection: FrameConnection<ServedStream>,
  frame: Frame,
  handler: Handler,
  options: ServedStreamOptions,
): void {
  const id = frame.stream;
  if (id <= connection.lastStreamId) {
    return connection.fail(
      ErrorCode.PROTOCOL_ERROR,
      `HEAD on stream ${id}, not greater than stream ${connection.lastStreamId}`,
    );
  }
  const json = connection.parseJson(frame);
  if (json === undefined) return;
  const head = checkRequestHead(json);
  if (typeof head === 'string') {
    return connection.fail(ErrorCode.PROTOCOL_ERROR, `request head on stream ${id}: ${head}`);
  }
  const max = connection.limits.maxStreams;
  if (connection.goingAway || connection.activeStreams >= max) {
    return connection.refuse(id, connection.goingAway ? 'going away' : `more than ${max} open streams`);
  }
  const ended = (frame.flags & FrameFlag.END_STREAM) !== 0;
  new ServedStream(connection, id, head, ended, options).serve(handler);
}
