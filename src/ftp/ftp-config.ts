import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { deepFreeze } from '../config/deep-freeze.js';
import { hostSchema, portSchema, validateConfig, workersSchema } from '../config/validate-config.js';
import { errors } from '../errors/catalogue.js';
import {
  booleanSchema,
  directoryProblem,
  type FtpServerConfigFile,
  fileSchema,
  ftpModelSchema,
  rootSchema,
} from './ftp-config-schema.js';
import type { FtpModel } from './ftp-models.js';

/** A user of the FTP server from the config file. */
export interface FtpUser {
  /** The login name (USER). */
  name: string;
  /** The scrypt hash of the password (`tandem ftpd --hash-password`); the file's key is `password`. */
  passwordHash: string;
  /** May store, append, delete, rename and make or remove directories. */
  write: boolean;
  /** home below root, '' = root; '/'-separated, without leading or trailing '/', checked to exist. */
  home: string;
}

/** The FTP server's settings, validated and frozen; times are in milliseconds. */
export interface FtpServerConfig {
  /** The directory served, absolute and realpath'd. */
  root: string;
  /** Address to listen on. */
  host: string;
  /** Port to listen on; 0 picks any free port. */
  port: number;
  /** USER anonymous or ftp with any password, read-only. */
  anonymous: boolean;
  /** Users with passwords, from the config file. */
  users: readonly FtpUser[];
  /** Passive data ports: portMin = portMax = 0 lets the OS pick; address = masquerade IPv4 for the 227/229 reply. */
  passive: { portMin: number; portMax: number; address?: string };
  /** PORT and EPRT allowed (to the client's own address and ports >= 1024 only). */
  active: boolean;
  limits: {
    /** Control connections at once. */
    connections: number;
    /** Control connections at once from one address. */
    perAddress: number;
    /** Failed logins before the connection is closed. */
    loginFailures: number;
    /** Delay before the 530 of a failed login. */
    failedLoginDelay: number;
  };
  timeouts: {
    /** A control connection without a command for this long is closed. */
    idle: number;
    /** A data connection not made, or a transfer stalled, for this long is aborted. */
    data: number;
    /** Time from connecting to a successful login. */
    login: number;
  };
  /** How clients are served: `event` (default), `fork`, `prefork` (docs/models.md). */
  model: FtpModel;
  /** Worker processes for prefork; most children at once for fork. */
  workers: number;
  /** Verbose logging. */
  debug: boolean;
}

/** The FTP server's defaults (vsftpd's limits); `root` '' stands for the working directory. */
export const defaultFtpConfig: FtpServerConfig = Object.freeze({
  root: '',
  host: '127.0.0.1',
  port: 2121,
  anonymous: true,
  users: Object.freeze([]),
  passive: Object.freeze({ portMin: 0, portMax: 0 }),
  active: false,
  limits: Object.freeze({ connections: 200, perAddress: 50, loginFailures: 3, failedLoginDelay: 1000 }),
  timeouts: Object.freeze({ idle: 300_000, data: 60_000, login: 60_000 }),
  model: 'event',
  workers: 2,
  debug: false,
});

/** Command-line flags of `tandem ftpd`, as the CLI parsed them; `undefined` means not given. */
export interface FtpServerFlags {
  /** The ROOT argument, resolved against the working directory. */
  root?: string;
  host?: string;
  /** A number, or the flag's text (`"2121"`). */
  port?: number | string;
  /** Path of a JSON config file; it must exist when given. */
  config?: string;
  model?: string;
  /** A number, or the flag's text. */
  workers?: number | string;
  debug?: boolean;
  active?: boolean;
}

/** The name given as the "file" of errors found in command-line flags. */
const COMMAND_LINE = 'command line';

/** Reads and parses a JSON config file; throws CONFIG_UNREADABLE like readJsonConfig, but synchronously. */
function readJsonConfigSync(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw errors.CONFIG_UNREADABLE(file, code === 'ENOENT' ? 'file not found' : (err as Error).message);
  }
  // A UTF-8 byte order mark is not JSON, but editors write it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw errors.CONFIG_UNREADABLE(file, `invalid JSON: ${(err as Error).message}`);
  }
}

/**
 * Loads the FTP server config: reads the JSON file named by `flags.config` if given (a missing file is an
 * error), merges defaults < file < flags, validates each source with zod (messages name the file or
 * `command line`, the key or flag, what was expected and what was got), resolves root relative to the
 * config file's directory (the ROOT flag against the working directory; the working directory when
 * neither sets it), checks that each user's home exists inside root, and returns the result frozen.
 * Throws a TandemError (CONFIG_UNREADABLE or CONFIG_INVALID).
 */
export function loadFtpConfig(flags: FtpServerFlags): FtpServerConfig {
  const source = flags.config;
  const file: FtpServerConfigFile =
    source === undefined
      ? {}
      : validateConfig(fileSchema(dirname(resolve(source))), readJsonConfigSync(source), source);
  const fromFlags = validateFlags(flags);
  const d = defaultFtpConfig;
  const root = fromFlags.root ?? file.root ?? flag(rootSchema(process.cwd()), '.', 'ROOT');
  const users = file.users ?? d.users;
  users.forEach((user, i) => {
    checkHome(root, user, source === undefined ? COMMAND_LINE : source, i);
  });
  const config: FtpServerConfig = {
    root,
    host: fromFlags.host ?? file.host ?? d.host,
    port: fromFlags.port ?? file.port ?? d.port,
    anonymous: file.anonymous ?? d.anonymous,
    users: users.map((user) => ({ ...user })),
    passive: { ...d.passive, ...file.passive },
    active: fromFlags.active ?? file.active ?? d.active,
    limits: { ...d.limits, ...file.limits },
    timeouts: { ...d.timeouts, ...file.timeouts },
    model: fromFlags.model ?? file.model ?? d.model,
    workers: fromFlags.workers ?? file.workers ?? d.workers,
    debug: fromFlags.debug ?? file.debug ?? d.debug,
  };
  return deepFreeze(config);
}

/** Refuses a user whose home is not an existing directory inside root (symlinks included). */
function checkHome(root: string, user: FtpUser, file: string, index: number): void {
  if (user.home === '') return;
  const dir = join(root, ...user.home.split('/'));
  const key = `users.${index}.home`;
  const problem = directoryProblem(dir);
  if (problem !== undefined) throw errors.CONFIG_INVALID(file, key, `${problem}, got "${user.home}"`);
  const real = realpathSync(dir);
  if (real !== root && !real.startsWith(root.endsWith(sep) ? root : root + sep)) {
    throw errors.CONFIG_INVALID(
      file,
      key,
      `expected a directory inside root (${real} is outside), got "${user.home}"`,
    );
  }
}

function validateFlags(flags: FtpServerFlags): FtpServerConfigFile {
  const out: FtpServerConfigFile = {};
  if (flags.root !== undefined) out.root = flag(rootSchema(process.cwd()), flags.root, 'ROOT');
  if (flags.host !== undefined) out.host = flag(hostSchema, flags.host, '--host');
  if (flags.port !== undefined) out.port = flag(portSchema, numeric(flags.port), '--port');
  if (flags.model !== undefined) out.model = flag(ftpModelSchema, flags.model, '--model');
  if (flags.workers !== undefined) out.workers = flag(workersSchema, numeric(flags.workers), '--workers');
  if (flags.debug !== undefined) out.debug = flag(booleanSchema, flags.debug, '--debug');
  if (flags.active !== undefined) out.active = flag(booleanSchema, flags.active, '--active');
  return out;
}

/** A flag arrives as text; only plain decimal digits become a number, anything else is reported as given. */
function numeric(text: number | string): number | string {
  return typeof text === 'string' && /^\d{1,10}$/.test(text) ? Number(text) : text;
}

function flag<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  return validateConfig(z.strictObject({ [name]: schema }), { [name]: value }, COMMAND_LINE)[name] as T;
}
