import { realpathSync, statSync } from 'node:fs';
import { isIPv4 } from 'node:net';
import { resolve } from 'node:path';
import { z } from 'zod';
import { hostSchema, intRange, portSchema, workersSchema } from '../config/validate-config.js';
import type { FtpServerConfig, FtpUser } from './ftp-config.js';
import { FTP_MODELS } from './ftp-models.js';
import { pathProblem } from './ftp-path.js';
import { HASH_PREFIX, isPasswordHash } from './password-hash.js';

// The zod schemas of the FTP server's config file and flags; imported only where the config is validated
// (the config thread of load-ftp-config.ts), never by the server itself.

const MAX_TIMEOUT = 2_147_483_647; // setTimeout's largest delay
/** The zod schema of an ftpd model, in the file (`model`) or the flag (`--model`). */
export const ftpModelSchema = z.enum(FTP_MODELS, {
  error: `expected one of ${FTP_MODELS.join(', ')} (ftpd connections are long-lived)`,
});
/** The zod schema of a boolean setting or flag. */
export const booleanSchema = z.boolean({ error: 'expected true or false' });
const objectError = { error: 'expected an object' };
const RESERVED_USERS = new Set(['anonymous', 'ftp']);

/** Why `dir` is not an existing directory, or undefined when it is. */
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

/** The zod schema of the root: a path resolved against `base`, an existing directory, realpath'd. */
export function rootSchema(base: string) {
  return z
    .string({ error: 'expected the path of a directory' })
    .min(1, { error: 'expected the path of a directory' })
    .transform((value, ctx) => {
      const root = resolve(base, value);
      const problem = directoryProblem(root);
      if (problem === undefined) return realpathSync(root);
      ctx.issues.push({ code: 'custom', message: problem, input: value });
      return z.NEVER;
    });
}

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
  .check((ctx) => {
    const seen = new Set<string>();
    ctx.value.forEach((user, i) => {
      if (seen.has(user.name)) {
        ctx.issues.push({
          code: 'custom',
          message: 'expected each name once',
          input: user.name,
          path: [i, 'name'],
        });
      }
      seen.add(user.name);
    });
  })
  .transform((users): FtpUser[] =>
    users.map((user) => ({
      name: user.name,
      passwordHash: user.password,
      write: user.write ?? false,
      home: user.home ?? '',
    })),
  );

const passiveSchema = z
  .strictObject(
    {
      portMin: intRange(0, 65535).optional(),
      portMax: intRange(0, 65535).optional(),
      address: z
        .string({ error: 'expected an IPv4 address such as 203.0.113.5' })
        .refine((value) => isIPv4(value), { error: 'expected an IPv4 address such as 203.0.113.5' })
        .optional(),
    },
    objectError,
  )
  .check((ctx) => {
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

/** What a config file may hold, parsed: any subset of the keys of FtpServerConfig. */
export type FtpServerConfigFile = {
  [K in keyof FtpServerConfig]?: FtpServerConfig[K] extends readonly unknown[]
    ? FtpServerConfig[K]
    : FtpServerConfig[K] extends object
      ? Partial<FtpServerConfig[K]>
      : FtpServerConfig[K];
};

/** The zod schema of a config file; a relative root is resolved against `base`, the file's directory. */
export function fileSchema(base: string): z.ZodType<FtpServerConfigFile> {
  return z.strictObject(
    {
      root: rootSchema(base).optional(),
      host: hostSchema.optional(),
      port: portSchema.optional(),
      anonymous: booleanSchema.optional(),
      users: usersSchema.optional(),
      passive: passiveSchema.optional(),
      active: booleanSchema.optional(),
      limits: z
        .strictObject(
          {
            connections: intRange(1, 100_000).optional(),
            perAddress: intRange(1, 100_000).optional(),
            loginFailures: intRange(1, 100).optional(),
            failedLoginDelay: intRange(0, 60_000).optional(),
          },
          objectError,
        )
        .optional(),
      timeouts: z
        .strictObject(
          {
            idle: intRange(1, MAX_TIMEOUT).optional(),
            data: intRange(1, MAX_TIMEOUT).optional(),
            login: intRange(1, MAX_TIMEOUT).optional(),
          },
          objectError,
        )
        .optional(),
      model: ftpModelSchema.optional(),
      workers: workersSchema.optional(),
      debug: booleanSchema.optional(),
    },
    objectError,
  ) as z.ZodType<FtpServerConfigFile>;
}
