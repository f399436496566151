import { fileURLToPath } from 'node:url';
import { errors } from '../errors/catalogue.js';
import { isConnectionHandler, isDatagramHandler } from './run-handler.js';
import type { Handler, HandlerFactory, HandlerModule, HandlerModuleCall, HandlerSource } from './types.js';

/**
 * Names a handler module by its URL, written with the built file's name (`new URL('./x.js', import.meta.url)`;
 * from source, tsx loads `x.ts` for it) and typed by the module, which is never imported here:
 * `handlerModule<typeof import('./x.js')>(url)` for its default export, or
 * `handlerModule<typeof import('./x.js'), 'createX'>(url, 'createX')` for a named one. The export must be a
 * HandlerFactory, and `with()` then takes what that factory takes.
 */
export function handlerModule<Module extends { default: HandlerFactory }>(
  url: URL,
): HandlerModule<Module['default']>;
export function handlerModule<Module extends Record<Name, HandlerFactory>, Name extends string>(
  url: URL,
  exportName: Name,
): HandlerModule<Module[Name]>;
export function handlerModule(url: URL, exportName = 'default'): HandlerModule<HandlerFactory> {
  const href = url.href;
  return {
    url: href,
    export: exportName,
    with: (...options: unknown[]) => ({ url: href, export: exportName, options: options[0] }),
  };
}

/** True when `source` is a handler module's call rather than a handler. */
function isHandlerModuleCall(source: HandlerSource): source is HandlerModuleCall {
  return typeof (source as HandlerModuleCall).url === 'string';
}

/** Checks that a model that serves in other processes or threads was given a handler module's call. */
export function requireHandlerModule(source: HandlerSource, model: string): HandlerModuleCall {
  if (!isHandlerModuleCall(source)) throw errors.NET_HANDLER_MODULE_REQUIRED(model);
  return source;
}

/** The module as people read it: its path for a file: URL. */
export function moduleName(call: HandlerModuleCall): string {
  return call.url.startsWith('file:') ? fileURLToPath(call.url) : call.url;
}

/** Loads a handler: a handler object is used as it is; a module's factory export is called with its options. */
export async function loadHandler(source: HandlerSource): Promise<Handler> {
  if (!isHandlerModuleCall(source)) return source;
  const module = moduleName(source);
  let factory: unknown;
  try {
    const loaded = (await import(source.url)) as Record<string, unknown>;
    factory = loaded[source.export];
  } catch (err) {
    throw errors.APP_LOAD_FAILED(module, (err as Error).message);
  }
  if (typeof factory !== 'function') {
    throw errors.APP_INVALID(module, `export "${source.export}" must be a function that returns a handler`);
  }
  const handler = (await (factory as (options: unknown) => unknown)(source.options)) as Handler;
  if (
    handler === null ||
    typeof handler !== 'object' ||
    !(isConnectionHandler(handler) || isDatagramHandler(handler))
  ) {
    throw errors.APP_INVALID(
      module,
      `export "${source.export}" returned neither a connection nor a datagram handler`,
    );
  }
  return handler;
}
