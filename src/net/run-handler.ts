import type { Duplex } from 'node:stream';
import type {
  ConnectionHandler,
  ConnectionInfo,
  DatagramHandler,
  DatagramInfo,
  Handler,
  NetErrorReporter,
} from './types.js';

/** True for a stream (connection) handler. */
export function isConnectionHandler(handler: Handler): handler is ConnectionHandler {
  return typeof (handler as ConnectionHandler).handle === 'function';
}

/** True for a datagram handler. */
export function isDatagramHandler(handler: Handler): handler is DatagramHandler {
  return typeof (handler as DatagramHandler).handleDatagram === 'function';
}

/** How long a connection may take to close after `end()` before it is destroyed. */
const END_GRACE_MS = 2000;

/** Ends a stream gracefully and resolves once it is closed (destroyed after a grace period at the latest). */
export function endStream(stream: Duplex): Promise<void> {
  if (stream.destroyed) return Promise.resolve();
  return new Promise((resolveClosed) => {
    const timer = setTimeout(() => stream.destroy(), END_GRACE_MS);
    timer.unref();
    stream.once('close', () => {
      clearTimeout(timer);
      resolveClosed();
    });
    // Input the handler left unread is discarded: closing a socket with unread bytes resets it (RST), which
    // can throw away what was just written, and reading on lets the peer's FIN arrive and the socket close.
    stream.resume();
    stream.end();
  });
}

/**
 * Serves one connection through the pipeline setup → handle → finish → close (none of them for a stream already
 * destroyed). A throwing step is reported
 * and the connection still closes; nothing escapes, so one bad connection never stops a server. `handle()`
 * may return from inside `for await (const chunk of stream)`: the stream stays open for `finish()`.
 * Resolves once the stream has closed; `released`, if given, is called earlier, once the server has said
 * all it will (finish done and the stream's end sent) while the peer may still be closing its side.
 */
export function runConnection(
  handler: ConnectionHandler,
  stream: Duplex,
  info: ConnectionInfo,
  report: NetErrorReporter,
  released?: () => void,
): Promise<void> {
  // A stream destroyed before its turn is not served: its peer hung up while it waited in a queue or on its
  // way to a worker process (which then receives it destroyed, its 'close' already emitted), and a handler
  // that waits for 'close', as a frame connection does, would wait forever.
  if (stream.destroyed) return Promise.resolve();
  stream.on('error', ignoreError); // a peer that vanishes (ECONNRESET, EPIPE) ends the connection, not the server
  keepOpenAfterLoop(stream);
  // A promise chain rather than an async function: an idle kept-alive connection then holds no suspended
  // frame, only the pending promise of handle() (measured: about 1 KB less per connection).
  let work: Promise<unknown>;
  try {
    const setup = handler.setup?.(stream, info);
    work =
      setup === undefined
        ? Promise.resolve(handler.handle(stream, info))
        : Promise.resolve(setup).then(() => handler.handle(stream, info));
  } catch (err) {
    work = Promise.reject(err);
  }
  return work.then(
    () => finishConnection(handler, stream, info, report, released),
    (err: unknown) => {
      report(err, 'connection handler');
      return finishConnection(handler, stream, info, report, released);
    },
  );
}

/**
 * Makes `for await (const chunk of stream)` leave the stream open when the loop is left early (return, break):
 * a Readable's own iterator destroys it then, so what `finish()` writes after a `handle()` that returned from
 * inside the loop would be lost. The stream is still destroyed if the loop throws (Node 20 and 24 alike).
 */
function keepOpenAfterLoop(stream: Duplex): void {
  stream[Symbol.asyncIterator] = iterateKeepingOpen;
}

/** One function for every stream, not a closure each (an idle connection holds it). */
function iterateKeepingOpen(this: Duplex): ReturnType<Duplex['iterator']> {
  return this.iterator({ destroyOnReturn: false });
}

async function finishConnection(
  handler: ConnectionHandler,
  stream: Duplex,
  info: ConnectionInfo,
  report: NetErrorReporter,
  released: (() => void) | undefined,
): Promise<void> {
  try {
    await handler.finish?.(stream, info);
  } catch (err) {
    report(err, 'connection handler finish');
  }
  const closed = endStream(stream);
  if (released !== undefined) {
    if (stream.writableFinished) released();
    else stream.once('finish', released);
  }
  await closed;
}

/** The 'error' listener of every served stream: a peer that vanishes ends its connection, not the server. */
export function ignoreError(): void {}

/** Serves one datagram and sends the handler's reply, if any, back to the sender. Never rejects. */
export async function runDatagram(
  handler: DatagramHandler,
  message: Buffer,
  from: DatagramInfo,
  reply: (data: Uint8Array) => void,
  report: NetErrorReporter,
): Promise<void> {
  try {
    const answer = await handler.handleDatagram(message, from);
    if (answer !== undefined) reply(typeof answer === 'string' ? Buffer.from(answer) : answer);
  } catch (err) {
    report(err, 'datagram handler');
  }
}

/** The default reporter: one line on stderr. */
export const reportToStderr: NetErrorReporter = (error, context) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`tandem: ${context} failed: ${message}\n`);
};
