import { realpathSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { join, sep } from 'node:path';
import { z } from 'zod';
import {
  booleanSchema,
  configObject,
  directoryProblem,
  directorySchema,
  eachOnce,
  hostSchema,
  intRange,
  millisSchema,
  portSchema,
  workersIgnoredBy,
  workersSchema,
} from '../config/config-schemas.js';
import { deepFreeze } from '../config/deep-freeze.js';
import { type ConfigSpec, type FlagRule, flagRule, loadConfig, readFlags } from '../config/layered-config.js';
import { validateFlag } from '../config/validate-config.js';
import { errors } from '../errors/catalogue.js';
import { FTP_MODELS, type FtpModel } from './ftp-models.js';
import { pathProblem } from './ftp-path.js';
import { HASH_PREFIX, isPasswordHash } from './password-hash.js';

// The FTP server's config: what it is (FtpServerConfig), its defaults, the schemas of its file and flags, and
// the loader. Only the short-lived config thread (load-ftp-config.ts) runs the loader, so that the validator
// (zod) never becomes part of the server's memory; the server imports the types alone.

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

/** The zod schema of an ftpd model, in the file (`model`) or the flag (`--model`). */
const ftpModelSchema = z.enum(FTP_MODELS, {
  error: `expected one of ${FTP_MODELS.join(', ')} (ftpd connections are long-lived)`,
});

const RESERVED_USERS = new Set(['anonymous', 'ftp']);

const USER_NAME_ERROR = 'expected a user name of 1 to 64 printable characters without spaces';
const userNameSchema = z
  .string({ error: USER_NAME_ERROR })
  .regex(/^[^\s\p{Cc}]{1,64}$/u, { error: USER_NAME_ERROR })
  .refine((name) => !RESERVED_USERS.has(name.toLowerCase()), {
    error: 'expected a name other than "anonymous" and "ftp" (reserved for anonymous login)',
  });

const HASH_ERROR = `expected a password hash from \`tandem ftpd --hash-password\` ("${HASH_PREFIX}...")`;
const passwordHashSchema = z.string({ error: HASH_ERROR }).refine(isPasswordHash, { error: HASH_ERROR });

const HOME_ERROR = 'expected a directory below root such as "pub/alice", without "..", "." or backslash';
/** The zod schema of a home: relative to the root, normalised to `a/b` ('' = root). */
const homeSchema = z.string({ error: HOME_ERROR }).transform((value, ctx) => {
  const segments = value.split('/').filter((segment) => segment !== '');
  if (pathProblem(value) !== undefined || segments.some((s) => s === '.' || s === '..')) {
    ctx.issues.push({ code: 'custom', message: HOME_ERROR, input: value });
    return z.NEVER;
  }
  return segments.join('/');
});

const usersSchema = z
  .array(
    z.strictObject(
      {
        name: userNameSchema,
        password: passwordHashSchema,
        write: booleanSchema.optional(),
        home: homeSchema.optional(),
      },
      { error: 'expected an object such as { "name": "alice", "password": "scrypt$...", "write": true }' },
    ),
    { error: 'expected an array of { "name", "password", "write", "home" } objects' },
  )
  .check(eachOnce('name'))
  .transform((users): FtpUser[] =>
    users.map((user) => ({
      name: user.name,
      passwordHash: user.password,
      write: user.write ?? false,
      home: user.home ?? '',
    })),
  );

const passiveSchema = configObject({
  portMin: intRange(0, 65535),
  portMax: intRange(0, 65535),
  address: z
    .string({ error: 'expected an IPv4 address such as 203.0.113.5' })
    .refine((value) => isIPv4(value), { error: 'expected an IPv4 address such as 203.0.113.5' }),
}).check((ctx) => {
  const { portMin = 0, portMax = 0 } = ctx.value;
  if ((portMin === 0) !== (portMax === 0)) {
    ctx.issues.push({
      code: 'custom',
      message: 'expected portMin and portMax both 0 (any port) or both set',
      input: portMin === 0 ? portMin : portMax,
      path: [portMin === 0 ? 'portMin' : 'portMax'],
    });
  } else if (portMin > portMax) {
    ctx.issues.push({
      code: 'custom',
      message: `expected portMax at least portMin (${portMin})`,
      input: portMax,
      path: ['portMax'],
    });
  }
});

/** The root a flag names (the ROOT argument): resolved against the working directory, realpath'd. */
const rootFlag: FlagRule<string> = {
  name: 'ROOT',
  read: (value) => validateFlag(directorySchema(process.cwd(), { realpath: true }), value, 'ROOT'),
};

/** The FTP server's config: its defaults, its file's keys and its flags (defaults < file < flags). */
const ftpSpec: ConfigSpec<FtpServerConfig> = {
  defaults: defaultFtpConfig,
  file: (base) =>
    configObject({
      root: directorySchema(base, { realpath: true }),
      host: hostSchema,
      port: portSchema,
      anonymous: booleanSchema,
      users: usersSchema,
      passive: passiveSchema,
      active: booleanSchema,
      limits: configObject({
        connections: intRange(1, 100_000),
        perAddress: intRange(1, 100_000),
        loginFailures: intRange(1, 100),
        failedLoginDelay: intRange(0, 60_000),
      }),
      timeouts: configObject({ idle: millisSchema(1), data: millisSchema(1), login: millisSchema(1) }),
      model: ftpModelSchema,
      workers: workersSchema,
      debug: booleanSchema,
    }),
  flags: {
    root: rootFlag,
    host: flagRule('--host', hostSchema),
    port: flagRule('--port', portSchema),
    model: flagRule('--model', ftpModelSchema),
    workers: flagRule('--workers', workersSchema),
    debug: flagRule('--debug', booleanSchema),
    active: flagRule('--active', booleanSchema),
  },
  // ftpd's fork model is one child per connection (at most limits.connections): workers counts prefork's alone.
  ignored: { workers: (config) => workersIgnoredBy(config.model, ['prefork']) },
};

/**
 * Loads the FTP server config: reads the JSON file named by `flags.config` if given (a missing file is an
 * error), merges defaults < file < flags, resolves root relative to the config file's directory (the ROOT
 * argument against the working directory; the working directory when neither sets it), checks that each
 * user's home exists inside root, and returns the result frozen. A mistake in the file names the file and the
 * key (CONFIG_UNREADABLE, CONFIG_INVALID), a bad flag or ROOT the flag (CLI_USAGE); `warn` gets a line for a
 * key that is set but ignored (`workers` under the event or fork model), naming its file and key, or its flag.
 */
export function loadFtpConfig(flags: FtpServerFlags, warn?: (message: string) => void): FtpServerConfig {
  const { config: file, ...given } = flags;
  const loaded = loadConfig(ftpSpec, { file, flags: readFlags(ftpSpec, given), warn });
  const root = loaded.root === '' ? realpathSync(process.cwd()) : loaded.root;
  if (file !== undefined) {
    for (const [i, user] of loaded.users.entries()) checkHome(root, user, file, i);
  }
  return deepFreeze({ ...loaded, root });
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
