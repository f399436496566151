import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { z } from 'zod';
import { errors } from '../errors/catalogue.js';
import { deepFreeze } from './deep-freeze.js';

/**
 * Validates `value` against `schema` and returns the parsed result, deeply frozen.
 * Throws `errors.CONFIG_INVALID(file, key, expected)` for the first issue only, where `key` is the dotted
 * path (`timeouts.upstream`) and `expected` says what was expected and what was got.
 * Schemas should be strict objects so that unknown keys are reported by name.
 */
export function validateConfig<T>(schema: z.ZodType<T>, value: unknown, file: string): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (!result.success) {
    const issue = result.error.issues[0];
    if (issue === undefined) throw errors.CONFIG_INVALID(file, '(top level)', 'invalid value');
    throw describeIssue(schema, issue, file);
  }
  return deepFreeze(result.data);
}

/**
 * Validates one command-line flag's value against `schema` and returns the parsed result.
 * Throws `errors.CLI_USAGE` worded as `--port: expected an integer from 0 to 65535, got "abc"`: the same
 * words a config file's key gets, so that every command reports a bad flag value alike (exit status 2).
 */
export function validateFlag<T>(schema: z.ZodType<T>, value: unknown, flag: string): T {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const expected = issue === undefined ? 'expected a valid value' : expectedText(issue);
  throw errors.CLI_USAGE(`${flag}: ${expected}, got ${describeValue(value)}`);
}

/** A flag arrives as text; only plain decimal digits become a number, anything else is reported as given. */
export function numeric(text: number | string): number | string {
  return typeof text === 'string' && /^\d{1,10}$/.test(text) ? Number(text) : text;
}

/**
 * Reads a JSON config file and returns its parsed value, not yet validated.
 * Throws `errors.CONFIG_UNREADABLE(file, reason)` when the file is missing, unreadable or not valid JSON.
 */
export async function readJsonConfig(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : (err as Error).message;
    throw errors.CONFIG_UNREADABLE(file, reason);
  }
  // A UTF-8 byte order mark is not JSON, but editors write it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw errors.CONFIG_UNREADABLE(file, `invalid JSON: ${(err as Error).message}`);
  }
}

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

/** The zod schema of a TCP port number, 0 to 65535 (0: any free port, for listening). */
export const portSchema = intRange(0, 65535);

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

function describeIssue(schema: z.ZodType, issue: z.core.$ZodIssue, file: string): Error {
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const key = [...path, issue.keys[0] ?? ''].join('.');
    const known = knownKeys(schema, issue.path);
    const hint = known.length > 0 ? `; expected one of ${known.join(', ')}` : '';
    return errors.CONFIG_INVALID(file, key, `unknown key${hint}`);
  }
  const key = path.length > 0 ? path.join('.') : '(top level)';
  return errors.CONFIG_INVALID(file, key, `${expectedText(issue)}, got ${describeValue(issue.input)}`);
}

function expectedText(issue: z.core.$ZodIssue): string {
  if (issue.message.startsWith('expected')) return issue.message;
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`}`;
    case 'too_big':
      return `expected at most ${String(issue.maximum)}`;
    case 'too_small':
      return `expected at least ${String(issue.minimum)}`;
    default:
      return `expected a valid value (${issue.message})`;
  }
}

/** Describes a received value briefly, the way it would be written in JSON. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** The keys a strict object accepts at `path` inside `schema`, or none when that cannot be told. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  for (let depth = 0; ; depth++) {
    current = unwrap(current);
    // An array's entries (`users.0.name`): the path's index steps into the element schema.
    if (current instanceof z.ZodArray && depth < path.length && typeof path[depth] === 'number') {
      current = current.element;
      continue;
    }
    if (!(current instanceof z.ZodObject)) return [];
    if (depth === path.length) return Object.keys(current.shape);
    current = (current.shape as Record<string, unknown>)[String(path[depth])];
  }
}

function unwrap(schema: unknown): unknown {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}

/** A concurrency model name (docs/models.md), for config files and flags. */
export const modelNameSchema = z.enum(['loop', 'event', 'fork', 'prefork', 'thread'], {
  error: 'expected one of loop, event, fork, prefork, thread',
});

/** How many workers (processes, threads or forked children at once) a model may use. */
export const workersSchema = intRange(1, 256);
