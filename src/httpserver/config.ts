import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { deepFreeze } from '../config/deep-freeze.js';
import {
  addressSchema,
  type HostPort,
  hostSchema,
  intRange,
  modelNameSchema,
  numeric,
  portSchema,
  readJsonConfig,
  validateConfig,
  validateFlag,
  workersSchema,
} from '../config/validate-config.js';
import { errors } from '../errors/catalogue.js';
import type { ModelName } from '../net/types.js';
import { mergeStatic, type StaticRouteConfig, staticFlagSchema, staticListSchema } from './static-config.js';

export type { StaticRouteConfig } from './static-config.js';

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
  /** Worker processes or threads for prefork and thread; most children at once for fork. */
  workers: number;
  /** Directories served from disk by URL path prefix; the longest matching prefix wins. */
  static: readonly StaticRouteConfig[];
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
  /** A number, or the flag's text. */
  workers?: number | string;
  /** `--static /PREFIX/=DIR`, repeatable; added to the file's list (same prefix: the flag's entry wins). */
  static?: string[];
}

/** What a config file may hold: any subset of the keys of HttpServerConfig. */
type HttpServerConfigFile = {
  [K in Exclude<keyof HttpServerConfig, 'static'>]?: HttpServerConfig[K] extends HostPort
    ? HostPort
    : HttpServerConfig[K] extends object
      ? Partial<HttpServerConfig[K]>
      : HttpServerConfig[K];
} & { static?: readonly StaticRouteConfig[] };

const MAX_TIMEOUT = 2_147_483_647; // setTimeout's largest delay
const booleanSchema = z.boolean({ error: 'expected true or false' });
const objectError = { error: 'expected an object' };

function fileSchema(base: string): z.ZodType<HttpServerConfigFile> {
  return z.strictObject(
    {
      host: hostSchema.optional(),
      port: portSchema.optional(),
      debug: booleanSchema.optional(),
      webframe: addressSchema.optional(),
      connections: intRange(1, 64).optional(),
      model: modelNameSchema.optional(),
      workers: workersSchema.optional(),
      static: staticListSchema(base).optional(),
      limits: z
        .strictObject(
          {
            maxHeaderSize: intRange(1024, 1024 * 1024).optional(),
            maxBodySize: intRange(0, Number.MAX_SAFE_INTEGER).optional(),
          },
          objectError,
        )
        .optional(),
      timeouts: z
        .strictObject(
          {
            headers: intRange(1, MAX_TIMEOUT).optional(),
            request: intRange(0, MAX_TIMEOUT).optional(),
            keepAlive: intRange(0, MAX_TIMEOUT).optional(),
            upstream: intRange(1, MAX_TIMEOUT).optional(),
            send: intRange(1, MAX_TIMEOUT).optional(),
            drain: intRange(0, MAX_TIMEOUT).optional(),
          },
          objectError,
        )
        .optional(),
    },
    objectError,
  );
}

/**
 * Loads the httpserver config: reads the file named by `flags.config` if given (a missing file is an error),
 * merges defaults < file < flags, validates each source and returns the result frozen.
 * Errors name the file and the key, or the flag (`--port: expected …`, a usage error).
 */
export async function loadHttpServerConfig(flags: HttpServerFlags): Promise<HttpServerConfig> {
  const file =
    flags.config === undefined
      ? {}
      : validateConfig(
          fileSchema(dirname(resolve(flags.config))),
          await readJsonConfig(flags.config),
          flags.config,
        );
  const fromFlags = validateFlags(flags);
  const d = defaultHttpServerConfig;
  const config: HttpServerConfig = {
    host: fromFlags.host ?? file.host ?? d.host,
    port: fromFlags.port ?? file.port ?? d.port,
    debug: fromFlags.debug ?? file.debug ?? d.debug,
    webframe: { ...(fromFlags.webframe ?? file.webframe ?? d.webframe) },
    connections: file.connections ?? d.connections,
    model: fromFlags.model ?? file.model ?? d.model,
    workers: fromFlags.workers ?? file.workers ?? d.workers,
    static: mergeStatic(file.static ?? d.static, fromFlags.static ?? []),
    limits: { ...d.limits, ...file.limits },
    timeouts: { ...d.timeouts, ...file.timeouts },
  };
  return deepFreeze(config);
}

function validateFlags(flags: HttpServerFlags): HttpServerConfigFile {
  const out: HttpServerConfigFile = {};
  if (flags.host !== undefined) out.host = flag(hostSchema, flags.host, 'host');
  if (flags.port !== undefined) out.port = flag(portSchema, numeric(flags.port), 'port');
  if (flags.model !== undefined) out.model = flag(modelNameSchema, flags.model, 'model');
  if (flags.workers !== undefined) out.workers = flag(workersSchema, numeric(flags.workers), 'workers');
  if (flags.webframe !== undefined) out.webframe = flag(addressSchema, flags.webframe, 'webframe');
  if (flags.debug !== undefined) out.debug = flag(booleanSchema, flags.debug, 'debug');
  if (flags.static !== undefined && flags.static.length > 0) {
    const seen = new Set<string>();
    out.static = flags.static.map((text) => {
      const entry = flag(staticFlagSchema, text, 'static');
      if (seen.has(entry.prefix)) {
        throw errors.CLI_USAGE(`--static: expected each prefix once, got "${entry.prefix}" twice`);
      }
      seen.add(entry.prefix);
      return entry;
    });
  }
  return out;
}

function flag<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  return validateFlag(schema, value, `--${name}`);
}
