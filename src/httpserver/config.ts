import { z } from 'zod';
import {
  addressSchema,
  booleanSchema,
  configObject,
  type HostPort,
  hostSchema,
  intRange,
  millisSchema,
  modelNameSchema,
  portSchema,
  workersIgnoredBy,
  workersSchema,
} from '../config/config-schemas.js';
import { type ConfigSpec, flagRule, loadConfig, readFlags } from '../config/layered-config.js';
import { HTTP_ENGINES, type HttpEngineName } from '../http/http-engine.js';
import type { ModelName } from '../net/types.js';
import { mergeStatic, type StaticRouteConfig, staticFlagRule, staticListSchema } from './static-config.js';
import { mergeTls, type TlsConfig, tlsFlagRule, tlsSchema } from './tls-config.js';

/** The httpserver's settings, validated and frozen; times are in milliseconds, sizes in bytes. */
export interface HttpServerConfig {
  /** Address to listen on. */
  host: string;
  /** Port to listen on; 0 picks any free port. */
  port: number;
  /** Verbose logging and error details in responses. */
  debug: boolean;
  /** Where the webframe listens; written `127.0.0.1:8806` or `[::1]:8806` in the file and flags. */
  webframe: HostPort;
  /** Multiplexed pool connections to the webframe (per worker). */
  connections: number;
  /** How clients are served: `event` (default), `loop`, `fork`, `prefork` or `thread` (docs/models.md). */
  model: ModelName;
  /** The HTTP/1.1 engine (`llhttp` or `node`); unset, serveHttp picks its default. */
  engine?: HttpEngineName;
  /** Worker processes or threads for prefork and thread; most children at once for fork. */
  workers: number;
  /** Directories served from disk by URL path prefix; the longest matching prefix wins. */
  static: readonly StaticRouteConfig[];
  /** HTTPS (and HTTP/2) on the listener; plain HTTP/1.1 when unset. */
  tls?: TlsConfig | undefined;
  limits: {
    /** Largest request head (request line and headers); larger gets 431. */
    maxHeaderSize: number;
    /** Largest request body; larger gets 413. */
    maxBodySize: number;
  };
  timeouts: {
    /** Time for a client to send the whole request head; slower gets 408. */
    headers: number;
    /** Time for a client to send the whole request; 0 disables. */
    request: number;
    /** Idle time of a kept-alive client connection before it is closed. */
    keepAlive: number;
    /** Time for the webframe to send a response head; slower gets 504. */
    upstream: number;
    /** A client that takes no bytes of its response for this long is cut, like nginx's send_timeout. */
    send: number;
    /** Time a graceful stop lets requests in flight finish; what is still open then is cut (and logged). */
    drain: number;
  };
}

/** The httpserver's defaults, used for every key neither the file nor the flags set. */
export const defaultHttpServerConfig: HttpServerConfig = Object.freeze({
  host: '127.0.0.1',
  port: 8808,
  debug: false,
  webframe: Object.freeze({ host: '127.0.0.1', port: 8806 }),
  connections: 2,
  model: 'event',
  workers: 2,
  static: Object.freeze([]),
  limits: Object.freeze({ maxHeaderSize: 16384, maxBodySize: 2 * 1024 * 1024 * 1024 }),
  timeouts: Object.freeze({
    headers: 30_000,
    request: 300_000,
    keepAlive: 5_000,
    upstream: 60_000,
    send: 60_000,
    drain: 30_000,
  }),
});

/** Command-line flags of the httpserver, as the CLI parsed them; `undefined` means not given. */
export interface HttpServerFlags {
  /** Path of a JSON config file; it must exist when given. */
  config?: string;
  host?: string;
  /** A number, or the flag's text (`"8808"`). */
  port?: number | string;
  /** `HOST:PORT` of the webframe. */
  webframe?: string;
  debug?: boolean;
  model?: string;
  engine?: string;
  /** A number, or the flag's text. */
  workers?: number | string;
  /** `--static /PREFIX/=DIR`, repeatable; added to the file's list (same prefix: the flag's entry wins). */
  static?: string[];
  /** `--tls-cert FILE`: a certificate chain (PEM) that makes the listener HTTPS; needs `--tls-key`. */
  tlsCert?: string;
  /** `--tls-key FILE`: the private key (PEM) of `--tls-cert`. */
  tlsKey?: string;
}

/** An HTTP/1.1 engine name (serveHttp's HTTP_ENGINES), for the httpserver's and `tandem static`'s flags and file. */
export const engineNameSchema = z.enum(HTTP_ENGINES, {
  error: `expected one of ${HTTP_ENGINES.join(', ')}`,
});

/** The httpserver's config: its defaults, its file's keys and its flags (defaults < file < flags). */
const httpServerSpec: ConfigSpec<HttpServerConfig> = {
  defaults: defaultHttpServerConfig,
  file: (base) =>
    configObject({
      host: hostSchema,
      port: portSchema,
      debug: booleanSchema,
      webframe: addressSchema,
      connections: intRange(1, 64),
      model: modelNameSchema,
      engine: engineNameSchema,
      workers: workersSchema,
      static: staticListSchema(base),
      tls: tlsSchema(base),
      limits: configObject({
        maxHeaderSize: intRange(1024, 1024 * 1024),
        maxBodySize: intRange(0, Number.MAX_SAFE_INTEGER),
      }),
      timeouts: configObject({
        headers: millisSchema(1),
        request: millisSchema(0),
        keepAlive: millisSchema(0),
        upstream: millisSchema(1),
        send: millisSchema(1),
        drain: millisSchema(0),
      }),
    }),
  flags: {
    host: flagRule('--host', hostSchema),
    port: flagRule('--port', portSchema),
    debug: flagRule('--debug', booleanSchema),
    webframe: flagRule('--webframe', addressSchema),
    model: flagRule('--model', modelNameSchema),
    engine: flagRule('--engine', engineNameSchema),
    workers: flagRule('--workers', workersSchema),
    static: staticFlagRule,
    tls: tlsFlagRule,
  },
  combine: { static: mergeStatic, tls: mergeTls },
  ignored: { workers: (config) => workersIgnoredBy(config.model) },
};

/**
 * Loads the httpserver config: reads the file named by `flags.config` if given (a missing file is an error),
 * merges defaults < file < flags, validates each source and returns the result frozen.
 * Errors name the file and the key, or the flag (`--port: expected …`, a usage error); `warn` gets a line for
 * a key that is set but ignored (`workers` under the event model), naming its file and key, or its flag.
 */
export async function loadHttpServerConfig(
  flags: HttpServerFlags,
  warn?: (message: string) => void,
): Promise<HttpServerConfig> {
  const { config: file, tlsCert, tlsKey, ...given } = flags;
  const tls = tlsCert === undefined && tlsKey === undefined ? undefined : [tlsCert ?? '', tlsKey ?? ''];
  return loadConfig(httpServerSpec, { file, flags: readFlags(httpServerSpec, { ...given, tls }), warn });
}
