import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/** Where a server listens: TCP (IPv4 or IPv6), UDP, a Unix stream socket or a Unix datagram socket. */
export type TransportSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'udp'; host: string; port: number }
  | { kind: 'unix'; path: string }
  | { kind: 'unix-dgram'; path: string };

/** The name of a concurrency model: how each client is served (docs/models.md). */
export type ModelName = 'loop' | 'event' | 'fork' | 'prefork' | 'thread';

/** A concurrency model and how many workers it runs. */
export interface ModelSpec {
  kind: ModelName;
  /**
   * fork: the most children at once (default 40); prefork: worker processes, thread: worker threads (default
   * 2). A positive integer; loop and event have no workers and ignore it.
   */
  workers?: number;
}

/** Who is on the other end of a connection. */
export interface ConnectionInfo {
  transport: TransportSpec['kind'];
  /** Peer address (IP, or '' for a Unix socket). */
  remoteAddress: string;
  remotePort: number;
}

/** Who sent a datagram; `reply` goes back there. */
export interface DatagramInfo {
  transport: TransportSpec['kind'];
  /** Sender IP for UDP; '' for a Unix datagram. */
  address: string;
  port: number;
  /** Sender's bound path for a Unix datagram (replies need one); undefined for UDP. */
  path?: string;
}

/**
 * A stream handler, as in socketserver's StreamRequestHandler: `setup`, then `handle`, then `finish`
 * (which runs even when `handle` throws), over a Duplex. The server ends the connection once `finish` is done,
 * so `handle` should resolve only when it is done with the stream.
 */
export interface ConnectionHandler {
  setup?(stream: Duplex, info: ConnectionInfo): void | Promise<void>;
  handle(stream: Duplex, info: ConnectionInfo): void | Promise<void>;
  /**
   * handle() without a promise, for a handler that holds many idle connections (the HTTP engines): serves
   * `stream` and calls `done(stream)` once, where handle()'s promise would resolve; `done` is one function for
   * every connection, so a waiting connection holds neither a promise nor a closure. A server uses it, when
   * present, for a handler with no `setup` or `finish`; it must do what handle() does.
   */
  serve?(stream: Duplex, info: ConnectionInfo, done: (stream: Duplex) => void): void;
  finish?(stream: Duplex, info: ConnectionInfo): void | Promise<void>;
  /**
   * Called once when the server starts a graceful close, before it waits for open connections: ask them to
   * finish (close idle keep-alive connections, send GOAWAY). A model with workers calls it in each worker.
   */
  drain?(): void;
  /**
   * Read what the handler loaded at start again (certificates, on SIGHUP or after a renewal): new connections
   * get the new version, open ones go on. A model with workers calls it in each worker.
   */
  reload?(): void;
  /** Called once after the last connection closed: release what the handler holds. */
  close?(): void | Promise<void>;
}

/** A datagram handler: a message in, an optional reply out. */
export interface DatagramHandler {
  handleDatagram(
    message: Buffer,
    from: DatagramInfo,
  ): Uint8Array | string | undefined | Promise<Uint8Array | string | undefined>;
  close?(): void | Promise<void>;
}

/** Either kind of handler. */
export type Handler = ConnectionHandler | DatagramHandler;

/** A handler module's factory: called with the module's options, it returns the handler (or a promise of it). */
export type HandlerFactory = (options: never) => Handler | Promise<Handler>;

/**
 * A handler module, typed by its factory: a module whose export `export` is a HandlerFactory, named by URL so
 * that every worker process or thread can load it (each builds its own handler). Made by `handlerModule()`;
 * what a server is given is `module.with(options)`.
 */
export interface HandlerModule<Factory extends HandlerFactory> {
  /** The module's URL (file:). */
  readonly url: string;
  /** The name of the export that is the factory. */
  readonly export: string;
  /** The factory's call with `options` (which must survive structured clone: they travel to the workers). */
  with(...options: Parameters<Factory>): HandlerModuleCall;
}

/** A handler module's factory and the options to call it with, as plain data: what travels to the workers. */
export interface HandlerModuleCall {
  readonly url: string;
  readonly export: string;
  readonly options: unknown;
}

/** What a model is given to serve with: a handler object (loop and event only) or a handler module's call. */
export type HandlerSource = Handler | HandlerModuleCall;

/**
 * A concurrency model: the one place where "how a client is served" is decided (socketserver's
 * `process_request`). A server accepts; the model decides who runs the handler and when.
 */
export interface ConcurrencyModel {
  readonly name: ModelName;
  /** Prepares the model (loads the handler, starts workers); called once before anything is served. */
  start(handler: HandlerSource): Promise<void>;
  /** Serves one accepted connection. The socket is paused and nothing has been read from it yet. */
  serveConnection(socket: Socket, info: ConnectionInfo): void;
  /** Serves one datagram; `reply` sends bytes back to its sender. */
  serveDatagram(message: Buffer, from: DatagramInfo, reply: (data: Uint8Array) => void): void;
  /** Connections or datagrams being served right now (queued ones included). */
  readonly active: number;
  /** Tells the handler, in every process or thread that runs it, to reload (ConnectionHandler.reload). */
  reload(): void;
  /** Graceful close: serves nothing new, resolves once in-flight work is done and workers have exited. */
  close(): Promise<void>;
  /**
   * Ends a graceful close whose deadline has passed: destroys every connection still open or waiting (in
   * workers too, which then exit) and returns how many there were. The pending close() resolves soon after.
   */
  cut(): number;
}

/** Reports a failure inside a handler or a worker without stopping the server. */
export type NetErrorReporter = (error: unknown, context: string) => void;
