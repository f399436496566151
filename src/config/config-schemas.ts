import { realpathSync, statSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ModelName } from '../net/types.js';

// The schemas of the values every config shares (ports, hosts, times, models, folders), each with an error that
// says what was expected; validate-config.ts adds the file and key, or the flag, and what was got.

/** A `{ host, port }` pair, the parsed form of a `HOST:PORT` address. */
export interface HostPort {
  host: string;
  port: number;
}

/** The zod schema of an integer from `min` to `max` inclusive, whose errors say so. */
export function intRange(min: number, max: number): z.ZodNumber {
  const error = `expected an integer from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** setTimeout's largest delay, in ms: the upper bound of every time a config sets. */
const MAX_TIMEOUT = 2_147_483_647;

/** The zod schema of a time in milliseconds, from `min` (0 where 0 means "no limit" or "at once") up. */
export function millisSchema(min: 0 | 1): z.ZodNumber {
  return intRange(min, MAX_TIMEOUT);
}

/** The zod schema of a TCP port number, 0 to 65535 (0: any free port, for listening). */
export const portSchema = intRange(0, 65535);

/** The zod schema of an on/off setting or flag. */
export const booleanSchema = z.boolean({ error: 'expected true or false' });

/**
 * The zod schema of a config object, the file's or one of its sections (`limits`): strict, so that an unknown
 * key is refused by name, and every key optional, as the defaults fill in what it leaves out.
 */
export function configObject<S extends z.ZodRawShape>(shape: S) {
  return z.strictObject(shape, { error: 'expected an object' }).partial();
}

/**
 * The zod schema of a host: an IPv4 address, an IPv6 address (bare, or in brackets, which are removed)
 * or a host name (RFC 1123 labels).
 */
export const hostSchema = z
  .string({ error: 'expected an IP address or host name' })
  .transform((value, ctx) => {
    const host = parseHost(value);
    if (host === undefined) {
      ctx.issues.push({ code: 'custom', message: 'expected an IP address or host name', input: value });
      return z.NEVER;
    }
    return host;
  });

/**
 * The zod schema of a `HOST:PORT` address to connect to (`127.0.0.1:8806`, `localhost:8806`, `[::1]:8806`),
 * parsed into `{ host, port }`; the port is 1 to 65535 and an IPv6 host must be in brackets.
 */
export const addressSchema = z
  .string({ error: 'expected HOST:PORT such as 127.0.0.1:8806 or [::1]:8806' })
  .transform((value, ctx): HostPort => {
    const parsed = parseAddress(value);
    if (typeof parsed === 'string') {
      ctx.issues.push({ code: 'custom', message: parsed, input: value });
      return z.NEVER;
    }
    return parsed;
  });

/** Parses `HOST:PORT`; returns the parsed address or the text of what was expected. */
function parseAddress(value: string): HostPort | string {
  let hostPart: string;
  let portPart: string;
  if (value.startsWith('[')) {
    const close = value.indexOf(']');
    if (close < 0 || value[close + 1] !== ':') return 'expected [IPv6]:PORT such as [::1]:8806';
    hostPart = value.slice(1, close);
    portPart = value.slice(close + 2);
    if (!isIPv6(hostPart)) return 'expected an IPv6 address in the brackets of [IPv6]:PORT';
  } else {
    const colon = value.lastIndexOf(':');
    if (colon < 0) return 'expected HOST:PORT such as 127.0.0.1:8806 or [::1]:8806';
    hostPart = value.slice(0, colon);
    portPart = value.slice(colon + 1);
    if (hostPart.includes(':')) return 'expected an IPv6 host in brackets, such as [::1]:8806';
    if (parseHost(hostPart) === undefined)
      return 'expected HOST:PORT with an IP address or host name as HOST';
  }
  const port =
    portPart.length > 0 && portPart.length <= 5 && isDigits(portPart) ? Number(portPart) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) return 'expected HOST:PORT with a PORT from 1 to 65535';
  return { host: hostPart, port };
}

/** Returns the host without brackets when `value` is a valid IP address or host name. */
function parseHost(value: string): string | undefined {
  if (value.startsWith('[') && value.endsWith(']')) {
    const inner = value.slice(1, -1);
    return isIPv6(inner) ? inner : undefined;
  }
  if (isIPv4(value) || isIPv6(value)) return value;
  return isHostName(value) ? value : undefined;
}

// RFC 1123 §2.1: labels of letters, digits and hyphens, 1-63 long, not starting or ending with a hyphen.
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function isHostName(value: string): boolean {
  if (value.length === 0 || value.length > 253) return false;
  const name = value.endsWith('.') ? value.slice(0, -1) : value;
  return name.split('.').every((label) => LABEL.test(label));
}

function isDigits(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * A check for a list of objects in which each one's `key` must differ: a repeat is refused at its own path
 * (`static.1.prefix: expected each prefix once, got "/a/"`). For `.check()` of an array schema.
 */
export function eachOnce<K extends string>(key: K) {
  return (ctx: z.core.ParsePayload<readonly Record<K, string>[]>): void => {
    const seen = new Set<string>();
    ctx.value.forEach((item, i) => {
      const value = item[key];
      if (seen.has(value)) {
        ctx.issues.push({
          code: 'custom',
          message: `expected each ${key} once`,
          input: value,
          path: [i, key],
        });
      }
      seen.add(value);
    });
  };
}

/** Why `dir` is not an existing directory (`expected an existing directory (… does not exist)`), or undefined. */
export function directoryProblem(dir: string): string | undefined {
  try {
    if (statSync(dir).isDirectory()) return undefined;
    return `expected an existing directory (${dir} is not a directory)`;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : (err as Error).message;
    return `expected an existing directory (${dir} ${reason})`;
  }
}

/**
 * The zod schema of a directory: a path resolved against `base` (a file's folder, or the working directory
 * for a flag) that must be an existing directory; `realpath` resolves its symlinks too.
 */
export function directorySchema(base: string, options: { realpath?: boolean } = {}) {
  return z
    .string({ error: 'expected the path of a directory' })
    .min(1, { error: 'expected the path of a directory' })
    .transform((value, ctx) => {
      const dir = resolve(base, value);
      const problem = directoryProblem(dir);
      if (problem === undefined) return options.realpath === true ? realpathSync(dir) : dir;
      ctx.issues.push({ code: 'custom', message: problem, input: value });
      return z.NEVER;
    });
}

/** A concurrency model name (docs/models.md), for config files and flags. */
export const modelNameSchema = z.enum(['loop', 'event', 'fork', 'prefork', 'thread'], {
  error: 'expected one of loop, event, fork, prefork, thread',
});

/** How many workers (processes, threads or forked children at once) a model may use. */
export const workersSchema = intRange(1, 256);

/** The models that have workers for `workers` to count: prefork and thread; fork counts children at once. */
const MODELS_WITH_WORKERS: readonly ModelName[] = ['prefork', 'thread', 'fork'];

/**
 * Why a `workers` setting has no effect under `model` (`by the event model (only prefork, thread, fork use it)`),
 * or undefined when it has one. `counted` is the models that use it (ftpd's fork is one child per connection).
 */
export function workersIgnoredBy(
  model: ModelName,
  counted: readonly ModelName[] = MODELS_WITH_WORKERS,
): string | undefined {
  return counted.includes(model) ? undefined : `by the ${model} model (only ${counted.join(', ')} use it)`;
}
