/**
 * net: Python's socketserver in TypeScript. A NetServer is a transport (TCP v4/v6, UDP, Unix stream, Unix
 * datagram) × a concurrency model (loop, event, fork, prefork, thread) × a handler (`setup → handle →
 * finish` over a Duplex, or a datagram in and a reply out), given as an object or, for models that serve in
 * other processes or threads, as a handler module named with `handlerModule(url).with(options)`.
 */
export { handlerModule } from './handler-module.js';
export { type BoundAddress, NetServer, type NetServerOptions } from './net-server.js';
export type {
  ConcurrencyModel,
  ConnectionHandler,
  ConnectionInfo,
  DatagramHandler,
  DatagramInfo,
  Handler,
  HandlerFactory,
  HandlerModule,
  HandlerModuleCall,
  HandlerSource,
  ModelName,
  ModelSpec,
  NetErrorReporter,
  TransportSpec,
} from './types.js';
